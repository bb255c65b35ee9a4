"""Needs in a real browser, at desktop width and at 390 px: a holder posts a need (a full
postcode is cut to its district), a provider nearby finds it under "Needs near you" and offers,
and the holder chooses the offer and lands on the marketplace's request page with their plan
outcome already chosen. A visitor without JavaScript reads demand for their district on "Start
something local" and follows it to making a listing. Every page is checked with axe (WCAG 2.2 A
and AA).
"""

import re

import pytest
from playwright.sync_api import expect

from signposting.models import Need, Offer
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in_to_site
from tests.factories import make_listing
from tests.marketplace import factories as mf

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture
def people(live_url):
    """A provider with a swimming listing in BL3 on Tuesday mornings; a holder with a plan."""
    provider, _ = mf.make_provider_member(email="jo@example.org")
    provider.name = "Jo's Swims"
    provider.save()
    make_listing(title="Swimming buddy", provider=provider, base_postcode="BL3", slots=("tue-morning",))
    holder = mf.make_holder(email="sam@example.org", first_name="Samira", last_name="Holder")
    budget = mf.make_budget(holder=holder, own_words="")
    mf.add_plan_outcome(budget, "See my friends", slug="see-friends-and-family")
    mf.add_plan_outcome(budget, "Go swimming every week", slug="get-out-and-about")
    return budget


def check_page(page, title):
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    assert_no_axe_violations(page)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_holder_posts_a_need_a_provider_offers_and_the_holder_accepts(browser, people, live_url, width):
    viewport = {"width": width, "height": 900}
    holder = browser.new_context(viewport=viewport, locale="en-GB").new_page()
    provider = browser.new_context(viewport=viewport, locale="en-GB").new_page()
    for page in (holder, provider):
        page.set_default_timeout(10_000)

    # 1. The holder posts a need; a phone number in the words is refused and the words kept.
    sign_in_to_site(holder, live_url, "sam@example.org")
    holder.goto(live_url + "/needs/")
    check_page(holder, "Support people are looking for")
    holder.get_by_role("button", name="Post a need").click()  # a link drawn as a button
    check_page(holder, "Post a need")
    holder.get_by_label("Get out and about").check()
    words = holder.get_by_label("In your own words, what are you looking for?")
    words.fill("Someone to swim with on Tuesday mornings. Ring 01204 123456.")
    holder.get_by_label("Postcode district").fill("BL3 4AB")
    holder.get_by_label("Tuesday morning").check()
    holder.get_by_role("button", name="Post need").click()
    expect(holder.locator(".govuk-error-summary")).to_contain_text("Take out a phone number")
    assert_no_axe_violations(holder)
    expect(words).to_have_value("Someone to swim with on Tuesday mornings. Ring 01204 123456.")
    words.fill("Someone to swim with on Tuesday mornings.")
    holder.get_by_role("button", name="Post need").click()
    check_page(holder, "Your need in BL3")
    expect(holder.get_by_text("We kept only BL3 from the postcode you typed")).to_be_visible()
    need = Need.objects.get()

    # The public page names nobody and shows only the district.
    public = browser.new_context(viewport=viewport, locale="en-GB").new_page()
    public.goto(f"{live_url}/needs/{need.public_id}/")
    check_page(public, "Someone in BL3 is looking for support")
    body = public.content()
    assert "Samira" not in body and "4AB" not in body
    public.context.close()

    # 2. The provider finds it under "Needs near you" and offers.
    sign_in_to_site(provider, live_url, "jo@example.org")
    provider.goto(live_url + "/my/")
    provider.get_by_role("link", name="Needs near you").click()
    check_page(provider, "Needs near you")
    provider.get_by_role("link", name=re.compile("Offer to help")).click()
    check_page(provider, "Offer to help in BL3")
    provider.get_by_label("Your price, £").fill("18")
    provider.get_by_label("Message to the person").fill("I swim at Castle Leisure on Tuesdays at 10.")
    provider.get_by_role("button", name="Send offer").click()
    check_page(provider, "Needs near you")
    expect(provider.get_by_text("You offered")).to_be_visible()

    # 3. The holder reads the offer, chooses it and lands on the request page.
    holder.goto(live_url + "/needs/yours/")
    check_page(holder, "Your needs")
    holder.get_by_role("link", name=re.compile("Get out and about in BL3")).click()
    check_page(holder, "Your need in BL3")
    expect(holder.get_by_text("I swim at Castle Leisure on Tuesdays at 10.")).to_be_visible()
    holder.get_by_role("button", name=re.compile("Choose this offer")).click()
    check_page(holder, "Request support from Jo's Swims")
    expect(holder.get_by_label(re.compile("Go swimming every week"))).to_be_checked()
    assert Offer.objects.get().status == Offer.Status.ACCEPTED
    for page in (holder, provider):
        page.context.close()


def test_a_visitor_reads_demand_for_their_district_without_javascript(page_nojs, live_url):
    from directory.models import Outcome, PostcodeDistrict
    from signposting.needs import services
    from tests.factories import UserFactory

    for n in range(6):
        services.post_need(
            by=UserFactory(),
            outcomes=[Outcome.objects.get(slug="eat-well")],
            own_words=f"A lunch club, please ({n}).",
            district=PostcodeDistrict.objects.get(code="BL1"),
        )
    page_nojs.goto(live_url + "/start-something-local/")
    check_page(page_nojs, "Start something local")
    page_nojs.get_by_label("Postcode district", exact=True).fill("bl1")
    page_nojs.get_by_role("button", name="Show demand").click()
    check_page(page_nojs, "Start something local")
    row = page_nojs.get_by_role("row", name=re.compile("BL1 Eat well"))
    expect(row).to_contain_text("6")
    page_nojs.get_by_role("button", name="List your service").click()  # a link drawn as a button
    expect(page_nojs).to_have_url(re.compile("/accounts/login/"))
