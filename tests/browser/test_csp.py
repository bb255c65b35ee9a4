"""The content security policy in a real browser: the pages people use run under it without a
single violation (no blocked script, style, image or form), and stay free of axe violations.

Chromium reports a violation two ways, and both are watched from before the first navigation:
a `securitypolicyviolation` event in the page, and a console error naming the policy.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from cms.models import Role
from search.backends import get_search_backend
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in
from tests.marketplace import factories as mf

ROOT = Path(__file__).resolve().parents[2]
# Stand-in map tiles: this machine has no network, so requests to OpenStreetMap's tile server
# (the default MAP_TILE_URL, allowed by img-src) are answered by Playwright with a small PNG.
TILE = (ROOT / "node_modules" / "leaflet" / "dist" / "images" / "marker-icon.png").read_bytes()

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
      `at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


class PolicyWatcher:
    """Collects CSP violations from events and console errors across the page's navigations."""

    def __init__(self, page):
        self.page = page
        self.console = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)
        page.route("https://tile.openstreetmap.org/**", lambda route: route.fulfill(body=TILE))

    def _on_console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(f"{message.type}: {message.text}")

    def visit(self, url, *, heading, axe=True):
        """Go to `url`, check its heading, then that nothing broke the policy (and axe)."""
        self.page.goto(url)
        expect(self.page.get_by_role("heading", level=1).first).to_contain_text(heading)
        self.page.wait_for_load_state("networkidle")
        assert self.page.evaluate("window.__cspViolations") == [], url
        assert self.console == [], url
        if axe:
            assert_no_axe_violations(self.page)


@pytest.fixture
def site(live_url):
    home = factories.home_page()
    home.save_revision().publish()
    factories.directory_page()
    provider, _member = mf.make_provider_member(email="jo@example.org")
    listing = factories.make_listing(title="Swimming buddy", provider=provider, base_postcode="BL3 5AA")
    factories.make_listing(title="Swimming lessons", base_postcode="BL1")
    get_search_backend("database").rebuild()
    mf.make_budget(holder=mf.make_holder(email="sam@example.org"))
    factories.UserFactory(role=Role.COORDINATOR, is_staff=True, email="coordinator@example.org")
    return {"url": live_url, "listing": listing}


def test_public_pages_run_under_the_policy(site, page):
    watcher = PolicyWatcher(page)
    url = site["url"]
    watcher.visit(url + "/", heading="Find local support")
    watcher.visit(url + "/search/?q=swimming&near=BL3", heading="Find support")
    expect(page.locator("main")).to_contain_text("Swimming buddy")
    # The results map (Leaflet, its tiles and markers) ran too.
    expect(page.locator("#results-map .leaflet-tile-loaded").first).to_be_visible()
    watcher.visit(url + site["listing"].url, heading="Swimming buddy")


def test_signed_in_areas_run_under_the_policy(site, page, browser):
    url = site["url"]
    watcher = PolicyWatcher(page)
    sign_in(page, url, "jo@example.org")
    watcher.visit(url + "/my/", heading="")

    holder = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    try:
        holder_watcher = PolicyWatcher(holder)
        sign_in(holder, url, "sam@example.org")
        holder_watcher.visit(url + "/budget/", heading="Your budget")
    finally:
        holder.context.close()


def test_the_wagtail_admin_works_under_its_own_policy(site, page):
    url = site["url"]
    watcher = PolicyWatcher(page)
    # Through the site's sign-in page and the two-factor code, as a coordinator would.
    sign_in(page, url, "coordinator@example.org", next_path="/admin/")
    assert page.url == url + "/admin/"
    # Wagtail's own markup is Wagtail's to make accessible; the policy is what is checked here.
    watcher.visit(url + "/admin/", heading="Local Support Marketplace")
    watcher.visit(url + f"/admin/pages/{site['listing'].pk}/edit/", heading="Swimming buddy", axe=False)
