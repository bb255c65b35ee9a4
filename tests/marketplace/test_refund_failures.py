"""A refund that fails after it was reported made (the card was closed, say) is taken back
out of the budget: once, to the penny, however Stripe orders or repeats its events, and the
holder, the statement, the receipt and the coordinators' audit log all say so.

Stripe plays it as the pinned API version sends it (`StripeTestServer.fail_refund`): the
refund's status becomes "failed" with a `failure_reason`, the charge's refunded total goes
down, and `refund.updated` and `refund.failed` are sent, signed and posted to the project's
webhook endpoint. Refunds are made through the real SDK over HTTP, by the site's own
cancellation or in the (played) dashboard.
"""

import csv
import datetime
import io
import itertools
import logging

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from marketplace import services
from marketplace.models import AuditEvent, LedgerEntry, Order, Refund, RequestEvent, WebhookEvent
from marketplace.services import statements
from tests.marketplace import factories as mf
from tests.marketplace.fixtures import post_webhook
from tests.marketplace.test_audit import make_coordinator

pytestmark = pytest.mark.django_db

BUDGET, PRICE, QUANTITY = 20_000, 2_000, 3
PAID = PRICE * QUANTITY  # 6,000
AFTER_PAYMENT = BUDGET - PAID  # 14,000


@pytest.fixture
def world(stripe_server):
    return mf.connected_world(stripe_server, amount_pence=BUDGET, price_pence=PRICE)


@pytest.fixture
def paid(world, stripe_server, client):
    """An order paid through Checkout; returns (order, its PaymentIntent id)."""
    order = world.order(quantity=QUANTITY)
    mf.start_checkout(world, order)
    order.refresh_from_db()
    completed = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)
    assert post_webhook(client, completed).json() == {"status": "processed"}
    order.refresh_from_db()
    return order, completed["data"]["object"]["payment_intent"]


def _post_twice(client, event) -> str:
    first = post_webhook(client, event).json()["status"]
    assert post_webhook(client, event).json() == {"status": "duplicate"}
    return first


def _balance(world) -> int:
    return services.balance_pence(budget=world.budget)


def _statement(world):
    today = timezone.localdate()
    return statements.build_statement(
        budget=world.budget, starts_on=today - datetime.timedelta(days=1), ends_on=today
    )


def _taken_back(order) -> list[int]:
    return list(
        LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REFUND_FAILED).values_list(
            "amount_pence", flat=True
        )
    )


# --- A full refund made here that fails ------------------------------------------------------


def test_a_full_refund_that_fails_is_taken_back_once_and_everyone_can_see_it(
    world, stripe_server, client, paid
):
    order, intent = paid
    services.cancel_order(order=order, by=world.holder, reason="Plans changed")
    for event in stripe_server.state.outbox:  # charge.refunded, refund.created
        post_webhook(client, event)
    assert _balance(world) == BUDGET
    (refund,) = stripe_server.objects_of("refund")

    updated, failed = stripe_server.fail_refund(refund["id"])
    assert (updated["type"], failed["type"]) == ("refund.updated", "refund.failed")
    assert failed["data"]["object"]["status"] == "failed"
    assert stripe_server.get(stripe_server.get(intent)["latest_charge"])["amount_refunded"] == 0
    assert _post_twice(client, updated) == "processed"
    assert _post_twice(client, failed) == "processed"  # the same failure, told again

    # The credit is taken back once, to the penny.
    assert _balance(world) == AFTER_PAYMENT
    assert _taken_back(order) == [-PAID]
    order.refresh_from_db()
    assert order.status == Order.Status.REFUND_FAILED
    stored = Refund.objects.get()
    assert (stored.refund_id, stored.status, stored.failure_reason) == (
        refund["id"],
        "failed",
        "expired_or_canceled_card",
    )
    # Nothing is offered to refund twice: the order is already cancelled.
    assert not services.cancellation_terms(order=order, user=world.holder).allowed

    # The statement (page, CSV and PDF) has a line of its own, and its refunds net to nothing.
    statement = _statement(world)
    assert statement.refunds_pence == 0
    assert statement.closing_balance_pence == AFTER_PAYMENT
    (line,) = [line for line in statement.lines if line.kind == LedgerEntry.Kind.REFUND_FAILED]
    assert line.kind_label == "Refund failed"
    assert line.details.startswith("Refund failed: £60 taken back. Refund of payment " + intent)
    assert (line.amount_pence, line.refund_reference) == (-PAID, refund["id"])
    rows = list(csv.reader(io.StringIO(statements.statement_csv(statement)[1:])))
    assert any(row[1:3] == ["Refund failed", line.details] for row in rows), rows[:6]
    pdf = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(statements.statement_pdf(statement))).pages
    )
    assert "Refund failed: £60 taken back" in " ".join(pdf.split())

    # The holder sees it on the order, in its timeline and on the receipt.
    client.force_login(world.holder)
    page = client.get(reverse("marketplace:order_detail", args=[order.public_id])).content.decode()
    assert "Cancelled: refund failed" in page
    assert "The refund of £60 did not reach the card: the card has expired or was cancelled." in page
    assert (
        RequestEvent.objects.filter(request=order.request, kind=RequestEvent.Kind.REFUND_FAILED).count() == 1
    )
    receipt = client.get(reverse("marketplace:order_receipt", args=[order.public_id])).content.decode()
    assert "Refund failed" in receipt
    assert "<strong>£60</strong>" in receipt.split("Net paid")[1]  # nothing came back

    # Coordinators see it in the audit log, once.
    (line,) = AuditEvent.objects.filter(action="refund_failed")
    assert f"Refund {refund['id']} of {PAID}p" in line.detail and f"{PAID}p taken back" in line.detail
    client.force_login(make_coordinator())
    audit_page = client.get(reverse("marketplace_audit_log"), {"action": "refund_failed"})
    assert audit_page.status_code == 200
    assert line.detail in audit_page.content.decode()


