"""The OpenAPI schema documents each operation's errors and the rules the server enforces.

The schema is read as a client reads it (`GET /api/schema/`, JSON), and a few of
its promises are checked against the server: input it calls invalid is a 400
`invalid`, and the errors the server answers fit the documented error shape.
"""

import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command

from dmsite.fields import MAX_DB_ID
from dmsite.openapi import error_codes_by_status
from messaging.services import CLIENT_ID_MAX_LENGTH
from privacy.services import follow_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALL_ERRORS = {"400", "401", "403", "404", "413", "415", "429", "503"}


@pytest.fixture
def schema(api) -> dict:
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        section, kind, name = node["$ref"].removeprefix("#/").split("/")
        node = schema[section][kind][name]
    return node


def error_schema(schema: dict, operation: dict, status: str) -> dict:
    response = resolve(schema, operation["responses"][status])
    return resolve(schema, response["content"]["application/json"]["schema"])


def request_schema(schema: dict, operation: dict) -> dict:
    return resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])


def parameter(operation: dict, name: str) -> dict:
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_the_schema_validates_without_a_warning():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format=openapi-json", stdout=out)
    assert json.loads(out.getvalue())["openapi"].startswith("3.")


def test_a_send_documents_every_error_it_can_answer(schema):
    send = schema["paths"]["/api/v1/messages"]["post"]
    assert set(send["responses"]) == {"200", "201", "404", *ALL_ERRORS}
    assert error_schema(schema, send, "403")["properties"]["code"]["enum"] == sorted(
        [
            "account_suspended",
            "age_restricted",
            "cannot_message_self",
            "media_not_in_requests",
            "permission_denied",
            "phone_required",
            "recipient_not_accepting",
            "request_pending",
            "you_blocked_user",
        ]
    )
    too_many = resolve(schema, send["responses"]["429"])
    assert "Retry-After" in too_many["headers"]
    assert error_schema(schema, send, "429")["required"] == ["code", "detail"]


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        # Anonymous: no 401 or 403; a taken name is 409; sign-ups are limited.
        ("post", "/api/v1/auth/register", {"201", "400", "409", "413", "415", "429", "503"}),
        # A read of my own: only the sign-in and the services can fail it.
        ("get", "/api/v1/me", {"200", "401", "503"}),
        # A list: its query string can be wrong, and the user may not be visible.
        (
            "get",
            "/api/v1/users/{username}/followers",
            {"200", "400", "401", "404", "503"},
        ),
        ("post", "/api/v1/attachments", {"201", "400", "401", "403", "413", "415", "429", "503"}),
        ("post", "/api/v1/conversations", {"200", "201", "404", "409", *ALL_ERRORS}),
    ],
)
def test_operations_document_the_statuses_of_their_kind(schema, method, path, statuses):
    assert set(schema["paths"][path][method]["responses"]) == statuses


def test_error_codes_come_from_the_error_classes():
    codes = error_codes_by_status()
    assert "username_taken" in codes[409]
    assert "group_full" in codes[409]
    assert codes[401] == ["not_authenticated"]
    assert codes[413] == ["file_too_large"]
    assert set(codes[503]) >= {"service_unavailable", "sms_unavailable"}
    # A private base class is never raised itself: its inherited code is not a 403's.
    assert "invalid" not in codes[403]


def test_the_constraints_the_server_enforces_are_in_the_schema(schema):
    history = schema["paths"]["/api/v1/conversations/{conversation_id}/messages"]
    assert parameter(history["get"], "limit")["schema"] == {"type": "integer", "minimum": 1}
    conversation_id = parameter(history["get"], "conversation_id")["schema"]
    assert conversation_id["minimum"] == 1
    assert conversation_id["maximum"] == MAX_DB_ID

    send = request_schema(schema, history["post"])["properties"]
    assert send["body"]["type"] == "string"
    assert send["body"]["maxLength"] == settings.DM_MAX_LENGTH
    assert send["client_id"] == {
        "type": "string",
        "maxLength": CLIENT_ID_MAX_LENGTH,
        "pattern": "^[ -~]*$",
        "description": send["client_id"]["description"],
    }
    assert send["reply_to"]["type"] == "integer"
    assert send["reply_to"]["minimum"] == 1
    assert send["attachments"]["items"]["type"] == "integer"
    assert send["attachments"]["uniqueItems"] is True

    privacy = schema["paths"]["/api/v1/me/privacy"]["patch"]
    words = request_schema(schema, privacy)["properties"]["hidden_words"]
    assert words["type"] == "array"
    assert words["maxItems"] == 100
    assert words["items"]["maxLength"] == 50

    search = parameter(schema["paths"]["/api/v1/users"]["get"], "search")
    assert search["required"] is True
    assert search["schema"] == {"type": "string", "minLength": 1, "maxLength": 50}

    profile = parameter(schema["paths"]["/api/v1/users/{username}"]["get"], "username")
    assert profile["schema"]["pattern"] == "^[A-Za-z0-9_.]{2,24}$"
    media = schema["paths"]["/media/{attachment_id}/{variant}"]["get"]
    assert parameter(media, "variant")["schema"]["enum"] == ["original", "thumbnail"]


