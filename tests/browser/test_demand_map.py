"""The map on "Start something local", in a real browser at 1280 px and 390 px: one marker per
district with demand large enough to show (the search page's results map), axe clean and no
sideways scrolling; without JavaScript the map stays hidden and the table has the same counts.
"""

import pytest
from playwright.sync_api import expect

from directory.models import Outcome, PostcodeDistrict
from signposting.needs import services
from tests.browser.axe import assert_no_axe_violations
from tests.factories import UserFactory


@pytest.fixture
def demand(live_url, settings):
    """Six open lunch-club needs in BL1 and five swimming needs in BL3; one need in BL9 (too few
    to show anywhere)."""
    # Tiles from a local image, so the map can draw without the internet.
    settings.MAP_TILE_URL = live_url + "/static/vendor/leaflet/images/marker-icon.png?{z}/{x}/{y}"
    for code, slug, count in (
        ("BL1", "eat-well", 6),
        ("BL3", "get-out-and-about", 5),
        ("BL9", "eat-well", 1),
    ):
        for n in range(count):
            services.post_need(
                by=UserFactory(),
                outcomes=[Outcome.objects.get(slug=slug)],
                own_words=f"Something to do together ({n}).",
                district=PostcodeDistrict.objects.get(code=code),
            )


@pytest.mark.parametrize("width", [1280, 390])
def test_the_demand_map_shows_a_marker_for_each_district_with_demand_to_show(
    browser, demand, live_url, width
):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_url + "/start-something-local/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Start something local")
    expect(page.locator("#results-map")).to_be_visible()
    expect(page.locator("#results-map .leaflet-marker-icon")).to_have_count(2)  # BL1 and BL3, not BL9
    titles = sorted(
        page.locator("#results-map .leaflet-marker-icon").evaluate_all("els => els.map(e => e.title)")
    )
    assert titles == [
        "BL1: 6 open needs and searches that found little",
        "BL3: 5 open needs and searches that found little",
    ]
    assert_no_axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"
    context.close()


def test_without_javascript_the_table_has_the_counts_and_the_map_stays_hidden(page_nojs, demand, live_url):
    page_nojs.goto(live_url + "/start-something-local/")
    expect(page_nojs.locator("#results-map")).to_be_hidden()
    expect(page_nojs.get_by_role("row", name="BL1 Eat well")).to_contain_text("6")
    expect(page_nojs.get_by_role("row", name="BL3 Get out and about")).to_contain_text("5")
    expect(page_nojs.get_by_role("row", name="BL9 Eat well")).to_have_count(0)
    assert_no_axe_violations(page_nojs)
