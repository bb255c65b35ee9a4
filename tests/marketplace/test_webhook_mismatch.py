"""Webhooks check what they pay: a correctly signed event whose session, connected account,
amount or currency does not match the order leaves the order unpaid and the ledger as it
was, and tells a coordinator through the audit log. Every event here is signed with the real
webhook secret and posted to the real webhook URL (issue 14, "Webhooks check what they pay").
"""

import copy

import pytest
from django.urls import reverse

from marketplace.models import AuditEvent, LedgerEntry, Order, Payment
from tests.marketplace import factories as mf
from tests.marketplace.fixtures import post_webhook
from tests.marketplace.test_audit import make_coordinator

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(stripe_server):
    # Three sessions at £10: a £30 order.
    return mf.connected_world(stripe_server, amount_pence=20_000, price_pence=1_000)


def _started(world):
    order = world.order(quantity=3)
    mf.start_checkout(world, order)
    order.refresh_from_db()
    assert order.total_pence == 3_000
    return order


def _forged(stripe_server, event, change):
    """A new event (new id) carrying a changed copy of `event`'s session, signed for real."""
    session = copy.deepcopy(event["data"]["object"])
    account = change(session)
    return stripe_server.build_event(event["type"], session, account=account)


def _wrong_session(session):
    session["id"] = "cs_test_someone_elses_session"


def _wrong_account(session):
    return "acct_not_the_providers"


def _one_penny(session):
    session["amount_total"] = 1


def _euros(session):
    session["currency"] = "eur"


MISMATCHES = {
    "wrong_session": (_wrong_session, "session"),
    "wrong_account": (_wrong_account, "account"),
    "one_penny": (_one_penny, "amount 1p"),
    "another_currency": (_euros, "currency EUR"),
}


def _ledger():
    return list(LedgerEntry.objects.values_list("pk", "amount_pence"))


@pytest.mark.parametrize("mismatch", list(MISMATCHES))
def test_a_signed_checkout_that_does_not_match_the_order_does_not_pay_it(
    world, stripe_server, client, mismatch
):
    order = _started(world)
    real = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)
    change, words = MISMATCHES[mismatch]
    ledger = _ledger()

    response = post_webhook(client, _forged(stripe_server, real, change))

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert not Payment.objects.exists()
    assert _ledger() == ledger
    line = AuditEvent.objects.get(action="payment_mismatch")
    assert line.budget_id == world.budget.pk
    assert line.object_id == str(order.public_id)
    assert "not marked paid" in line.detail
    assert words in line.detail

    # A coordinator sees it in the audit log admin.
    client.force_login(make_coordinator())
    page = client.get(reverse("marketplace_audit_log"), {"action": "payment_mismatch"})
    assert page.status_code == 200
    assert line.detail in page.content.decode()

    # The real event still pays the order, once.
    assert post_webhook(client, real).json() == {"status": "processed"}
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Payment.objects.get().amount_pence == 3_000
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 1


def test_a_signed_payment_for_a_penny_does_not_pay_a_thirty_pound_order(world, stripe_server, client):
    order = _started(world)
    real = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)
    intent = copy.deepcopy(stripe_server.get(real["data"]["object"]["payment_intent"]))
    intent["amount"] = intent["amount_received"] = 1

    post_webhook(client, stripe_server.build_event("payment_intent.succeeded", intent))

    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert not Payment.objects.exists()
    assert "amount 1p" in AuditEvent.objects.get(action="payment_mismatch").detail
    post_webhook(client, real)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Payment.objects.count() == 1
