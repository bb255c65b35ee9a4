"""Checking pages on a phone: 390 px wide, as an iPhone 12 to 15 shows a page."""

from playwright.sync_api import expect

from tests.browser.axe import assert_no_axe_violations

PHONE_VIEWPORT = {"width": 390, "height": 844}


def assert_pages_fit_a_phone(page, live_url, paths):
    """Open each path on `page` (a phone-sized page, signed in as needed): each answers 200, has a
    heading, no axe violations and nothing off the side. Lists every page that scrolls sideways."""
    wide = []
    for path in paths:
        response = page.goto(live_url + path)
        assert response.status == 200, f"{path} answered {response.status}"
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            wide.append((path, page.evaluate("document.documentElement.scrollWidth")))
        assert_no_axe_violations(page)
    assert not wide, f"these pages scroll sideways at {PHONE_VIEWPORT['width']} px: {wide}"
