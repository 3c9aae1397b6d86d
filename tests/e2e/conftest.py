"""Browser tests: Debian's Chromium, driven by Playwright's sync API, against a live Daphne.

The whole folder is skipped when /usr/bin/chromium is missing (`make test` says so too).
Every test gets its own Daphne process on the test database (`start_daphne`, so the
data is committed: `transactional_db`) and one browser context per user, logged in by
a session cookie made here; the sign-up test goes through the pages instead.
"""

import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from tests.live import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
SKIP_REASON = f"Chromium not found at {CHROMIUM}: browser tests skipped"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 390, "height": 844}  # a phone
DESKTOP = {"width": 1280, "height": 800}
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
E2E_DIR = Path(__file__).resolve().parent
TIMEOUT_MS = 5_000
# Chromium reports every CSP violation as a `securitypolicyviolation` event (printed
# here), and logs both its refusals and header errors to the console.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI}`);
});
"""
POLICY_CONSOLE = re.compile(r"CSP violation|Content Security Policy|Permissions-Policy")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    chromium_missing = not os.access(CHROMIUM, os.X_OK)
    for item in items:
        if E2E_DIR not in Path(item.fspath).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if chromium_missing:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the folder.

    Playwright's sync API keeps an asyncio loop running in this thread while it is
    started, and Django refuses ORM calls from a thread with a running loop. The tests
    are plain synchronous code, so they may use the ORM: allowed for this folder only,
    and never passed on to the Daphne servers (see `live_server_env`).
    """
    from playwright.sync_api import sync_playwright

    # With a running loop, Django's connections are kept per context (asgiref's Local), so
    # the tests get new connection objects: give them what the test database's setup left
    # on the old ones, the contents that serialized rollback restores (`_committed_db`).
    serialized = {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        playwright = sync_playwright().start()
        for alias, contents in serialized.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        try:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()
        finally:
            playwright.stop()


@pytest.fixture
def live_server_env(live_server_env):
    env = dict(live_server_env)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


@pytest.fixture(autouse=True)
def _committed_db(transactional_db, django_db_serialized_rollback):
    """The Daphne processes read what a test writes: every row is committed.

    Each test starts from the migrated database, rows of data migrations included
    (e.g. the Moderators group), which an earlier test's flush would have removed.
    """


@pytest.fixture
def server(start_daphne):
    return start_daphne()


@pytest.fixture
def sms_file(live_server_env) -> Path:
    return Path(live_server_env["SMS_FILE_PATH"])


def last_sms_code(sms_file: Path) -> str:
    """The 6-digit code of the last SMS the server sent."""
    last = json.loads(sms_file.read_text().strip().splitlines()[-1])
    return re.search(r"\b(\d{6})\b", last["body"]).group(1)


def off_loop(function, *args, **kwargs):
    """Run `function` in another thread: services that publish socket events call
    async_to_sync, which cannot run in this thread while Playwright's loop runs."""

    def call():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


@pytest.fixture
def browser_for(browser, server):
    """`browser_for(user)`: a new phone-sized page logged in as `user` (None: anonymous)."""
    contexts = []

    def open_page(user=None, *, viewport=VIEWPORT, **options):
        context = browser.new_context(viewport=viewport, base_url=server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": server.url}]
            )
        page = context.new_page()
        watch(page)
        context.on("page", watch)
        return page

    def watch(page):
        page.dialogs = []  # JavaScript alert/confirm/prompt: none should ever open
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
        page.policy_violations = policy_violations
        page.on("console", lambda message: note_policy_violation(page, message))
        page.add_init_script(REPORT_CSP_VIOLATIONS)
        page.wait_for_function = partial(wait_for_function_under_csp, page)

    def note_policy_violation(page, message):
        if message.type in ("error", "warning") and POLICY_CONSOLE.search(message.text):
            policy_violations.append(f"{page.url}: {message.text}")

    script_errors: list[str] = []
    policy_violations: list[str] = []
    yield open_page
    for context in contexts:
        context.close()
    assert script_errors == [], "JavaScript errors in the pages"
    # Every browser test is a test of the Content-Security-Policy and Permissions-Policy
    # too: nothing a page does may be blocked by them, nor may Chromium reject them.
    assert policy_violations == [], "Content-Security-Policy or Permissions-Policy violations"


def wait_for_function_under_csp(page, expression: str, *, arg=None, timeout=None, polling=None):
    """`page.wait_for_function` for pages without 'unsafe-eval'.

    Playwright's own compiles the predicate with `new Function` inside the page, which
    the Content-Security-Policy refuses (EvalError). `page.evaluate` runs through the
    DevTools protocol, outside the page's policy: poll with it instead.
    """
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + (TIMEOUT_MS if timeout is None else timeout) / 1000
    interval = polling / 1000 if isinstance(polling, int | float) else 0.05
    while True:
        try:
            value = page.evaluate(expression, arg)
        except PlaywrightError as error:  # mid-navigation, or the page's script not run yet
            value, failure = None, error
        else:
            failure = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{expression!r} still false after {timeout or TIMEOUT_MS} ms"
            ) from failure
        time.sleep(interval)


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def screenshot(screenshot_dir):
    def take(page, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
