"""Saved searches and their alert emails: new matching listings only, once each, a weekly
digest or at once, and an unsubscribe link that works without signing in.
"""

import re

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError
from django.http import QueryDict
from django.test import Client
from django.urls import reverse

from search.backends import get_search_backend
from search.models import LowResultSearch
from signposting import services as signposting
from signposting.models import AlertSent, SavedSearch
from signposting.tasks import send_alerts_task
from tests.factories import UserFactory, make_listing

pytestmark = pytest.mark.django_db

DAY_ONE = "2030-06-03 09:00 +00:00"
DAY_TWO = "2030-06-04 09:00 +00:00"
DAY_THREE = "2030-06-05 09:00 +00:00"


def reindex():
    """The tests' transactions never commit, so the after-commit indexing never runs."""
    get_search_backend("database").rebuild()


@pytest.fixture
def person():
    return UserFactory(email="dev@example.org")


def save(user, querystring, frequency="immediate"):
    return signposting.save_search(user=user, params=QueryDict(querystring), frequency=frequency)


def new_listing(title, when=DAY_TWO, **fields):
    with time_machine.travel(when, tick=False):
        listing = make_listing(title=title, **fields)
    reindex()
    return listing


def unsubscribe_link(email) -> str:
    return re.search(r"Stop these emails \(no sign-in needed\): (\S+)", email.body).group(1)


# --- Saving -----------------------------------------------------------------------------


def test_saving_a_search_needs_an_account(client):
    response = client.get(reverse("signposting:saved_search_new") + "?q=swimming&near=BL3")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_person_saves_a_search_from_the_results_and_chooses_how_often(client, person, directory):
    client.force_login(person)
    page = client.get(
        reverse("signposting:saved_search_new") + "?q=swimming&near=BL3&page=2&outcome=get-out-and-about"
    )
    body = page.content.decode()
    assert "Your search: <strong>“swimming” near BL3 · Get out and about</strong>" in body
    response = client.post(
        reverse("signposting:saved_search_new"),
        {"querystring": "near=BL3&outcome=get-out-and-about&q=swimming", "frequency": "immediate"},
        follow=True,
    )
    assert "Search saved." in response.content.decode()
    saved = SavedSearch.objects.get()
    assert saved.user == person
    assert saved.querystring == "near=BL3&outcome=get-out-and-about&q=swimming"  # no page number
    assert saved.frequency == "immediate"
    assert "“swimming” near BL3" in client.get(reverse("signposting:saved_searches")).content.decode()


def test_an_empty_or_broken_search_cannot_be_saved(client, person, directory):
    client.force_login(person)
    body = client.get(reverse("signposting:saved_search_new")).content.decode()
    assert "Search for support first" in body
    response = client.post(
        reverse("signposting:saved_search_new"),
        {"querystring": "q=swim&outcome=not-real", "frequency": "weekly"},
    )
    assert "is not an outcome we know" in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_saving_the_same_search_again_changes_it_rather_than_doubling_it(person, directory):
    first = save(person, "q=swimming&near=BL3", "weekly")
    second = save(person, "near=BL3&q=swimming&page=3", "immediate")
    assert first.pk == second.pk
    assert SavedSearch.objects.get().frequency == "immediate"


# --- Sending ----------------------------------------------------------------------------


def test_a_new_matching_listing_is_emailed_once_however_often_the_job_runs(person, directory):
    with time_machine.travel(DAY_ONE, tick=False):
        make_listing(title="Old swimming club", description="<p>Swimming every week.</p>")
        reindex()
        saved = save(person, "q=swimming&near=BL3")
    new_listing("Saturday swimming buddy", description="<p>Swimming on Saturdays.</p>")
    new_listing("Gardening help", description="<p>Lawns and hedges.</p>", outcomes=("keep-my-home",))

    with time_machine.travel(DAY_THREE, tick=False):
        assert signposting.send_alerts(frequency="immediate") == 1
        assert signposting.send_alerts(frequency="immediate") == 0
        call_command("send_alerts", frequency="immediate", stdout=open("/dev/null", "w"))  # noqa: SIM115
        send_alerts_task.enqueue("immediate")

    (email,) = mail.outbox
    assert email.to == ["dev@example.org"]
    assert email.subject == "1 new match for your search: “swimming” near BL3"
    assert "Saturday swimming buddy" in email.body
    assert "http://127.0.0.1:8000/directory/saturday-swimming-buddy/" in email.body
    assert "Old swimming club" not in email.body  # it was there before the search was saved
    assert "Gardening help" not in email.body  # it does not match
    assert "We do not recommend any of them: you choose." in " ".join(email.body.split())
    link = unsubscribe_link(email)
    assert email.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert AlertSent.objects.filter(saved_search=saved).count() == 1
    saved.refresh_from_db()
    assert saved.last_sent_at is not None


def test_a_second_new_listing_gets_its_own_email_later(person, directory):
    with time_machine.travel(DAY_ONE, tick=False):
        save(person, "q=swimming")
    new_listing("Saturday swimming buddy", description="<p>Swimming.</p>")
    signposting.send_alerts(frequency="immediate")
    new_listing("Sunday swimming buddy", when=DAY_THREE, description="<p>Swimming.</p>")
    signposting.send_alerts(frequency="immediate")
    first, second = mail.outbox
    assert "Saturday swimming buddy" in first.body
    assert "Sunday swimming buddy" in second.body and "Saturday swimming buddy" not in second.body


