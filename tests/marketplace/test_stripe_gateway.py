"""The Stripe gateway through the real `stripe` SDK over real HTTP, against the Stripe-compatible
test server (tests/marketplace/stripe_server.py): Connect onboarding, Checkout as a
destination charge, refunds that reverse the transfer, idempotency, and Stripe being down.
"""

import socket

import pytest
from django.urls import reverse

from marketplace import services
from marketplace.gateways import GatewayUnavailable, get_payment_gateway
from marketplace.gateways.stripe import STRIPE_API_VERSION
from marketplace.models import LedgerEntry, Order, Payment, ProviderPaymentAccount, RequestEvent
from marketplace.services import webhooks
from tests.marketplace import factories as mf
from tests.marketplace.sdk_params import validate_params

pytestmark = pytest.mark.django_db

SUCCESS = mf.CHECKOUT_SUCCESS_URL
CANCEL = mf.CHECKOUT_CANCEL_URL


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- what the project sends is what the SDK's types accept --------------------------------


def test_checkout_params_match_the_sdks_typed_params(stripe_server):
    from stripe.params.checkout import SessionCreateParams

    world = mf.connected_world(stripe_server)
    order = world.order(quantity=3)

    params = get_payment_gateway().checkout_params(
        order=order, destination=world.account.account_id, success_url=SUCCESS, cancel_url=CANCEL
    )
    assert validate_params(params, SessionCreateParams) == []

    mf.start_checkout(world, order)
    (sent,) = stripe_server.requests_to("POST", "/v1/checkout/sessions")
    assert validate_params(sent.params, SessionCreateParams, wire=True) == []


def test_validator_catches_what_stripe_would_refuse():
    from stripe.params.checkout import SessionCreateParams

    problems = validate_params(
        {
            "allow_promotion_codes": "yes",
            "line_items": [{"quantity": "3", "price_data": {"unit_amount": 100}}],
            "colour": "red",
        },
        SessionCreateParams,
    )
    # (The SDK types its enums as "Literal[...] | str", so an unknown enum value is left to Stripe.)
    assert any("'yes' is not a bool" in p for p in problems)
    assert any("missing required key 'currency'" in p for p in problems)
    assert any("'3' is not a int" in p for p in problems)
    assert any("unknown key 'colour'" in p for p in problems)


def test_every_call_the_project_makes_matches_the_sdks_typed_params(stripe_server):
    from stripe.params import (
        AccountCreateParams,
        AccountLinkCreateParams,
        RefundCreateParams,
        RefundListParams,
    )
    from stripe.params.checkout import SessionExpireParams

    world = mf.connected_world(stripe_server)
    other_provider, member = mf.make_provider_member()
    services.start_onboarding(provider=other_provider, by=member, refresh_url=SUCCESS, return_url=CANCEL)
    order = world.order()
    mf.start_checkout(world, order)
    order.refresh_from_db()
    services.cancel_order(order=order, by=world.holder)
    paid = world.order()
    mf.start_checkout(world, paid)
    paid.refresh_from_db()
    stripe_server.complete_checkout(paid.checkout_session_id, deliver=False)
    event = stripe_server.build_event(
        "checkout.session.completed", stripe_server.get(paid.checkout_session_id)
    )
    webhooks._apply_stored(event)
    paid.refresh_from_db()
    # A dashboard refund heard only as the charge's total: the site lists the charge's refunds.
    total, _ = stripe_server.refund_in_dashboard(paid.payment.payment_intent_id, 500, deliver=False)
    webhooks._apply_stored(total)
    services.cancel_order(order=paid, by=world.holder)

    checks = [
        ("POST", "/v1/accounts", AccountCreateParams),
        ("POST", "/v1/account_links", AccountLinkCreateParams),
        ("POST", "/v1/refunds", RefundCreateParams),
        ("GET", "/v1/refunds", RefundListParams),
    ]
    for method, path, params_type in checks:
        sent = [r for r in stripe_server.requests if r.method == method and r.path == path]
        assert sent, path
        for request in sent:
            assert validate_params(request.params, params_type, wire=True) == [], path
    expires = [r for r in stripe_server.requests if r.path.endswith("/expire")]
    assert expires
    assert all(validate_params(r.params, SessionExpireParams, wire=True) == [] for r in expires)


