"""Fixtures for tests that drive a real Chromium against Django's live server.

- `browser`: one headless Chromium for the whole session (Debian's, at /usr/bin/chromium;
  Playwright's own browser downloads are not used). Skips when it or Playwright is missing.
- `page` / `page_nojs`: a fresh browser context per test (1280x900), with JavaScript on / off.
- `live_url`: the live server's base URL, with a database the server and the test share.

Every test in this folder is marked `browser`, so `pytest -m "not browser"` leaves them out.
"""

import contextlib
from pathlib import Path

import pytest

from tests.needs import missing

CHROMIUM = Path("/usr/bin/chromium")
# This machine has no network: these stop Chromium phoning home (updates, sync, QUIC probes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
# Fail fast rather than wait Playwright's default 30 seconds for something that is not coming.
TIMEOUT_MS = 10_000

BROWSER_TESTS = Path(__file__).resolve().parent
ARTIFACTS = BROWSER_TESTS.parents[1] / "test-artifacts"


def _uses_serialized_rollback(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return "django_db_serialized_rollback" in getattr(item, "fixturenames", ()) or bool(
        marker and marker.kwargs.get("serialized_rollback")
    )


def _db_order(item) -> int:
    """pytest-django's run order: 0 rolled-back db tests, 1 transactional tests, 2 no database."""
    fixtures = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    if "transactional_db" in fixtures or "live_server" in fixtures:
        return 1
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return 1
    return 0 if marker or "db" in fixtures else 2


def pytest_collection_modifyitems(config, items):
    """Mark every test in tests/browser with `browser`; run serialized-rollback tests first.

    A transactional test without serialized rollback empties the tables when it ends and
    then re-creates content types, permissions and the role groups (post_migrate) with new
    ids, which the snapshot restore at the start of a later serialized-rollback test then
    collides with (IntegrityError on auth_group.name). So tests that restore the snapshot
    run before any other transactional test (see also pytest_runtest_teardown).
    """
    for item in items:
        if BROWSER_TESTS in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)

    serialized = [item for item in items if _uses_serialized_rollback(item)]
    if serialized:
        chosen = set(serialized)
        rest = [item for item in items if item not in chosen]
        at = next((n for n, item in enumerate(rest) if _db_order(item) >= 1), len(rest))
        items[:] = rest[:at] + serialized + rest[at:]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After the last serialized-rollback test, put the migrated data back.

    Its teardown leaves every table empty (not even content types), so the transactional
    tests that follow would otherwise see a different database from the one they see when
    run on their own.
    """
    result = yield
    if nextitem is not None and _uses_serialized_rollback(item) and not _uses_serialized_rollback(nextitem):
        from django.db import connections
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            for connection in connections.all():
                snapshot = getattr(connection, "_test_serialized_contents", None)
                if snapshot:
                    connection.creation.deserialize_db_from_string(snapshot)
    return result


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so `page` can tell whether its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _current_db_connections():
    """Django's connection objects for this thread, as the test suite has used them so far."""
    from django.db import connections

    return {alias: connections[alias] for alias in connections}


def _pin_db_connections(pinned):
    """Keep using the same connection objects while Playwright's event loop is running.

    Playwright's sync API leaves an asyncio loop marked as running in this thread, and
    Django keeps connections in an asgiref Local that switches to per-context storage when
    it sees a running loop. Without this, code after the browser starts would get a fresh
    connection object: a second connection to the in-memory test database that lacks the
    state pytest-django set up on the first (such as the snapshot a serialized rollback
    restores). DJANGO_ALLOW_ASYNC_UNSAFE (root conftest) only silences Django's check.
    """
    from django.db import connections

    for alias, connection in pinned.items():
        setattr(connections._connections, alias, connection)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    if not CHROMIUM.exists():
        missing(
            "Chromium not found at /usr/bin/chromium: install Debian's chromium package to run browser tests"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("The playwright package is not installed: pip install -e '.[test]' to run browser tests")

    pinned = _current_db_connections()
    with sync_playwright() as playwright:
        _pin_db_connections(pinned)
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def live_url(live_server, django_db_serialized_rollback, settings):
    """The live server's base URL, without a trailing slash ("http://localhost:41234").

    `live_server` makes the test transactional (the server runs in another thread, so it
    must see committed rows), and a transactional test empties every table when it ends.
    That would also delete what the migrations seeded (outcomes, postcode districts,
    Wagtail's root page and default site, the role groups), so we ask for a serialized
    rollback: Django snapshots the database once and restores it before each test.

    Links in emails are built from `SITE_URL` (cms/site.py): here that is the live server, as it
    is the site's own address in production, so a journey can follow a link from an email.
    """
    url = live_server.url.rstrip("/")
    settings.SITE_URL = url
    settings.WAGTAILADMIN_BASE_URL = url
    return url


def _new_page(browser, *, javascript):
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=javascript, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context, context.new_page()


def _failure_screenshot_path(request):
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in request.node.name)
    return ARTIFACTS / f"FAILED-{name}.png"


def _save_failure_screenshot(request, page):
    path = _failure_screenshot_path(request)
    path.unlink(missing_ok=True)  # not left over from an earlier run
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed or page.is_closed():
        return
    ARTIFACTS.mkdir(exist_ok=True)
    # A failed screenshot must not hide the real failure.
    with contextlib.suppress(Exception):
        page.screenshot(path=path, full_page=True)


@pytest.fixture
def page(browser, request):
    """A page in a fresh context with JavaScript on. On failure, a screenshot goes to test-artifacts/."""
    context, new_page = _new_page(browser, javascript=True)
    yield new_page
    _save_failure_screenshot(request, new_page)
    context.close()


@pytest.fixture
def page_nojs(browser, request):
    """A page in a fresh context with JavaScript off, as for someone who blocks or lacks it."""
    context, new_page = _new_page(browser, javascript=False)
    yield new_page
    _save_failure_screenshot(request, new_page)
    context.close()


@pytest.fixture
def phone(browser, request):
    """A page in a fresh context 390 px wide (tests/browser/phone.py), with JavaScript on."""
    from tests.browser.phone import PHONE_VIEWPORT

    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    new_page = context.new_page()
    yield new_page
    _save_failure_screenshot(request, new_page)
    context.close()


@pytest.fixture
def artifacts_dir():
    """test-artifacts/ at the repository root (gitignored), for screenshots people look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def sign_in_with_code():
    """`sign_in_with_code(page, live_url, email, next_path=...)`: sign in, entering the two-factor
    code when the account has an authenticator app (see tests/browser/two_factor.py)."""
    from tests.browser.two_factor import sign_in

    return sign_in