def test_weekly_digest_gathers_the_weeks_new_listings_in_one_email(person, directory):
    with time_machine.travel(DAY_ONE, tick=False):
        save(person, "outcome=eat-well", "weekly")
    new_listing("Lunch club", outcomes=("eat-well",))
    new_listing("Meals on wheels", when=DAY_THREE, outcomes=("eat-well",))

    assert signposting.send_alerts(frequency="immediate") == 0  # not an immediate search
    assert signposting.send_alerts(frequency="weekly") == 1
    assert signposting.send_alerts(frequency="weekly") == 0
    (email,) = mail.outbox
    assert email.subject == "2 new matches for your search: All support · Eat well"
    assert "This week, 2 new services matched your saved search" in email.body
    assert "Lunch club" in email.body and "Meals on wheels" in email.body


def test_unsubscribe_link_from_the_email_works_without_signing_in(person, directory):
    with time_machine.travel(DAY_ONE, tick=False):
        saved = save(person, "q=swimming")
    new_listing("Saturday swimming buddy", description="<p>Swimming.</p>")
    signposting.send_alerts(frequency="immediate")
    link = unsubscribe_link(mail.outbox[0]).replace("http://127.0.0.1:8000", "")

    anonymous = Client()
    page = anonymous.get(link)
    assert page.status_code == 200
    assert "Stop emails about new matches for <strong>“swimming”</strong>?" in page.content.decode()
    saved.refresh_from_db()
    assert saved.emails_on  # a GET (a link checker, a preview) changes nothing

    done = anonymous.post(link)
    assert "You will not get these emails" in done.content.decode()
    saved.refresh_from_db()
    assert not saved.emails_on

    new_listing("Sunday swimming buddy", when=DAY_THREE, description="<p>Swimming.</p>")
    assert signposting.send_alerts(frequency="immediate") == 0
    assert len(mail.outbox) == 1


def test_one_click_unsubscribe_from_a_mail_app_needs_no_csrf_token(person, directory):
    saved = save(person, "q=swimming")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("signposting:unsubscribe", args=[saved.unsubscribe_token]), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    saved.refresh_from_db()
    assert not saved.emails_on


def test_the_database_holds_no_working_unsubscribe_link(client, person, directory):
    saved = save(person, "q=swimming")
    token = saved.unsubscribe_token
    stored = [str(value) for value in SavedSearch.objects.filter(pk=saved.pk).values().get().values()]
    assert not any(token in value or token.rsplit(":", 1)[-1] in value for value in stored)
    # A link with the signature changed, or another search's id under this signature, is refused.
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(reverse("signposting:unsubscribe", args=[forged])).status_code == 404
    other = save(person, "q=gardening")
    swapped = f"{other.public_id}:{token.rsplit(':', 1)[-1]}"
    assert client.get(reverse("signposting:unsubscribe", args=[swapped])).status_code == 404
    saved.refresh_from_db()
    assert saved.emails_on


def test_an_unknown_unsubscribe_link_says_so(client):
    response = client.get(reverse("signposting:unsubscribe", args=["x" * 43]))
    assert response.status_code == 404
    assert "We cannot find this link" in response.content.decode()


def test_person_switches_emails_back_on_and_can_delete_a_search(client, person, directory):
    saved = save(person, "q=swimming")
    signposting.unsubscribe(token=saved.unsubscribe_token)
    client.force_login(person)
    client.post(
        reverse("signposting:saved_search_edit", args=[saved.public_id]),
        {"frequency": "weekly", "emails": "on"},
    )
    saved.refresh_from_db()
    assert saved.emails_on and saved.frequency == "weekly"

    other = Client()
    other.force_login(UserFactory())
    assert other.post(reverse("signposting:saved_search_delete", args=[saved.public_id])).status_code == 404
    client.post(reverse("signposting:saved_search_delete", args=[saved.public_id]))
    assert not SavedSearch.objects.exists()


def test_alerts_are_not_logged_as_unmet_demand(person, directory):
    with time_machine.travel(DAY_ONE, tick=False):
        save(person, "outcome=carer-a-break-for-my-carer&near=BL3")
    new_listing("Lunch club", outcomes=("eat-well",))
    signposting.send_alerts(frequency="immediate")
    signposting.send_alerts(frequency="weekly")
    assert not LowResultSearch.objects.exists()


def test_the_database_refuses_a_second_record_of_the_same_alert(person, listing):
    saved = save(person, "q=swimming")
    AlertSent.objects.create(saved_search=saved, listing=listing)
    with pytest.raises(IntegrityError):
        AlertSent.objects.create(saved_search=saved, listing=listing)


def test_a_failed_send_is_tried_again_next_time(person, directory, monkeypatch):
    with time_machine.travel(DAY_ONE, tick=False):
        save(person, "q=swimming")
    new_listing("Saturday swimming buddy", description="<p>Swimming.</p>")

    import smtplib

    from django.core.mail import EmailMultiAlternatives

    real_send = EmailMultiAlternatives.send

    def broken(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server went away")

    # Mocked because a failing mail server cannot be arranged with the test outbox.
    monkeypatch.setattr(EmailMultiAlternatives, "send", broken)
    assert signposting.send_alerts(frequency="immediate") == 0
    assert not AlertSent.objects.exists()
    monkeypatch.setattr(EmailMultiAlternatives, "send", real_send)
    assert signposting.send_alerts(frequency="immediate") == 1
    assert len(mail.outbox) == 1
