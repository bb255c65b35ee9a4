"""A self-funder in a real browser, at desktop width and on a phone: they find a listing by
searching, ask for support paying with their own money (no budget or plan), the provider
agrees, they pay by card on the Stripe test server's Checkout page, the signed webhook marks
it paid, and they read their receipt.

Stripe's hosted pages are the Stripe-compatible test server's stand-ins
(tests/marketplace/stripe_server.py); every page of ours is checked with axe, and on the phone
for sideways scrolling.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.models import Budget, LedgerEntry, Order, SupportRequest
from search.backends import get_search_backend
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in_to_site
from tests.marketplace import factories as mf
from tests.marketplace import fixtures as marketplace_fixtures
from tests.marketplace.fixtures import point_webhooks_at

stripe_test_server = marketplace_fixtures.stripe_test_server
stripe_server = marketplace_fixtures.stripe_server

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture
def people(live_url, stripe_server):
    """A provider ready to be paid, with a live listing in BL3, and a person with no budget."""
    point_webhooks_at(stripe_server, live_url)
    provider, _member = mf.make_provider_member(email="jo@example.org")
    provider.name, provider.legal_name = "Jo's Swims", "Jo Bloggs"
    provider.save()
    listing = mf.make_listing(provider, price_pence=1_850, title="Swimming buddy")
    mf.make_connected_account(provider, stripe_server)
    get_search_backend("database").rebuild()
    payer = factories.UserFactory(email="kim@example.org", first_name="Kim", last_name="Payer")
    return {"provider": provider, "listing": listing, "payer": payer}


def heading(page):
    return page.get_by_role("heading", level=1)


def check_page(page, title):
    """The page we expect, with no accessibility violations and (on a phone) nothing off the side."""
    expect(heading(page)).to_contain_text(title)
    assert_no_axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def fill_date(page, prefix, day):
    page.locator(f"#id_{prefix}_0").fill(str(day.day))
    page.locator(f"#id_{prefix}_1").fill(str(day.month))
    page.locator(f"#id_{prefix}_2").fill(str(day.year))


def _journey(page, provider_page, people, live_url, stripe_server):
    # 1. Find the listing by searching.
    sign_in_to_site(page, live_url, "kim@example.org")
    page.goto(live_url + "/search/")
    page.get_by_label("What would help? Use your own words").fill("swimming")
    page.get_by_label("Postcode or town").fill("BL3")
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator(".lsm-results").get_by_role("link", name="Swimming buddy").first.click()
    expect(heading(page)).to_contain_text("Swimming buddy")

    # 2. Ask, paying with their own money: no budget or plan is asked for.
    page.get_by_role("link", name="Request support").click()
    check_page(page, "How will you pay?")
    page.get_by_role("link", name="Pay with my own money").click()
    check_page(page, "Request support from Jo's Swims")
    page.get_by_role("button", name="Continue").click()  # nothing typed: clear errors
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter how many hours you want")
    assert_no_axe_violations(page)
    page.get_by_label("How many hours?").fill("2")
    start = timezone.localdate() + timedelta(days=7)
    fill_date(page, "starts_on", start)
    fill_date(page, "ends_on", start)
    page.get_by_label("What is it for? (optional)").fill("So Mum can swim again")
    page.get_by_role("button", name="Continue").click()
    check_page(page, "Check your request")
    expect(page.locator("#preview-cost")).to_have_text("£37")
    page.get_by_role("button", name="Send request").click()
    check_page(page, "Support")
    expect(page.locator("#request-status")).to_have_text("Waiting for the provider")
    expect(page.locator("#paid-by")).to_contain_text("with their own money")
    support_request = SupportRequest.objects.get()
    assert support_request.budget is None and support_request.payer == people["payer"]

    # 3. The provider agrees.
    sign_in_to_site(provider_page, live_url, "jo@example.org")
    provider_page.goto(f"{live_url}/requests/{support_request.public_id}/")
    expect(provider_page.locator("main")).to_contain_text("paying with their own money")
    expect(provider_page.locator("main")).to_contain_text("So Mum can swim again")
    provider_page.get_by_role("button", name="Accept request").click()
    expect(provider_page.locator("#order-status")).to_have_text("Agreed: waiting for payment")
    order = Order.objects.get()

    # 4. They pay by card on Checkout; only the signed webhook makes it paid.
    page.goto(f"{live_url}/budget/")
    check_page(page, "Your budget")
    page.locator("#own-requests").get_by_role("link").first.click()
    check_page(page, "Support")
    expect(page.locator("main")).to_contain_text("with your own bank card")
    page.get_by_role("button", name="Pay £37").click()
    expect(heading(page)).to_have_text("Test payment page")  # Stripe Checkout's stand-in
    page.get_by_role("button", name="Pay", exact=True).click()
    check_page(page, "Payment received")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    sent = stripe_server.requests_to("POST", "/v1/checkout/sessions")[0]
    assert sent.params["payment_intent_data"]["transfer_data"]["destination"] == order.destination_account
    assert stripe_server.get(order.checkout_session_id)["amount_total"] == 3_700

    # 5. The receipt, on screen and by email; no budget or ledger was made for them.
    page.get_by_role("link", name="See your receipt").click()
    check_page(page, "Receipt")
    for text in ("Jo's Swims", "Kim Payer", "£37", "Own money, by card", order.payment.payment_intent_id):
        expect(page.locator("main")).to_contain_text(text)
    email = next(m for m in mail.outbox if m.subject.startswith("Your receipt"))
    assert email.to == ["kim@example.org"]
    assert not Budget.objects.filter(holder=people["payer"]).exists()
    assert not LedgerEntry.objects.exists()


def test_a_self_funder_pays_by_card_and_gets_a_receipt_on_a_desktop(
    page, browser, people, live_url, stripe_server
):
    provider_page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    provider_page.set_default_timeout(10_000)
    _journey(page, provider_page, people, live_url, stripe_server)
    provider_page.context.close()


def test_a_self_funder_pays_by_card_and_gets_a_receipt_on_a_phone(
    phone, browser, people, live_url, stripe_server
):
    provider_page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    provider_page.set_default_timeout(10_000)
    _journey(phone, provider_page, people, live_url, stripe_server)
    provider_page.context.close()
    expect(phone.get_by_role("link", name=re.compile("Download this receipt"))).to_be_visible()
