"""The public pages anyone reaches first, on a phone (390 px): nothing scrolls sideways and axe
finds nothing — with the real outcomes vocabulary in every list, whose longest names ("Keep my own
relationships while I care") once made the needs filter wider than a phone."""

from directory.models import Outcome
from tests import factories
from tests.browser.phone import assert_pages_fit_a_phone


def test_the_public_pages_fit_a_phone(live_url, phone):
    factories.home_page()
    factories.directory_page()
    factories.make_listing(title="Memory Lane lunch club and afternoon tea", base_postcode="BL3 1AA")
    longest = max(Outcome.objects.values_list("label", flat=True), key=len)
    assert len(longest) > 30, "the seeded outcomes vocabulary is missing: this test needs its long names"

    assert_pages_fit_a_phone(
        phone,
        live_url,
        ["/", "/needs/", "/start-something-local/", "/search/?near=BL3", "/directory/"],
    )