# --- A partial refund in the dashboard that fails ---------------------------------------------


def test_a_partial_refund_that_fails_is_taken_back_to_the_penny(world, stripe_server, client, paid):
    order, intent = paid
    events = stripe_server.refund_in_dashboard(intent, 1_234, deliver=False)
    for event in events:
        post_webhook(client, event)
    assert _balance(world) == AFTER_PAYMENT + 1_234

    for event in stripe_server.fail_refund(
        events[-1]["data"]["object"]["id"], failure_reason="lost_or_stolen_card"
    ):
        assert _post_twice(client, event) == "processed"

    assert _balance(world) == AFTER_PAYMENT
    assert _taken_back(order) == [-1_234]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID  # still being delivered: only a part was to come back
    # What can be refunded here is the whole payment again, as Stripe's charge now says.
    assert services.cancellation_terms(order=order, user=world.holder).refund_pence == PAID
    statement = _statement(world)
    assert statement.refunds_pence == 0
    (line,) = [line for line in statement.lines if line.kind == LedgerEntry.Kind.REFUND_FAILED]
    assert line.details.startswith("Refund failed: £12.34 taken back.")


# --- However Stripe orders and repeats the events ---------------------------------------------

EVENTS = ("charge.refunded", "refund.created", "refund.updated", "refund.failed")


@pytest.mark.parametrize("order_of_events", list(itertools.permutations(EVENTS)), ids="-".join)
def test_a_dashboard_refund_that_fails_nets_to_nothing_in_any_order(
    world, stripe_server, client, paid, order_of_events
):
    order, intent = paid
    made = stripe_server.refund_in_dashboard(intent, deliver=False)
    failed = stripe_server.fail_refund(made[-1]["data"]["object"]["id"])
    events = {e["type"]: e for e in made + failed}

    for event_type in order_of_events:
        assert _post_twice(client, events[event_type]) == "processed"

    assert _balance(world) == AFTER_PAYMENT
    assert sum(LedgerEntry.objects.filter(order=order).values_list("amount_pence", flat=True)) == -PAID
    assert len(_taken_back(order)) <= 1
    order.refresh_from_db()
    assert order.status == Order.Status.REFUND_FAILED
    assert list(order.payment.refunds.values_list("refund_id", "status")) == [
        (events["refund.failed"]["data"]["object"]["id"], "failed")
    ]
    assert _statement(world).refunds_pence == 0


def test_a_failure_for_a_refund_the_site_never_saw_credits_and_takes_nothing(
    world, stripe_server, client, paid, caplog
):
    order, intent = paid
    made = stripe_server.refund_in_dashboard(intent, 2_000, deliver=False)  # never delivered
    updated, failed = stripe_server.fail_refund(made[-1]["data"]["object"]["id"])

    with caplog.at_level(logging.WARNING, logger="marketplace.services.payments"):
        assert _post_twice(client, failed) == "processed"
        assert _post_twice(client, updated) == "processed"

    assert _balance(world) == AFTER_PAYMENT
    assert not LedgerEntry.objects.filter(order=order).exclude(kind=LedgerEntry.Kind.PAYMENT).exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert "failed before this site heard it was made" in caplog.text
    (line,) = AuditEvent.objects.filter(action="refund_failed")
    assert "nothing was credited, so nothing was taken back" in line.detail
    # Its late "created" event and the charge's old total credit nothing either.
    for event in made:
        post_webhook(client, event)
    assert _balance(world) == AFTER_PAYMENT


def test_a_failure_for_a_payment_the_site_never_recorded_changes_nothing(world, stripe_server, client):
    order = world.order(quantity=QUANTITY)
    mf.start_checkout(world, order)
    order.refresh_from_db()
    completed = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)  # never delivered
    made = stripe_server.refund_in_dashboard(completed["data"]["object"]["payment_intent"], deliver=False)
    _, failed = stripe_server.fail_refund(made[-1]["data"]["object"]["id"])

    assert post_webhook(client, failed).json() == {"status": "deferred"}  # kept, in case the payment comes

    assert not Refund.objects.exists()
    assert not LedgerEntry.objects.filter(order=order).exists()
    assert WebhookEvent.objects.get(event_id=failed["id"]).status == "deferred"
