"""The public pages anyone reaches first, on a phone (390 px) and at 200% zoom on a laptop (1280 px
at 200% is 640 CSS px: still the phone layout, GOV.UK's tablet layout starts at 641): nothing
scrolls sideways and axe finds nothing — with the real outcomes vocabulary in every list, whose
longest names ("Keep my own relationships while I care") once made the needs filter wider than a
phone."""

import pytest

from directory.models import Outcome
from tests import factories
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.phone import assert_pages_fit_a_phone

PATHS = ["/", "/needs/", "/start-something-local/", "/search/?near=BL3", "/directory/"]


@pytest.fixture
def public_site(live_url):
    factories.home_page()
    factories.directory_page()
    factories.make_listing(title="Memory Lane lunch club and afternoon tea", base_postcode="BL3 1AA")
    longest = max(Outcome.objects.values_list("label", flat=True), key=len)
    assert len(longest) > 30, "the seeded outcomes vocabulary is missing: this test needs its long names"


def test_the_public_pages_fit_a_phone(live_url, phone, public_site):
    assert_pages_fit_a_phone(phone, live_url, PATHS)


def test_the_public_pages_fit_200_percent_zoom(live_url, browser, public_site):
    context = browser.new_context(viewport={"width": 640, "height": 400}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        for path in PATHS:
            page.goto(live_url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 640, f"{path} scrolls sideways at 200% zoom: {width} px"
    finally:
        context.close()
