"""Helpers in a real browser: a holder invites a helper by email; the helper follows the link,
signs in, accepts and sees the holder's budget under an "acting for" banner; a helper allowed
to pay pays an agreed order through Stripe Checkout (the Stripe-compatible test server), and
the holder then sees the payment started by the helper, in their name.

Every page of ours is checked with axe (WCAG 2.2 A and AA); Stripe's stand-in pages are not.
"""

import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from playwright.sync_api import expect

from marketplace.models import AuditEvent, Delegate, Order, RequestEvent
from marketplace.services import delegation
from marketplace.services.delegation import hash_token
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in_to_site
from tests.marketplace import factories as mf
from tests.marketplace import fixtures as marketplace_fixtures
from tests.marketplace.fixtures import point_webhooks_at

stripe_test_server = marketplace_fixtures.stripe_test_server
stripe_server = marketplace_fixtures.stripe_server

VIEWPORT = {"width": 1280, "height": 900}

pytestmark = pytest.mark.usefixtures("private_media")


def heading(page):
    return page.get_by_role("heading", level=1)


def check_page(page, title):
    """The page we expect, with no accessibility violations."""
    expect(heading(page)).to_contain_text(title)
    assert_no_axe_violations(page)


def fill_sign_in(page, email):
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill("password")
    page.locator("form").get_by_role("button", name=re.compile("Sign in", re.I)).click()


def new_page(browser):
    page = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def holder(live_url):
    factories.home_page()  # where signing in lands
    holder = mf.make_holder(email="sam@example.org", first_name="Sam", last_name="Holder")
    mf.make_budget(holder=holder, amount_pence=20_000, own_words="Go swimming every week")
    return holder


def test_holder_invites_a_helper_who_accepts_from_the_email(page, browser, holder, live_url):
    factories.UserFactory(email="alex@example.org", first_name="Alex", last_name="Helper")

    # 1. The holder invites Alex, who may pay.
    sign_in_to_site(page, live_url, "sam@example.org")
    page.goto(live_url + "/budget/")
    check_page(page, "Your budget")
    page.get_by_role("link", name="People who help you").click()
    check_page(page, "People who help you")
    expect(page.locator("#no-helpers")).to_be_visible()
    page.get_by_label("Their name").fill("Alex")
    page.get_by_label("Their email address").fill("alex@example.org")
    page.get_by_label("Family member or friend").check()
    page.get_by_label(re.compile("^Pay:")).check()
    page.get_by_role("button", name="Send invitation").click()
    check_page(page, "People who help you")
    expect(page.locator("#helpers")).to_contain_text("Alex")
    expect(page.locator("#helpers")).to_contain_text("Invited")
    expect(page.locator("#helpers")).to_contain_text("Pay for agreed support and record spending")

    # 2. Alex opens the emailed link, signs in, comes back and accepts.
    email = next(m for m in mail.outbox if "asked you to help" in m.subject)
    assert email.to == ["alex@example.org"]
    link = re.search(r"https?://\S+/budget/helpers/invitation/\S+/", email.body).group(0)
    helper_page = new_page(browser)
    helper_page.goto(live_url + urlparse(link).path)
    check_page(helper_page, "Sam Holder has asked you to help")
    expect(helper_page.locator("#invitation-abilities")).to_contain_text("pay for agreed support")
    helper_page.get_by_role("link", name="Sign in to say yes").click()
    fill_sign_in(helper_page, "alex@example.org")
    check_page(helper_page, "Sam Holder has asked you to help")
    helper_page.get_by_role("button", name="Yes, I will help Sam Holder").click()

    # 3. Alex sees Sam's budget, with a banner saying whom they act for and what they can do.
    check_page(helper_page, "Budget of Sam Holder")
    banner = helper_page.locator("#acting-banner")
    expect(banner).to_contain_text("You are acting for Sam Holder.")
    expect(banner).to_contain_text("pay for agreed support and record spending")
    expect(helper_page.locator("#budget-summary")).to_be_visible()
    helper_page.get_by_role("link", name="Their support plan").click()
    check_page(helper_page, "Support plan of Sam Holder")
    expect(helper_page.locator("#plan-outcomes")).to_contain_text("Go swimming every week")
    expect(helper_page.get_by_role("button", name="Add to plan")).to_have_count(0)

    # 4. Sam sees Alex as active.
    page.reload()
    check_page(page, "People who help you")
    expect(page.locator("#helpers")).to_contain_text("Active")
    assert Delegate.objects.get().status == Delegate.Status.ACTIVE
    helper_page.context.close()


def test_helper_who_may_pay_pays_and_the_holder_sees_it_was_them(
    page, browser, holder, live_url, stripe_server
):
    point_webhooks_at(stripe_server, live_url)
    provider, provider_user = mf.make_provider_member(email="jo@example.org")
    provider.name = "Jo's Swims"
    provider.save()
    mf.make_connected_account(provider, stripe_server)
    listing = mf.make_listing(provider, price_pence=1_850)
    order = mf.make_order(budget=holder.budget, listing=listing, provider_user=provider_user)
    helper = factories.UserFactory(email="alex@example.org", first_name="Alex", last_name="Helper")
    delegate = delegation.invite_delegate(
        budget=holder.budget, by=holder, name="Alex", email=helper.email, can_pay=True
    )
    Delegate.objects.filter(pk=delegate.pk).update(invite_token_hash=hash_token("emailed-token"))
    delegation.accept_invitation(token="emailed-token", user=helper)

    # 1. Alex pays the agreed order through Checkout.
    sign_in_to_site(page, live_url, "alex@example.org")
    page.goto(live_url + "/budget/")
    check_page(page, "Budget of Sam Holder")
    expect(page.locator("#acting-banner")).to_contain_text("You are acting for Sam Holder.")
    page.locator("#orders").get_by_role("link").first.click()
    check_page(page, "Support")
    expect(page.locator("#acting-banner")).to_be_visible()
    page.get_by_role("button", name="Pay £55.50").click()
    expect(heading(page)).to_have_text("Test payment page")  # Stripe Checkout's stand-in
    page.get_by_role("button", name="Pay", exact=True).click()
    check_page(page, "Payment received")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    started = RequestEvent.objects.get(request=order.request, kind=RequestEvent.Kind.PAYMENT_STARTED)
    assert started.actor == helper
    assert AuditEvent.objects.filter(action="paid", actor=helper, budget=holder.budget).exists()

    # 2. Sam sees the payment, started by Alex on their behalf.
    holder_page = new_page(browser)
    sign_in_to_site(holder_page, live_url, "sam@example.org")
    holder_page.goto(f"{live_url}/orders/{order.public_id}/")
    check_page(holder_page, "Support")
    expect(holder_page.locator("#order-status")).to_have_text("Paid")
    expect(holder_page.locator("main")).to_contain_text("Payment started by Alex (helping Sam Holder)")
    expect(holder_page.locator("#acting-banner")).to_have_count(0)
    holder_page.goto(live_url + "/budget/helpers/")
    check_page(holder_page, "People who help you")
    expect(holder_page.locator("#helper-actions")).to_contain_text("Alex: started a payment")
    holder_page.context.close()
