"""The Stripe test server refuses what Stripe refuses in the calls the site makes: unknown
parameters, missing required ones, values outside an enum or of the wrong type, checked
against Stripe's OpenAPI description of those endpoints (`stripe_openapi_subset.json`), and
answered in Stripe's error shape so the real SDK raises `InvalidRequestError`. A misspelt
parameter in the site's own Stripe calls therefore fails here (and in every test that pays).
"""

import inspect
import json
import re
from pathlib import Path

import pytest
import stripe

from marketplace import services
from marketplace.gateways import get_payment_gateway
from marketplace.gateways.stripe import STRIPE_API_VERSION
from marketplace.models import Order
from marketplace.services.payments import record_payment
from tests.marketplace import factories as mf
from tests.marketplace.fixtures import SECRET_KEY, post_webhook
from tests.marketplace.stripe_openapi_subset import ENDPOINTS, OUTPUT, extract
from tests.marketplace.stripe_server import _matches

pytestmark = pytest.mark.django_db


@pytest.fixture
def sdk(stripe_server):
    """The real SDK pointed at the test server, as the gateway builds it."""
    return stripe.StripeClient(
        SECRET_KEY,
        stripe_version=STRIPE_API_VERSION,
        base_addresses={"api": stripe_server.url, "connect": stripe_server.url},
        max_network_retries=0,
    )


def test_the_vendored_subset_is_what_the_pinned_sdk_describes():
    # Regenerate with `python tests/marketplace/stripe_openapi_subset.py` when bumping stripe.
    vendored = json.loads(OUTPUT.read_text(encoding="utf-8"))

    assert vendored["info"]["version"] == STRIPE_API_VERSION
    assert vendored == json.loads(json.dumps(extract()))


def test_every_call_the_site_makes_is_checked_and_accepted(stripe_server, client):
    world = mf.connected_world(stripe_server, amount_pence=20_000, price_pence=2_000)
    gateway = get_payment_gateway()
    gateway.retrieve_account(account_id=world.account.account_id)
    gateway.onboarding_link(
        account_id=world.account.account_id, refresh_url="https://x.test/r", return_url="https://x.test/b"
    )
    paid = world.order(quantity=3)
    mf.start_checkout(world, paid)
    paid.refresh_from_db()
    stripe_server.complete_checkout(paid.checkout_session_id, deliver=False)
    # Stripe refuses to expire a paid session; the gateway then asks for its state.
    assert gateway.expire_checkout(order=paid, session_id=paid.checkout_session_id).status == "complete"
    record_payment(
        order=paid,
        payment_intent_id=stripe_server.get(paid.checkout_session_id)["payment_intent"],
        amount_pence=6_000,
        currency="gbp",
    )
    paid.refresh_from_db()
    # Part refunded in Stripe's dashboard, and only the charge's new total heard: the site
    # asks Stripe which refund that is (GET /v1/refunds?charge=…).
    total, _ = stripe_server.refund_in_dashboard(paid.payment.payment_intent_id, 1_000, deliver=False)
    assert post_webhook(client, total).json() == {"status": "processed"}
    services.cancel_order(order=paid, by=world.holder)
    unpaid = world.order(quantity=1)
    mf.start_checkout(world, unpaid)
    unpaid.refresh_from_db()
    services.cancel_order(order=unpaid, by=world.holder)

    assert Order.objects.get(pk=paid.pk).status == Order.Status.REFUNDED
    assert Order.objects.get(pk=unpaid.pk).status == Order.Status.CANCELLED
    for method, template in ENDPOINTS:
        assert [
            r for r in stripe_server.requests if r.method == method.upper() and _matches(template, r.path)
        ], f"the site never called {method.upper()} {template}"
    # ...and every call it made is one the subset checks.
    for r in stripe_server.requests:
        assert any(r.method == m.upper() and _matches(t, r.path) for m, t in ENDPOINTS), (r.method, r.path)


