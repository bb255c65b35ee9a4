"""People paying with their own money, and holders topping up a budget purchase.

A self-funder (or a family member paying) asks, the provider agrees, they pay by card through
the same Checkout (a destination charge to the provider's connected account), the signed
webhook marks it paid once, and the same receipt arrives; no budget, plan or ledger appears.
A holder's top-up from their own money is their contribution on the ledger and statement.
Everything goes through the real `stripe` SDK to the Stripe test server.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from marketplace import services
from marketplace.models import Budget, LedgerEntry, Order, SupportRequest
from marketplace.services.agreements import request_support_paying_myself
from marketplace.services.statements import build_statement
from tests import factories
from tests.marketplace import factories as mf
from tests.marketplace.fixtures import post_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(stripe_server):
    """A provider onboarded on the Stripe test server with a £20-an-hour listing."""
    return mf.connected_world(stripe_server, amount_pence=5_000, price_pence=2_000)


@pytest.fixture
def payer():
    """Someone with no budget at all, paying for their mother's support."""
    return factories.UserFactory(email="kim@example.org", first_name="Kim", last_name="Payer")


def _ask(world, payer, quantity=3):
    start = timezone.localdate() + timedelta(days=7)
    return request_support_paying_myself(
        by=payer,
        listing=world.listing,
        price=world.listing.prices.first(),
        quantity=quantity,
        starts_on=start,
        ends_on=start + timedelta(days=14),
        purpose="So Mum gets out to the shops",
    )


def _paid(world, payer, stripe_server, client):
    order = services.accept_request(support_request=_ask(world, payer), by=world.provider_user)
    services.start_checkout(
        order=order, by=payer, success_url=mf.CHECKOUT_SUCCESS_URL, cancel_url=mf.CHECKOUT_CANCEL_URL
    )
    order.refresh_from_db()
    event = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)
    assert post_webhook(client, event).status_code == 200
    order.refresh_from_db()
    return order, event