# --- Connect onboarding -------------------------------------------------------------------


def test_onboarding_creates_one_express_style_gb_account_and_a_hosted_link(stripe_server):
    provider, member = mf.make_provider_member()

    url = services.start_onboarding(provider=provider, by=member, refresh_url=SUCCESS, return_url=CANCEL)
    again = services.start_onboarding(provider=provider, by=member, refresh_url=SUCCESS, return_url=CANCEL)

    assert url.startswith(stripe_server.url + "/setup/")
    assert again != url  # each link is fresh (they are single-use)
    (create,) = stripe_server.requests_to("POST", "/v1/accounts")
    assert create.params["country"] == "GB"
    assert create.params["controller"]["stripe_dashboard"]["type"] == "express"
    assert create.params["controller"]["losses"]["payments"] == "application"
    assert create.params["business_type"] == "individual"
    assert create.idempotency_key == f"provider-{provider.public_id}-account-v1"
    assert create.headers["stripe-version"] == STRIPE_API_VERSION
    account = ProviderPaymentAccount.objects.get(provider=provider)
    assert not account.can_accept_paid_work
    assert services.payment_readiness(account)[0] == "You have not finished setting up with Stripe."


def test_return_from_onboarding_reads_the_accounts_state(stripe_server, client):
    provider, member = mf.make_provider_member()
    services.start_onboarding(provider=provider, by=member, refresh_url=SUCCESS, return_url=CANCEL)
    account = ProviderPaymentAccount.objects.get(provider=provider)
    client.force_login(member)

    page = client.get(reverse("marketplace:provider_onboarding_return", args=[provider.public_id]))
    assert "You cannot accept paid work yet" in page.content.decode()
    assert "your bank account details" in page.content.decode()

    stripe_server.enable_account(account.account_id, deliver=False)
    page = client.get(reverse("marketplace:provider_onboarding_return", args=[provider.public_id]))
    assert "You can accept paid work" in page.content.decode()
    account.refresh_from_db()
    assert account.can_accept_paid_work


# --- Checkout -----------------------------------------------------------------------------


def test_checkout_is_a_destination_charge_for_the_order_with_an_order_idempotency_key(stripe_server):
    world = mf.connected_world(stripe_server, price_pence=1_850)
    order = world.order(quantity=4)

    url = mf.start_checkout(world, order)

    order.refresh_from_db()
    session = stripe_server.get(order.checkout_session_id)
    assert url == session["url"] == order.checkout_url
    assert session["amount_total"] == 7_400 == order.total_pence
    assert session["currency"] == "gbp"
    assert session["client_reference_id"] == str(order.public_id)
    (sent,) = stripe_server.requests_to("POST", "/v1/checkout/sessions")
    assert sent.idempotency_key == f"order-{order.public_id}-checkout-1"
    assert sent.params["payment_intent_data"]["transfer_data"]["destination"] == world.account.account_id
    assert sent.params["payment_intent_data"]["metadata"]["order_id"] == str(order.public_id)
    assert sent.params["line_items"] == [
        {
            "quantity": "4",
            "price_data": {
                "currency": "gbp",
                "unit_amount": "1850",
                "product_data": sent.params["line_items"][0]["price_data"]["product_data"],
            },
        }
    ]
    assert sent.params["success_url"].startswith(SUCCESS)
    # Paid only by the webhook: starting checkout changes nothing about the money.
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert not Payment.objects.exists()


