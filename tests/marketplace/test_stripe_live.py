"""The gateway against Stripe itself, in test mode. Runs only when STRIPE_TEST_SECRET_KEY is set.

    STRIPE_TEST_SECRET_KEY=sk_test_... [STRIPE_TEST_CONNECTED_ACCOUNT=acct_...] \
        pytest tests/marketplace/test_stripe_live.py

The platform account needs Connect enabled. Creating and onboarding a connected account
needs a person at Stripe's hosted pages, so the checkout and refund tests use an account
already onboarded in test mode (STRIPE_TEST_CONNECTED_ACCOUNT) and skip without one. These
tests make real test-mode objects (accounts, sessions, payments) at Stripe; nothing moves
real money.
"""

import os
import uuid

import pytest

from marketplace import services
from marketplace.gateways import get_payment_gateway
from marketplace.gateways.stripe import STRIPE_API_VERSION
from marketplace.models import Order, ProviderPaymentAccount
from marketplace.services import webhooks
from tests.marketplace import factories as mf

LIVE_KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
CONNECTED_ACCOUNT = os.environ.get("STRIPE_TEST_CONNECTED_ACCOUNT", "")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not LIVE_KEY, reason="STRIPE_TEST_SECRET_KEY is not set: the live Stripe test-mode suite is skipped"
    ),
]


@pytest.fixture(autouse=True)
def stripe_test_mode(settings):
    if LIVE_KEY and not LIVE_KEY.startswith(("sk_test_", "rk_test_")):
        pytest.fail(
            "STRIPE_TEST_SECRET_KEY must be a test-mode key (sk_test_...): refusing to use a live key"
        )
    settings.STRIPE_SECRET_KEY = LIVE_KEY
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    settings.STRIPE_TIMEOUT_SECONDS = 30


def _stripe():
    import stripe

    return stripe.StripeClient(LIVE_KEY, stripe_version=STRIPE_API_VERSION)


def test_onboarding_makes_an_express_style_account_and_a_hosted_link():
    provider, member = mf.make_provider_member(email=f"provider-{uuid.uuid4().hex[:8]}@example.org")

    url = services.start_onboarding(
        provider=provider,
        by=member,
        refresh_url="https://example.org/refresh",
        return_url="https://example.org/return",
    )

    assert url.startswith("https://connect.stripe.com/")
    account = ProviderPaymentAccount.objects.get(provider=provider)
    assert account.account_id.startswith("acct_")
    assert not account.can_accept_paid_work
    assert services.payment_readiness(account)
    # The same provider again reuses the account (the idempotency key is the provider's).
    status = get_payment_gateway().create_account(provider=provider)
    assert status.account_id == account.account_id


@pytest.fixture
def ready_world():
    if not CONNECTED_ACCOUNT:
        pytest.skip("STRIPE_TEST_CONNECTED_ACCOUNT (an onboarded test-mode connected account) is not set")
    world = mf.World(account_id=CONNECTED_ACCOUNT)
    status = get_payment_gateway().retrieve_account(account_id=CONNECTED_ACCOUNT)
    if not (status.charges_enabled and status.payouts_enabled):
        pytest.skip(f"{CONNECTED_ACCOUNT} cannot take charges and payouts yet: finish its onboarding")
    return world


def test_checkout_session_is_a_destination_charge_and_a_retry_gets_the_same_one(ready_world):
    order = ready_world.order(quantity=2)

    url = services.start_checkout(
        order=order,
        by=ready_world.holder,
        success_url="https://example.org/paid",
        cancel_url="https://example.org/cancel",
    )
    Order.objects.filter(pk=order.pk).update(checkout_url="")
    order.refresh_from_db()
    again = services.start_checkout(
        order=order,
        by=ready_world.holder,
        success_url="https://example.org/paid",
        cancel_url="https://example.org/cancel",
    )

    assert url.startswith("https://checkout.stripe.com/")
    assert again == url
    session = _stripe().v1.checkout.sessions.retrieve(order.checkout_session_id)
    assert (session.amount_total, session.currency, session.client_reference_id) == (
        order.total_pence,
        "gbp",
        str(order.public_id),
    )
    services.cancel_order(order=order, by=ready_world.holder)
    assert _stripe().v1.checkout.sessions.retrieve(order.checkout_session_id).status == "expired"


def test_refund_of_a_destination_charge_reverses_the_transfer(ready_world):
    order = ready_world.order(quantity=1)
    # What Checkout does when the holder pays: a confirmed destination charge with the order's id.
    intent = _stripe().v1.payment_intents.create(
        {
            "amount": order.total_pence,
            "currency": "gbp",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "payment_method_types": ["card"],
            "transfer_data": {"destination": CONNECTED_ACCOUNT},
            "metadata": {"order_id": str(order.public_id)},
        },
    )
    event = {"type": "payment_intent.succeeded", "data": {"object": intent.to_dict(for_json=True)}}
    webhooks._apply_stored(event)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID

    services.cancel_order(order=order, by=ready_world.holder)

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    refund = _stripe().v1.refunds.retrieve(order.payment.refunds.get().refund_id)
    assert refund.amount == order.total_pence
    assert refund.transfer_reversal
