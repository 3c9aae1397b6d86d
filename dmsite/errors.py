"""The one error shape of the API and the handler that renders every error in it.

Every API error is `{"code": ..., "detail": ...}` (plus `fields` for validation
errors) with the status of SPEC section 4. Domain errors subclass `ApiError`
and declare their code and status; DRF's and Django's own exceptions are mapped
here so that nothing reaches a client in another shape.
"""

import logging
import math
import re

import redis.exceptions
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django_redis.exceptions import ConnectionInterrupted
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """An error with a stable SPEC code, raised by services and rendered by the handler."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "The request is invalid."

    def __init__(self, detail: str | None = None, *, fields: dict | None = None):
        super().__init__(detail or self.default_detail, self.default_code)
        self.code = self.default_code
        self.fields = fields


class InvalidInput(ApiError):
    default_code = "invalid"
    default_detail = "The request is invalid."


class NotFound(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = "Not found."


class PermissionDeniedError(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"
    default_detail = "You do not have permission to do this."


class RateLimited(ApiError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"
    default_detail = "You are doing this too often. Try again later."

    def __init__(self, retry_after: float, detail: str | None = None):
        super().__init__(detail)
        self.retry_after = max(1, math.ceil(retry_after))


class TooManyAttempts(RateLimited):
    default_code = "too_many_attempts"
    default_detail = "Too many attempts. Try again later."


class ServiceUnavailable(ApiError):
    """A backing service (database, Redis) is down: nothing was written, try again soon."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = "The service is briefly unavailable. Try again in a moment."
    retry_seconds = 5

    def __init__(self, detail: str | None = None):
        super().__init__(detail)
        self.retry_after = self.retry_seconds


# Redis unreachable (killed, restarting, a network cut) or too slow to answer: from the
# cache (django-redis), the rate limits' own client and the channel layer (channels-redis).
REDIS_ERRORS = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionInterrupted,
)
# A backing service is down: the database's connection dropped, refused, or not to be had
# from the pool in time (psycopg_pool's PoolTimeout arrives as OperationalError), or Redis.
# Every one is answered 503 `service_unavailable`, never 500.
BACKING_SERVICE_ERRORS = (OperationalError, InterfaceError, *REDIS_ERRORS)


def service_unavailable_for(exc: BaseException) -> ServiceUnavailable | None:
    """The 503 to answer for `exc` when it says a backing service is down, else None."""
    if not isinstance(exc, BACKING_SERVICE_ERRORS):
        return None
    # Logged once here, for the operator: the client only learns to come back soon.
    logger.warning("A backing service is unavailable: %r", exc, exc_info=exc)
    return ServiceUnavailable()


# DRF's own exceptions, by class, as (status, code, detail); a None detail keeps DRF's sentence.
_DRF_ERRORS = [
    (exceptions.NotAuthenticated, 401, "not_authenticated", "Log in to do this."),
    (exceptions.AuthenticationFailed, 401, "not_authenticated", None),
    (exceptions.PermissionDenied, 403, "permission_denied", None),
    (exceptions.NotFound, 404, "not_found", "Not found."),
    (exceptions.MethodNotAllowed, 405, "method_not_allowed", None),
    (exceptions.NotAcceptable, 406, "not_acceptable", None),
    (exceptions.UnsupportedMediaType, 415, "unsupported_media_type", None),
    (exceptions.ParseError, 400, "invalid", "The request body is not valid JSON."),
    (exceptions.Throttled, 429, "rate_limited", None),
]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(text) -> str:
    """`text` with every lone surrogate replaced by U+FFFD.

    Messages quote input (a choice that is not valid, a name, a search): a lone
    surrogate in it cannot be encoded as UTF-8 and the response would fail. Every
    error leaves through `error_body`, so this is the one place that guards them all.
    """
    return _LONE_SURROGATE.sub("\ufffd", str(text))


def _encodable_tree(value):
    if isinstance(value, dict):
        return {encodable(key): _encodable_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable_tree(item) for item in value]
    return encodable(value)


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    body = {"code": encodable(code), "detail": encodable(detail)}
    if fields:
        body["fields"] = _encodable_tree(fields)
    return body


def _field_messages(detail) -> dict | list | str:
    """DRF's nested ErrorDetail structure → plain JSON of strings."""
    if isinstance(detail, dict):
        return {key: _field_messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_field_messages(item) for item in detail]
    return str(detail)


def first_error_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            message = first_error_message(value)
            return message if key == "non_field_errors" else f"{key}: {message}"
    if isinstance(detail, list) and detail:
        return first_error_message(detail[0])
    return str(detail)


def _response(status_code: int, body: dict, retry_after: int | None = None) -> Response:
    response = Response(body, status=status_code)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error leaves in the SPEC shape."""
    set_rollback()
    exc = service_unavailable_for(exc) or exc
    if isinstance(exc, ApiError):
        retry_after = getattr(exc, "retry_after", None)
        return _response(exc.status_code, error_body(exc.code, exc.detail, exc.fields), retry_after)
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_messages(exc.detail)
        if not isinstance(fields, dict):
            fields = {"non_field_errors": fields if isinstance(fields, list) else [fields]}
        return _response(400, error_body("invalid", first_error_message(exc.detail), fields))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        # RequestDataTooBig, too many fields, a bad Host: the client's fault, never a 500.
        return _response(400, error_body("invalid", "The request could not be accepted."))
    for exc_class, status_code, code, detail in _DRF_ERRORS:
        if isinstance(exc, exc_class):
            retry_after = None
            if isinstance(exc, exceptions.Throttled):
                retry_after = max(1, math.ceil(exc.wait or 1))
            response = _response(status_code, error_body(code, detail or exc.detail), retry_after)
            # A 401 names the scheme to use (RFC 9110); APIView sets it on the exception.
            if getattr(exc, "auth_header", None):
                response["WWW-Authenticate"] = exc.auth_header
            return response
    if isinstance(exc, exceptions.APIException):
        return _response(exc.status_code, error_body(exc.get_codes(), exc.detail))
    return None


def json_error_view(status_code: int, code: str, detail: str, html_view):
    """A Django-level handler (handler404/500) that answers JSON under /api/, HTML elsewhere."""

    def view(request, *args, **kwargs):
        if request.path.startswith("/api/"):
            return JsonResponse(error_body(code, detail), status=status_code)
        return html_view(request, *args, **kwargs)

    return view


class ServiceUnavailableMiddleware:
    """Pages and API views alike: a backing service that is down answers 503, not 500.

    DRF's views already answer through `api_exception_handler`; this catches what
    raises outside them (the HTML log-in and send forms, the admin, a page's session
    lookup), so that an outage is one clear answer everywhere, with `Retry-After`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        unavailable = service_unavailable_for(exception)
        if unavailable is None:
            return None
        if request.path.startswith("/api/"):
            response = JsonResponse(
                error_body(unavailable.code, unavailable.detail), status=unavailable.status_code
            )
        else:
            response = HttpResponse(
                f"<!doctype html><title>Try again soon</title><p>{unavailable.detail}</p>",
                status=unavailable.status_code,
            )
        response["Retry-After"] = str(unavailable.retry_after)
        return response
