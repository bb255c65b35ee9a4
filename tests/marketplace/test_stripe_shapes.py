"""Every event the Stripe test server sends has the shape real Stripe gives it at the API
version the project pins: the keys of the event and of every object in it are those of
Stripe's own fixture object for that type (`../shared/stripe/fixtures3.json`), less what the
pinned version leaves out unless expanded, and each is a field the installed `stripe` SDK
(generated for that version) knows.

The events come from driving the server as the site and Stripe would: onboarding, checkout
(paid, delayed, failed, expired), the site's refund, dashboard refunds, a refund that fails
later, and disputes.
"""

import pytest
import stripe
from stripe._object_classes import get_object_class

from marketplace.gateways.stripe import STRIPE_API_VERSION
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db

# Fields a fixture object carries that the pinned API version includes only when expanded:
# since 2022-11-15 a charge's refunds are listed only on request (expand[]=refunds).
INCLUDED_ONLY_WHEN_EXPANDED = {"charge": {"refunds"}}
# Fields real Stripe sends in some cases that the fixture, showing one case, does not: a
# destination charge names its transfer. Each must still be a field the SDK knows.
# A Connect event names its account; a failed refund says why and how the balance was put back.
PRESENT_ONLY_SOMETIMES = {
    "charge": {"transfer"},
    "event": {"account"},
    "refund": {"failure_reason", "failure_balance_transaction"},
}
EVENT_TYPES_SENT = {
    "account.updated",
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "refund.created",
    "refund.updated",
    "refund.failed",
    "charge.dispute.created",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "charge.dispute.closed",
}


def _sdk_fields(object_type: str) -> set[str]:
    cls = get_object_class("V1", object_type)
    assert cls is not stripe.StripeObject, f"the SDK has no class for {object_type!r}"
    fields = set()
    for klass in cls.__mro__:
        fields |= {name for name in getattr(klass, "__annotations__", {}) if not name.startswith("_")}
    return fields


def _shape_problems(value, fixtures, path, *, exact=True) -> list[str]:
    """Every difference between `value`'s keys and Stripe's shape: the event and its object
    exactly as the fixture of their type; objects nested in them (which fixtures show
    expanded or cut short) only as fields the SDK knows."""
    problems = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            problems += _shape_problems(item, fixtures, f"{path}[{index}]", exact=False)
        return problems
    if not isinstance(value, dict):
        return problems
    object_type = value.get("object")
    if object_type == "event":
        problems += _shape_problems(value["data"]["object"], fixtures, f"{path}.data.object")
        value = {**value, "data": {}}
    if isinstance(object_type, str) and object_type in fixtures and exact:
        keys = set(value)
        expected = set(fixtures[object_type]) - INCLUDED_ONLY_WHEN_EXPANDED.get(object_type, set())
        optional = PRESENT_ONLY_SOMETIMES.get(object_type, set())
        if missing := expected - keys:
            problems.append(f"{path} ({object_type}) lacks {sorted(missing)}")
        if extra := keys - expected - optional:
            problems.append(f"{path} ({object_type}) has {sorted(extra)}, which Stripe does not send")
    known = isinstance(object_type, str) and object_type in fixtures and object_type != "list"
    if known and (unknown := set(value) - _sdk_fields(object_type)):
        problems.append(f"{path} ({object_type}) has {sorted(unknown)}, unknown to the SDK")
    for key, item in value.items():
        problems += _shape_problems(item, fixtures, f"{path}.{key}", exact=False)
    return problems


