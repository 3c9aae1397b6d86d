"""Account errors, each with its SPEC code and status."""

from rest_framework import status

from dmsite.errors import ApiError


class AgeTooYoung(ApiError):
    default_code = "age_too_young"
    default_detail = "You are too young to create an account."


class UsernameTaken(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "username_taken"
    default_detail = "That username is taken."


class InvalidPhoneNumber(ApiError):
    default_code = "invalid_phone_number"
    default_detail = "That is not a valid phone number."


class PhoneInUse(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "phone_in_use"
    default_detail = "That phone number is already verified by another account."


class InvalidCode(ApiError):
    default_code = "invalid_code"
    default_detail = "That code is not right."


class CodeExpired(ApiError):
    default_code = "code_expired"
    default_detail = "That code has expired. Ask for a new one."


class InvalidCredentials(ApiError):
    default_code = "invalid"
    default_detail = "Wrong username or password."


class SmsUnavailable(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "sms_unavailable"
    default_detail = "We could not send the code just now. Try again in a moment."


class WrongPassword(ApiError):
    """The current password, asked again before a change that cannot be undone by a thief."""

    default_code = "invalid"
    default_detail = "Your current password is not right."

    def __init__(self, field: str = "password"):
        super().__init__(fields={field: [self.default_detail]})
