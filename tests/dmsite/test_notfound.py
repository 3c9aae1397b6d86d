"""A wrong URL shows the product's 404 page, with DEBUG on too (issue #14)."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize("path", ["/no-such-page", "/c/999999", "/u/nobody-at-all"])
def test_a_wrong_page_is_the_product_404(client, debug, path):
    client.force_login(UserFactory())

    response = client.get(path)

    assert response.status_code == 404
    text = response.content.decode()
    assert "This page isn't available" in text
    assert "URLconf" not in text  # no list of routes


def test_a_wrong_api_path_is_json(client, debug):
    response = client.get("/api/v1/no-such-endpoint")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_debug_page_is_kept_for_developers_under_debug(client, settings):
    settings.DEBUG = True

    response = client.get("/__debug__/anything")

    assert response.status_code == 404
    assert "URLconf" in response.content.decode()
