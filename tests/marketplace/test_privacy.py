"""The holder's data rights: downloading everything we hold about them, and erasure that removes
what identifies them while the money records the council audits stay exactly as they were."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from marketplace import audit, services
from marketplace.models import (
    AuditEvent,
    Budget,
    Delegate,
    Order,
    Payment,
    PlanOutcome,
    Refund,
    StatementShare,
    SupportRequest,
    add_months,
)
from marketplace.services import payments, privacy
from signposting.models import SavedSearch, Shortlist, ShortlistMember
from tests import factories
from tests.marketplace import factories as mf
from tests.marketplace.test_audit import add_helper, make_coordinator

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXPORT_URL = reverse("marketplace:privacy_export")
CONFIRM_URL = reverse("marketplace:privacy_erase_confirm")


def pay(order, reference):
    """Record the order as paid, as the payment service's webhook would."""
    return payments.record_payment(
        order=order, payment_intent_id=reference, amount_pence=order.total_pence, currency="gbp"
    )


def refund(payment, reference, reason=""):
    """Record a refund of the whole payment, as the payment service's webhook would."""
    with transaction.atomic():
        Budget.objects.select_for_update().get(pk=payment.order.budget_id)
        return payments.record_refund(
            payment=payment, refund_id=reference, amount_pence=payment.amount_pence, reason=reason
        )


def share(budget, recipient):
    today = timezone.localdate()
    return StatementShare.objects.create(
        budget=budget,
        created_by=budget.holder,
        recipient=recipient,
        starts_on=today - timedelta(days=28),
        ends_on=today,
        token_hash=f"{budget.pk:064d}",
        expires_at=timezone.now() + timedelta(days=14),
    )


def full_record(world, *, words, message, payee, recipient, helper_name, reference):
    """A holder with something of every kind: plan, requests, paid and refunded orders, spending
    with a receipt, a helper, a statement link, a saved search and audit events."""
    budget = world.budget
    budget.holder.first_name, budget.holder.last_name = "Robin", f"Holder {reference}"
    budget.holder.save()
    plan_outcome = mf.add_plan_outcome(budget, own_words=words)
    open_request = mf.make_request(budget=budget, listing=world.listing, plan_outcome=plan_outcome)
    SupportRequest.objects.filter(pk=open_request.pk).update(message=message)
    paid = world.order(quantity=2)
    payment = pay(paid, f"pi_{reference}_1")
    refunded = world.order(quantity=1)
    refund(pay(refunded, f"pi_{reference}_2"), f"re_{reference}", reason="Changed my plans")
    services.record_outside_spending(
        budget=budget,
        by=budget.holder,
        amount_pence=1_250,
        spent_on=timezone.localdate(),
        description="Bus pass",
        payee=payee,
        plan_outcome=plan_outcome,
        receipt=SimpleUploadedFile(f"{reference}-ticket.png", PNG, content_type="image/png"),
    )
    helper = add_helper(budget, name=helper_name)
    share(budget, recipient)
    SavedSearch.objects.create(user=budget.holder, querystring="q=swim", description=f"Swimming {reference}")
    audit.record(actor=helper, action="viewed_ledger", budget=budget)
    return {"payment": payment, "helper": helper, "open_request": open_request}


@pytest.fixture
def two_holders():
    """Two holders buying from the same provider, each with a full record."""
    world = mf.World(amount_pence=50_000, price_pence=2_000)
    mine = full_record(
        world,
        words="Swim with my grandson",
        message="Mornings are best for me",
        payee="Pat the driver",
        recipient="Sam Patel, social worker",
        helper_name="Alex Carer",
        reference="mine",
    )
    other = mf.World(amount_pence=40_000, price_pence=2_000)
    theirs = full_record(
        other,
        words="Learn to cook curries",
        message="Please ring my daughter first",
        payee="Olly the cab",
        recipient="Dana Jones, broker",
        helper_name="Bo Other",
        reference="theirs",
    )
    return {"world": world, "mine": mine, "other": other, "theirs": theirs}


