"""Payments against localstripe (PyPI), a stateful fake Stripe, through the real `stripe` SDK:
payment intents, declines, 3-D Secure `requires_action`, refunds, and localstripe's own
signed webhooks delivered to the project's live test server.

localstripe has no Checkout or Connect, so the test plays Stripe Checkout's part: it creates
and confirms the PaymentIntent that Checkout would create for the order (carrying the
order's id in its metadata, as `payment_intent_data` asks). Everything after that is the
project's own code: the webhook endpoint, the ledger, and refunds through the gateway.

On SQLite the test database is in memory, in SQLite's shared cache. Two things made these
tests fail now and then with "database table is locked":

- pytest-django's `live_server` is session-scoped and does not wait for the test database:
  started before it exists, it is not handed the test's connection, so its threads open their
  own connections to the shared in-memory database, and there SQLite answers a table lock held
  by another connection at once with "database table is locked" (its busy timeout does not
  apply). This module starts its own live server after the test database exists, and checks
  that it shares the test's connection.
- Sharing one connection, the test sees a webhook's writes before the webhook's transaction
  ends; a test that moved on then (to its own transaction, or to the table flush at teardown)
  ran statements beside the webhook's. So waiting for a webhook means waiting until the live
  server has *finished* its request: `WebhookRequests` counts the webhook requests it starts
  and finishes (Django's request signals), and the waits end only when none is in flight.
"""

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import stripe
from django.core.signals import request_finished, request_started
from django.urls import reverse

from marketplace import services
from marketplace.gateways.stripe import STRIPE_API_VERSION
from marketplace.models import LedgerEntry, Order, Payment
from tests.marketplace import factories as mf
from tests.marketplace.fixtures import WEBHOOK_SECRET
from tests.needs import missing

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LAUNCHER = Path(__file__).with_name("run_localstripe.py")
SECRET_KEY = "sk_test_localstripe"
WEBHOOK_WAIT_SECONDS = 15  # localstripe waits a second before each delivery


class WebhookRequests:
    """Webhook requests the live server has started and finished, from Django's signals."""

    def __init__(self, path: str):
        self.path = path
        self.started = 0
        self.finished = 0
        self._lock = threading.Lock()
        self._mine = threading.local()

    def on_started(self, sender, environ=None, **kwargs):
        if (environ or {}).get("PATH_INFO") == self.path:
            self._mine.webhook = True
            with self._lock:
                self.started += 1

    def on_finished(self, sender, **kwargs):
        if getattr(self._mine, "webhook", False):
            self._mine.webhook = False
            with self._lock:
                self.finished += 1

    def settled(self) -> bool:
        """No webhook request is in flight (each one started has committed and answered)."""
        with self._lock:
            return self.started == self.finished


