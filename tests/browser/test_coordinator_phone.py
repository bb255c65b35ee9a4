"""A coordinator's main Wagtail admin pages on a phone (390 px): the dashboard, the moderation
queue, a listing's edit page and the reports. Our own admin templates (the reports, the audit log)
must fit the screen with no axe violations; Wagtail's own screens are checked for sideways
scrolling, which Wagtail's responsive admin avoids.
"""

import pytest
from playwright.sync_api import expect

from cms.models import Role
from directory import provider_services
from tests import factories
from tests.browser.phone import assert_pages_fit_a_phone
from tests.browser.two_factor import sign_in


@pytest.fixture
def site(live_url):
    factories.home_page()
    factories.directory_page()
    jo = factories.UserFactory(role=Role.PROVIDER, email="jo@example.org")
    provider = factories.ProviderFactory(name="Farnworth Community Swimming Buddies")
    provider.members.add(jo)
    listing = factories.make_listing(
        title="Swimming buddy for older people who want company at the pool",
        provider=provider,
        publish=False,
        contact_phone="07700 900123",
    )
    provider_services.submit_for_review(listing=listing, user=jo)
    factories.UserFactory(role=Role.COORDINATOR, is_staff=True, email="coordinator@example.org")
    return listing


def _wide(page, live_url, path):
    # Wagtail's page editor loads a lot of script: give it longer than our own pages on this machine.
    page.goto(live_url + path, wait_until="domcontentloaded", timeout=60_000)
    expect(page.locator("main")).to_be_visible(timeout=30_000)
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_coordinators_own_admin_reports_fit_a_phone(live_url, phone, site):
    sign_in(phone, live_url, "coordinator@example.org", next_path="/admin/")
    expect(phone.locator("main")).to_be_visible()

    # Our own admin templates: no sideways scrolling and no axe violations.
    assert_pages_fit_a_phone(
        phone,
        live_url,
        [
            "/admin/signposting/demand/",
            "/admin/reports/did-it-help/",
            "/admin/audit/",
            "/admin/signposting/professionals/",
        ],
    )


def test_wagtails_own_admin_screens_do_not_scroll_sideways_on_a_phone(live_url, phone, site):
    sign_in(phone, live_url, "coordinator@example.org", next_path="/admin/")
    expect(phone.locator("main")).to_be_visible()
    # Wagtail's own screens: the dashboard, the moderation queue, the listing's edit page.
    wagtail_pages = ["/admin/", "/admin/workflows/tasks/index/", f"/admin/pages/{site.pk}/edit/"]
    wide = {path: width for path in wagtail_pages if (width := _wide(phone, live_url, path)) > 390}
    assert not wide, f"Wagtail admin pages scroll sideways at 390 px: {wide}"