@pytest.fixture
def friends(client_for):
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    follow_create(follower=alice, followee=bob)
    follow_create(follower=bob, followee=alice)
    return client_for(alice), bob


@pytest.mark.parametrize(
    "body",
    [
        {"to": "bob", "body": 5},  # body: a string
        {"to": "bob", "body": "hi", "client_id": "x" * (CLIENT_ID_MAX_LENGTH + 1)},
        {"to": "bob", "body": "hi", "client_id": "naïve"},  # printable ASCII only
        {"to": "bob", "body": "hi", "reply_to": 0},  # at least 1
        {"to": "bob", "body": "hi", "attachments": [1, 1]},  # unique
        {"to": "bob", "body": None},  # not nullable
    ],
)
def test_input_the_schema_calls_invalid_is_a_400(schema, friends, body):
    client, _bob = friends
    response = client.post("/api/v1/messages", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert (
        response.json()["code"]
        in error_schema(schema, schema["paths"]["/api/v1/messages"]["post"], "400")["properties"][
            "code"
        ]["enum"]
    )


def test_input_the_schema_calls_valid_is_sent(friends):
    client, _bob = friends
    response = client.post(
        "/api/v1/messages",
        {"to": "bob", "body": "x" * settings.DM_MAX_LENGTH, "client_id": "~ 0aZ"},
        format="json",
    )
    assert response.status_code == 201


@pytest.mark.parametrize("limit", ["0", "-1", "1.5", "x"])
def test_a_limit_under_the_documented_minimum_is_a_400(friends, limit):
    client, _bob = friends
    response = client.get("/api/v1/me/friends", {"limit": limit})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_limit_over_the_largest_page_is_accepted(friends):
    client, _bob = friends
    response = client.get("/api/v1/me/friends", {"limit": "1000"})
    assert response.status_code == 200
    assert [user["username"] for user in response.json()["results"]] == ["bob"]


def test_a_null_hidden_words_is_a_400(friends):
    client, _bob = friends
    response = client.patch("/api/v1/me/privacy", {"hidden_words": None}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def _json_schema(node):
    """OpenAPI 3.0's `nullable` spelled as JSON Schema, for the validator."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def assert_fits(schema: dict, component: str, body) -> None:
    # jsonschema comes with schemathesis (a dev extra); refs resolve inside the document.
    import jsonschema

    document = {"components": _json_schema(schema["components"])}
    document["$ref"] = f"#/components/schemas/{component}"
    jsonschema.validate(body, document)


def test_messages_without_seen_or_blocked_fit_the_message_schema(schema, friends):
    """Found by schemathesis: `seen` and `blocked` were documented as always present."""
    client, _bob = friends
    sent = client.post("/api/v1/messages", {"to": "bob", "body": "hi"}, format="json")
    assert sent.status_code == 201
    assert "seen" not in sent.json()
    assert "blocked" not in sent.json()
    assert_fits(schema, "Message", sent.json())
    conversation = sent.json()["conversation"]
    history = client.get(f"/api/v1/conversations/{conversation}/messages")
    assert history.status_code == 200
    assert_fits(schema, "PaginatedMessageList", history.json())
    inbox = client.get("/api/v1/conversations")
    assert inbox.status_code == 200
    assert inbox.json()["results"][0]["last_message"]["body"] == "hi"
    assert_fits(schema, "PaginatedConversationList", inbox.json())


def test_an_error_fits_its_status_schema(schema, friends):
    client, _bob = friends
    response = client.get("/api/v1/conversations/9223372036854775807")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert_fits(schema, "Error404", response.json())