def _drive_every_event(stripe_server):
    """Play every event the server can send, as the site and Stripe would."""
    world = mf.connected_world(stripe_server, amount_pence=50_000, price_pence=2_000)

    def started():
        order = world.order(quantity=1)
        mf.start_checkout(world, order)
        order.refresh_from_db()
        return order

    paid = started()
    intent = stripe_server.complete_checkout(paid.checkout_session_id, deliver=False)["data"]["object"][
        "payment_intent"
    ]
    stripe_server.handle_api(
        "POST", "/v1/refunds", {"payment_intent": intent, "amount": "500"}, {"authorization": "Bearer sk_x"}
    )  # as the site refunds (its events go to the outbox)
    dashboard_refund = stripe_server.refund_in_dashboard(intent, 700, deliver=False)[-1]["data"]["object"]
    stripe_server.fail_refund(dashboard_refund["id"])  # it fails later at the card's end
    dispute = stripe_server.dispute_event(intent)["data"]["object"]["id"]
    stripe_server.dispute_funds_withdrawn(dispute)
    stripe_server.close_dispute(dispute, won=True)
    lost = stripe_server.complete_checkout(started().checkout_session_id, deliver=False)
    lost_dispute = stripe_server.dispute_event(lost["data"]["object"]["payment_intent"])
    stripe_server.close_dispute(lost_dispute["data"]["object"]["id"], won=False)
    stripe_server.settle_delayed_payment(
        stripe_server.complete_checkout(started().checkout_session_id, deliver=False, delayed=True)["data"][
            "object"
        ]["id"],
        succeeded=True,
        deliver=False,
    )
    stripe_server.settle_delayed_payment(
        stripe_server.complete_checkout(started().checkout_session_id, deliver=False, delayed=True)["data"][
            "object"
        ]["id"],
        succeeded=False,
        deliver=False,
    )
    stripe_server.expire_session_now(started().checkout_session_id, deliver=False)
    return stripe_server.state.events


def test_every_event_the_server_sends_has_the_pinned_api_version_s_shape(stripe_server):
    events = _drive_every_event(stripe_server)

    assert {e["type"] for e in events} == EVENT_TYPES_SENT
    assert stripe.api_version == STRIPE_API_VERSION  # the SDK and the project pin the same version
    problems = []
    for event in events:
        assert event["api_version"] == STRIPE_API_VERSION, event["type"]
        problems += _shape_problems(event, stripe_server.fixtures, event["type"])
    assert problems == []


def test_a_charge_in_an_event_carries_its_refunded_total_and_no_list_of_refunds(stripe_server):
    events = _drive_every_event(stripe_server)

    charges = [e["data"]["object"] for e in events if e["type"] == "charge.refunded"]
    assert [(c["amount_refunded"], c["refunded"]) for c in charges] == [(500, False), (1_200, False)]
    assert all("refunds" not in c for c in charges)
    refunds = [e["data"]["object"] for e in events if e["type"] == "refund.created"]
    assert [(r["amount"], r["charge"]) for r in refunds] == [(500, charges[0]["id"]), (700, charges[0]["id"])]


def test_a_charge_s_refunds_are_listed_in_stripe_s_list_shape(stripe_server):
    # `GET /v1/refunds?charge=…` (the site asks it for a refunded total it cannot attribute):
    # a list object shaped like the fixture's list of a charge's refunds, newest first, each
    # refund shaped like Stripe's, failed ones saying so.
    _drive_every_event(stripe_server)
    charge = next(e for e in stripe_server.state.events if e["type"] == "charge.refunded")["data"]["object"]
    status, listed = stripe_server.handle_api(
        "GET", "/v1/refunds", {"charge": charge["id"]}, {"authorization": "Bearer sk_x"}
    )

    assert status == 200
    assert set(listed) == set(stripe_server.fixtures["charge"]["refunds"])  # object, data, has_more, url
    assert (listed["object"], listed["has_more"], listed["url"]) == ("list", False, "/v1/refunds")
    assert [(r["amount"], r["status"]) for r in listed["data"]] == [(700, "failed"), (500, "succeeded")]
    problems = []
    for index, refund in enumerate(listed["data"]):
        problems += _shape_problems(refund, stripe_server.fixtures, f"data[{index}]")
    assert problems == []
    _, first = stripe_server.handle_api(
        "GET", "/v1/refunds", {"charge": charge["id"], "limit": "1"}, {"authorization": "Bearer sk_x"}
    )
    assert ([r["amount"] for r in first["data"]], first["has_more"]) == ([700], True)


def test_the_shape_check_notices_a_charge_that_lists_its_refunds(stripe_server):
    # The check itself can fail: an event in the pre-2022-11-15 shape is caught.
    charge = {**stripe_server.fixtures["charge"], "transfer_data": None, "source": None}
    event = stripe_server.build_event("charge.refunded", charge)
    assert _shape_problems(event, stripe_server.fixtures, "event") == [
        "event.data.object (charge) has ['refunds'], which Stripe does not send"
    ]
    del charge["refunds"]
    charge["destination"] = "acct_1"  # a field older API versions had
    assert _shape_problems(
        stripe_server.build_event("charge.refunded", charge), stripe_server.fixtures, "e"
    ) == [
        "e.data.object (charge) has ['destination'], which Stripe does not send",
        "e.data.object (charge) has ['destination'], unknown to the SDK",
    ]
