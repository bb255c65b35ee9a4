"""Searching in a real browser: words, place and filters, the map, and the same without JavaScript."""

import pytest
from playwright.sync_api import expect

from search.backends import get_search_backend
from tests import factories
from tests.browser.axe import assert_no_axe_violations


@pytest.fixture
def listings(live_url):
    """Three nearby listings, indexed."""
    factories.home_page()
    factories.directory_page()
    factories.make_listing(
        title="Swimming buddy", base_postcode="BL3", description="<p>I take people swimming.</p>"
    )
    factories.make_listing(
        title="Memory Lane lunch club",
        base_postcode="BL3",
        radius=0,
        outcomes=("eat-well", "see-friends-and-family"),
        description="<p>A hot lunch and good company.</p>",
    )
    factories.make_listing(
        title="Green Fingers",
        base_postcode="BL4",
        outcomes=("keep-my-home",),
        description="<p>Gardening.</p>",
    )
    get_search_backend("database").rebuild()


def _search(page, live_url, *, words, near):
    page.goto(live_url + "/search/")
    page.get_by_label("What would help? Use your own words").fill(words)
    page.get_by_label("Postcode or town").fill(near)
    page.get_by_role("button", name="Search", exact=True).click()


def test_search_with_words_place_and_a_filter(live_url, page, listings, settings):
    # Tiles from a local image, so the map can draw without the internet.
    settings.MAP_TILE_URL = live_url + "/static/vendor/leaflet/images/marker-icon.png?{z}/{x}/{y}"
    _search(page, live_url, words="", near="BL3")
    results = page.locator(".lsm-results")
    expect(page.get_by_role("heading", name="3 results within 10 miles of BL3")).to_be_visible()
    expect(results).to_contain_text("Swimming buddy")
    # The map shows one marker per result once Leaflet has loaded.
    expect(page.locator("#results-map")).to_be_visible()
    expect(page.locator("#results-map .leaflet-marker-icon")).to_have_count(3)
    assert_no_axe_violations(page)

    page.get_by_label("Eat well (1)").check()
    page.get_by_role("button", name="Update results").click()
    expect(page.get_by_role("heading", name="1 result within 10 miles of BL3")).to_be_visible()
    expect(results).to_contain_text("Memory Lane lunch club")
    expect(results).not_to_contain_text("Swimming buddy")
    assert "outcome=eat-well" in page.url  # all state is in the address, so it can be shared
    assert_no_axe_violations(page)


def test_map_disappears_when_tiles_cannot_load(live_url, page, listings, settings):
    settings.MAP_TILE_URL = live_url + "/no-tiles-here/{z}/{x}/{y}.png"
    _search(page, live_url, words="swimming", near="BL3")
    expect(page.locator(".lsm-results")).to_contain_text("Swimming buddy")
    expect(page.locator("#results-map")).to_be_hidden()


def test_the_same_search_without_javascript(live_url, page_nojs, listings):
    _search(page_nojs, live_url, words="swimming", near="BL3")
    expect(page_nojs.get_by_role("heading", name="1 result within 10 miles of BL3")).to_be_visible()
    expect(page_nojs.locator(".lsm-results")).to_contain_text("Swimming buddy")
    expect(page_nojs.locator("#results-map")).to_be_hidden()

    _search(page_nojs, live_url, words="", near="BL3")
    page_nojs.get_by_label("Eat well (1)").check()
    page_nojs.get_by_role("button", name="Update results").click()
    expect(page_nojs.get_by_role("heading", name="1 result within 10 miles of BL3")).to_be_visible()
    expect(page_nojs.locator(".lsm-results")).to_contain_text("Memory Lane lunch club")
    assert_no_axe_violations(page_nojs)


def test_unknown_postcode_is_a_clear_message_that_keeps_what_was_typed(live_url, page, listings):
    _search(page, live_url, words="swimming", near="ZZ9 9ZZ")
    expect(page.get_by_role("alert")).to_contain_text("We do not know where ZZ9 9ZZ is")
    expect(page.get_by_label("Postcode or town")).to_have_value("ZZ9 9ZZ")
    expect(page.get_by_label("What would help? Use your own words")).to_have_value("swimming")
    assert_no_axe_violations(page)


@pytest.fixture
def access_listings(live_url):
    """Two nearby step-free listings for different ages, one with a hearing loop; one with neither."""
    from directory.models import AccessFeature

    factories.home_page()
    factories.directory_page()

    def features(*slugs):
        return list(AccessFeature.objects.filter(slug__in=slugs))

    factories.make_listing(
        title="Swimming buddy",
        base_postcode="BL3",
        access_features=features("step-free"),
        min_age=18,
        max_age=64,
        description="<p>I take people swimming.</p>",
    )
    factories.make_listing(
        title="Memory Lane lunch club",
        base_postcode="BL3",
        radius=0,
        outcomes=("eat-well",),
        access_features=features("step-free", "hearing-loop"),
        min_age=60,
        description="<p>A hot lunch and good company.</p>",
    )
    factories.make_listing(title="Green Fingers", base_postcode="BL4", description="<p>Gardening.</p>")
    get_search_backend("database").rebuild()


def _looks_right(page):
    assert_no_axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways"
    )


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_filtering_by_an_access_need_and_an_age(live_url, page, access_listings, width):
    page.set_viewport_size({"width": width, "height": 900})
    _search(page, live_url, words="", near="BL3")
    results = page.locator(".lsm-results")
    expect(page.get_by_role("heading", name="3 results within 10 miles of BL3")).to_be_visible()
    filters = page.locator("summary", has_text="Filter results")
    if filters.is_visible():  # on a phone the filters fold away behind "Filter results"
        filters.click()
    access = page.get_by_role("group", name="Access needs (listings with all you choose)")
    expect(access.get_by_label("Step-free access (2)")).to_be_visible()
    _looks_right(page)

    # A mistyped age is explained, and what was typed and ticked is kept.
    access.get_by_label("Step-free access (2)").check()
    page.get_by_label("Age of the person who needs support (optional)").fill("abc")
    page.get_by_role("button", name="Update results").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter the person's age in whole years, from 0 to 120, like 67."
    )
    expect(page.get_by_label("Age of the person who needs support (optional)")).to_have_value("abc")
    expect(page.get_by_label("Step-free access")).to_be_checked()
    _looks_right(page)

    page.get_by_label("Age of the person who needs support (optional)").fill("70")
    page.get_by_role("button", name="Update results").click()
    expect(page.get_by_role("heading", name="1 result within 10 miles of BL3")).to_be_visible()
    expect(results).to_contain_text("Memory Lane lunch club")
    expect(results).not_to_contain_text("Swimming buddy")
    assert "access=step-free" in page.url and "age=70" in page.url
    expect(page.get_by_label("Age of the person who needs support (optional)")).to_have_value("70")
    expect(page.get_by_label("Step-free access (1)")).to_be_checked()
    _looks_right(page)