@pytest.mark.parametrize(
    ("call", "param", "message"),
    [
        (
            lambda sdk, intent: sdk.v1.refunds.create(
                {"payment_intent": intent, "metdata": {"order_id": "1"}}
            ),
            "metdata",
            "Received unknown parameter: metdata",
        ),
        (
            lambda sdk, intent: sdk.v1.refunds.create({"payment_intent": intent, "amount": "ten"}),
            "amount",
            "Invalid integer: 'ten'",
        ),
        (
            lambda sdk, intent: sdk.v1.account_links.create(
                {"account": "acct_1", "type": "account_onbording", "return_url": "https://x.test"}
            ),
            "type",
            "Invalid type: must be one of account_onboarding, account_update",
        ),
        (
            lambda sdk, intent: sdk.v1.account_links.create({"account": "acct_1"}),
            "type",
            "Missing required param: type.",
        ),
        (
            lambda sdk, intent: sdk.v1.checkout.sessions.create(
                {"mode": "payment", "payment_intent_data": {"transfer_data": {"destinaton": "acct_1"}}}
            ),
            "payment_intent_data[transfer_data][destinaton]",
            "Received unknown parameter: payment_intent_data[transfer_data][destinaton]",
        ),
        (
            lambda sdk, intent: sdk.v1.checkout.sessions.create({"mode": "payment", "locale": "en-UK"}),
            "locale",
            "Invalid locale: must be one of auto, bg,",
        ),
    ],
    ids=["unknown", "wrong-type", "wrong-enum", "missing-required", "unknown-nested", "wrong-locale"],
)
def test_what_stripe_refuses_is_refused_in_stripe_s_shape_and_changes_nothing(
    stripe_server, sdk, call, param, message
):
    world = mf.connected_world(stripe_server, amount_pence=20_000, price_pence=2_000)
    order = world.order(quantity=1)
    mf.start_checkout(world, order)
    order.refresh_from_db()
    intent = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)["data"]["object"][
        "payment_intent"
    ]
    before = dict(stripe_server.state.objects)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        call(sdk, intent)

    assert refused.value.http_status == 400
    assert refused.value.error.type == "invalid_request_error"
    assert refused.value.param == param
    assert refused.value.user_message.startswith(message)
    assert stripe_server.state.objects == before


def test_a_refused_request_keeps_no_idempotent_answer(stripe_server, sdk):
    world = mf.connected_world(stripe_server, amount_pence=20_000, price_pence=2_000)
    order = world.order(quantity=1)
    mf.start_checkout(world, order)
    order.refresh_from_db()
    intent = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)["data"]["object"][
        "payment_intent"
    ]
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.refunds.create({"payment_intent": intent, "metdata": {"a": "b"}}, {"idempotency_key": "k1"})

    refund = sdk.v1.refunds.create({"payment_intent": intent, "amount": 100}, {"idempotency_key": "k1"})

    assert (refund.amount, refund.status) == (100, "succeeded")


# --- No call goes unchecked ------------------------------------------------------------------

PROJECT = Path(__file__).resolve().parents[2]
# The site's code (the tests and tools are not the site).
SITE_PACKAGES = ("cms", "config", "directory", "marketplace", "search", "signposting")
SDK_CALL = re.compile(r"\.v1\.((?:[a-z_]+\.)*[a-z_]+)\b")
GLOBAL_CALL = re.compile(r"\bstripe\.((?:[a-z_]+\.)?[A-Z][A-Za-z]+)\.([a-z_]+)\(")


def _site_sources() -> dict[str, str]:
    return {
        str(path.relative_to(PROJECT)): path.read_text(encoding="utf-8")
        for package in SITE_PACKAGES
        for path in sorted((PROJECT / package).rglob("*.py"))
    }


def _endpoint_of(chain: str) -> tuple[str, str]:
    """The (method, path) the SDK's `client.v1.<chain>` calls, read from the SDK's own code."""
    target = stripe.StripeClient("sk_test_unused").v1
    for part in chain.split("."):
        target = getattr(target, part)
    routes = set(re.findall(r'_request\(\s*"(\w+)",\s*"([^"]+)"', inspect.getsource(target)))
    assert len(routes) == 1, f"cannot tell which endpoint v1.{chain} calls: {routes}"
    return routes.pop()


def site_stripe_calls(sources: dict[str, str]) -> dict[tuple[str, str], list[str]]:
    """Every Stripe endpoint the site's code calls through the SDK, with where."""
    calls: dict[tuple[str, str], list[str]] = {}
    for name, text in sources.items():
        for match in SDK_CALL.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            calls.setdefault(_endpoint_of(match.group(1)), []).append(f"{name}:{line}")
    return calls


def test_every_stripe_endpoint_the_site_calls_is_in_the_checked_subset():
    # A new call (say `self.client.v1.transfers.create`) must be added to ENDPOINTS, so the
    # test server checks its parameters against Stripe's description, before it can pass.
    calls = site_stripe_calls(_site_sources())

    assert calls, "found no Stripe calls at all: the scan is broken"
    unchecked = {endpoint: where for endpoint, where in calls.items() if endpoint not in ENDPOINTS}
    assert not unchecked, (
        f"Stripe endpoints called but not in ENDPOINTS of stripe_openapi_subset.py: {unchecked}"
    )
    # And nothing reaches Stripe round the client (the SDK's global, resource-style API).
    global_calls = [
        f"{name}: stripe.{m.group(1)}.{m.group(2)}"
        for name, text in _site_sources().items()
        for m in GLOBAL_CALL.finditer(text)
        if m.group(1) != "Webhook"  # verifying a signature calls nothing
    ]
    assert global_calls == []


def test_the_scan_notices_a_new_call():
    # The check itself can fail: a call to an endpoint outside the subset is found and named.
    calls = site_stripe_calls({"x.py": "t = self.client.v1.transfers.create(params)\n"})
    assert calls == {("post", "/v1/transfers"): ["x.py:1"]}
    assert ("post", "/v1/transfers") not in ENDPOINTS
