"""The providers' availability pages on a phone (390 px): the days-by-times grid fits the screen
(no sideways scrolling), every box keeps a 24 px target, and axe finds nothing."""

import pytest
from playwright.sync_api import expect

from cms.models import Role
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.two_factor import sign_in_to_site


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_the_availability_grid_fits_a_phone(live_url, phone):
    factories.home_page()
    factories.directory_page()
    provider = factories.ProviderFactory(name="Jo's Swims")
    jo = factories.UserFactory(role=Role.PROVIDER, email="jo@example.org")
    provider.members.add(jo)
    listing = factories.make_listing(title="Swimming buddy", provider=provider)

    sign_in_to_site(phone, live_url, jo.email)
    phone.goto(f"{live_url}/my/listings/{listing.public_id}/availability/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Availability")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        "the availability page scrolls sideways at 390 px"
    )
    box = phone.get_by_label("Saturday evening").bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24, box
    phone.get_by_label("Saturday evening").check()
    expect(phone.get_by_label("Saturday evening")).to_be_checked()
    assert_no_axe_violations(phone)
