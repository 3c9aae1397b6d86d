"""The headers of issue 11: Content-Security-Policy, Permissions-Policy, Cache-Control.

These read the headers Django sends; the browser tests (tests/e2e) check that Chromium
runs every page under them without a single violation.
"""

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory
from tests.messaging.state import befriend, send

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


@pytest.fixture
def chat():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    befriend(alice, bob)
    conversation = send(bob, alice, "hello Alice").conversation_id
    client = Client()
    client.force_login(alice)
    return client, conversation


def test_pages_run_only_their_own_scripts(chat):
    client, conversation = chat
    pages = [
        (client, "/"),
        (client, f"/c/{conversation}"),
        (client, "/u/bob"),
        (Client(), "/login"),
    ]
    for client_of, path in pages:
        response = client_of.get(path)
        assert response.status_code == 200, path
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], path  # no 'unsafe-inline', no nonce needed
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_previews_and_voice_notes_may_use_blob_urls_and_the_socket_its_host(chat):
    client, conversation = chat
    policy = directives(client.get(f"/c/{conversation}"))
    assert policy["img-src"] == ["'self'", "blob:", "data:"]
    assert policy["media-src"] == ["'self'", "blob:"]
    assert policy["connect-src"] == ["'self'", "ws://testserver"]
    secure = directives(client.get(f"/c/{conversation}", secure=True))
    assert secure["connect-src"] == ["'self'", "wss://testserver"]


def test_the_api_docs_run_their_inline_script_by_nonce_only(chat):
    client, _ = chat
    response = client.get("/api/docs/")
    assert response.status_code == 200
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    html = response.content.decode()
    inline = re.findall(r"<(script|style)([^>]*)>(?!</)", html)
    inline = [(tag, attrs) for tag, attrs in inline if "src=" not in attrs]
    assert inline, "Swagger UI's page has its inline script and style"
    for tag, attrs in inline:
        assert f'nonce="{nonce}"' in attrs, tag
    assert directives(response)["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    # A nonce is never reused: the next page gets another.
    assert nonce not in client.get("/api/docs/")["Content-Security-Policy"]


def test_templates_have_no_inline_script_or_event_handler():
    """Inline code would need 'unsafe-inline': every script is a file under static/js."""
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        if template.relative_to(TEMPLATES).parts[0] == "drf_spectacular":
            continue  # Swagger UI's page: its inline script carries the nonce (above)
        for attributes in re.findall(r"<script\b([^>]*)>", text):
            assert "src=" in attributes, f"{template}: inline <script>"
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", text), f"{template}: an on… handler"
        assert "javascript:" not in text, template


def test_permissions_policy_allows_only_this_origins_microphone(chat):
    client, conversation = chat
    for response in (client.get(f"/c/{conversation}"), client.get("/api/v1/me")):
        features = dict(
            item.strip().split("=", 1) for item in response["Permissions-Policy"].split(",")
        )
        assert features["microphone"] == "(self)"  # voice notes record here
        for feature in ("camera", "geolocation", "payment", "usb", "display-capture"):
            assert features[feature] == "()", feature


def test_api_answers_and_chat_pages_are_never_stored(chat):
    client, conversation = chat
    carol = UserFactory(username="carol")
    login = Client().post(
        "/api/v1/auth/login",
        json.dumps({"username": carol.username, "password": PASSWORD}),
        content_type="application/json",
    )
    assert login.status_code == 200
    assert "token" in login.json()
    answers = [
        login,  # carries a token
        client.get(f"/api/v1/conversations/{conversation}/messages"),  # messages
        client.get("/api/v1/conversations"),
        Client().get("/api/v1/me"),  # an error answer too (401)
        client.get("/"),
        client.get(f"/c/{conversation}"),
        client.get("/requests"),
    ]
    for response in answers:
        assert response.status_code in (200, 401), response.content
        assert "no-store" in response["Cache-Control"], response.request["PATH_INFO"]
