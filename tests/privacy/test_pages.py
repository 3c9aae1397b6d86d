"""The privacy pages and the profile's follow/block buttons (Django test client)."""

import re

import pytest
from django.test import Client

from dmsite.env import Rate
from privacy import services
from privacy.selectors import privacy_settings_for
from tests.factories import UserFactory
from tests.privacy.graph import block_pairs, follow_pairs

pytestmark = pytest.mark.django_db

SETTINGS, BLOCKED = "/settings/privacy", "/settings/blocked"


@pytest.fixture
def anna():
    return UserFactory(username="anna", display_name="Anna")


@pytest.fixture
def boris():
    return UserFactory(username="boris", display_name="Boris")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def input_tag(html: str, attribute: str) -> str:
    """The whole <input …> tag that has `attribute`."""
    return re.search(rf"<input[^>]*{re.escape(attribute)}[^>]*>", html).group()


def fresh_settings(user):
    return privacy_settings_for(type(user).objects.get(pk=user.pk))


# --- the settings page ------------------------------------------------------------------


@pytest.mark.parametrize("url", [SETTINGS, BLOCKED])
def test_pages_render_for_a_logged_in_user(anna, url):
    response = logged_in(anna).get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url", [SETTINGS, BLOCKED, "/u/boris/follow", "/u/boris/block", "/u/boris/unblock"]
)
def test_anonymous_users_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"/login?next={url}")


def test_the_settings_page_shows_the_current_choices_with_labels(anna):
    services.privacy_settings_update(user=anna, dm_preference="no_one", read_receipts=True)
    html = logged_in(anna).get(SETTINGS).text

    assert "<legend" in html
    assert "Who can send you direct messages" in html
    for value, label in [("everyone", "Everyone"), ("friends", "Friends"), ("no_one", "No one")]:
        assert f'value="{value}"' in html
        assert f'<span class="option__title">{label}</span>' in html
    assert "checked" in input_tag(html, 'value="no_one"')
    assert "checked" not in input_tag(html, 'value="friends"')
    assert "checked" in input_tag(html, 'name="read_receipts"')


@pytest.mark.parametrize(
    ("preference", "receipts"), [("everyone", True), ("friends", False), ("no_one", True)]
)
def test_saving_the_settings_calls_the_service(anna, preference, receipts):
    data = {"dm_preference": preference}
    if receipts:
        data["read_receipts"] = "on"
    response = logged_in(anna).post(SETTINGS, data, follow=True)

    assert response.redirect_chain == [(SETTINGS, 302)]
    assert "Privacy settings saved." in response.text
    current = fresh_settings(anna)
    assert (current.dm_preference, current.read_receipts) == (preference, receipts)


@pytest.mark.parametrize("value", ["anyone", "", "friends\x00", "x" * 5000])
def test_a_bad_preference_re_renders_with_the_error(anna, value):
    response = logged_in(anna).post(SETTINGS, {"dm_preference": value})

    assert response.status_code == 200
    assert "field__error" in response.text
    assert fresh_settings(anna).dm_preference == "friends"  # the adult default, unchanged


# --- follow, unfollow, block, unblock ------------------------------------------------------


def test_follow_and_unfollow_by_post_back_to_the_profile(anna, boris):
    client = logged_in(anna)
    response = client.post("/u/boris/follow")
    assert (response.status_code, response["Location"]) == (302, "/u/boris")
    assert follow_pairs() == {("anna", "boris")}

    response = client.post("/u/boris/unfollow")
    assert (response.status_code, response["Location"]) == (302, "/u/boris")
    assert follow_pairs() == set()


@pytest.mark.parametrize("action", ["follow", "unfollow", "block", "unblock"])
def test_buttons_only_answer_post(anna, boris, action):
    assert logged_in(anna).get(f"/u/boris/{action}").status_code == 405


@pytest.mark.parametrize("action", ["follow", "unfollow", "block", "unblock"])
@pytest.mark.parametrize("username", ["nobody", "bad name", "x" * 300])
def test_buttons_for_unknown_users_are_404(anna, action, username):
    assert logged_in(anna).post(f"/u/{username}/{action}").status_code == 404


def test_a_user_who_blocked_you_cannot_be_followed(anna, boris):
    services.block_create(blocker=boris, blocked=anna)
    assert logged_in(anna).post("/u/boris/follow").status_code == 404
    assert follow_pairs() == set()


def test_following_someone_you_blocked_shows_the_sentence(anna, boris):
    services.block_create(blocker=anna, blocked=boris)
    response = logged_in(anna).post("/u/boris/follow", follow=True)
    assert "You blocked this user. Unblock them first." in response.text
    assert follow_pairs() == set()


def test_following_too_many_shows_the_rate_limit_sentence(anna, boris, settings):
    settings.RATE_FOLLOWS = Rate(1, 600)
    UserFactory(username="cleo")
    client = logged_in(anna)
    client.post("/u/cleo/follow")
    response = client.post("/u/boris/follow", follow=True)
    assert "You are doing this too often. Try again later." in response.text
    assert follow_pairs() == {("anna", "cleo")}


def test_block_removes_follows_and_the_blocked_list_can_unblock(anna, boris):
    services.follow_create(follower=anna, followee=boris)
    services.follow_create(follower=boris, followee=anna)
    client = logged_in(anna)

    response = client.post("/u/boris/block", follow=True)

    assert response.redirect_chain == [("/u/boris", 302)]
    assert "You blocked @boris." in response.text
    assert "You blocked this account." in response.text
    assert block_pairs() == {("anna", "boris")}
    assert follow_pairs() == set()

    blocked_page = client.get(BLOCKED).text
    assert "@boris" in blocked_page
    assert 'action="/u/boris/unblock"' in blocked_page

    response = client.post("/u/boris/unblock", {"next": BLOCKED}, follow=True)
    assert response.redirect_chain == [(BLOCKED, 302)]
    assert "You unblocked @boris." in response.text
    assert "No blocked accounts" in response.text
    assert block_pairs() == set()


def test_blocking_a_user_who_blocked_you_is_not_found_as_for_no_such_user(anna, boris):
    services.block_create(blocker=boris, blocked=anna)
    client = logged_in(anna)
    for action in ("block", "unblock"):
        assert client.post(f"/u/boris/{action}", {"next": "/"}).status_code == 404
        assert client.post(f"/u/nobody/{action}", {"next": "/"}).status_code == 404
    assert block_pairs() == {("boris", "anna")}


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example"])
def test_buttons_never_redirect_off_the_site(anna, boris, next_url):
    response = logged_in(anna).post("/u/boris/follow", {"next": next_url})
    assert response["Location"] == "/u/boris"


def test_csrf_is_enforced_on_block(anna, boris):
    client = Client(enforce_csrf_checks=True)
    client.force_login(anna)
    assert client.post("/u/boris/block").status_code == 403
    assert block_pairs() == set()


def test_blocked_names_are_escaped(anna):
    mallory = UserFactory(username="mallory", display_name="<img src=x onerror=alert(1)>")
    services.block_create(blocker=anna, blocked=mallory)
    html = logged_in(anna).get(BLOCKED).text
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
