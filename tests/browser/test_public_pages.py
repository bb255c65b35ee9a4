"""The public pages in a real browser: they load with their styles, say what a person needs,
work from the keyboard, pass axe's WCAG 2.2 AA rules, and do all of that without JavaScript.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cms.models import GuideIndexPage, GuidePage
from directory.models import Check, ListingPage, ListingPrice
from tests import factories
from tests.browser.axe import assert_no_axe_violations

GOVUK_CSS = "/static/cms/build/govuk.css"


@dataclass
class Expected:
    """What a person should see on one page."""

    path: str
    heading: str
    shows: list[str] = field(default_factory=list)
    hides: list[str] = field(default_factory=list)


@pytest.fixture
def content(live_url):
    """A small directory: three live listings, one unpublished, checks, a guide."""
    home = factories.home_page()
    home.introduction = "Find care and support from small local organisations."
    home.save_revision().publish()
    guides = home.add_child(instance=GuideIndexPage(title="Guides", slug="guides"))
    guides.add_child(
        instance=GuidePage(
            title="What is a direct payment?",
            summary="Money from the council to buy your own support.",
            body=[("paragraph", "<p>A direct payment is money the council gives you.</p>")],
        )
    )
    directory = factories.directory_page()
    directory.introduction = "Services run by local people, for local people."
    directory.save_revision().publish()

    swimming = factories.make_listing(
        title="Swimming buddy",
        outcomes=("get-out-and-about", "wellbeing-do-things-i-enjoy"),
        categories=("exercise-sport-and-swimming",),
        base_postcode="BL3 5AA",
        price_pence=1800,
        slots=("mon-morning", "wed-afternoon", "sat-morning"),
        contact_name="Jo",
        contact_phone="07700 900123",
        accessibility="I can meet you at the pool's step-free entrance.",
    )
    make_check = factories.make_check
    today = timezone.localdate()
    make_check(swimming.provider, kind=Check.Kind.DBS)
    make_check(
        swimming.provider,
        kind=Check.Kind.PUBLIC_LIABILITY,
        expires_on=today.replace(year=today.year + 1),
    )
    make_check(swimming.provider, kind=Check.Kind.SAFEGUARDING, verified=False)

    shopping = factories.make_listing(
        title="Shopping trips",
        outcomes=("get-out-and-about", "eat-well"),
        price_pence=2250,
        unit=ListingPrice.Unit.VISIT,
        intake=ListingPage.Intake.WAITING_LIST,
    )
    factories.make_listing(
        title="Garden tidy-ups", outcomes=("keep-my-home",), intake=ListingPage.Intake.FULL
    )
    factories.make_listing(title="Secret draft service", publish=False)

    return {
        "home": Expected(
            path="/",
            heading=home.title,
            shows=[
                "Find care and support from small local organisations.",
                "Find support near you",
                "What matters to you?",
                "Get out and about",
                "What is a direct payment?",
            ],
        ),
        "directory": Expected(
            path="/directory/",
            heading="Directory",
            shows=[
                "3 local services",
                "Browse by what matters to you",
                "Swimming buddy",
                "Shopping trips",
                "Garden tidy-ups",
                "£18 an hour",
                "Taking new people",
                "Waiting list",
            ],
            hides=["Secret draft service"],
        ),
        "outcome": Expected(
            path="/directory/outcome/get-out-and-about/",
            heading="Get out and about",
            shows=["Helps you to", "2 services.", "Swimming buddy", "Shopping trips"],
            hides=["Garden tidy-ups", "Secret draft service"],
        ),
        "listing": Expected(
            path=swimming.url,
            heading="Swimming buddy",
            shows=[
                swimming.provider.name,
                "Taking new people",
                "Get out and about",
                "Do things I enjoy",
                "£18 per hour",
                "Based in BL3",
                "DBS certificate",
                "Public liability insurance",
                "07700 900123",
                "step-free entrance",
            ],
            hides=["5AA", "Safeguarding training"],
        ),
        "shopping": shopping,
    }


PAGES = ["home", "directory", "outcome", "listing"]


def _assert_shows(page, expected: Expected):
    expect(page.get_by_role("heading", level=1)).to_have_text(expected.heading)
    main = page.locator("main")
    for text in expected.shows:
        expect(main).to_contain_text(text)
    for text in expected.hides:
        expect(main).not_to_contain_text(text)


# What the templates ask for; fonts are checked separately (the design system's CSS asks for them).
PAGE_ASSETS = {"document", "stylesheet", "script", "image"}


def _record_bad_responses(page, live_url, resource_types=PAGE_ASSETS):
    """Collect same-site requests of these types that failed or answered 4xx/5xx."""
    bad = []

    def on_response(response):
        request = response.request
        if (
            response.url.startswith(live_url)
            and request.resource_type in resource_types
            and response.status >= 400
        ):
            bad.append(f"{response.status} {request.resource_type} {response.url}")

    def on_failed(request):
        if request.resource_type in resource_types:
            bad.append(f"failed {request.resource_type} {request.url}: {request.failure}")

    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    return bad


def test_live_server_serves_the_design_system_css(live_url, page):
    response = page.request.get(live_url + GOVUK_CSS)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ".govuk-skip-link" in response.text()


@pytest.mark.parametrize("name", PAGES)
def test_page_with_javascript(live_url, page, content, name):
    """Loads styled, shows its content, starts with the skip link, and passes axe."""
    expected = content[name]
    bad = _record_bad_responses(page, live_url)

    response = page.goto(live_url + expected.path)

    assert response.status == 200
    _assert_shows(page, expected)
    # GOV.UK Frontend's styles applied (the h1 is the 48px bold heading), and the module
    # script ran (it marks the body so the design system's enhanced styles apply).
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_css("font-size", "48px")
    expect(heading).to_have_css("font-weight", "700")
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    assert bad == []

    # Keyboard: the first Tab reaches the skip link, which is hidden until focused and
    # moves focus to the main content.
    skip_link = page.get_by_role("link", name="Skip to main content")
    assert skip_link.bounding_box()["width"] <= 1
    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    assert skip_link.bounding_box()["width"] > 1
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main-content$"))
    expect(page.locator("main#main-content")).to_be_focused()

    assert_no_axe_violations(page)


@pytest.mark.parametrize("name", PAGES)
def test_page_works_without_javascript(live_url, page_nojs, content, name):
    """The same content and keyboard start without JavaScript, and axe passes on the no-JS page."""
    expected = content[name]
    bad = _record_bad_responses(page_nojs, live_url)

    response = page_nojs.goto(live_url + expected.path)

    assert response.status == 200
    _assert_shows(page_nojs, expected)
    expect(page_nojs.get_by_role("heading", level=1)).to_have_css("font-size", "48px")
    expect(page_nojs.locator("body")).not_to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    page_nojs.keyboard.press("Tab")
    expect(page_nojs.get_by_role("link", name="Skip to main content")).to_be_focused()
    assert_no_axe_violations(page_nojs)
    assert bad == []


def test_links_lead_from_home_to_a_listing_without_javascript(live_url, page_nojs, content):
    page_nojs.goto(live_url + "/")
    page_nojs.get_by_role("link", name="Get out and about").click()
    expect(page_nojs.get_by_role("heading", level=1)).to_have_text("Get out and about")
    page_nojs.get_by_role("link", name="Shopping trips").click()
    expect(page_nojs.get_by_role("heading", level=1)).to_have_text("Shopping trips")
    expect(page_nojs.locator("main")).to_contain_text("£22.50 per visit")
    expect(page_nojs.locator("main")).to_contain_text("Waiting list")
    assert page_nojs.url == live_url + content["shopping"].url


def test_pages_request_no_missing_fonts_or_assets(live_url, page, content):
    bad = _record_bad_responses(page, live_url, resource_types={"font"})
    page.goto(live_url + "/")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    assert bad == []


def test_listing_screenshot_for_people_to_look_at(live_url, page, content, artifacts_dir):
    page.goto(live_url + content["listing"].path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Swimming buddy")
    path = artifacts_dir / "listing-page.png"
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 10_000
