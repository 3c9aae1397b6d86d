"""Privacy errors, each with its SPEC code and status."""

from rest_framework import status

from dmsite.errors import ApiError


class YouBlockedUser(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "you_blocked_user"
    default_detail = "You blocked this user. Unblock them first."
