"""Signing in through the site's form, with the authenticator-app code when the account has one.

    from tests.browser.two_factor import sign_in

    sign_in(page, live_url, "coordinator@example.org", next_path="/admin/")

Coordinators, professionals and superusers made by tests.factories.UserFactory have an
authenticator app with TEST_TOTP_SECRET, so after the password the site asks for a code; this
computes it as the person's phone would. A code works only once per account, so a second sign-in
within the same 30 seconds uses the next step's code (the site accepts one step either side).
"""

import re
import time

from playwright.sync_api import expect

from tests.factories import TEST_TOTP_SECRET, totp_code

STEP_SECONDS = 30
# (email, code) -> when this run used it; the site refuses a code used for that account recently.
_used: dict[tuple[str, str], float] = {}


def fresh_code(email: str, secret: str = TEST_TOTP_SECRET) -> str:
    """A code the site will accept now that has not been used for `email` recently.

    Tries this step's code, then the next and the previous (the site accepts one step either
    side); if all three were used, waits for the next 30-second step.
    """
    while True:
        now = time.time()
        for steps_ahead in (0, 1, -1):
            code = totp_code(secret, steps_ahead=steps_ahead)
            if now - _used.get((email, code), 0) > 4 * STEP_SECONDS:
                _used[(email, code)] = now
                return code
        time.sleep(STEP_SECONDS - now % STEP_SECONDS + 0.5)


def sign_in(page, live_url, email, *, password="password", next_path="", secret=TEST_TOTP_SECRET):  # noqa: S107
    """Sign in at /accounts/login/ (then `next_path`), entering the two-factor code if asked."""
    page.goto(live_url + "/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form").get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_load_state()
    if "/accounts/2fa/authenticate/" in page.url:
        page.locator("input[name=code]").fill(fresh_code(email, secret))
        page.locator("main form").get_by_role("button", name=re.compile("Sign in", re.I)).first.click()
        page.wait_for_load_state()
    expect(page.locator("input[name=code]")).to_have_count(0)


def sign_in_to_site(page, live_url, email, *, password="password"):  # noqa: S107 - the factories' test password
    """Sign in (with the code when asked) and check the site's header now offers "Sign out".

    The one sign-in preamble for browser journeys; `sign_in` alone is for the admin.
    """
    sign_in(page, live_url, email, password=password)
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()
