"""The audit log: a hash chain that shows any change made behind the site's back, and the pages
where holders and coordinators read it.

Tampering is done with raw SQL, as someone with database access would, because the model
itself refuses to change or delete an event.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse

from cms.models import Role
from marketplace import audit
from marketplace.models import AuditChainHead, AuditEvent, Delegate
from tests import factories
from tests.marketplace import factories as mf

PRIVACY_URL = reverse("marketplace:privacy")


def record_some(budget, count=5):
    """`count` events about the budget's holder, by the holder."""
    return [audit.record(actor=budget.holder, action="viewed_budget", budget=budget) for _ in range(count)]


def verify_command() -> str:
    """Run `manage.py verify_audit_log`; its message (raises CommandError when broken)."""
    from io import StringIO

    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    return out.getvalue()


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def with_authenticator(user):
    """Coordinators must have two-factor sign-in set up before the admin lets them in."""
    if apps.is_installed("allauth.mfa"):
        from allauth.mfa.models import Authenticator

        Authenticator.objects.get_or_create(
            user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "test"}}
        )
    return user


def make_coordinator(**fields):
    user = factories.UserFactory(role=Role.COORDINATOR, **fields)
    user.is_staff = True
    user.save()
    return with_authenticator(user)


def add_helper(budget, *, name="Alex Carer", relationship=Delegate.Relationship.FAMILY):
    """An active delegate for the budget, with their own account."""
    user = factories.UserFactory(role=Role.DELEGATE)
    Delegate.objects.create(
        budget=budget, user=user, name=name, email=user.email, relationship=relationship, status="active"
    )
    return user


# --- The chain -------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_intact_chain_verifies():
    budget = mf.make_budget()
    record_some(budget, 4)

    assert "intact: 4 events checked" in verify_command()
    assert audit.verify().ok


@pytest.mark.django_db
def test_an_empty_log_verifies():
    assert audit.verify().ok
    assert "0 events" in verify_command()


@pytest.mark.django_db
def test_changing_a_row_behind_the_sites_back_breaks_the_chain_at_that_event():
    budget = mf.make_budget()
    record_some(budget, 5)

    raw("UPDATE marketplace_auditevent SET detail = %s WHERE sequence = %s", ["nothing to see", 3])

    with pytest.raises(CommandError, match=r"broken at event 3: its contents were changed"):
        verify_command()


@pytest.mark.django_db
def test_changing_who_did_it_breaks_the_chain():
    budget = mf.make_budget()
    record_some(budget, 3)
    someone_else = factories.UserFactory()

    raw("UPDATE marketplace_auditevent SET actor_id = %s WHERE sequence = %s", [someone_else.pk, 2])

    result = audit.verify()
    assert (result.ok, result.broken_at) == (False, 2)


@pytest.mark.django_db
def test_deleting_a_row_breaks_the_chain_naming_the_missing_event():
    budget = mf.make_budget()
    record_some(budget, 5)

    raw("DELETE FROM marketplace_auditevent WHERE sequence = %s", [2])

    with pytest.raises(CommandError, match=r"broken at event 3: event 2 is missing"):
        verify_command()


@pytest.mark.django_db
def test_deleting_the_last_rows_breaks_the_chain():
    budget = mf.make_budget()
    record_some(budget, 5)

    raw("DELETE FROM marketplace_auditevent WHERE sequence >= %s", [4])

    with pytest.raises(CommandError, match=r"broken at event 4: events at the end of the log were removed"):
        verify_command()


@pytest.mark.django_db
def test_swapping_two_rows_breaks_the_chain():
    budget = mf.make_budget()
    record_some(budget, 5)

    # Through a spare number, because sequence is unique.
    raw("UPDATE marketplace_auditevent SET sequence = -1 WHERE sequence = 2")
    raw("UPDATE marketplace_auditevent SET sequence = 2 WHERE sequence = 3")
    raw("UPDATE marketplace_auditevent SET sequence = 3 WHERE sequence = -1")

    with pytest.raises(CommandError, match=r"broken at event 2"):
        verify_command()


@pytest.mark.django_db
def test_the_model_refuses_to_change_or_delete_an_event():
    budget = mf.make_budget()
    event = record_some(budget, 1)[0]

    event.detail = "changed"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="changed")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.get(pk=event.pk).detail == ""
    assert audit.verify().ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_make_one_chain_without_gaps():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite lets one writer in at a time, so writers cannot race on it "
            "(run with DATABASE_URL=postgres://...)"
        )
    budget = mf.make_budget()
    writers, each = 8, 10
    barrier = threading.Barrier(writers)

    def write(_):
        try:
            barrier.wait(timeout=30)
            for _ in range(each):
                audit.record(actor=budget.holder, action="viewed_ledger", budget=budget)
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(write, range(writers)))

    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, writers * each + 1))
    assert AuditChainHead.objects.get().last_sequence == writers * each
    assert audit.verify().ok


