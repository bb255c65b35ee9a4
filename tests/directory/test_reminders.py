"""The daily reminders: evidence expiring in 30 and 7 days (and just expired), the yearly
"is your listing still right?" email with its one-click link, and the badge that goes on
the day evidence expires. Time is frozen and moved with time_machine.
"""

import re
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from directory import reminders
from directory.models import Check, ListingPage, ReminderSent
from directory.tasks import send_reminders_task
from tests.factories import ProviderFactory, UserFactory, make_check, make_listing

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)


def at(day: date, hour=9):
    """A moment on `day`, London time, to travel to."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


@pytest.fixture
def team(db):
    """A provider with two people in its team (and its own business email)."""
    provider = ProviderFactory(name="Jo's Swims", email="office@joswims.example")
    for email in ("jo@example.org", "sam@example.org"):
        provider.members.add(UserFactory(role=Role.PROVIDER, email=email))
    return provider


def sent_subjects():
    return [m.subject for m in mail.outbox]


def link_in(message) -> str:
    return re.search(r"http://\S+/my/confirm/\S+/", message.body).group(0)


# --- Evidence reminders -----------------------------------------------------------------


@pytest.mark.django_db
def test_evidence_reminders_go_30_and_7_days_before_expiry_and_on_expiry_each_once(team):
    expiry = START.date() + timedelta(days=30)
    check = make_check(team, kind=Check.Kind.PUBLIC_LIABILITY, expires_on=expiry, issued_on=date(2025, 4, 1))

    with time_machine.travel(at(START.date() - timedelta(days=1))):
        assert reminders.send_evidence_reminders() == 0  # 31 days left: too early

    with time_machine.travel(START):
        assert reminders.send_evidence_reminders() == 1
        assert reminders.send_evidence_reminders() == 0  # the same day again: nothing
    assert len(mail.outbox) == 1
    first = mail.outbox[0]
    assert first.subject == "Your evidence expires soon"
    assert sorted(first.to) == ["jo@example.org", "office@joswims.example", "sam@example.org"]
    assert "public liability insurance expires on 1 April 2026 (in 30 days)" in first.body
    assert reverse("my:checks", args=[team.public_id]) in first.body

    for days_left in range(29, 8, -1):  # the daily job runs every day in between
        with time_machine.travel(at(expiry - timedelta(days=days_left))):
            reminders.send_evidence_reminders()
    assert len(mail.outbox) == 1

    with time_machine.travel(at(expiry - timedelta(days=7))):
        assert reminders.send_evidence_reminders() == 1
    assert "(in 7 days)" in mail.outbox[-1].body

    for days_left in range(6, -1, -1):
        with time_machine.travel(at(expiry - timedelta(days=days_left))):
            reminders.send_evidence_reminders()
    assert len(mail.outbox) == 2

    with time_machine.travel(at(expiry + timedelta(days=1))):
        assert reminders.send_evidence_reminders() == 1
        reminders.send_evidence_reminders()
    assert mail.outbox[-1].subject == "Your evidence has expired"
    assert "expired on 1 April 2026" in mail.outbox[-1].body
    assert len(mail.outbox) == 3
    assert sorted(check.reminders.values_list("kind", flat=True)) == ["check_30", "check_7", "check_expired"]


@pytest.mark.django_db
def test_unverified_evidence_is_reminded_too(team):
    make_check(
        team,
        kind=Check.Kind.DBS,
        verified=False,
        expires_on=START.date() + timedelta(days=20),
        issued_on=date(2025, 1, 1),
    )
    with time_machine.travel(START):
        assert reminders.send_evidence_reminders() == 1


@pytest.mark.django_db
def test_late_upload_gets_only_the_reminder_it_is_due(team):
    # Added with five days left: the 7-day reminder goes, never a "30 days" one afterwards.
    make_check(team, expires_on=START.date() + timedelta(days=5), issued_on=date(2025, 1, 1))
    with time_machine.travel(START):
        assert reminders.send_evidence_reminders() == 1
    with time_machine.travel(START + timedelta(days=1)):
        assert reminders.send_evidence_reminders() == 0
    assert list(ReminderSent.objects.values_list("kind", flat=True)) == ["check_7"]


@pytest.mark.django_db
def test_several_checks_due_together_make_one_email(team):
    make_check(
        team, kind=Check.Kind.DBS, expires_on=START.date() + timedelta(days=10), issued_on=date(2025, 1, 1)
    )
    make_check(
        team,
        kind=Check.Kind.SAFEGUARDING,
        expires_on=START.date() + timedelta(days=3),
        issued_on=date(2025, 1, 1),
    )
    with time_machine.travel(START):
        assert reminders.send_evidence_reminders() == 1
    body = mail.outbox[0].body
    assert "dbs certificate expires" in body and "safeguarding training expires" in body
    assert ReminderSent.objects.count() == 2


@pytest.mark.django_db
def test_replaced_evidence_is_not_reminded(team):
    make_check(
        team, kind=Check.Kind.DBS, expires_on=START.date() + timedelta(days=10), issued_on=date(2023, 1, 1)
    )
    make_check(
        team, kind=Check.Kind.DBS, expires_on=START.date() + timedelta(days=700), issued_on=date(2026, 2, 1)
    )
    with time_machine.travel(START):
        assert reminders.send_evidence_reminders() == 0


@pytest.mark.django_db
def test_long_expired_and_never_expiring_evidence_is_left_alone(team):
    make_check(team, expires_on=START.date() - timedelta(days=90), issued_on=date(2020, 1, 1))
    make_check(team, kind=Check.Kind.TRAINING, expires_on=None, issued_on=date(2020, 1, 1))
    with time_machine.travel(START):
        assert reminders.send_evidence_reminders() == 0


@pytest.mark.django_db
def test_a_reminder_cannot_be_recorded_twice(team):
    check = make_check(team, expires_on=START.date() + timedelta(days=10), issued_on=date(2025, 1, 1))
    ReminderSent.objects.create(
        check_item=check, kind="check_30", due_on=check.expires_on, sent_on=START.date()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderSent.objects.create(
            check_item=check, kind="check_30", due_on=check.expires_on, sent_on=START.date()
        )


@pytest.mark.django_db
def test_a_failed_email_is_tried_again_next_day(team, monkeypatch):
    make_check(team, expires_on=START.date() + timedelta(days=20), issued_on=date(2025, 1, 1))

    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(reminders, "send_mail", broken)
    with time_machine.travel(START):
        assert reminders.send_evidence_reminders() == 0
    assert not ReminderSent.objects.exists()
    monkeypatch.undo()
    with time_machine.travel(START + timedelta(days=1)):
        assert reminders.send_evidence_reminders() == 1


# --- The badge goes when evidence expires -------------------------------------------------


@pytest.mark.django_db
def test_checks_badge_shows_until_the_expiry_date_and_goes_the_day_after(client, directory):
    with time_machine.travel(START):
        listing = make_listing(title="Swimming buddy")
        make_check(
            listing.provider, kind=Check.Kind.DBS, expires_on=date(2026, 3, 31), issued_on=date(2023, 3, 31)
        )

    with time_machine.travel(at(date(2026, 3, 31), hour=23)):
        page = client.get(listing.url).content.decode()
        assert "DBS certificate" in page and "valid until 31 March 2026" in page
        assert list(listing.provider.current_checks()) != []

    with time_machine.travel(at(date(2026, 4, 1), hour=0)):
        page = client.get(listing.url).content.decode()
        assert "DBS certificate" not in page
        assert "We have not verified any checks for this provider yet" in page
        assert list(listing.provider.current_checks()) == []


# --- The yearly confirmation --------------------------------------------------------------


@pytest.fixture
def year_old_listing(directory, team):
    with time_machine.travel(START - timedelta(days=365)):
        return make_listing(title="Swimming buddy", provider=team)


@pytest.mark.django_db
def test_listing_unconfirmed_for_a_year_gets_one_request_with_a_working_link(client, year_old_listing):
    with time_machine.travel(START - timedelta(days=1)):
        assert reminders.send_confirmation_requests() == 0  # 364 days: not yet

    with time_machine.travel(START):
        assert reminders.send_confirmation_requests() == 1
        assert reminders.send_confirmation_requests() == 0
        page = client.get(year_old_listing.url).content.decode()
        assert "The provider last confirmed these details on 2 March 2025" in page

    message = mail.outbox[0]
    assert message.subject == "Is your listing still right? Swimming buddy"
    assert "office@joswims.example" in message.to
    assert 'You last confirmed "Swimming buddy" on 2 March 2025' in message.body

    # One press of the button on the link's page, no sign-in.
    with time_machine.travel(START + timedelta(days=3)):
        response = client.post(link_in(message).replace("http://127.0.0.1:8000", ""))
    assert response.status_code == 200
    assert "Swimming buddy is confirmed as still right" in response.content.decode()
    year_old_listing.refresh_from_db()
    assert timezone.localdate(year_old_listing.last_confirmed_at) == date(2026, 3, 5)
    assert not year_old_listing.is_stale
    assert "last confirmed these details" not in client.get(year_old_listing.url).content.decode()

    # A new cycle: nothing until a year after the confirmation.
    with time_machine.travel(START + timedelta(days=300)):
        assert reminders.send_confirmation_requests() == 0
    with time_machine.travel(START + timedelta(days=3 + 365)):
        assert reminders.send_confirmation_requests() == 1


@pytest.mark.django_db
def test_unanswered_request_is_not_repeated_in_the_same_cycle(year_old_listing):
    for days in (0, 1, 30, 200):
        with time_machine.travel(START + timedelta(days=days)):
            reminders.send_confirmation_requests()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_confirm_link_works_for_30_days_only(client, year_old_listing):
    with time_machine.travel(START):
        reminders.send_confirmation_requests()
    address = link_in(mail.outbox[0]).replace("http://127.0.0.1:8000", "")
    with time_machine.travel(START + timedelta(days=31)):
        response = client.get(address)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    year_old_listing.refresh_from_db()
    assert year_old_listing.is_stale


@pytest.mark.django_db
def test_tampered_confirm_link_is_refused_clearly(client, year_old_listing, directory):
    other = make_listing(title="Someone else's")
    token = reminders.make_confirmation_token(year_old_listing)
    forged = token.replace(str(year_old_listing.public_id), str(other.public_id))
    for bad in (forged, token[:-3], "nonsense"):
        response = client.get(reverse("my:confirm_by_link", args=[bad]))
        assert response.status_code == 400
        assert "This link is not right" in response.content.decode()
    year_old_listing.refresh_from_db()
    assert year_old_listing.is_stale


@pytest.mark.django_db
def test_confirming_by_link_keeps_a_waiting_draft_unpublished(client, year_old_listing):
    draft = year_old_listing.get_latest_revision_as_object()
    draft.summary = "A change waiting for review."
    draft.save_revision()
    client.post(reverse("my:confirm_by_link", args=[reminders.make_confirmation_token(year_old_listing)]))
    live = ListingPage.objects.get(pk=year_old_listing.pk)
    assert not live.is_stale
    assert live.summary != "A change waiting for review."
    assert live.has_unpublished_changes
    assert not live.get_latest_revision_as_object().is_stale


@pytest.mark.django_db
def test_unpublished_listings_are_not_asked_to_confirm(directory, team):
    with time_machine.travel(START - timedelta(days=400)):
        make_listing(title="Old draft", provider=team, publish=False)
    with time_machine.travel(START):
        assert reminders.send_confirmation_requests() == 0


# --- The scheduled entry points -----------------------------------------------------------


@pytest.mark.django_db
def test_daily_command_sends_everything_due(team, year_old_listing):
    make_check(team, expires_on=START.date() + timedelta(days=30), issued_on=date(2025, 1, 1))
    out = StringIO()
    with time_machine.travel(START):
        call_command("send_reminders", stdout=out)
    assert "Sent 1 evidence reminder email(s) and 1 confirmation request(s)." in out.getvalue()
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_daily_command_can_catch_up_a_missed_day(team):
    make_check(team, expires_on=date(2026, 4, 1), issued_on=date(2025, 1, 1))
    call_command("send_reminders", "--date", "2026-03-02", stdout=StringIO())
    assert ReminderSent.objects.get().sent_on == date(2026, 3, 2)
    with pytest.raises(CommandError, match="--date must look like"):
        call_command("send_reminders", "--date", "2 March", stdout=StringIO())


@pytest.mark.django_db
def test_reminder_task_runs_the_same_work(team):
    make_check(team, expires_on=date(2026, 3, 9), issued_on=date(2025, 1, 1))
    result = send_reminders_task.enqueue(today="2026-03-02")
    assert result.return_value == {"evidence": 1, "confirmation": 0}


# --- Email link scanners (security review, issue 14) -------------------------------------


@pytest.mark.django_db
def test_opening_the_confirm_link_confirms_nothing_until_the_button_is_pressed(client, year_old_listing):
    """A mail server's link scanner fetches every link in an email (GET): that must not confirm."""
    with time_machine.travel(START):
        reminders.send_confirmation_requests()
    address = link_in(mail.outbox[0]).replace("http://127.0.0.1:8000", "")
    with time_machine.travel(START + timedelta(days=1)):
        for _ in range(3):
            response = client.get(address)
            assert response.status_code == 200
    page = response.content.decode()
    assert "Is Swimming buddy still right?" in page
    assert re.search(r'<form method="post" action="' + re.escape(address) + '"', page)
    assert "Yes, it is still right" in page
    year_old_listing.refresh_from_db()
    assert year_old_listing.is_stale


