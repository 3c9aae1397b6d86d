"""Messaging errors: each DM policy denial and each bad message, with its SPEC code."""

from datetime import UTC, datetime, timedelta

from rest_framework import status

from dmsite.errors import ApiError, NotFound, RateLimited
from privacy.errors import YouBlockedUser


class _Forbidden(ApiError):
    status_code = status.HTTP_403_FORBIDDEN


class AccountSuspended(_Forbidden):
    default_code = "account_suspended"
    default_detail = "Your messaging is suspended for now."


def suspension_end_text(until: datetime) -> str:
    """`8 Dec 2026, 14:00 UTC`: the end of a suspension, rounded up to its minute (sends are
    refused until then, never past it)."""
    minute = until.astimezone(UTC).replace(second=0, microsecond=0)
    if minute < until:
        minute += timedelta(minutes=1)
    return f"{minute.day} {minute:%b %Y, %H:%M} UTC"


def suspension_detail(user) -> str:
    """What a suspended user is told: until when, and the moderator's reason as written."""
    until = user.messaging_suspended_until
    if not user.is_active or until is None:
        return AccountSuspended.default_detail
    detail = f"Your messaging is suspended until {suspension_end_text(until)}."
    reason = user.messaging_suspension_reason.strip()
    return f"{detail} Reason: {reason}" if reason else detail


class CannotMessageSelf(_Forbidden):
    default_code = "cannot_message_self"
    default_detail = "You cannot send a message to yourself."


class PhoneRequired(_Forbidden):
    default_code = "phone_required"
    default_detail = "Add and verify a phone number to send messages."


class AgeRestricted(_Forbidden):
    default_code = "age_restricted"
    default_detail = "You are not old enough to send direct messages."


class RecipientNotAccepting(_Forbidden):
    default_code = "recipient_not_accepting"
    default_detail = "This person is not accepting messages from you."


class RequestPending(_Forbidden):
    default_code = "request_pending"
    default_detail = "Wait until they accept your message request before sending more."


class GroupFull(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "group_full"
    default_detail = "This group is full."


class MediaNotInRequests(_Forbidden):
    default_code = "media_not_in_requests"
    default_detail = "Photos, videos and voice messages can be sent once they accept your request."


class EmptyMessage(ApiError):
    default_code = "empty_message"
    default_detail = "Write something before sending."


class MessageTooLong(ApiError):
    default_code = "message_too_long"
    default_detail = "This message is too long."


# Every denial code of the DM policy → the error that carries it.
DENIAL_ERRORS: dict[str, type[ApiError]] = {
    error.default_code: error
    for error in (
        AccountSuspended,
        CannotMessageSelf,
        NotFound,
        YouBlockedUser,
        PhoneRequired,
        AgeRestricted,
        RecipientNotAccepting,
        RequestPending,
        MediaNotInRequests,
        RateLimited,
    )
}