# --- "Who has seen my information" ------------------------------------------------------


@pytest.mark.django_db
def test_holder_sees_their_own_delegates_and_link_events_in_their_words(client):
    budget = mf.make_budget()
    helper = add_helper(budget, name="Alex Carer", relationship=Delegate.Relationship.FAMILY)
    audit.record(actor=budget.holder, action="changed_plan", budget=budget)
    audit.record(actor=helper, action="viewed_ledger", budget=budget)
    audit.record(actor=None, action="opened_shared_statement", budget=budget, detail="Statement for May")

    client.force_login(budget.holder)
    response = client.get(PRIVACY_URL)

    assert response.status_code == 200
    rows = [(row.who, row.what) for row in response.context["rows"]]
    assert ("Alex Carer (family member or friend)", "Looked at the money in and out") in rows
    assert ("You", "Changed the support plan") in rows
    assert ("Someone with the link you shared", "Opened a shared statement link") in rows
    page = response.content.decode()
    assert "Alex Carer (family member or friend)" in page
    assert "Statement for May" in page
    assert 'href="/budget/privacy/export/"' in page
    assert 'href="/budget/privacy/erase/"' in page


@pytest.mark.django_db
def test_viewing_the_page_is_itself_recorded_and_shown_first(client):
    budget = mf.make_budget()
    client.force_login(budget.holder)

    response = client.get(PRIVACY_URL)

    newest = response.context["rows"][0]
    assert (newest.who, newest.what) == ("You", "Looked at who has seen the information")
    assert AuditEvent.objects.filter(subject=budget.holder, action="viewed_audit_log").count() == 1


@pytest.mark.django_db
def test_events_come_25_a_page_newest_first(client):
    budget = mf.make_budget()
    record_some(budget, 30)
    client.force_login(budget.holder)

    first = client.get(PRIVACY_URL)
    second = client.get(PRIVACY_URL + "?page=2")

    assert len(first.context["rows"]) == 25
    assert first.context["rows"][0].what == "Looked at who has seen the information"
    assert "Page 1 of 2" in first.content.decode()
    # 30 + the two visits to the page: 7 on page two.
    assert len(second.context["rows"]) == 7
    sequences = [row.event.sequence for row in first.context["rows"]]
    assert sequences == sorted(sequences, reverse=True)


@pytest.mark.django_db
def test_other_holders_events_never_appear(client):
    mine = mf.make_budget()
    theirs = mf.make_budget()
    audit.record(actor=theirs.holder, action="downloaded_statement", budget=theirs, detail="their secret")

    client.force_login(mine.holder)
    response = client.get(PRIVACY_URL)

    assert all(row.event.subject_id == mine.holder.pk for row in response.context["rows"])
    assert "their secret" not in response.content.decode()
    assert "Downloaded a statement" not in response.content.decode()


@pytest.mark.django_db
def test_delegates_and_providers_cannot_open_the_holders_log(client):
    budget = mf.make_budget()
    helper = add_helper(budget)
    _, provider_user = mf.make_provider_member()

    for person in (helper, provider_user):
        client.force_login(person)
        for name in ("privacy", "privacy_export", "privacy_erase", "privacy_erase_confirm"):
            assert client.get(reverse(f"marketplace:{name}")).status_code == 403, (person, name)
        assert client.post(reverse("marketplace:privacy_export")).status_code == 403
    assert not AuditEvent.objects.filter(action__in=["viewed_audit_log", "exported_data"]).exists()


