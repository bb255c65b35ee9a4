"""The search page on a phone (390 px) and a desktop (1280 px): on a phone the results come first,
with the filters folded behind "Filter results" (a <details>, so it works without JavaScript) and
the chosen filters shown above the results as tags that each remove one filter; on a desktop the
filters stay open beside the results."""

import pytest
from playwright.sync_api import expect

from search.backends import get_search_backend
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.phone import PHONE_VIEWPORT


@pytest.fixture
def listings(live_url):
    """Four nearby listings with several outcomes, so the filter list is long, as on the demo."""
    factories.home_page()
    factories.directory_page()
    factories.make_listing(
        title="Swimming buddy",
        base_postcode="BL3",
        outcomes=("get-out-and-about", "see-friends-and-family"),
        description="<p>I take people swimming.</p>",
    )
    factories.make_listing(
        title="Memory Lane lunch club",
        base_postcode="BL3",
        outcomes=("eat-well", "see-friends-and-family"),
        description="<p>A hot lunch and good company.</p>",
    )
    factories.make_listing(
        title="Green Fingers", base_postcode="BL4", outcomes=("keep-my-home",), description="<p>Gardens.</p>"
    )
    factories.make_listing(
        title="Tea and talk",
        base_postcode="BL3",
        outcomes=("see-friends-and-family",),
        description="<p>Tea.</p>",
    )
    get_search_backend("database").rebuild()


def _first_result_top(page):
    return page.locator(".lsm-results > li").first.bounding_box()["y"]


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_phone_the_results_come_first(live_url, phone, listings):
    phone.goto(live_url + "/search/?q=&near=BL3&outcome=see-friends-and-family&taking_new=1")
    expect(phone.get_by_role("heading", name="3 results within 10 miles of BL3")).to_be_visible()
    # The first result starts on the first screen; the filter boxes are folded away.
    top = _first_result_top(phone)
    assert top < PHONE_VIEWPORT["height"], f"the first result starts {top:.0f} px down"
    expect(phone.get_by_label("Eat well (1)")).to_be_hidden()
    assert _fits(phone), "the search page scrolls sideways at 390 px"
    assert_no_axe_violations(phone)

    # The chosen filters show above the results; each tag removes just its filter.
    tags = phone.locator(".lsm-chosen-filters__list a")
    expect(tags).to_have_count(3)  # two filters and "Clear all filters"
    expect(tags.first).to_contain_text("See friends and family")
    phone.get_by_role("link", name="Remove filter Only show: Taking new people").click()
    expect(phone.get_by_role("heading", name="3 results within 10 miles of BL3")).to_be_visible()
    expect(tags).to_have_count(2)
    assert "taking_new" not in phone.url and "outcome=see-friends-and-family" in phone.url
    phone.get_by_role("link", name="Remove filter What matters to you: See friends and family").click()
    expect(phone.get_by_role("heading", name="4 results within 10 miles of BL3")).to_be_visible()
    expect(phone.locator(".lsm-chosen-filters")).to_have_count(0)

    # "Filter results" opens the list; ticking a box and updating narrows the results.
    phone.get_by_text("Filter results").click()
    phone.get_by_label("Eat well (1)").check()
    phone.get_by_role("button", name="Update results").click()
    expect(phone.get_by_role("heading", name="1 result within 10 miles of BL3")).to_be_visible()
    expect(phone.get_by_text("Filter results (1 chosen)")).to_be_visible()
    assert _fits(phone)
    assert_no_axe_violations(phone)


def test_the_filter_disclosure_works_without_javascript(live_url, browser, listings):
    context = browser.new_context(viewport=PHONE_VIEWPORT, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_url + "/search/?q=&near=BL3")
        expect(page.get_by_label("Eat well (1)")).to_be_hidden()
        page.get_by_text("Filter results").click()
        page.get_by_label("Eat well (1)").check()
        page.get_by_role("button", name="Update results").click()
        expect(page.get_by_role("heading", name="1 result within 10 miles of BL3")).to_be_visible()
        expect(page.locator(".lsm-results")).to_contain_text("Memory Lane lunch club")
    finally:
        context.close()


def test_a_mistyped_age_opens_the_filters_on_a_phone(live_url, phone, listings):
    phone.goto(live_url + "/search/?q=&near=BL3&age=sixty")
    expect(phone.get_by_label("Age of the person who needs support (optional)")).to_be_visible()
    expect(phone.get_by_label("Age of the person who needs support (optional)")).to_have_value("sixty")


def test_on_a_desktop_the_filters_sit_beside_the_results(live_url, page, listings):
    page.goto(live_url + "/search/?q=&near=BL3")
    expect(page.get_by_label("Eat well (1)")).to_be_visible()
    expect(page.get_by_text("Filter results")).to_be_hidden()
    filters = page.get_by_role("heading", name="Narrow your results").bounding_box()
    first = page.locator(".lsm-results > li").first.bounding_box()
    assert filters["x"] + filters["width"] <= first["x"], "the filters are not beside the results"
    assert abs(filters["y"] - first["y"]) < 300, (filters, first)
    page.get_by_label("Eat well (1)").check()
    page.get_by_role("button", name="Update results").click()
    expect(page.get_by_role("heading", name="1 result within 10 miles of BL3")).to_be_visible()
    expect(page.get_by_label("Eat well (1)")).to_be_visible()
    assert_no_axe_violations(page)
