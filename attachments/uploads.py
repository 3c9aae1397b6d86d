"""Reading one uploaded file from a multipart body without ever holding it in memory.

The size limit is checked twice: from `Content-Length` before a byte is read (the
ASGI guard, `dmsite.bodylimit`, and `body_too_large`), and while the body streams, by an upload
handler that stops at `MEDIA_MAX_BYTES` + 1 bytes of the file (a body that lies
about its length, or a chunked one). The file itself streams to a temporary file.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParserError
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from attachments.errors import file_too_large
from dmsite.errors import InvalidInput

# What a multipart body may add around the file: boundaries, headers, a field or two.
MULTIPART_OVERHEAD = 64 * 1024
UPLOAD_PATHS = ("/api/v1/attachments", "/api/v1/me/avatar")


def body_too_large(content_length: str | bytes | None) -> bool:
    """Does a declared Content-Length already say the file cannot fit?"""
    try:
        length = int(content_length or 0)
    except ValueError:
        return False
    return length > settings.MEDIA_MAX_BYTES + MULTIPART_OVERHEAD


class SizeLimitHandler(FileUploadHandler):
    """Counts the file's bytes as they arrive and stops past MEDIA_MAX_BYTES."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.MEDIA_MAX_BYTES:
            raise file_too_large()
        return raw_data

    def file_complete(self, file_size):
        return None


def upload_handlers(request) -> list:
    """The size limit first, then the file straight to a temporary file (never memory)."""
    return [SizeLimitHandler(request), TemporaryFileUploadHandler(request)]


class UploadParser(parsers.MultiPartParser):
    """DRF's multipart parser with the size limit, the file always on disk, clear errors."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        if body_too_large(request.META.get("CONTENT_LENGTH")):
            raise file_too_large()
        request.upload_handlers = upload_handlers(request)
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as error:
            raise InvalidInput("The multipart body could not be read.") from error
        except MultiPartParserError as error:  # pragma: no cover - DRF wraps it as ParseError
            raise InvalidInput("The multipart body could not be read.") from error


def the_one_file(request):
    """The single `file` part of an upload, or 400 `invalid`."""
    files = request.FILES
    if list(files.keys()) != ["file"] or len(files.getlist("file")) != 1:
        for upload in files.values():
            upload.close()
        raise InvalidInput(
            "Send exactly one file, in the field `file`.",
            fields={"file": ["Send exactly one file."]},
        )
    return files["file"]