@pytest.fixture(scope="module")
def live_server(django_db_setup):
    """A live server started once the test database exists (see the module docstring)."""
    from django.db import connections
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost")
    connection = connections["default"]
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        assert server.thread.connections_override.get("default") is connection
    yield server
    server.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_url():
    """localstripe running in a subprocess on 127.0.0.1 for the session."""
    try:
        import localstripe  # noqa: F401
    except ImportError:
        missing("localstripe is not installed: pip install -e '.[test]' (localstripe==1.15.10)")
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 (our own launcher, with this interpreter)
        [sys.executable, str(LAUNCHER), str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace")[-2000:]
            missing(f"localstripe could not start (exit {process.returncode}): {output}")
        try:
            requests.get(url + "/v1/balance", headers={"Authorization": f"Bearer {SECRET_KEY}"}, timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        process.kill()
        missing("localstripe did not answer within 30 seconds")
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def localstripe(localstripe_url, live_server, settings):
    """The project pointed at localstripe, and localstripe's webhooks pointed at the live server."""
    requests.delete(localstripe_url + "/_config/data", timeout=5)
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    webhook_url = live_server.url.replace("localhost", "127.0.0.1") + reverse("marketplace:stripe_webhook")
    response = requests.post(
        localstripe_url + "/_config/webhooks/marketplace",
        data={
            "url": webhook_url,
            "secret": WEBHOOK_SECRET,
            "events[]": ["payment_intent.succeeded", "payment_intent.payment_failed"],
        },
        timeout=5,
    )
    response.raise_for_status()
    global _webhooks
    _webhooks = WebhookRequests(reverse("marketplace:stripe_webhook"))
    request_started.connect(_webhooks.on_started)
    request_finished.connect(_webhooks.on_finished)
    yield stripe.StripeClient(
        SECRET_KEY,
        stripe_version=STRIPE_API_VERSION,
        base_addresses={"api": localstripe_url},
        max_network_retries=0,
    )
    # Nothing may still be writing when the tables are emptied after the test.
    deadline = time.monotonic() + WEBHOOK_WAIT_SECONDS
    while not _webhooks.settled() and time.monotonic() < deadline:
        time.sleep(0.05)
    request_started.disconnect(_webhooks.on_started)
    request_finished.disconnect(_webhooks.on_finished)
    assert _webhooks.settled(), "a webhook request was still running when the test ended"


_webhooks: WebhookRequests | None = None


def _card(client, number):
    return client.v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )


def _pay_as_checkout_would(client, order, number, **extra):
    """The PaymentIntent Stripe Checkout makes for the order, confirmed with a test card."""
    return client.v1.payment_intents.create(
        {
            "amount": order.total_pence,
            "currency": "gbp",
            "payment_method": _card(client, number).id,
            "metadata": {"order_id": str(order.public_id)},
            "confirm": True,
            **extra,
        },
        {"idempotency_key": f"order-{order.public_id}-checkout-1"},
    )


def _wait_for(condition, what):
    """Wait until `condition` holds with no webhook request in flight (see the module doc)."""
    deadline = time.monotonic() + WEBHOOK_WAIT_SECONDS
    while time.monotonic() < deadline:
        if _webhooks.finished and _webhooks.settled() and condition():
            return
        time.sleep(0.2)
    pytest.fail(f"Timed out waiting for {what}")


def _order():
    world = mf.World(amount_pence=20_000, price_pence=2_500)
    return world, world.order(quantity=2)


def test_a_succeeded_payment_intent_webhook_marks_the_order_paid(localstripe):
    world, order = _order()

    intent = _pay_as_checkout_would(localstripe, order, "4242424242424242")

    assert intent.status == "succeeded"
    _wait_for(lambda: Order.objects.get(pk=order.pk).status == Order.Status.PAID, "the signed webhook")
    payment = Payment.objects.get(order=order)
    assert (payment.payment_intent_id, payment.amount_pence, payment.currency) == (intent.id, 5_000, "gbp")
    assert LedgerEntry.objects.get(kind=LedgerEntry.Kind.PAYMENT).amount_pence == -5_000
    assert services.balance_pence(budget=world.budget) == 15_000


def test_a_declined_card_leaves_the_order_unpaid_and_says_why(localstripe):
    world, order = _order()

    with pytest.raises(stripe.CardError) as declined:
        _pay_as_checkout_would(localstripe, order, "4000000000000341")  # charging it is declined

    assert declined.value.code == "card_declined"
    _wait_for(lambda: Order.objects.get(pk=order.pk).last_payment_error, "the payment_failed webhook")
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert "Your card was declined" in order.last_payment_error
    assert not Payment.objects.exists()
    assert services.committed_pence(budget=world.budget) == 5_000  # still set aside, to try again


def test_a_card_declined_when_saved_is_refused_before_any_charge(localstripe):
    customer = localstripe.v1.customers.create({"email": "holder@example.org"})
    card = _card(localstripe, "4000000000000002")

    with pytest.raises(stripe.CardError) as declined:
        localstripe.v1.payment_methods.attach(card.id, {"customer": customer.id})

    assert declined.value.code == "card_declined"


def test_3d_secure_needs_action_and_is_paid_only_after_authentication(localstripe):
    _, order = _order()

    intent = _pay_as_checkout_would(localstripe, order, "4000002760003184")

    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"
    time.sleep(1.5)  # long enough for any (wrong) webhook to arrive
    assert Order.objects.get(pk=order.pk).status == Order.Status.AWAITING_PAYMENT
    # The holder completes the bank's check (what Stripe.js does on the hosted page).
    localstripe.raw_request(
        "post",
        f"/v1/payment_intents/{intent.id}/_authenticate",
        client_secret=intent.client_secret,
        success="true",
    )
    _wait_for(
        lambda: Order.objects.get(pk=order.pk).status == Order.Status.PAID, "the webhook after 3-D Secure"
    )
    assert localstripe.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_3d_secure_failed_leaves_nothing_paid(localstripe):
    _, order = _order()
    intent = _pay_as_checkout_would(localstripe, order, "4000002760003184")

    localstripe.raw_request(
        "post",
        f"/v1/payment_intents/{intent.id}/_authenticate",
        client_secret=intent.client_secret,
        success="false",
    )

    assert localstripe.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
    time.sleep(1.5)
    assert Order.objects.get(pk=order.pk).status == Order.Status.AWAITING_PAYMENT
    assert not Payment.objects.exists()


def test_refund_through_the_gateway_is_made_at_stripe_and_credited_to_the_budget(localstripe):
    world, order = _order()
    intent = _pay_as_checkout_would(localstripe, order, "4242424242424242")
    _wait_for(lambda: Order.objects.get(pk=order.pk).status == Order.Status.PAID, "the payment webhook")
    order.refresh_from_db()

    services.cancel_order(order=order, by=world.holder, reason="Plans changed")

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    (refund,) = localstripe.v1.refunds.list({"payment_intent": intent.id}).data
    assert (refund.amount, refund.status, refund.metadata["order_id"]) == (
        5_000,
        "succeeded",
        str(order.public_id),
    )
    assert order.payment.refunds.get().refund_id == refund.id
    assert services.balance_pence(budget=world.budget) == 20_000
