"""The OpenAPI schema's error answers, added once to every operation.

drf-spectacular documents the success answers each view declares. This
postprocessing hook adds, to every operation, the errors it can answer, each in
the one shape of SPEC section 4 (`{"code", "detail", "fields"?}`) through a
reusable response component per status, whose `code` lists the codes of that
status. Which statuses an operation can answer follows from what it is:

- 400 when it reads a body or a query string (validation), 413 (the body limit of
  `dmsite/bodylimit.py`) and 415 when it reads a body;
- 401 and 403 when it needs a signed-in user (403: the policy, and CSRF on the
  session's unsafe methods);
- 404 when its path names something (a user, a conversation, a message…);
- 503 everywhere: a backing service (database, Redis) that is down;
- and the statuses of `_RULE_STATUSES`, operation by operation: conflicts (409),
  limits (429) and the rest that only some rules answer.

The codes come from the error classes themselves (every `ApiError` subclass
and the DRF exceptions `dmsite.errors` maps), so a new error class is in the
schema without an edit here.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

from dmsite import errors
from dmsite.fields import TEXT_LINE_PATTERN, TEXT_PATTERN

_RESPONSE_NAMES = {
    400: ("BadRequest", "The input is not valid (`fields` names what is wrong)."),
    401: ("Unauthorized", "Not signed in: send `Authorization: Token <key>` or a session."),
    403: ("Forbidden", "Not allowed: the DM policy, a permission, or a missing CSRF token."),
    404: ("NotFound", "Not found, or not yours to see (a blocked user is not found)."),
    409: ("Conflict", "Conflicts with what exists (a name or number taken, a full group)."),
    413: (
        "PayloadTooLarge",
        "The body is over its limit (uploads: MEDIA_MAX_BYTES; dmsite/bodylimit.py).",
    ),
    415: ("UnsupportedMediaType", "The body is not of a type this operation reads."),
    429: ("TooManyRequests", "A limit of SPEC section 3 was reached; retry after `Retry-After`."),
    503: ("ServiceUnavailable", "A backing service is down; nothing was written. Retry soon."),
}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1},
    }
}

# Statuses that only some rules answer, by (method, path); the kind of the operation
# gives the rest (see the module's docstring). Every key must name an operation.
_RULE_STATUSES: dict[tuple[str, str], set[int]] = {
    ("post", "/api/v1/auth/register"): {409, 429},
    ("post", "/api/v1/auth/login"): {429},
    # The password, asked again in a body (which the schema cannot show on a DELETE).
    ("delete", "/api/v1/me"): {400, 413, 415, 429},
    ("post", "/api/v1/me/password"): {429},
    ("post", "/api/v1/me/phone"): {409, 429},
    ("post", "/api/v1/me/phone/verify"): {409, 429},
    ("put", "/api/v1/me/avatar"): {429},
    ("get", "/api/v1/me/export"): {429},
    ("post", "/api/v1/attachments"): {429},
    ("post", "/api/v1/users/{username}/follow"): {400, 429},  # 400: following oneself
    ("post", "/api/v1/users/{username}/block"): {400},  # blocking oneself
    ("post", "/api/v1/conversations"): {404, 409, 429},  # 404: a username in the body
    ("post", "/api/v1/conversations/{conversation_id}/members"): {409},
    ("get", "/api/v1/conversations/{conversation_id}/messages"): {403},  # an invitation
    ("post", "/api/v1/conversations/{conversation_id}/messages"): {429},
    ("post", "/api/v1/messages"): {404, 429},
    ("put", "/api/v1/messages/{message_id}/reaction"): {429},
    ("post", "/api/v1/reports"): {404, 429},
}

_UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def error_codes_by_status() -> dict[int, list[str]]:
    """Every error code the API answers, by HTTP status, from the error classes."""
    codes: dict[int, set[str]] = {400: {"invalid"}}  # DRF's validation errors
    pending = [errors.ApiError]
    while pending:
        error_class = pending.pop()
        pending.extend(error_class.__subclasses__())
        if error_class.__name__.startswith("_"):  # a private base, never raised itself
            continue
        codes.setdefault(error_class.status_code, set()).add(error_class.default_code)
    for _exc_class, status_code, code, _detail in errors._DRF_ERRORS:
        codes.setdefault(status_code, set()).add(code)
    return {status_code: sorted(found) for status_code, found in codes.items()}


def _error_schema(codes: list[str]) -> dict:
    return {
        "type": "object",
        "properties": {
            "code": {"type": "string", "enum": codes},
            "detail": {"type": "string", "description": "A sentence for a person."},
            "fields": {
                "type": "object",
                "additionalProperties": True,
                "description": "Validation errors: each field's messages.",
            },
        },
        "required": ["code", "detail"],
    }


def _error_components(result: dict) -> None:
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    responses = components.setdefault("responses", {})
    codes = error_codes_by_status()
    for status_code, (name, description) in _RESPONSE_NAMES.items():
        schemas[f"Error{status_code}"] = _error_schema(codes[status_code])
        response = {
            "description": description,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/Error{status_code}"}}
            },
        }
        if status_code in (429, 503):
            response["headers"] = _RETRY_AFTER
        if status_code == 401:
            response["headers"] = {
                "WWW-Authenticate": {
                    "description": "The scheme to use.",
                    "schema": {"type": "string"},
                }
            }
        responses[name] = response
    # Outside /api/, a path that matches no route gets the site's HTML page.
    not_found = dict(responses["NotFound"])
    not_found["content"] = {**not_found["content"], "text/html": {"schema": {"type": "string"}}}
    responses["NotFoundPage"] = not_found


def operation_error_statuses(method: str, path: str, operation: dict) -> set[int]:
    """The error statuses `operation` can answer (see the module's docstring)."""
    parameters = operation.get("parameters", [])
    reads_body = "requestBody" in operation
    authenticated = {} not in operation.get("security", [{}])
    statuses = {503}
    if reads_body or any(parameter["in"] == "query" for parameter in parameters):
        statuses.add(400)
    if reads_body:
        statuses |= {413, 415}
    if authenticated:
        statuses.add(401)
        if method in _UNSAFE_METHODS:
            statuses.add(403)
    if any(parameter["in"] == "path" for parameter in parameters):
        statuses.add(404)
    return statuses | _RULE_STATUSES.get((method, path), set())


def _path_parameter_constraints(path: str, operation: dict) -> None:
    """What the URL patterns accept, which drf-spectacular cannot read from them."""
    from accounts.models import USERNAME_PATTERN
    from dmsite.fields import MAX_DB_ID

    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter["in"] == "path" and schema.get("type") == "integer":
            schema.update(minimum=1, maximum=MAX_DB_ID, format="int64")
        elif parameter["in"] == "path" and parameter["name"] == "username":
            schema.update(pattern=USERNAME_PATTERN.replace(r"\Z", "$"))
        elif parameter["name"] == "variant":
            parameter["schema"] = {"type": "string", "enum": ["original", "thumbnail"]}


def add_error_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry: the errors of every operation."""
    _error_components(result)
    seen = set()
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            seen.add((method, path))
            _path_parameter_constraints(path, operation)
            responses = operation.setdefault("responses", {})
            for status_code in operation_error_statuses(method, path, operation):
                name = _RESPONSE_NAMES[status_code][0]
                if status_code == 404 and not path.startswith("/api/"):
                    name = "NotFoundPage"
                responses.setdefault(str(status_code), {"$ref": f"#/components/responses/{name}"})
            operation["responses"] = dict(sorted(responses.items()))
    unknown = set(_RULE_STATUSES) - seen
    if unknown:
        raise ValueError(f"_RULE_STATUSES names operations that do not exist: {sorted(unknown)}")
    return result


class StrictCharFieldExtension(OpenApiSerializerFieldExtension):
    """Strict text fields refuse control characters (`text_problem`): the schema says so."""

    target_class = "dmsite.fields.StrictCharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and "pattern" not in schema:
            schema["pattern"] = TEXT_PATTERN if self.target.multiline else TEXT_LINE_PATTERN
        return schema