def download(client, user) -> zipfile.ZipFile:
    client.force_login(user)
    response = client.post(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    return zipfile.ZipFile(io.BytesIO(response.content))


# --- Export ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_data_holds_every_kind_of_the_holders_data(two_holders):
    world = two_holders["world"]
    holder = world.holder

    data = privacy.export_data(user=holder)

    assert data["account"]["email"] == holder.email
    assert data["account"]["last_name"] == "Holder mine"
    assert data["account"]["date_joined"]
    assert data["budget"]["amount_pence"] == 50_000
    assert len(data["budget"]["periods"]) == 1
    assert "Swim with my grandson" in {item["in_your_words"] for item in data["support_plan"]}
    messages = {item["your_message"] for item in data["requests"]}
    assert "Mornings are best for me" in messages
    assert all(item["messages"] for item in data["requests"])  # each has its steps
    assert len(data["orders"]) == 2 and {order["provider"] for order in data["orders"]} == {
        world.provider.name
    }
    assert sorted(p["amount_pence"] for p in data["payments"]) == [2_000, 4_000]
    assert [r["amount_pence"] for r in data["refunds"]] == [2_000]
    assert sum(entry["amount_pence"] for entry in data["ledger"]) == services.balance_pence(
        budget=world.budget
    )
    assert any(entry["paid_to"] == "Pat the driver" for entry in data["ledger"])
    assert [helper["name"] for helper in data["helpers"]] == ["Alex Carer"]
    assert [link["for"] for link in data["statement_links"]] == ["Sam Patel, social worker"]
    assert ("Alex Carer (family member or friend)", "Looked at the money in and out") in {
        (event["who"], event["what"]) for event in data["audit_events"]
    }


@pytest.mark.django_db
def test_export_data_has_nothing_of_another_holder(two_holders):
    other = two_holders["other"]

    text = json.dumps(privacy.export_data(user=two_holders["world"].holder))

    for theirs in (
        other.holder.email,
        "Learn to cook curries",
        "Please ring my daughter first",
        "Olly the cab",
        "Dana Jones, broker",
        "Bo Other",
        "pi_theirs_1",
        str(other.budget.public_id),
    ):
        assert theirs not in text


@pytest.mark.django_db
def test_download_is_a_zip_with_data_statements_and_receipts(client, two_holders):
    world = two_holders["world"]

    archive = download(client, world.holder)

    names = archive.namelist()
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == world.holder.email
    statements = [name for name in names if name.startswith("statements/")]
    assert len(statements) == len(privacy.budget_years(world.budget)) == 1
    assert archive.read(statements[0]).startswith(b"%PDF")
    receipts = [name for name in names if name.startswith("receipts/")]
    assert len(receipts) == 1 and receipts[0].endswith("mine-ticket.png")
    assert archive.read(receipts[0]) == PNG
    assert not any("theirs" in name for name in names)
    assert sorted(data["files"]) == sorted(statements + receipts)
    assert AuditEvent.objects.filter(subject=world.holder, action="exported_data").count() == 1


@pytest.mark.django_db
def test_export_page_explains_then_downloads_only_on_post(client, two_holders):
    holder = two_holders["world"].holder
    client.force_login(holder)

    page = client.get(EXPORT_URL)

    assert page.status_code == 200
    assert "Download your data" in page.content.decode()
    assert not AuditEvent.objects.filter(action="exported_data").exists()


@pytest.mark.django_db
def test_budget_years_run_twelve_months_from_the_first_period_and_the_last_ends_today():
    budget = mf.make_budget()
    first = budget.periods.order_by("starts_on").first().starts_on
    a_year_on = add_months(first, 12)

    years = privacy.budget_years(budget, today=first + timedelta(days=400))

    assert years == [(first, a_year_on - timedelta(days=1)), (a_year_on, first + timedelta(days=400))]
    assert privacy.budget_years(budget, today=first) == [(first, first)]


# --- Erasure -----------------------------------------------------------------------------


def money_records(budget) -> dict:
    """Every money row of the budget with its amount (and the ledger's wording)."""
    return {
        "ledger": list(budget.ledger.values_list("pk", "amount_pence", "description", "occurred_on")),
        "orders": list(Order.objects.filter(budget=budget).values_list("pk", "total_pence", "status")),
        "payments": list(Payment.objects.filter(order__budget=budget).values_list("pk", "amount_pence")),
        "refunds": list(
            Refund.objects.filter(payment__order__budget=budget).values_list("pk", "amount_pence")
        ),
        "periods": list(budget.periods.values_list("pk", "amount_pence", "client_contribution_pence")),
    }


def erase_through_the_page(client, holder):
    client.force_login(holder)
    return client.post(CONFIRM_URL, {"email": holder.email.upper()})


@pytest.mark.django_db
def test_erasure_removes_personal_data_and_keeps_the_money(client, two_holders):
    world = two_holders["world"]
    holder, budget = world.holder, world.budget
    old_email, helper = holder.email, two_holders["mine"]["helper"]
    shortlist = Shortlist.objects.create(owner=factories.UserFactory(), title="Options")
    ShortlistMember.objects.create(shortlist=shortlist, user=holder)
    balance = services.balance_pence(budget=budget)
    money = money_records(budget)

    response = erase_through_the_page(client, holder)

    assert response.status_code == 302
    assert response["Location"] == reverse("marketplace:privacy_erased")
    holder.refresh_from_db()
    assert (holder.first_name, holder.last_name) == ("", "")
    assert holder.email == f"erased-{holder.public_id}@invalid"
    assert not holder.has_usable_password()
    assert not holder.is_active
    assert not EmailAddress.objects.filter(user=holder).exists()
    assert not EmailAddress.objects.filter(email__iexact=old_email).exists()
    assert set(PlanOutcome.objects.filter(plan__budget=budget).values_list("own_words", flat=True)) == {
        "(erased)"
    }
    assert set(SupportRequest.objects.filter(budget=budget).values_list("message", "provider_note")) == {
        ("", "")
    }
    assert not SupportRequest.objects.filter(budget=budget, status__in=SupportRequest.OPEN).exists()
    delegate = Delegate.objects.get(budget=budget)
    assert (delegate.status, delegate.email) == (Delegate.Status.WITHDRAWN, "")
    assert not services.can(helper, budget, services.VIEW)
    assert StatementShare.objects.get(budget=budget).revoked_at is not None
    assert not SavedSearch.objects.filter(user=holder).exists()
    assert not ShortlistMember.objects.filter(user=holder).exists()

    # The money is untouched and still adds up to the same balance.
    assert services.balance_pence(budget=budget) == balance
    assert money_records(budget) == money
    assert Budget.objects.get(pk=budget.pk).holder_id == holder.pk

    # The other holder is untouched.
    other = two_holders["other"]
    assert other.holder.email in set(EmailAddress.objects.values_list("email", flat=True))
    assert "Learn to cook curries" in set(
        PlanOutcome.objects.filter(plan__budget=other.budget).values_list("own_words", flat=True)
    )


@pytest.mark.django_db
def test_erasure_signs_the_person_out_everywhere(client, two_holders):
    holder = two_holders["world"].holder
    other_device = Client()
    other_device.force_login(holder)
    assert other_device.get(reverse("marketplace:dashboard")).status_code == 200

    erase_through_the_page(client, holder)

    for device in (client, other_device):
        response = device.get(reverse("marketplace:dashboard"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(holder.pk)]
    assert not Client().login(email=holder.email, password="password")


@pytest.mark.django_db
def test_erasure_is_audited_and_the_chain_still_verifies(client, two_holders):
    holder = two_holders["world"].holder

    erase_through_the_page(client, holder)

    event = AuditEvent.objects.get(action="erased")
    assert (event.subject_id, event.actor_id, event.actor_role) == (holder.pk, holder.pk, "the holder")
    assert audit.verify().ok
    assert audit.verify().checked == AuditEvent.objects.count()


@pytest.mark.django_db
def test_a_wrong_email_erases_nothing_and_keeps_what_was_typed(client, two_holders):
    holder = two_holders["world"].holder
    client.force_login(holder)

    response = client.post(CONFIRM_URL, {"email": "someone@else.org"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "does not match the one you sign in with" in page
    assert 'value="someone@else.org"' in page
    holder.refresh_from_db()
    assert holder.is_active and holder.last_name == "Holder mine"
    assert not AuditEvent.objects.filter(action="erased").exists()


@pytest.mark.django_db
def test_a_delegate_cannot_erase_the_holder(client, two_holders):
    world = two_holders["world"]
    helper = two_holders["mine"]["helper"]
    client.force_login(helper)

    assert client.post(CONFIRM_URL, {"email": world.holder.email}).status_code == 403
    with pytest.raises(privacy.ErasureNotAllowed):
        privacy.erase_personal_data(user=world.holder, by=helper)

    world.holder.refresh_from_db()
    assert world.holder.is_active and world.holder.first_name == "Robin"


@pytest.mark.django_db
def test_erasure_waits_while_support_is_agreed_but_not_paid(client):
    world = mf.World()
    order = world.order()
    client.force_login(world.holder)

    explained = client.get(reverse("marketplace:privacy_erase")).content.decode()
    response = client.post(CONFIRM_URL, {"email": world.holder.email})

    assert f"Order {order.reference}" in explained
    assert "support agreed but not paid for yet" in response.content.decode()
    world.holder.refresh_from_db()
    assert world.holder.is_active


@pytest.mark.django_db
def test_coordinator_erases_from_the_admin_with_a_reason(client, two_holders):
    holder = two_holders["world"].holder
    coordinator = make_coordinator()
    client.force_login(coordinator)
    url = reverse("marketplace_holder_erase", args=[holder.public_id])

    refused = client.post(url, {"reason": "They asked by letter on 3 March"})
    assert "Confirm that you understand" in refused.content.decode()
    response = client.post(url, {"reason": "They asked by letter on 3 March", "confirm": "on"})

    assert response.status_code == 302
    holder.refresh_from_db()
    assert not holder.is_active and holder.email.startswith("erased-")
    event = AuditEvent.objects.get(action="erased")
    assert (event.actor_id, event.reason) == (coordinator.pk, "They asked by letter on 3 March")
    assert audit.verify().ok


@pytest.mark.django_db
def test_erasure_deletes_kept_statement_pdfs_which_name_the_holder(
    client, two_holders, settings, django_capture_on_commit_callbacks
):
    from marketplace.services import statements

    world, other = two_holders["world"], two_holders["other"]
    today = timezone.localdate()
    start = today - timedelta(days=30)
    mine = statements.prepare_pdf(budget_pk=world.budget.pk, starts_on=start, ends_on=today)
    theirs = statements.prepare_pdf(budget_pk=other.budget.pk, starts_on=start, ends_on=today)
    kept = settings.PRIVATE_MEDIA_ROOT
    assert (kept / mine).exists() and (kept / theirs).exists()

    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase_personal_data(user=world.holder, by=world.holder)

    assert not (kept / mine).exists()
    assert (kept / theirs).exists()
