"""Stripe times out or fails (HTTP 500) while a person pays or cancels for a refund.

Through the real views, against the Stripe-compatible test server with its faults switched
on, and with the SDK retrying as in production (2 network retries, same idempotency key):
- no duplicate money movement: the server holds one Checkout Session / one refund for the
  order's idempotency key, however many times the request was sent;
- nothing half-written here: the order's status, its checkout, the ledger and the timeline
  are as they were, and the person is told that nothing has changed;
- trying again (the same idempotency key) finishes the job, once.

"timeout after the work" is the nasty case: Stripe made the session or the refund, but the
answer never arrived, so only the idempotency key stops a second one.
"""

import pytest
from django.urls import reverse

from marketplace import services
from marketplace.models import LedgerEntry, Order, Payment, Refund, RequestEvent
from tests.marketplace import factories as mf
from tests.marketplace.fixtures import post_webhook

pytestmark = pytest.mark.django_db

SDK_RETRIES = 2
NOTHING_CHANGED = "We could not reach the payment service, so nothing has changed"


@pytest.fixture
def production_retries(stripe_server, settings):
    """The SDK retries as in production; a short timeout keeps the test quick."""
    settings.STRIPE_MAX_NETWORK_RETRIES = SDK_RETRIES
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    return stripe_server


def inject(server, fault: str, path: str) -> None:
    """Make every attempt (the first and the SDK's retries) at `path` fail in this way."""
    attempts = SDK_RETRIES + 1
    if fault == "server_error":
        server.fail_next(attempts, status=500, path=path)
    elif fault == "timeout_before_work":
        # Slow to start: the SDK gives up at 0.5 s; the first attempt is acted on at 0.6 s,
        # before the SDK's first retry (its backoff is at least 0.5 s).
        server.stall(0.6, count=attempts, path=path)
    else:  # timeout_after_work
        server.stall(1.0, count=attempts, path=path, after=True)


def snapshot(order):
    order.refresh_from_db()
    return {
        "status": order.status,
        "checkout_session_id": order.checkout_session_id,
        "checkout_url": order.checkout_url,
        "ledger": list(LedgerEntry.objects.order_by("pk").values_list("kind", "amount_pence")),
        "timeline": RequestEvent.objects.count(),
        "payments": Payment.objects.count(),
        "refunds": Refund.objects.count(),
        "balance": services.balance_pence(budget=order.budget),
        "left": services.left_pence(budget=order.budget),
    }


FAULTS = ["server_error", "timeout_before_work", "timeout_after_work"]


@pytest.mark.parametrize("fault", FAULTS)
def test_checkout_fault_changes_nothing_and_paying_again_makes_one_session(production_retries, client, fault):
    server = production_retries
    world = mf.connected_world(server, amount_pence=20_000, price_pence=2_000)
    order = world.order(quantity=3)
    before = snapshot(order)
    client.force_login(world.holder)
    pay = reverse("marketplace:order_pay", args=[order.public_id])
    inject(server, fault, "/v1/checkout/sessions")

    response = client.post(pay, follow=True)

    assert response.redirect_chain[-1][0] == reverse("marketplace:order_detail", args=[order.public_id])
    assert NOTHING_CHANGED in response.content.decode()
    assert snapshot(order) == before
    tries = server.requests_to("POST", "/v1/checkout/sessions")
    assert len(tries) == SDK_RETRIES + 1
    key = f"order-{order.public_id}-checkout-1"
    assert {r.idempotency_key for r in tries} == {key}
    # A stalled request is still acted on once its stall ends, however long ago the SDK
    # gave up; the idempotency key makes every later attempt a replay of that one.
    assert len(server.objects_of("checkout.session")) == (0 if fault == "server_error" else 1)

    again = client.post(pay)

    (session,) = server.objects_of("checkout.session")
    assert again.status_code == 302 and again["Location"] == session["url"]
    assert {r.idempotency_key for r in server.requests_to("POST", "/v1/checkout/sessions")} == {key}
    order.refresh_from_db()
    assert order.checkout_session_id == session["id"]
    assert order.status == Order.Status.AWAITING_PAYMENT

    # The holder pays; Stripe's webhook marks the order paid, once.
    post_webhook(client, server.complete_checkout(session["id"], deliver=False))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 1
    assert services.balance_pence(budget=world.budget) == 20_000 - 6_000


def paid_order(server, world, client):
    order = world.order(quantity=3)
    mf.start_checkout(world, order)
    order.refresh_from_db()
    post_webhook(client, server.complete_checkout(order.checkout_session_id, deliver=False))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order


@pytest.mark.parametrize("fault", FAULTS)
def test_refund_fault_changes_nothing_and_cancelling_again_refunds_once(production_retries, client, fault):
    server = production_retries
    world = mf.connected_world(server, amount_pence=20_000, price_pence=2_000)
    order = paid_order(server, world, client)
    before = snapshot(order)
    client.force_login(world.holder)
    cancel = reverse("marketplace:order_cancel", args=[order.public_id])
    inject(server, fault, "/v1/refunds")

    response = client.post(cancel, {"note": "Changed my mind"}, follow=True)

    assert NOTHING_CHANGED in response.content.decode()
    assert snapshot(order) == before
    tries = server.requests_to("POST", "/v1/refunds")
    assert len(tries) == SDK_RETRIES + 1
    key = f"order-{order.public_id}-refund-1"
    assert {r.idempotency_key for r in tries} == {key}
    assert len(server.objects_of("refund")) == (0 if fault == "server_error" else 1)

    again = client.post(cancel, {"note": "Changed my mind"}, follow=True)

    assert "The order is cancelled and the money is on its way back." in again.content.decode()
    (refund,) = server.objects_of("refund")
    assert {r.idempotency_key for r in server.requests_to("POST", "/v1/refunds")} == {key}
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert list(Refund.objects.values_list("refund_id", "amount_pence")) == [(refund["id"], 6_000)]
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).count() == 1
    assert services.balance_pence(budget=world.budget) == 20_000
    # Stripe's own refund webhook, arriving afterwards, changes nothing more.
    post_webhook(client, server.charge_refunded_event(order.payment.payment_intent_id))
    assert Refund.objects.count() == 1
    assert services.balance_pence(budget=world.budget) == 20_000
