"""Upload refusals, each with its SPEC code and status."""

from django.conf import settings
from rest_framework import status

from dmsite.errors import ApiError


class UnsupportedMedia(ApiError):
    default_code = "unsupported_media"
    default_detail = "This file is not a photo, video or voice note we can take."


class VoiceTooLong(ApiError):
    default_code = "voice_too_long"
    default_detail = "This voice message is too long."


class VideoTooLong(ApiError):
    default_code = "video_too_long"
    default_detail = "This video is too long."


class FileTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"
    default_detail = "This file is too large."


def file_too_large() -> FileTooLarge:
    megabytes = settings.MEDIA_MAX_BYTES / (1024 * 1024)
    return FileTooLarge(f"Files can be at most {megabytes:g} MB.")
