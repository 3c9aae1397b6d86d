"""Reports and every moderator action; each action writes its audit-log row."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.services import user_deactivate
from attachments.services import files_delete
from dmsite.errors import InvalidInput, NotFound
from dmsite.fields import MAX_DB_ID
from dmsite.ratelimit import SlidingWindow
from messaging.errors import suspension_end_text
from messaging.models import Conversation, Message, MessageKind, Participant
from messaging.selectors import messages_visible_to
from messaging.services import message_erase
from moderation import snapshots
from moderation.errors import CannotReportSelf
from moderation.evidence import evidence_copy
from moderation.models import ActionKind, ModerationAction, Report, ReportStatus, TargetType
from privacy.selectors import users_visible_to
from privacy.services import block_create

SUSPENSION_REASON_MAX = 500  # characters: the suspended user reads it in every refusal


@dataclass(frozen=True)
class _Target:
    id: int
    offender: User
    snapshot: dict


def _message_target(reporter: User, message_id: int) -> _Target:
    message = (
        messages_visible_to(user_id=reporter.pk)
        .filter(pk=message_id)
        .select_related("sender", "conversation__user_low", "conversation__user_high")
        .first()
    )
    if message is None:
        raise NotFound("No such message.")
    return _Target(message.pk, message.sender, snapshots.message_snapshot(message))


def _conversation_target(reporter: User, conversation_id: int) -> _Target:
    side = (
        Participant.objects.filter(user=reporter, conversation_id=conversation_id)
        .select_related("other", "conversation__user_low", "conversation__user_high")
        .first()
    )
    if side is None:
        raise NotFound("No such conversation.")
    conversation = side.conversation
    offender = side.other if not conversation.is_group else _group_offender(reporter, conversation)
    return _Target(side.conversation_id, offender, snapshots.conversation_snapshot(conversation))


def _group_offender(reporter: User, conversation: Conversation) -> User:
    """Whom a group's report is filed against: the last other person who wrote there, else
    its owner (the reporter's being the owner: the earliest other member). Moderators see
    every member in the snapshot."""
    last = (
        Message.objects.filter(conversation=conversation, kind=MessageKind.TEXT)
        .exclude(sender=reporter)
        .select_related("sender")
        .order_by("-id")
        .first()
    )
    if last is not None:
        return last.sender
    others = (
        Participant.objects.filter(conversation=conversation)
        .exclude(user=reporter)
        .select_related("user")
        .order_by("-role", "joined_at", "pk")
    )
    return others.first().user


def _user_target(reporter: User, user_ref: int | str) -> _Target:
    lookup = Q(pk=user_ref) if isinstance(user_ref, int) else Q(username__iexact=user_ref)
    user = users_visible_to(reporter).filter(lookup).first()
    if user is None:
        raise NotFound("No such user.")
    low, high = sorted([reporter.pk, user.pk])
    conversation = (
        Conversation.objects.filter(user_low_id=low, user_high_id=high)
        .select_related("user_low", "user_high")
        .first()
    )
    return _Target(user.pk, user, snapshots.user_snapshot(user, conversation))


_TARGETS = {
    TargetType.MESSAGE: _message_target,
    TargetType.CONVERSATION: _conversation_target,
    TargetType.USER: _user_target,
}


def report_create(
    *,
    reporter: User,
    target_type: str,
    target_id: int | str,
    reason: str,
    details: str = "",
    block: bool = False,
) -> tuple[Report, bool]:
    """Report something the reporter can see; (report, created). Repeating it changes nothing.

    With `block`, the reporter also blocks the person reported, as TikTok's
    "Report and block" does.
    """
    if isinstance(target_id, int) and not 0 < target_id <= MAX_DB_ID:
        raise NotFound("Not found.")
    if isinstance(target_id, str) and target_type != TargetType.USER:
        raise InvalidInput(
            "target_id must be a number.", fields={"target_id": ["Must be a number."]}
        )
    target = _TARGETS[target_type](reporter, target_id)
    if target.offender.pk == reporter.pk:
        raise CannotReportSelf()
    existing = Report.objects.filter(
        reporter=reporter, target_type=target_type, target_id=target.id
    ).first()
    if existing is not None:
        if block:
            block_create(blocker=reporter, blocked=target.offender)
        return existing, False

    window = SlidingWindow("reports", settings.RATE_REPORTS)
    slot = window.acquire(str(reporter.pk))
    copies: list[str] = []
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter,
                target_type=target_type,
                target_id=target.id,
                offender=target.offender,
                reason=reason,
                details=details,
                snapshot=target.snapshot,
            )
            # Copies of its photos, videos and voice notes outlive an unsend.
            copies = evidence_copy(report=report)
            if block:
                block_create(blocker=reporter, blocked=target.offender)
    except IntegrityError:  # the same report, sent twice at once
        window.release(str(reporter.pk), slot)
        files_delete(copies)
        return Report.objects.get(
            reporter=reporter, target_type=target_type, target_id=target.id
        ), False
    except BaseException:
        window.release(str(reporter.pk), slot)
        files_delete(copies)
        raise
    return report, True


def _require_reason(reason: str) -> None:
    # Checked before acting, so that a refused action does not even touch the objects given.
    if not reason.strip():
        raise InvalidInput("Say why: every moderator action needs a reason.")


def _audit(
    *,
    moderator: User,
    action: str,
    reason: str,
    target_user: User,
    report: Report | None,
    **details,
) -> ModerationAction:
    if report is not None and report.status == ReportStatus.OPEN:
        report.status = (
            ReportStatus.DISMISSED if action == ActionKind.DISMISS else ReportStatus.ACTIONED
        )
        report.resolved_at = timezone.now()
        report.resolved_by = moderator
        report.save(update_fields=["status", "resolved_at", "resolved_by"])
    return ModerationAction.objects.create(
        moderator=moderator,
        action=action,
        reason=reason.strip(),
        report=report,
        target_user=target_user,
        details=details,
    )


@transaction.atomic
def report_dismiss(*, report: Report, moderator: User, reason: str) -> ModerationAction:
    _require_reason(reason)
    return _audit(
        moderator=moderator,
        action=ActionKind.DISMISS,
        reason=reason,
        target_user=report.offender,
        report=report,
    )


@transaction.atomic
def report_remove_message(*, report: Report, moderator: User, reason: str) -> ModerationAction:
    """Erase the reported message for both participants (the report keeps its snapshot)."""
    _require_reason(reason)
    if report.target_type != TargetType.MESSAGE:
        raise InvalidInput("Only a message report has a message to remove.")
    message = Message.objects.select_related("conversation").filter(pk=report.target_id).first()
    if message is not None:
        message_erase(message=message)
    return _audit(
        moderator=moderator,
        action=ActionKind.REMOVE_MESSAGE,
        reason=reason,
        target_user=report.offender,
        report=report,
        message_id=report.target_id,
    )


@transaction.atomic
def user_suspend_messaging(
    *, moderator: User, user: User, days: int, reason: str, report: Report | None = None
) -> ModerationAction:
    """Refuse the user's sends with `account_suspended` for `days` days from now.

    The reason is written for the user: every refusal of their sends says it, with the end.
    """
    _require_reason(reason)
    if len(reason.strip()) > SUSPENSION_REASON_MAX:
        raise InvalidInput(
            f"The user reads this reason: keep it to {SUSPENSION_REASON_MAX} characters."
        )
    if not 0 < days <= 3650:
        raise InvalidInput("A suspension lasts from 1 to 3650 days.")
    until = timezone.now() + timedelta(days=days)
    User.objects.filter(pk=user.pk).update(
        messaging_suspended_until=until, messaging_suspension_reason=reason.strip()
    )
    user.messaging_suspended_until = until
    user.messaging_suspension_reason = reason.strip()
    return _audit(
        moderator=moderator,
        action=ActionKind.SUSPEND,
        reason=reason,
        target_user=user,
        report=report,
        until=until.isoformat(),
        days=days,
    )


@transaction.atomic
def user_deactivate_by_moderator(
    *, moderator: User, user: User, reason: str, report: Report | None = None
) -> ModerationAction:
    _require_reason(reason)
    user_deactivate(user=user)
    return _audit(
        moderator=moderator,
        action=ActionKind.DEACTIVATE,
        reason=reason,
        target_user=user,
        report=report,
    )


# One entry for every moderator button: the report's page and the queue's list action ----

SUSPENSION_PERIODS = [(1, "1 day"), (3, "3 days"), (7, "7 days"), (30, "30 days"), (365, "1 year")]


def report_act(
    *, report: Report, moderator: User, action: str, reason: str, days: int | None = None
) -> ModerationAction:
    """Run one moderator action on a report; `days` for a suspension only."""
    if action == ActionKind.DISMISS:
        return report_dismiss(report=report, moderator=moderator, reason=reason)
    if action == ActionKind.REMOVE_MESSAGE:
        return report_remove_message(report=report, moderator=moderator, reason=reason)
    if action == ActionKind.SUSPEND:
        if days is None:
            raise InvalidInput("Choose how long the suspension lasts.")
        return user_suspend_messaging(
            moderator=moderator, user=report.offender, days=days, reason=reason, report=report
        )
    if action == ActionKind.DEACTIVATE:
        return user_deactivate_by_moderator(
            moderator=moderator, user=report.offender, reason=reason, report=report
        )
    raise InvalidInput("No such moderator action.")


def action_done(entry: ModerationAction) -> str:
    """What an action did, without its reason: the audit log's `what` column."""
    name = entry.target_user.username
    if entry.action == ActionKind.DISMISS:
        return f"Dismissed report #{entry.report_id} about {name}"
    if entry.action == ActionKind.REMOVE_MESSAGE:
        return f"Removed {name}'s message #{entry.details.get('message_id')} for everyone"
    if entry.action == ActionKind.SUSPEND:
        until = entry.details.get("until")
        ends = suspension_end_text(datetime.fromisoformat(until)) if until else "?"
        return f"Suspended {name}'s messaging until {ends}"
    if entry.action == ActionKind.DEACTIVATE:
        return f"Deactivated {name}'s account"
    return entry.get_action_display()


def action_summary(entry: ModerationAction) -> str:
    """What an action did and why, in words: the confirmation the moderator reads."""
    return f"{action_done(entry)}. Reason: {entry.reason}"
