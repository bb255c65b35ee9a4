"""Meet first, then agree, in a real browser on a desktop (1280 px) and a phone (390 px): the holder
asks to meet from a listing, the provider offers times (after one mistyped time that the page names
and keeps), the holder picks one, both say yes after meeting, and the holder's "Ask for support"
opens the request form for that listing. Before both said yes that step is closed. No axe
violations and nothing off the side on any page."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from directory.models import ListingPage
from marketplace.models import MeetFirst
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.two_factor import sign_in_to_site
from tests.marketplace import factories as mf

WIDTHS = {"desktop": 1280, "phone": 390}
HOLDER_REASON = "I was nervous, but it was fine"


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def width(request):
    return WIDTHS[request.param]


@pytest.fixture
def new_page(browser, width):
    """Pages at this width, each in its own browser context (one per person signed in)."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def meet_world(live_url):
    """Sam has a budget and plan; Jo's swimming listing likes to meet first."""
    factories.home_page()
    holder = mf.make_holder(email="sam@example.org", first_name="Sam", last_name="Holder")
    world = SimpleNamespace(budget=mf.make_budget(holder=holder), holder=holder)
    world.provider, world.provider_user = mf.make_provider_member(email="jo@example.org", first_name="Jo")
    mf.make_ready_account(world.provider)
    world.listing = mf.make_listing(world.provider)
    ListingPage.objects.filter(pk=world.listing.pk).update(meet_first=True)
    world.listing.refresh_from_db()
    return world


def fits(page):
    assert_no_axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways"
    )


def test_meet_first_then_both_agree_then_request(new_page, meet_world, live_url):
    holder, provider = new_page(), new_page()
    sign_in_to_site(holder, live_url, "sam@example.org")
    sign_in_to_site(provider, live_url, "jo@example.org")

    # The holder asks from the listing.
    holder.goto(live_url + meet_world.listing.url)
    expect(holder.locator("#likes-to-meet-first")).to_contain_text("They like to meet first")
    fits(holder)
    holder.get_by_role("link", name="Ask to meet first").click()
    expect(holder.get_by_role("heading", level=1)).to_have_text("Ask to meet first")
    holder.get_by_label("A phone call").check()
    holder.get_by_label("Anything the provider should know? (optional)").fill("Mornings are best")
    fits(holder)
    holder.get_by_role("button", name="Send").click()
    expect(holder.locator("#meet-status")).to_have_text("Waiting for the provider to offer times")
    meet = MeetFirst.objects.get()
    # Before anything is agreed, the request step is closed.
    holder.goto(live_url + f"/budget/meet-first/{meet.public_id}/request/")
    expect(holder.locator("#meet-status")).to_be_visible()
    expect(holder.locator(".govuk-notification-banner")).to_contain_text(
        "once you and the provider have both said yes"
    )
    fits(holder)

    # The provider offers two times; a mistyped time is named and what was typed is kept.
    provider.goto(live_url + "/my/meet-first/")
    provider.locator("#open-meets").get_by_role("link").click()
    expect(provider.locator("#meet-summary")).to_contain_text("A phone call")
    fits(provider)
    first, second = timezone.localdate() + timedelta(days=2), timezone.localdate() + timedelta(days=3)
    group = provider.get_by_role("group", name="Time 1: day")
    group.get_by_label("Day").fill(str(first.day))
    group.get_by_label("Month").fill(str(first.month))
    group.get_by_label("Year").fill(str(first.year))
    provider.get_by_label("Time 1: time of day").fill("half ten")
    group = provider.get_by_role("group", name="Time 2: day (optional)")
    group.get_by_label("Day").fill(str(second.day))
    group.get_by_label("Month").fill(str(second.month))
    group.get_by_label("Year").fill(str(second.year))
    provider.get_by_label("Time 2: time of day (optional)").fill("2pm")
    provider.get_by_label("Where will you meet, or how will you call?").fill("I will phone you")
    provider.get_by_role("button", name="Send the times").click()
    expect(provider.locator(".govuk-error-summary")).to_contain_text("Enter the time like 14:30 or 2:30pm")
    expect(provider.get_by_label("Time 1: time of day")).to_have_value("half ten")
    expect(provider.get_by_label("Where will you meet, or how will you call?")).to_have_value(
        "I will phone you"
    )
    fits(provider)
    provider.get_by_label("Time 1: time of day").fill("10:30")
    provider.get_by_role("button", name="Send the times").click()
    expect(provider.locator("#meet-status")).to_have_text("Times offered: choose one")

    # The holder picks the second time.
    holder.goto(live_url + f"/budget/meet-first/{meet.public_id}/")
    expect(holder.locator("#meet-status")).to_have_text("Times offered: choose one")
    fits(holder)
    holder.get_by_label(second.strftime("%A %-d %B %Y") + " at 2:00PM").check()
    holder.get_by_role("button", name="Choose this time").click()
    expect(holder.locator("#meet-status")).to_have_text("Time agreed")
    expect(holder.locator("#meet-when")).to_contain_text(second.strftime("%-d %B %Y"))
    fits(holder)

    # They meet. (The clock cannot be moved in a browser test, so the meeting's time is.)
    MeetFirst.objects.filter(pk=meet.pk).update(chosen_time=timezone.now() - timedelta(minutes=30))

    holder.reload()
    holder.get_by_role("link", name="Say whether you want to go ahead").click()
    expect(holder.get_by_role("heading", level=1)).to_have_text("Do you want to go ahead?")
    fits(holder)
    holder.get_by_label("Yes, I want to go ahead").check()
    holder.get_by_label("Why? (optional, private)").fill(HOLDER_REASON)
    holder.get_by_role("button", name="Save the answer").click()
    expect(holder.locator("#other-decision")).to_have_text("Not answered yet")
    expect(holder.locator("#go-to-request")).to_have_count(0)

    provider.goto(live_url + f"/my/meet-first/{meet.public_id}/")
    expect(provider.locator("main")).not_to_contain_text(HOLDER_REASON)
    provider.get_by_role("link", name="Say whether you want to go ahead").click()
    provider.get_by_label("Yes, I want to go ahead").check()
    provider.get_by_label("A message for the other side (optional)").fill("Looking forward to it")
    fits(provider)
    provider.get_by_role("button", name="Save the answer").click()
    expect(provider.locator("#other-decision")).to_have_text("Yes, go ahead")
    expect(provider.locator("main")).not_to_contain_text(HOLDER_REASON)
    fits(provider)

    # Both said yes: the request step opens the request form for that listing.
    holder.reload()
    expect(holder.locator("#message-for-you")).to_have_text("Looking forward to it")
    fits(holder)
    holder.locator("#go-to-request").click()
    expect(holder).to_have_url(live_url + f"/requests/new/{meet_world.listing.public_id}/")
    expect(holder.get_by_role("heading", level=1)).to_contain_text(meet_world.provider.name)
    fits(holder)