def test_paying_twice_gives_the_same_session_and_a_replayed_key_makes_nothing_new(stripe_server):
    world = mf.connected_world(stripe_server)
    order = world.order()

    first = mf.start_checkout(world, order)
    Order.objects.filter(pk=order.pk).update(checkout_url="")  # as if the first answer was lost
    order.refresh_from_db()
    second = mf.start_checkout(world, order)

    assert first == second
    assert len(stripe_server.objects_of("checkout.session")) == 1
    keys = [r.idempotency_key for r in stripe_server.requests_to("POST", "/v1/checkout/sessions")]
    assert keys == [f"order-{order.public_id}-checkout-1"] * 2


def test_after_a_session_expires_the_next_attempt_gets_a_new_key(stripe_server, client):
    from tests.marketplace.fixtures import post_webhook

    world = mf.connected_world(stripe_server)
    order = world.order()
    mf.start_checkout(world, order)
    order.refresh_from_db()
    expired = stripe_server.expire_session_now(order.checkout_session_id, deliver=False)
    assert post_webhook(client, expired).status_code == 200

    order.refresh_from_db()
    assert (order.checkout_attempt, order.checkout_session_id) == (2, "")
    mf.start_checkout(world, order)
    keys = [r.idempotency_key for r in stripe_server.requests_to("POST", "/v1/checkout/sessions")]
    assert keys == [f"order-{order.public_id}-checkout-1", f"order-{order.public_id}-checkout-2"]


def test_a_replayed_key_for_an_expired_session_starts_a_new_attempt(stripe_server):
    world = mf.connected_world(stripe_server)
    order = world.order()
    mf.start_checkout(world, order)
    order.refresh_from_db()
    stripe_server.expire_session_now(order.checkout_session_id, deliver=False)
    Order.objects.filter(pk=order.pk).update(checkout_url="")  # the expiry webhook has not arrived
    order.refresh_from_db()

    url = mf.start_checkout(world, order)

    order.refresh_from_db()
    assert order.checkout_attempt == 2
    assert stripe_server.get(order.checkout_session_id)["status"] == "open"
    assert url == order.checkout_url


# --- Refunds ------------------------------------------------------------------------------


def _paid_order(stripe_server, world, quantity=3):
    order = world.order(quantity=quantity)
    mf.start_checkout(world, order)
    order.refresh_from_db()
    event = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)
    webhooks._apply_stored(event)
    order.refresh_from_db()
    return order


def test_refund_reverses_the_transfer_and_is_credited_to_the_budget(stripe_server):
    world = mf.connected_world(stripe_server, amount_pence=20_000, price_pence=2_000)
    order = _paid_order(stripe_server, world)
    assert services.balance_pence(budget=world.budget) == 14_000

    services.cancel_order(order=order, by=world.holder, reason="Changed my mind")

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    (sent,) = stripe_server.requests_to("POST", "/v1/refunds")
    assert sent.params["reverse_transfer"] == "true"
    assert sent.params["amount"] == "6000"
    assert sent.idempotency_key == f"order-{order.public_id}-refund-1"
    transfer = stripe_server.objects_of("transfer")[0]
    assert transfer["destination"] == world.account.account_id
    assert transfer["reversed"] is True
    refund_entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REFUND)
    assert refund_entry.amount_pence == 6_000
    assert services.balance_pence(budget=world.budget) == 20_000
    assert "refunded" in order.request.events.values_list("kind", flat=True)


def test_a_charge_s_refunds_are_listed_whole_page_by_page_newest_first(stripe_server):
    # More refunds than one page holds (100): the gateway follows `has_more` with
    # `starting_after`, as the SDK's auto-paging does, and says what Stripe holds now.
    world = mf.connected_world(stripe_server)
    order = world.order(quantity=5)  # £100: room for 103 refunds of 10p to 112p
    mf.start_checkout(world, order)
    order.refresh_from_db()
    intent = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)["data"]["object"][
        "payment_intent"
    ]
    made = [
        stripe_server.refund_in_dashboard(intent, 10 + n, deliver=False)[-1]["data"]["object"]["id"]
        for n in range(103)
    ]
    stripe_server.fail_refund(made[0])
    charge = stripe_server.get(intent)["latest_charge"]

    listed = get_payment_gateway().refunds_of(charge_ref=charge)

    assert [r.refund_id for r in listed] == made[::-1]
    assert [r.amount_pence for r in listed] == [10 + n for n in range(103)][::-1]
    assert (listed[-1].status, listed[-1].failure_reason) == ("failed", "expired_or_canceled_card")
    first, second = stripe_server.requests_to("GET", "/v1/refunds")
    assert first.params == {"charge": charge, "limit": "100"}
    assert second.params == {"charge": charge, "limit": "100", "starting_after": made[3]}


