"""Pooled purchases in a real browser: a provider offers a group activity through the form;
a holder finds it on the provider's listing, joins it for one of their plan outcomes, pays
for their place on the Checkout page (a `refund` activity is paid when joining) and sees
their share paid; the provider sees who joined.

Stripe's hosted pages are served by the Stripe-compatible test server
(tests/marketplace/stripe_server.py), which delivers signed webhooks to the live server.
Every page of ours is checked with axe (WCAG 2.2 A and AA); Stripe's stand-in pages are not.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.models import GroupActivity, LedgerEntry, Order
from marketplace.services import pooling
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in_to_site
from tests.marketplace import factories as mf
from tests.marketplace import fixtures as marketplace_fixtures
from tests.marketplace.fixtures import point_webhooks_at

stripe_test_server = marketplace_fixtures.stripe_test_server
stripe_server = marketplace_fixtures.stripe_server

VIEWPORT = {"width": 1280, "height": 900}

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture
def people(live_url, stripe_server):
    """A provider ready to be paid, with a live listing; a holder with a budget and plan."""
    point_webhooks_at(stripe_server, live_url)
    provider, provider_user = mf.make_provider_member(email="jo@example.org")
    provider.name = "Jo's Swims"
    provider.save()
    mf.make_connected_account(provider, stripe_server)
    listing = mf.make_listing(provider, title="Swimming buddy")
    holder = mf.make_holder(email="sam@example.org", first_name="Sam", last_name="Holder")
    budget = mf.make_budget(holder=holder, amount_pence=40_000, own_words="Go swimming every week")
    mf.add_plan_outcome(budget, "Meet new people", slug="get-out-and-about")
    return {"provider": provider, "provider_user": provider_user, "listing": listing, "budget": budget}


def heading(page):
    return page.get_by_role("heading", level=1)


def check_page(page, title):
    """The page we expect, with no accessibility violations."""
    expect(heading(page)).to_contain_text(title)
    assert_no_axe_violations(page)


def fill_date(page, prefix, day):
    page.locator(f"#id_{prefix}_0").fill(str(day.day))
    page.locator(f"#id_{prefix}_1").fill(str(day.month))
    page.locator(f"#id_{prefix}_2").fill(str(day.year))


def test_holder_joins_a_group_from_the_listing_and_pays_their_share(
    page, browser, people, live_url, stripe_server
):
    provider_page = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()
    provider_page.set_default_timeout(10_000)

    # 1. The provider offers a group activity: a mistake is explained, then it is saved.
    sign_in_to_site(provider_page, live_url, "jo@example.org")
    provider_page.goto(live_url + "/provider/groups/")
    check_page(provider_page, "Group activities")
    provider_page.get_by_role("link", name="Offer a group activity").click()
    check_page(provider_page, "Offer a group activity")
    start = timezone.localdate() + timedelta(days=14)
    provider_page.get_by_label("Name of the activity").fill("Tuesday swimming group")
    provider_page.get_by_label("When does it happen?").fill("Tuesdays 10am to 12 noon")
    fill_date(provider_page, "starts_on", start)
    fill_date(provider_page, "ends_on", start + timedelta(days=28))
    provider_page.get_by_label("How many of those does each place include?").fill("4")
    provider_page.get_by_label("Price for one person, for each of those").fill("7.50")
    provider_page.get_by_label("How many places?").fill("6")
    provider_page.get_by_label("How many people must join for it to go ahead?").fill("8")
    fill_date(provider_page, "join_by", start - timedelta(days=3))
    provider_page.get_by_label("Take payment when people join").check()
    provider_page.get_by_role("button", name="Offer the activity").click()
    expect(provider_page.locator(".govuk-error-summary")).to_contain_text(
        "The number needed to go ahead cannot be more than the places"
    )
    assert_no_axe_violations(provider_page)
    expect(provider_page.get_by_label("Name of the activity")).to_have_value("Tuesday swimming group")
    provider_page.get_by_label("How many people must join for it to go ahead?").fill("2")
    provider_page.get_by_role("button", name="Offer the activity").click()
    check_page(provider_page, "Tuesday swimming group")
    activity = GroupActivity.objects.get()
    assert (activity.price_per_place_pence, activity.if_not_filled) == (3_000, "refund")

    # Someone else has already joined.
    other = mf.make_budget(amount_pence=40_000)
    pooling.join_activity(
        activity=activity, budget=other, by=other.holder, plan_outcome=other.plan.outcomes.first()
    )

    # 2. The holder finds it on the listing page.
    sign_in_to_site(page, live_url, "sam@example.org")
    page.goto(live_url + people["listing"].url)
    check_page(page, "Swimming buddy")
    groups = page.locator("main")
    expect(groups).to_contain_text("Tuesday swimming group")
    expect(groups).to_contain_text("5 of 6 places left")
    page.get_by_role("link", name=re.compile("Join Tuesday swimming group")).click()

    # 3. They see what it costs them and what happens if it does not fill, then join.
    check_page(page, "Tuesday swimming group")
    expect(page.locator("#price-per-place")).to_have_text("£30")
    expect(page.locator("#left-now")).to_have_text("£400")
    expect(page.locator("#left-after")).to_have_text("£370")
    expect(page.locator("#if-not-filled")).to_contain_text("everyone who paid gets all their money back")
    page.get_by_role("button", name="Join").click()  # no outcome chosen: a clear message
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select which outcome in your plan this meets"
    )
    assert_no_axe_violations(page)
    page.get_by_label("Meet new people").check()
    page.get_by_role("button", name="Join").click()
    check_page(page, "Tuesday swimming group")
    expect(page.locator("#share-status")).to_have_text("Agreed: waiting for payment")
    expect(page.locator("#activity-status")).to_have_text("Going ahead")  # two have joined
    share = Order.objects.get(budget=people["budget"])
    assert share.plan_outcome.own_words == "Meet new people"

    # 4. They pay for their place through Checkout; the signed webhook marks it paid.
    page.get_by_role("button", name="Pay £30").click()
    expect(heading(page)).to_have_text("Test payment page")  # Stripe Checkout's stand-in
    expect(page.locator("main")).to_contain_text("£30")
    page.get_by_role("button", name="Pay", exact=True).click()
    check_page(page, "Payment received")
    share.refresh_from_db()
    assert share.status == Order.Status.PAID
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.PAYMENT)
    assert (entry.amount_pence, entry.plan_outcome.own_words) == (-3_000, "Meet new people")

    # 5. They see their share among the groups they have joined, and on the group's page.
    page.goto(live_url + "/groups/")
    check_page(page, "Group activities")
    expect(page.locator("#joined")).to_contain_text("Tuesday swimming group")
    expect(page.locator("#joined")).to_contain_text("Paid")
    page.locator("#joined").get_by_role("link", name="Tuesday swimming group").click()
    check_page(page, "Tuesday swimming group")
    expect(page.locator("#share-status")).to_have_text("Paid")

    # 6. The provider sees who joined and where each share is.
    provider_page.goto(live_url + "/provider/groups/")
    check_page(provider_page, "Group activities")
    expect(provider_page.locator("#activities")).to_contain_text("Going ahead")
    provider_page.locator("#activities").get_by_role("link", name="Tuesday swimming group").click()
    check_page(provider_page, "Tuesday swimming group")
    shares = provider_page.locator("#shares")
    expect(shares).to_contain_text("Sam Holder")
    expect(shares.locator("tr", has_text="Sam Holder")).to_contain_text("Paid")
    provider_page.context.close()


def test_a_held_place_is_shown_and_can_be_given_up_without_javascript(page_nojs, people, live_url):
    """Under `hold`, joining holds a place and charges nothing; leaving gives it back."""
    today = timezone.localdate()
    activity = pooling.create_activity(
        provider=people["provider"],
        by=people["provider_user"],
        listing=people["listing"],
        title="Cooking club",
        when="Fridays 2pm",
        starts_on=today + timedelta(days=10),
        ends_on=today + timedelta(days=10),
        unit_price_pence=1_500,
        places=4,
        min_places=3,
        join_by=today + timedelta(days=5),
        if_not_filled="hold",
    )

    sign_in_to_site(page_nojs, live_url, "sam@example.org")
    page_nojs.goto(f"{live_url}/groups/")
    check_page(page_nojs, "Group activities")
    page_nojs.locator("#open-activities").get_by_role("link", name="Cooking club").click()
    check_page(page_nojs, "Cooking club")
    expect(page_nojs.locator("#if-not-filled")).to_contain_text("nobody is charged")
    page_nojs.get_by_label("Go swimming every week").check()
    page_nojs.get_by_role("button", name="Join and hold my place").click()
    check_page(page_nojs, "Cooking club")
    expect(page_nojs.locator("#share-status")).to_have_text("Place held: waiting for the group to fill")
    expect(page_nojs.locator("main")).to_contain_text("You do not pay anything until 3 people have joined")
    expect(page_nojs.get_by_role("button", name=re.compile("^Pay"))).to_have_count(0)

    page_nojs.get_by_role("button", name="Leave this group").click()
    check_page(page_nojs, "Cooking club")
    expect(page_nojs.locator(".govuk-notification-banner")).to_contain_text("Nothing was charged")
    assert Order.objects.get(activity=activity).status == Order.Status.CANCELLED
