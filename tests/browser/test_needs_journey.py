"""Needs in a real browser, at desktop width and at 390 px: a holder posts a need (a full
postcode is cut to its district), a provider nearby is emailed about it, finds it under "Needs
near you" and offers; the holder chooses the offer, lands on the marketplace's request page with
their plan outcome already chosen and sends the request; the provider agrees; the holder pays on
Stripe Checkout's stand-in page (the Stripe-compatible test server, tests/marketplace/
stripe_server.py, which delivers the signed webhook that makes the order paid). The holder's
budget then shows the payment against the plan outcome they chose, and the coordinators' report
counts the need as met. A visitor without JavaScript reads demand for their district on "Start
something local" and follows it to making a listing. Every page of ours is checked with axe
(WCAG 2.2 A and AA) and, at 390 px, for sideways scrolling; Stripe's stand-in page is not ours.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from cms.models import Role
from marketplace.models import LedgerEntry, Order
from signposting.models import Need, Offer
from signposting.needs import services as need_services
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in, sign_in_to_site
from tests.factories import UserFactory, make_listing
from tests.marketplace import factories as mf
from tests.marketplace import fixtures as marketplace_fixtures
from tests.marketplace.fixtures import point_webhooks_at

# The Stripe-compatible test server's fixtures (tests/marketplace/fixtures.py), for these tests.
stripe_test_server = marketplace_fixtures.stripe_test_server
stripe_server = marketplace_fixtures.stripe_server

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture
def people(live_url, stripe_server):
    """A provider (payments set up) with a swimming listing in BL3 on Tuesday mornings at £18 an
    hour; a holder with a £500 budget and a plan; a coordinator."""
    point_webhooks_at(stripe_server, live_url)
    provider, _ = mf.make_provider_member(email="jo@example.org")
    provider.name = "Jo's Swims"
    provider.save()
    mf.make_connected_account(provider, stripe_server)
    make_listing(title="Swimming buddy", provider=provider, base_postcode="BL3", slots=("tue-morning",))
    UserFactory(role=Role.COORDINATOR, is_staff=True, email="coordinator@example.org")
    holder = mf.make_holder(email="sam@example.org", first_name="Samira", last_name="Holder")
    budget = mf.make_budget(holder=holder, own_words="")
    mf.add_plan_outcome(budget, "See my friends", slug="see-friends-and-family")
    mf.add_plan_outcome(budget, "Go swimming every week", slug="get-out-and-about")
    return budget


# What sticks out past the right edge of the screen, to name in a failure.
WIDE_ELEMENTS = """() => [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(-3).map(e => e.tagName.toLowerCase() + "." + [...e.classList].join(".")
        + " " + Math.round(e.getBoundingClientRect().right) + "px")"""


def check_page(page, title):
    """The page we expect, with no axe violations and nothing off the side of the screen."""
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    assert_no_axe_violations(page)
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        pytest.fail(f"{page.url} scrolls sideways: {page.evaluate(WIDE_ELEMENTS)}")


def fill_date(page, prefix, day):
    page.locator(f"#id_{prefix}_0").fill(str(day.day))
    page.locator(f"#id_{prefix}_1").fill(str(day.month))
    page.locator(f"#id_{prefix}_2").fill(str(day.year))


@pytest.mark.parametrize("width", [1280, 390])
def test_a_holder_posts_a_need_a_provider_offers_the_holder_accepts_and_pays(
    browser, people, live_url, stripe_server, width
):
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

    # 2. The provider is told (the daily digest), finds it under "Needs near you" and offers.
    assert need_services.send_need_digests() == 1
    digest = next(m for m in mail.outbox if "near you" in m.subject)
    assert "jo@example.org" in digest.to
    assert f"/needs/{need.public_id}/" in digest.body
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

    # 4. The holder asks for two hours at the listing's price and sends the request.
    holder.get_by_label(re.compile(r"Support: £18(\.00)? per hour")).check()
    holder.get_by_label("How many hours?").fill("2")
    start = timezone.localdate() + timedelta(days=7)
    fill_date(holder, "starts_on", start)
    fill_date(holder, "ends_on", start)
    holder.get_by_role("button", name="Continue").click()
    check_page(holder, "Check your request")
    expect(holder.locator("#preview-cost")).to_have_text(re.compile(r"£36(\.00)?$"))
    holder.get_by_role("button", name="Send request").click()
    check_page(holder, "Support")
    expect(holder.locator("#request-status")).to_have_text("Waiting for the provider")

    # 5. The provider agrees (the chosen-offer email sent them to their requests).
    chosen = next(m for m in mail.outbox if "was chosen" in m.subject)
    assert "/provider/requests/" in chosen.body
    provider.goto(live_url + "/provider/requests/")
    check_page(provider, "Requests for support")
    provider.locator("#open-requests").get_by_role("link").first.click()
    check_page(provider, "Support")
    expect(provider.locator("main")).to_contain_text(f"/needs/{need.public_id}/")
    provider.get_by_role("button", name="Accept request").click()
    check_page(provider, "Support")
    expect(provider.locator("#order-status")).to_have_text("Agreed: waiting for payment")
    order = Order.objects.get()

    # 6. The holder pays through Checkout; the signed webhook makes it paid.
    holder.goto(live_url + "/budget/")
    check_page(holder, "Your budget")
    holder.locator("#orders").get_by_role("link").first.click()
    check_page(holder, "Support")
    holder.get_by_role("button", name=re.compile(r"Pay £36")).click()
    expect(holder.get_by_role("heading", level=1)).to_have_text("Test payment page")  # Stripe's stand-in
    holder.get_by_role("button", name="Pay", exact=True).click()
    check_page(holder, "Payment received")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert LedgerEntry.objects.get(kind=LedgerEntry.Kind.PAYMENT).amount_pence == -3_600

    # 7. Their budget shows it spent against the plan outcome chosen with the offer.
    holder.goto(live_url + "/budget/")
    check_page(holder, "Your budget")
    expect(holder.locator("#summary-spent")).to_have_text(re.compile(r"£36(\.00)?$"))
    spent = holder.get_by_role("row", name=re.compile("Go swimming every week"))
    expect(spent.get_by_role("cell").first).to_have_text(re.compile(r"£36(\.00)?$"))
    other = holder.get_by_role("row", name=re.compile("See my friends"))
    expect(other.get_by_role("cell").first).to_have_text("£0")

    # 8. The coordinators' report counts the need as posted, answered, accepted and met (paid).
    coordinator = browser.new_context(viewport=viewport, locale="en-GB").new_page()
    coordinator.set_default_timeout(10_000)
    sign_in(coordinator, live_url, "coordinator@example.org", next_path="/admin/")
    coordinator.goto(live_url + "/admin/signposting/demand/")
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Unmet demand")
    needs_table = coordinator.get_by_role("table", name="Needs posted in this period")
    cells = needs_table.get_by_role("row", name=re.compile("Get out and about")).get_by_role("cell")
    # District, posted, answered, offer accepted, met (paid).
    for n, text in enumerate(["BL3", "1", "1", "1", "1"]):
        expect(cells.nth(n)).to_have_text(text)
    assert_no_axe_violations(coordinator)
    for page in (holder, provider, coordinator):
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
