"""The whole purchase in a real browser: a provider sets up payments through Stripe-hosted
onboarding; a holder sets up their budget and plan, requests support from a listing and
sees the cost first; the provider accepts; the holder pays on the Checkout page; the signed
webhook marks the order paid; the holder reads and downloads the receipt.

Stripe's hosted pages are served by the Stripe-compatible test server
(tests/marketplace/stripe_server.py), which delivers signed webhooks to the live server.
Every page of ours is checked with axe (WCAG 2.2 A and AA); Stripe's stand-in pages are not.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.models import LedgerEntry, Order, ProviderPaymentAccount
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in_to_site
from tests.marketplace import factories as mf
from tests.marketplace import fixtures as marketplace_fixtures
from tests.marketplace.fixtures import point_webhooks_at

# The Stripe-compatible test server's fixtures (tests/marketplace/fixtures.py), for these tests.
stripe_test_server = marketplace_fixtures.stripe_test_server
stripe_server = marketplace_fixtures.stripe_server

VIEWPORT = {"width": 1280, "height": 900}

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture
def people(live_url, stripe_server):
    """A provider with a live listing (payments not set up yet) and a new budget holder."""
    point_webhooks_at(stripe_server, live_url)
    provider, provider_user = mf.make_provider_member(email="jo@example.org")
    provider.name, provider.legal_name = "Jo's Swims", "Jo Bloggs"
    provider.save()
    listing = mf.make_listing(provider, price_pence=1_850, title="Swimming buddy")
    holder = mf.make_holder(email="sam@example.org", first_name="Sam", last_name="Holder")
    return {"provider": provider, "provider_user": provider_user, "listing": listing, "holder": holder}


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


def test_holder_buys_support_from_request_to_receipt(page, browser, people, live_url, stripe_server):
    provider_page = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()
    provider_page.set_default_timeout(10_000)

    # 1. The provider connects a Stripe account through hosted onboarding.
    sign_in_to_site(provider_page, live_url, "jo@example.org")
    provider_page.goto(live_url + "/provider/payments/")
    check_page(provider_page, "Getting paid")
    expect(provider_page.locator("main")).to_contain_text("You have not set up payments yet")
    provider_page.get_by_role("button", name=re.compile("Set up payments with Stripe")).click()
    expect(heading(provider_page)).to_have_text("Set up payments")  # Stripe's (stand-in) page
    provider_page.get_by_role("button", name="Agree and submit").click()
    check_page(provider_page, "Getting paid")
    expect(provider_page.locator("#payments-ready")).to_contain_text("You can accept paid work")
    assert ProviderPaymentAccount.objects.get(provider=people["provider"]).can_accept_paid_work

    # 2. The holder records their budget and support plan.
    sign_in_to_site(page, live_url, "sam@example.org")
    page.goto(live_url + "/budget/")
    check_page(page, "Your budget")
    page.get_by_role("link", name="Set up your budget").click()
    check_page(page, "Your budget details")
    page.get_by_role("button", name="Save budget").click()  # nothing typed: clear errors
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter how much the council pays")
    assert_no_axe_violations(page)
    page.get_by_label("How much does the council pay").fill("400")
    page.get_by_label("Every 4 weeks").check()
    fill_date(page, "first_period_starts_on", timezone.localdate())
    page.get_by_label("How much do you pay in yourself").fill("20")
    page.get_by_role("button", name="Save budget").click()
    check_page(page, "Your support plan")
    page.get_by_label("What do you want to achieve?").fill("Go swimming every week to stay fit")
    page.get_by_label("Which of these is it closest to?").select_option(label="Get out and about")
    page.get_by_role("button", name="Add to plan").click()
    check_page(page, "Your support plan")
    expect(page.locator("#plan-outcomes")).to_contain_text("Go swimming every week to stay fit")

    # 3. From the listing, the holder asks for support and sees the cost before sending.
    page.goto(f"{live_url}/requests/new/{people['listing'].public_id}/")
    check_page(page, "Request support from Jo's Swims")
    page.get_by_label("Support: £18.50 per hour").check()
    page.get_by_label("How many hours?").fill("3")
    start = timezone.localdate() + timedelta(days=7)
    fill_date(page, "starts_on", start)
    fill_date(page, "ends_on", start + timedelta(days=14))
    page.get_by_label("Go swimming every week to stay fit").check()
    page.get_by_label("Message to the provider").fill("Mornings suit me best.")
    page.get_by_role("button", name="Continue").click()
    check_page(page, "Check your request")
    expect(page.locator("#preview-cost")).to_have_text("£55.50")
    expect(page.locator("#preview-left-after")).to_have_text("£364.50")  # £400 + £20 - £55.50
    page.get_by_role("button", name="Send request").click()
    check_page(page, "Support")
    expect(page.locator("#request-status")).to_have_text("Waiting for the provider")

    # 4. The provider accepts.
    provider_page.goto(live_url + "/provider/requests/")
    check_page(provider_page, "Requests for support")
    provider_page.locator("#open-requests").get_by_role("link").first.click()
    check_page(provider_page, "Support")
    expect(provider_page.locator("main")).to_contain_text("Mornings suit me best.")
    provider_page.get_by_role("button", name="Accept request").click()
    check_page(provider_page, "Support")
    expect(provider_page.locator("#order-status")).to_have_text("Agreed: waiting for payment")
    order = Order.objects.get()

    # 5. The holder pays through Checkout; only the signed webhook makes it paid.
    page.goto(f"{live_url}/budget/")
    check_page(page, "Your budget")
    expect(page.locator("#summary-committed")).to_have_text("£55.50")
    page.locator("#orders").get_by_role("link").first.click()
    check_page(page, "Support")
    page.get_by_role("button", name="Pay £55.50").click()
    expect(heading(page)).to_have_text("Test payment page")  # Stripe Checkout's stand-in
    expect(page.locator("main")).to_contain_text("£55.50")
    page.get_by_role("button", name="Pay", exact=True).click()
    check_page(page, "Payment received")
    assert f"/orders/{order.public_id}/paid/?session_id=cs_test_" in page.url
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    session = stripe_server.get(order.checkout_session_id)
    sent = stripe_server.requests_to("POST", "/v1/checkout/sessions")[0]
    assert sent.params["payment_intent_data"]["transfer_data"]["destination"] == order.destination_account
    assert session["amount_total"] == 5_550

    # 6. The receipt: on screen, downloadable and emailed.
    page.get_by_role("link", name="See your receipt").click()
    check_page(page, "Receipt")
    receipt = page.locator("main")
    for text in (
        "Jo's Swims",
        "Jo Bloggs, sole trader",
        "3",
        "£18.50 per hour",
        "£55.50",
        "Go swimming every week to stay fit",
        session["payment_intent"],
        start.strftime("%-d %B %Y"),
    ):
        expect(receipt).to_contain_text(text)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download this receipt").click()
    download = download_info.value
    assert download.suggested_filename == f"receipt-{order.reference}.html"
    assert session["payment_intent"] in open(download.path(), encoding="utf-8").read()  # noqa: SIM115
    email = next(m for m in mail.outbox if m.subject.startswith("Your receipt"))
    assert email.to == ["sam@example.org"]
    assert session["payment_intent"] in email.body

    # 7. The dashboard shows it spent against the outcome.
    page.goto(f"{live_url}/budget/")
    check_page(page, "Your budget")
    expect(page.locator("#summary-spent")).to_have_text("£55.50")
    expect(page.locator("#summary-committed")).to_have_text("£0")
    expect(page.locator("#summary-left")).to_have_text("£364.50")
    expect(page.locator("#orders")).to_contain_text("Paid")
    assert LedgerEntry.objects.get(kind=LedgerEntry.Kind.PAYMENT).amount_pence == -5_550
    provider_page.context.close()


def test_paying_works_without_javascript_and_the_return_page_waits_for_the_webhook(
    page_nojs, people, live_url, stripe_server
):
    """With JavaScript off, and Stripe's webhook late: the holder is told it is being confirmed."""
    mf.make_connected_account(people["provider"], stripe_server)
    budget = mf.make_budget(holder=people["holder"], amount_pence=20_000)
    order = mf.make_order(budget=budget, listing=people["listing"], provider_user=people["provider_user"])
    # Hold back the webhook, as when Stripe's delivery is slow.
    stripe_server.set_webhook("platform", live_url + "/stripe/webhook/never/", "whsec_unused")

    sign_in_to_site(page_nojs, live_url, "sam@example.org")
    page_nojs.goto(f"{live_url}/orders/{order.public_id}/")
    check_page(page_nojs, "Support")
    page_nojs.get_by_role("button", name="Pay £55.50").click()
    expect(heading(page_nojs)).to_have_text("Test payment page")
    page_nojs.get_by_role("button", name="Pay", exact=True).click()
    check_page(page_nojs, "We are confirming your payment")
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT

    # The webhook arrives; "Check again" now shows it paid.
    point_webhooks_at(stripe_server, live_url)
    completed = next(
        d.event for d in stripe_server.deliveries if d.event["type"] == "checkout.session.completed"
    )
    assert stripe_server.deliver(completed).status == 200
    page_nojs.get_by_role("link", name="Check again").click()
    check_page(page_nojs, "Payment received")
