"""A self-funder's data rights: what they paid for with their own money is in their download and
nobody else's; erasing them blanks their words and keeps the money record the provider must keep;
their own looks at their orders and receipts are in the audit log, about them, with no budget.

Payments go through the real `stripe` SDK to the Stripe test server and the signed webhook.
"""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace import audit, services
from marketplace.models import AuditEvent, Order, Payment, RequestEvent, SupportRequest
from marketplace.services import privacy
from marketplace.services.agreements import request_support_paying_myself
from tests import factories
from tests.marketplace import factories as mf
from tests.marketplace.fixtures import post_webhook

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("marketplace:privacy_export")


@pytest.fixture
def world(stripe_server):
    """A holder with a budget, and a provider onboarded on the Stripe test server (£20 an hour)."""
    return mf.connected_world(stripe_server, amount_pence=50_000, price_pence=2_000)


@pytest.fixture
def payer():
    """Someone with no budget, paying for their mother's support."""
    return factories.UserFactory(email="kim@example.org", first_name="Kim", last_name="Payer")


def _ask(world, person, *, quantity=3, purpose, message):
    start = timezone.localdate() + timedelta(days=7)
    return request_support_paying_myself(
        by=person,
        listing=world.listing,
        price=world.listing.prices.first(),
        quantity=quantity,
        starts_on=start,
        ends_on=start + timedelta(days=14),
        purpose=purpose,
        message=message,
    )


def _pay(world, person, support_request, stripe_server, client) -> Order:
    order = services.accept_request(support_request=support_request, by=world.provider_user)
    services.start_checkout(
        order=order, by=person, success_url=mf.CHECKOUT_SUCCESS_URL, cancel_url=mf.CHECKOUT_CANCEL_URL
    )
    order.refresh_from_db()
    event = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)
    assert post_webhook(client, event).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order