def test_the_refund_webhook_after_our_refund_changes_nothing(stripe_server, client):
    from tests.marketplace.fixtures import post_webhook

    world = mf.connected_world(stripe_server)
    order = _paid_order(stripe_server, world)
    services.cancel_order(order=order, by=world.holder)
    payment = order.payment

    response = post_webhook(client, stripe_server.charge_refunded_event(payment.payment_intent_id))

    assert response.json() == {"status": "processed"}
    assert payment.refunds.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).count() == 1


# --- Stripe unreachable or failing --------------------------------------------------------


@pytest.mark.parametrize("fault", ["refused", "server_error", "timeout"])
def test_stripe_unreachable_when_paying_shows_a_clear_message_and_records_nothing(
    stripe_server, settings, client, fault
):
    world = mf.connected_world(stripe_server)
    order = world.order()
    events_before = RequestEvent.objects.count()
    if fault == "refused":
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{_free_port()}"
    elif fault == "server_error":
        stripe_server.fail_next(5)
    else:
        settings.STRIPE_TIMEOUT_SECONDS = 0.5
        stripe_server.stall(1.5)
    client.force_login(world.holder)

    response = client.post(reverse("marketplace:order_pay", args=[order.public_id]), follow=True)

    stripe_server.stall(0)
    assert response.redirect_chain[-1][0] == reverse("marketplace:order_detail", args=[order.public_id])
    page = response.content.decode()
    assert "We could not reach the payment service" in page
    assert "you have not been charged" in page
    order.refresh_from_db()
    assert (order.status, order.checkout_session_id, order.checkout_url) == (
        Order.Status.AWAITING_PAYMENT,
        "",
        "",
    )
    assert RequestEvent.objects.count() == events_before
    assert not Payment.objects.exists()


def test_stripe_unreachable_when_refunding_leaves_the_order_paid(stripe_server):
    world = mf.connected_world(stripe_server)
    order = _paid_order(stripe_server, world)
    balance = services.balance_pence(budget=world.budget)
    stripe_server.fail_next(3)

    with pytest.raises(services.PaymentServiceUnavailable):
        services.cancel_order(order=order, by=world.holder)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert services.balance_pence(budget=world.budget) == balance
    assert not order.payment.refunds.exists()


def test_the_sdk_retries_a_failed_call_with_the_same_idempotency_key(stripe_server, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    world = mf.connected_world(stripe_server)
    order = world.order()
    stripe_server.fail_next(1)

    mf.start_checkout(world, order)

    sent = stripe_server.requests_to("POST", "/v1/checkout/sessions")
    assert len(sent) == 2
    assert {r.idempotency_key for r in sent} == {f"order-{order.public_id}-checkout-1"}
    assert len(stripe_server.objects_of("checkout.session")) == 1


def test_gateway_errors_are_the_gateways_own(stripe_server, settings):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(GatewayUnavailable):
        get_payment_gateway().retrieve_account(account_id="acct_missing")


def test_provider_not_ready_cannot_be_paid(stripe_server):
    world = mf.connected_world(stripe_server)
    order = world.order()
    ProviderPaymentAccount.objects.filter(pk=world.account.pk).update(payouts_enabled=False)

    with pytest.raises(services.ProviderNotReadyForPayments, match="cannot take payments at the moment"):
        mf.start_checkout(world, order)
    assert not stripe_server.requests_to("POST", "/v1/checkout/sessions")
