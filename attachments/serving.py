"""Answering for a stored file once the caller's permission has been checked.

Local storage streams the file with byte `Range` support (206), so audio and video
seek; S3-compatible storage answers a redirect to a short-lived signed URL (the
object store handles `Range` itself). Either way the headers are SPEC section 10's.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from werkzeug.datastructures import Range
from werkzeug.http import parse_range_header

CHUNK_SIZE = 64 * 1024


def _signs_urls(storage) -> bool:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is a dependency
        return False
    return isinstance(storage, S3Storage)


def signed_url_origin() -> str | None:
    """Where the browser fetches files from when the storage signs URLs (S3: the bucket's
    `scheme://host[:port]`), for the pages' Content-Security-Policy; None: this site."""
    if not _signs_urls(default_storage):
        return None
    url = urlsplit(default_storage.url("csp-origin-probe"))  # signing needs no request
    return f"{url.scheme}://{url.netloc}"


def _chunks(file, start: int, length: int):
    try:
        file.seek(start)
        while length > 0:
            chunk = file.read(min(CHUNK_SIZE, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        file.close()


def _common_headers(response, content_type: str) -> HttpResponse:
    response["Content-Type"] = content_type
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private"
    return response


def file_response(request, name: str, content_type: str) -> HttpResponse:
    """The stored file `name`, whole or the one byte range asked for."""
    storage = default_storage
    if _signs_urls(storage):
        url = storage.url(
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": "inline",
                "ResponseCacheControl": "private",
            },
            expire=settings.MEDIA_S3_URL_SECONDS,
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"  # the link expires: never reuse it
        return response

    size = storage.size(name)
    ranges: Range | None = parse_range_header(request.headers.get("Range"))
    span = None
    # One range is served as asked; several (rare, and never sent by media players)
    # get the whole file, which RFC 9110 allows.
    if ranges is not None and ranges.units == "bytes" and len(ranges.ranges) == 1:
        span = ranges.range_for_length(size)
        if span is None:
            response = _common_headers(HttpResponse(status=416), content_type)
            response["Content-Range"] = f"bytes */{size}"
            return response
    start, stop = span or (0, size)
    response = StreamingHttpResponse(
        _chunks(storage.open(name, "rb"), start, stop - start),
        status=206 if span else 200,
    )
    _common_headers(response, content_type)
    response["Content-Length"] = str(stop - start)
    response["Accept-Ranges"] = "bytes"
    if span:
        response["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    return response