@pytest.mark.django_db
def test_signed_out_visitors_are_asked_to_sign_in(client):
    response = client.get(PRIVACY_URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- Coordinators -------------------------------------------------------------------------


@pytest.mark.django_db
def test_coordinator_gives_a_reason_and_the_holder_reads_it(client):
    budget = mf.make_budget()
    coordinator = make_coordinator()
    record_url = reverse("marketplace_holder_record", args=[budget.holder.public_id])
    client.force_login(coordinator)

    asked = client.get(record_url)
    assert asked.status_code == 200
    assert "Why do you need to look" in asked.content.decode()
    assert "Go swimming every week" not in asked.content.decode()  # nothing shown before a reason

    no_reason = client.post(record_url, {"reason": ""})
    assert "Give the reason you need to look at this record" in no_reason.content.decode()
    assert not AuditEvent.objects.filter(action="staff_viewed").exists()

    shown = client.post(record_url, {"reason": "Annual audit of direct payments"})
    assert shown.status_code == 200
    assert shown.context["summary"].balance_pence == 50_000
    assert "£500" in shown.content.decode()

    client.force_login(budget.holder)
    page = client.get(PRIVACY_URL).content.decode()
    assert "A coordinator" in page
    assert "Annual audit of direct payments" in page


@pytest.mark.django_db
def test_coordinator_filters_the_log_by_holder_action_and_dates(client):
    first, second = mf.make_budget(), mf.make_budget()
    audit.record(actor=first.holder, action="viewed_plan", budget=first)
    audit.record(actor=second.holder, action="viewed_ledger", budget=second)
    client.force_login(make_coordinator())
    url = reverse("marketplace_audit_log")

    by_email = client.get(url, {"email": first.holder.email})
    assert {event.subject_id for event, _ in by_email.context["events"]} == {first.holder.pk}

    by_action = client.get(url, {"action": "viewed_ledger"})
    assert [event.subject_id for event, _ in by_action.context["events"]] == [second.holder.pk]

    from django.utils import timezone

    today = timezone.localdate().isoformat()
    assert len(client.get(url, {"start": today, "end": today}).context["events"]) == 2
    assert client.get(url, {"start": "2001-01-01", "end": "2001-01-31"}).context["events"] == []


@pytest.mark.django_db
def test_verify_button_reports_an_intact_chain_then_where_it_broke(client):
    budget = mf.make_budget()
    record_some(budget, 3)
    client.force_login(make_coordinator())
    url = reverse("marketplace_audit_verify")

    assert "The audit log is intact: 3 events checked" in client.post(url).content.decode()

    raw("UPDATE marketplace_auditevent SET reason = %s WHERE sequence = %s", ["made up", 2])
    page = client.post(url).content.decode()
    assert "The audit log is broken at event 2: its contents were changed after it was written" in page


@pytest.mark.django_db
def test_only_coordinators_reach_the_audit_screens(client):
    budget = mf.make_budget()
    editor = with_authenticator(factories.UserFactory())
    editor.is_staff = True
    editor.save()
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)

    for url, method in (
        (reverse("marketplace_audit_log"), "get"),
        (reverse("marketplace_holder_record", args=[budget.holder.public_id]), "post"),
        (reverse("marketplace_audit_verify"), "post"),
    ):
        response = getattr(client, method)(url, {"reason": "Just curious about this"})
        assert response.status_code in (302, 403), url
        assert "Go swimming" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="staff_viewed").exists()
    # The menu item is not shown to them either.
    assert "Audit log" not in client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_services_write_the_audit_line_for_what_they_change_so_no_caller_can_forget(stripe_server):
    from datetime import timedelta

    from django.utils import timezone

    from marketplace import services

    world = mf.connected_world(stripe_server)
    holder, budget = world.holder, world.budget

    def last(action):
        event = AuditEvent.objects.filter(actor=holder, action=action).order_by("-sequence").first()
        assert event is not None, f"no {action!r} line"
        assert event.subject_id == holder.pk
        return event

    added = services.add_plan_outcome(budget=budget, by=holder, own_words="Cook", outcome=mf.outcome())
    assert last("changed_plan").detail == "added an outcome"
    services.remove_plan_outcome(plan_outcome=added, by=holder)
    assert last("changed_plan").detail == "removed an outcome"
    services.record_outside_spending(
        budget=budget,
        by=holder,
        amount_pence=700,
        spent_on=timezone.localdate(),
        description="Taxi",
        plan_outcome=world.plan_outcome,
    )
    last("recorded_spending")
    asked = mf.make_request(budget=budget, listing=world.listing)
    assert last("requested_support").object_id == str(asked.public_id)
    services.withdraw_request(support_request=asked, by=holder)
    assert last("changed_request").detail == "withdrew it"
    changed = mf.make_request(budget=budget, listing=world.listing)
    start = timezone.localdate() + timedelta(days=7)
    services.propose_change(
        support_request=changed,
        by=world.provider_user,
        quantity=2,
        unit_price_pence=2_000,
        starts_on=start,
        ends_on=start,
    )
    order = services.accept_change(support_request=changed, by=holder)
    assert last("changed_request").detail == "accepted a change"
    mf.start_checkout(world, order)
    last("paid")
    services.cancel_order(order=order, by=holder)
    last("cancelled_order")

    # The provider's team cancelling their own order is their business record, not the holder's file.
    other = world.order()
    services.cancel_order(order=other, by=world.provider_user)
    assert not AuditEvent.objects.filter(actor=world.provider_user).exists()
    assert audit.verify().ok
