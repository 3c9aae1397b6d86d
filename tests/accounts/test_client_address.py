"""Finding 3: throttles key on an address the client cannot choose, and on the account.

Behind `TRUSTED_PROXY_COUNT` proxies the client is the address the outermost trusted
proxy saw (X-Forwarded-For counted from the right); entries the client wrote further
left are ignored. A per-account cap (`RATE_LOGIN_ACCOUNT`) holds across addresses.
"""

import json

import pytest
from rest_framework.test import APIClient

from dmsite.addresses import client_ip_from
from dmsite.env import Rate
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NGINX = "10.0.0.2"  # the proxy, as Daphne sees it


def attempt(forwarded_for: str, password="wrong-password-1", remote=NGINX):  # noqa: S107
    return APIClient().post(
        "/api/v1/auth/login",
        json.dumps({"username": "alice", "password": password}),
        content_type="application/json",
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # no proxy: the header is the client's
        (1, NGINX, "203.0.113.9", "203.0.113.9"),
        (1, NGINX, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a written entry is ignored
        (1, NGINX, "6.6.6.6,7.7.7.7 , 203.0.113.9", "203.0.113.9"),
        (2, NGINX, "6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (1, NGINX, "", NGINX),  # not through the proxy: the peer is all we know
        (2, NGINX, "203.0.113.9", NGINX),
        (1, NGINX, "not-an-address", NGINX),
        (1, NGINX, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_is_the_one_the_trusted_proxy_saw(
    settings, proxies, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip_from(remote, forwarded) == expected


def test_addresses_written_by_the_client_do_not_escape_the_login_limit(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATE_LOGIN = Rate(3, 900)
    UserFactory(username="alice")
    for n in range(3):
        assert attempt(f"198.51.100.{n}, 203.0.113.9").status_code == 400
    response = attempt("198.51.100.99, 203.0.113.9")
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"
    # Another real client address still may try.
    assert attempt("203.0.113.10").status_code == 400


def test_the_per_account_cap_holds_across_real_addresses(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATE_LOGIN_ACCOUNT = Rate(5, 900)
    UserFactory(username="alice")
    for n in range(5):
        assert attempt(f"203.0.113.{n}").status_code == 400
    response = attempt("203.0.113.200", password=PASSWORD)
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"
    assert int(response["Retry-After"]) >= 1


def test_the_default_per_account_cap(settings):
    assert str(settings.RATE_LOGIN_ACCOUNT) == "20/900"
    assert settings.TRUSTED_PROXY_COUNT == 0
    assert settings.SECURE_PROXY_SSL_HEADER is None