def test_a_self_funder_pays_by_card_once_and_gets_the_receipt_with_no_budget_or_ledger(
    world, payer, stripe_server, client, django_capture_on_commit_callbacks
):
    support_request = _ask(world, payer)
    assert support_request.payer == payer
    assert (support_request.budget, support_request.plan_outcome) == (None, None)
    order = services.accept_request(support_request=support_request, by=world.provider_user)
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert order.payer == payer
    assert order.purpose == "So Mum gets out to the shops"

    url = services.start_checkout(
        order=order, by=payer, success_url=mf.CHECKOUT_SUCCESS_URL, cancel_url=mf.CHECKOUT_CANCEL_URL
    )
    assert url.startswith(stripe_server.url)
    (sent,) = stripe_server.requests_to("POST", "/v1/checkout/sessions")
    # The same destination charge as a budget purchase: the whole amount to the provider.
    assert sent.params["payment_intent_data"]["transfer_data"]["destination"] == world.account.account_id
    assert sent.params["allowed_payment_method_types"] == ["card"]
    order.refresh_from_db()
    event = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, event).json() == {"status": "processed"}
    # A second delivery of the same event changes nothing.
    assert post_webhook(client, event).json() == {"status": "duplicate"}

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.payments.count() == 1
    assert order.payment.amount_pence == 6_000
    assert order.payment.destination_account == world.account.account_id
    assert not LedgerEntry.objects.filter(order=order).exists()
    assert not Budget.objects.filter(holder=payer).exists()
    (receipt,) = [m for m in mail.outbox if m.subject.startswith("Your receipt")]
    assert receipt.to == ["kim@example.org"]
    assert order.payment.payment_intent_id in receipt.body
    assert "Paid with: own money, by card, for: So Mum gets out to the shops" in receipt.body

    client.force_login(payer)
    page = client.get(reverse("marketplace:order_receipt", args=[order.public_id]))
    assert page.status_code == 200
    assert order.payment.payment_intent_id in page.content.decode()
    download = client.get(reverse("marketplace:order_receipt_download", args=[order.public_id]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="receipt-{order.reference}.html"'


def test_nobody_else_sees_or_pays_a_self_funders_order(world, payer, stripe_server, client):
    order = services.accept_request(support_request=_ask(world, payer), by=world.provider_user)
    stranger = mf.make_holder()
    client.force_login(stranger)
    for name in ("order_detail", "order_pay", "order_cancel"):
        method = client.post if name == "order_pay" else client.get
        assert method(reverse(f"marketplace:{name}", args=[order.public_id])).status_code == 404
    request_page = reverse("marketplace:request_detail", args=[order.request.public_id])
    assert client.get(request_page).status_code == 404
    with pytest.raises(services.NotPermitted):
        services.start_checkout(
            order=order, by=stranger, success_url=mf.CHECKOUT_SUCCESS_URL, cancel_url=mf.CHECKOUT_CANCEL_URL
        )
    assert not stripe_server.requests_to("POST", "/v1/checkout/sessions")


def test_a_self_funder_cancels_before_the_start_and_the_transfer_is_reversed(
    world, payer, stripe_server, client
):
    order, _ = _paid(world, payer, stripe_server, client)

    services.cancel_order(order=order, by=payer, reason="Mum is in hospital")

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    (sent,) = stripe_server.requests_to("POST", "/v1/refunds")
    assert sent.params["reverse_transfer"] == "true"
    assert sent.params["amount"] == "6000"
    assert order.payment.refunds.get().amount_pence == 6_000
    assert not LedgerEntry.objects.filter(order=order).exists()
    # Stripe's own refund webhook afterwards records nothing twice.
    post_webhook(client, stripe_server.charge_refunded_event(order.payment.payment_intent_id))
    assert order.payment.refunds.count() == 1


def test_a_provider_cannot_sell_to_themselves_with_their_own_money(world):
    with pytest.raises(services.SelfDealing):
        _ask(world, world.provider_user)
    assert not SupportRequest.objects.exists()


def test_a_person_without_a_budget_is_offered_own_money_and_bad_input_is_kept(world, payer, client):
    client.force_login(payer)
    choose = client.get(reverse("marketplace:request_new", args=[world.listing.public_id]))
    assert "Pay with my own money" in choose.content.decode()
    url = reverse("marketplace:request_new_own_money", args=[world.listing.public_id])
    start = timezone.localdate() + timedelta(days=3)
    typed = {
        "price_option": "0-weekday",
        "quantity": "lots",
        "starts_on_0": start.day,
        "starts_on_1": start.month,
        "starts_on_2": start.year,
        "ends_on_0": start.day,
        "ends_on_1": start.month,
        "ends_on_2": start.year,
        "purpose": "Company for Dad on Tuesdays",
        "check": "1",
    }

    bad = client.post(url, typed)

    page = bad.content.decode()
    assert bad.status_code == 200
    assert "Enter how many hours as a whole number, like 6" in page
    assert 'value="Company for Dad on Tuesdays"' in page
    assert not SupportRequest.objects.exists()

    checked = client.post(url, {**typed, "quantity": "2"})
    assert "Check your request" in checked.content.decode()
    assert "£40" in checked.content.decode()
    sent = client.post(url, {**typed, "quantity": "2", "check": "", "confirm": "1"})
    support_request = SupportRequest.objects.get()
    assert sent.url == reverse("marketplace:request_detail", args=[support_request.public_id])
    assert (support_request.payer, support_request.budget, support_request.purpose) == (
        payer,
        None,
        "Company for Dad on Tuesdays",
    )
    # Their support is listed where a budget would be, without making them set one up.
    assert "Support you pay for yourself" in client.get(reverse("marketplace:dashboard")).content.decode()


# --- A holder's top-up from their own money ------------------------------------------------


def test_a_top_up_lets_a_holder_buy_more_than_is_left_and_is_their_contribution(
    world, stripe_server, client
):
    start = timezone.localdate() + timedelta(days=7)
    ask = {
        "budget": world.budget,
        "by": world.holder,
        "listing": world.listing,
        "price": world.listing.prices.first(),
        "quantity": 4,  # £80 against £50 left
        "starts_on": start,
        "ends_on": start + timedelta(days=14),
        "plan_outcome": world.plan_outcome,
    }
    with pytest.raises(services.BudgetExceeded):
        services.request_support(**ask)
    support_request = services.request_support(**ask, top_up_pence=3_000)
    order = services.accept_request(support_request=support_request, by=world.provider_user)
    assert (order.top_up_pence, order.from_budget_pence) == (3_000, 5_000)
    assert services.committed_pence(budget=world.budget) == 5_000
    assert services.left_pence(budget=world.budget) == 0

    mf.start_checkout(world, order)
    order.refresh_from_db()
    event = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)
    post_webhook(client, event)
    post_webhook(client, event)  # repeated: the top-up is still written once

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert stripe_server.get(order.checkout_session_id)["amount_total"] == 8_000
    contributions = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CONTRIBUTION, order=order)
    assert [e.amount_pence for e in contributions] == [3_000]
    assert LedgerEntry.objects.get(kind=LedgerEntry.Kind.PAYMENT).amount_pence == -8_000
    assert services.balance_pence(budget=world.budget) == 0  # £50 in, £30 own money in, £80 out
    statement = build_statement(budget=world.budget, starts_on=start - timedelta(days=30), ends_on=start)
    assert statement.client_contribution_pence == 3_000
    (line,) = [line for line in statement.lines if line.kind == LedgerEntry.Kind.CONTRIBUTION]
    assert line.kind_label == "Your contribution"
    assert "Your contribution" not in line.details  # said once, by the line's type
    assert f"order {order.reference}" in line.details


def test_refunding_a_topped_up_order_gives_the_budget_back_only_its_own_part(world, stripe_server, client):
    start = timezone.localdate() + timedelta(days=7)
    support_request = services.request_support(
        budget=world.budget,
        by=world.holder,
        listing=world.listing,
        price=world.listing.prices.first(),
        quantity=3,
        starts_on=start,
        ends_on=start,
        plan_outcome=world.plan_outcome,
        top_up_pence=1_000,
    )
    order = services.accept_request(support_request=support_request, by=world.provider_user)
    mf.start_checkout(world, order)
    order.refresh_from_db()
    post_webhook(client, stripe_server.complete_checkout(order.checkout_session_id, deliver=False))
    assert services.balance_pence(budget=world.budget) == 0  # £50 + £10 own - £60
    order.refresh_from_db()

    services.cancel_order(order=order, by=world.holder)

    # £60 back to the card: £50 is the budget's again, £10 was the holder's own money.
    assert services.balance_pence(budget=world.budget) == 5_000
    adjustment = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ADJUSTMENT)
    assert adjustment.amount_pence == -1_000