@pytest.mark.django_db
def test_the_confirm_button_confirms_once(client, year_old_listing):
    with time_machine.travel(START):
        reminders.send_confirmation_requests()
    address = link_in(mail.outbox[0]).replace("http://127.0.0.1:8000", "")
    with time_machine.travel(START + timedelta(days=1)):
        response = client.post(address)
    assert response.status_code == 200
    assert "Swimming buddy is confirmed as still right" in response.content.decode()
    year_old_listing.refresh_from_db()
    confirmed_at = year_old_listing.last_confirmed_at
    assert timezone.localdate(confirmed_at) == date(2026, 3, 3)

    # The same link again (a second press, a forwarded email): it has been used.
    with time_machine.travel(START + timedelta(days=2)):
        again = client.post(address)
        opened = client.get(address)
    assert again.status_code == 400
    assert "This link has already been used" in again.content.decode()
    assert "This link has already been used" in opened.content.decode()
    year_old_listing.refresh_from_db()
    assert year_old_listing.last_confirmed_at == confirmed_at


@pytest.mark.django_db
def test_a_link_sent_in_the_same_second_as_the_last_confirmation_still_works(client, directory):
    """The link names the confirmation it was sent after, so a listing confirmed a moment before
    the email went (in the same second) is not taken for one confirmed after it."""
    with time_machine.travel(START, tick=False):
        listing = make_listing(title="Just confirmed")
        token = reminders.make_confirmation_token(listing)
        response = client.get(reverse("my:confirm_by_link", args=[token]))
        assert response.status_code == 200, response.content.decode()
        client.post(reverse("my:confirm_by_link", args=[token]))
    with time_machine.travel(START + timedelta(seconds=5), tick=False):
        ListingPage.objects.filter(pk=listing.pk).update(last_confirmed_at=timezone.now())
        again = client.get(reverse("my:confirm_by_link", args=[token]))
    assert again.status_code == 400
    assert "already been used" in again.content.decode()