def _export(client, user) -> tuple[dict, str]:
    """The person's download, through their privacy page: data.json, and the whole of it as text."""
    client.force_login(user)
    response = client.post(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    text = archive.read("data.json").decode()
    return json.loads(text), text


def test_a_self_funders_export_has_their_order_payment_and_receipt_and_nothing_of_anyone_elses(
    world, payer, stripe_server, client
):
    order = _pay(
        world,
        payer,
        _ask(world, payer, purpose="So Mum gets out to the shops", message="Mum likes mornings"),
        stripe_server,
        client,
    )
    payment = Payment.objects.get(order=order)
    # Someone else paying the same provider with their own money, and the holder's budget order.
    neighbour = factories.UserFactory(email="ned@example.org", first_name="Ned", last_name="Other")
    theirs = _pay(
        world,
        neighbour,
        _ask(world, neighbour, quantity=2, purpose="Ned's garden club", message="Ned's private words"),
        stripe_server,
        client,
    )
    their_payment = Payment.objects.get(order=theirs)
    holders = world.order(quantity=1)
    SupportRequest.objects.filter(pk=holders.request_id).update(message="The holder's own message")

    # The payer can reach their privacy page without a budget; someone with neither cannot.
    client.force_login(payer)
    assert client.get(reverse("marketplace:privacy")).status_code == 200
    client.force_login(factories.UserFactory())
    assert client.get(reverse("marketplace:privacy")).status_code == 403

    data, text = _export(client, payer)
    (row,) = data["orders"]
    assert row["reference"] == order.reference
    assert row["total_pence"] == 6_000
    assert row["paid_with"] == "your own money"
    assert row["what_it_is_for"] == "So Mum gets out to the shops"
    assert row["status"] == "Paid"
    (asked,) = data["requests"]
    assert asked["your_message"] == "Mum likes mornings"
    (paid,) = data["payments"]
    assert (paid["amount_pence"], paid["payment_reference"]) == (6_000, payment.payment_intent_id)
    (receipt,) = data["receipts"]
    assert receipt == {
        "receipt_for": f"Order {order.reference}",
        "paid_with": "your own money, by card",
        "amount_pence": 6_000,
        "payment_reference": payment.payment_intent_id,
        "paid_at": receipt["paid_at"],
        "refunded_pence": 0,
    }
    assert data["budget"] is None
    for someone_elses in (
        "Ned",
        "garden club",
        theirs.reference,
        their_payment.payment_intent_id,
        holders.reference,
        "The holder's own message",
        world.holder.email,
    ):
        assert someone_elses not in text

    # Neither the other self-funder's nor the holder's download has any of the payer's.
    for other in (neighbour, world.holder):
        other_data, other_text = _export(client, other)
        for mine in (order.reference, payment.payment_intent_id, "So Mum", "Mum likes mornings", "Kim"):
            assert mine not in other_text
    assert [o["reference"] for o in other_data["orders"]] == [holders.reference]  # the holder's own
    assert other_data["orders"][0]["paid_with"] == "your budget"


def test_erasing_a_self_funder_blanks_their_words_and_keeps_the_money_record(
    world, payer, stripe_server, client
):
    order = _pay(
        world,
        payer,
        _ask(world, payer, purpose="So Mum gets out to the shops", message="Mum likes mornings"),
        stripe_server,
        client,
    )
    payment = Payment.objects.get(order=order)
    declined = _ask(world, payer, quantity=1, purpose="Kim's second thought", message="Kim again")
    services.decline_request(support_request=declined, by=world.provider_user, note="Full that week, Kim")
    waiting = _ask(world, payer, quantity=1, purpose="Still waiting", message="Please reply")

    client.force_login(payer)
    response = client.post(reverse("marketplace:privacy_erase_confirm"), {"email": "kim@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("marketplace:privacy_erased")

    payer.refresh_from_db()
    assert (payer.first_name, payer.email) == ("", privacy.erased_email(payer))
    words = SupportRequest.objects.filter(payer=payer).values_list("purpose", "message", "provider_note")
    assert set(words) == {("", "", "")}
    assert not RequestEvent.objects.filter(request__payer=payer).exclude(note="").exists()
    waiting.refresh_from_db()
    assert waiting.status == SupportRequest.Status.WITHDRAWN  # nobody is left to agree with
    order.refresh_from_db()
    assert order.purpose == ""
    # The money record stays exactly as it was, for the provider's books.
    assert (order.status, order.total_pence, order.quantity, order.payer_id) == (
        Order.Status.PAID,
        6_000,
        3,
        payer.pk,
    )
    payment.refresh_from_db()
    assert (payment.amount_pence, payment.order_id) == (6_000, order.pk)
    # The provider still sees the sale on the order page, without the person's words.
    client.force_login(world.provider_user)
    page = client.get(reverse("marketplace:order_detail", args=[order.public_id]))
    assert page.status_code == 200
    assert order.reference in page.content.decode()
    assert "So Mum" not in page.content.decode()
    assert audit.verify().ok


def test_a_self_funder_cannot_erase_with_an_order_still_to_pay(world, payer):
    order = services.accept_request(
        support_request=_ask(world, payer, purpose="Shops", message=""), by=world.provider_user
    )
    with pytest.raises(privacy.PrivacyError, match=order.reference):
        privacy.erase_personal_data(user=payer, by=payer)
    payer.refresh_from_db()
    assert payer.email == "kim@example.org"


def test_a_self_funders_own_looks_at_their_order_and_receipt_are_in_the_audit_log(
    world, payer, stripe_server, client
):
    order = _pay(world, payer, _ask(world, payer, purpose="Shops", message=""), stripe_server, client)
    client.force_login(world.provider_user)
    assert client.get(reverse("marketplace:order_detail", args=[order.public_id])).status_code == 200
    before = AuditEvent.objects.filter(subject=payer).count()  # the request and the payment
    client.force_login(payer)
    assert client.get(reverse("marketplace:order_detail", args=[order.public_id])).status_code == 200
    assert client.get(reverse("marketplace:order_receipt", args=[order.public_id])).status_code == 200

    lines = list(AuditEvent.objects.filter(subject=payer).order_by("sequence"))
    assert [line.action for line in lines] == ["requested_support", "paid", "viewed_order", "viewed_receipt"]
    assert before == 2  # the provider's look was not recorded about the payer
    assert {(line.actor_id, line.actor_role, line.budget_id) for line in lines} == {
        (payer.pk, "the person paying", None)
    }
    assert lines[-1].object_id == str(order.public_id)
    # They read it on "Who has seen my information", as "You".
    page = client.get(reverse("marketplace:privacy")).content.decode()
    assert "Looked at a receipt" in page and "Looked at an order" in page
    assert audit.verify().ok
