"""Enquiries: a person messages a provider through the site; the provider gets an email and
a list to work through; the professional who made the shortlist sees a count, never who or
what; a listing shows its response rate once it has enough enquiries.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from signposting import services as signposting
from signposting.models import Enquiry, ProfessionalVerification
from signposting.tasks import send_enquiry_email_task
from tests.factories import ProviderFactory, UserFactory, make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    """The rate limit counts in the cache; each test starts with none sent."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def provider_member():
    return UserFactory(role=Role.PROVIDER, email="jo@swimbuddy.example")


@pytest.fixture
def listing(directory, provider_member):
    provider = ProviderFactory(name="Jo's Swimming", email="office@swimbuddy.example")
    provider.members.add(provider_member)
    return make_listing(title="Swimming buddy", provider=provider, contact_email="hello@swimbuddy.example")


@pytest.fixture
def professional():
    user = UserFactory(role=Role.PROFESSIONAL)
    ProfessionalVerification.objects.create(user=user, verified_at=timezone.now(), method="coordinator")
    return user


@pytest.fixture
def shortlist(professional, listing):
    shortlist = signposting.create_shortlist(owner=professional, title="Options for Mrs P")
    signposting.add_to_shortlist(shortlist=shortlist, listing=listing, by=professional)
    return shortlist


ENQUIRY = {
    "name": "Margaret Patel",
    "reply_to": "margaret@example.org",
    "message": "Could you take me swimming on Saturday mornings?",
}


def send(client, listing, shortlist=None, **changes):
    data = {
        "listing": str(listing.public_id),
        "shortlist": shortlist.token if shortlist else "",
        **ENQUIRY,
        **changes,
    }
    return client.post(reverse("signposting:enquiry_new"), data)


def test_person_contacts_a_provider_from_a_shortlist_and_the_provider_is_emailed(
    client, listing, shortlist, django_capture_on_commit_callbacks
):
    form = client.get(
        reverse("signposting:enquiry_new") + f"?listing={listing.public_id}&shortlist={shortlist.token}"
    )
    assert "Send a message to Swimming buddy" in form.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, listing, shortlist)
    assert response.status_code == 302
    sent = client.get(response["Location"])
    assert "Message sent" in sent.content.decode()
    assert "Back to Options for Mrs P" in sent.content.decode()

    enquiry = Enquiry.objects.get()
    assert enquiry.shortlist == shortlist
    (email,) = mail.outbox
    assert email.subject == "New enquiry about Swimming buddy"
    assert set(email.to) == {"hello@swimbuddy.example", "office@swimbuddy.example", "jo@swimbuddy.example"}
    assert email.reply_to == ["margaret@example.org"]
    assert "Margaret Patel" in email.body
    assert "How to reply: margaret@example.org" in email.body
    assert "Could you take me swimming on Saturday mornings?" in email.body
    assert "http://127.0.0.1:8000/enquiries/" in email.body


def test_phone_number_is_a_fine_way_to_reply(client, listing, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(client, listing, reply_to="01204 123456")
    (email,) = mail.outbox
    assert email.reply_to == []
    assert "How to reply: 01204 123456" in email.body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter your name"),
        ({"reply_to": "call me"}, "Enter a phone number like 01204 123456, or an email address."),
        ({"reply_to": "margaret@"}, "Enter an email address like name@example.com, or a phone number."),
        ({"message": ""}, "Enter your message"),
        ({"message": "x" * 2001}, "Ensure this value has at most 2000 characters"),
    ],
)
def test_a_bad_enquiry_says_what_to_fix_and_keeps_what_was_typed(client, listing, changes, message):
    response = send(client, listing, **changes)
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert message in body
    for field, value in {**ENQUIRY, **changes}.items():
        if value and len(value) < 100:
            assert value in body, field
    assert not Enquiry.objects.exists()


def test_professional_sees_how_many_contacts_but_never_who_or_what(
    client, listing, shortlist, professional, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(client, listing, shortlist)
        send(client, listing, shortlist, name="Dev Patel", reply_to="dev@example.org", message="For my mum")
        send(client, listing)  # not from the shortlist: not counted for it
    assert signposting.contact_counts(shortlist=shortlist) == {listing.pk: 2}

    client.force_login(professional)
    page = client.get(reverse("signposting:shortlist", args=[shortlist.public_id])).content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Messages sent to providers from this shortlist 2" in text
    assert "Messages sent from this shortlist: 2" in text
    for private in ("Margaret", "Patel", "margaret@example.org", "Saturday", "dev@example.org", "For my mum"):
        assert private not in page
    summary = client.get(reverse("signposting:shortlists")).content.decode()
    assert "Margaret" not in summary and "Dev Patel" not in summary


def test_a_shortlist_token_for_another_listing_is_not_counted(client, directory, listing, shortlist):
    other = make_listing(title="Lunch club")
    send(client, other, shortlist)
    assert Enquiry.objects.get().shortlist is None


def test_a_revoked_shortlist_link_still_lets_the_message_go_but_is_not_counted(
    client, listing, shortlist, professional
):
    signposting.revoke_link(shortlist=shortlist, by=professional)
    response = send(client, listing, shortlist)
    assert response.status_code == 302
    assert Enquiry.objects.get().shortlist is None


def test_the_email_goes_once_however_often_the_task_runs(listing):
    enquiry = Enquiry.objects.create(listing=listing, **ENQUIRY)
    assert send_enquiry_email_task.call(enquiry.pk) is True
    assert send_enquiry_email_task.call(enquiry.pk) is False
    send_enquiry_email_task.enqueue(enquiry.pk)
    assert len(mail.outbox) == 1


def test_an_unpublished_listing_cannot_be_contacted(client, directory):
    hidden = make_listing(title="Gone", publish=False)
    assert client.get(reverse("signposting:enquiry_new") + f"?listing={hidden.public_id}").status_code == 404
    assert send(client, hidden).status_code == 404
    assert client.get(reverse("signposting:enquiry_new") + "?listing=not-a-uuid").status_code == 404


def test_enquiries_are_rate_limited_per_address(client, listing, settings):
    settings.ENQUIRY_RATE_LIMIT_PER_HOUR = 2
    with time_machine.travel("2030-05-01 10:05 +00:00", tick=False):
        assert send(client, listing).status_code == 302
        assert send(client, listing).status_code == 302
        response = send(client, listing, message="Third try today")
        assert response.status_code == 429
        assert "You have sent a lot of messages in the last hour" in response.content.decode()
        assert "Third try today" in response.content.decode()
    assert Enquiry.objects.count() == 2
    with time_machine.travel("2030-05-01 11:01 +00:00", tick=False):
        assert send(client, listing).status_code == 302
    assert Enquiry.objects.count() == 3


def test_rate_limit_is_per_address(client, listing, settings):
    settings.ENQUIRY_RATE_LIMIT_PER_HOUR = 1
    url = reverse("signposting:enquiry_new")
    data = {"listing": str(listing.public_id), **ENQUIRY}
    assert client.post(url, data, REMOTE_ADDR="10.0.0.1").status_code == 302
    assert client.post(url, data, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.post(url, data, REMOTE_ADDR="10.0.0.2").status_code == 302
    # A forged forwarding header does not get round it.
    assert client.post(url, data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4").status_code == 429


# --- The provider's side ----------------------------------------------------------------


def test_provider_reads_enquiries_and_marks_one_replied(client, listing, provider_member):
    enquiry = Enquiry.objects.create(listing=listing, **ENQUIRY)
    client.force_login(provider_member)
    page = client.get(reverse("signposting:enquiries")).content.decode()
    assert "Margaret Patel about Swimming buddy" in page
    assert "Could you take me swimming on Saturday mornings?" in page
    assert "Not replied yet" in page

    response = client.post(
        reverse("signposting:enquiry_replied", args=[enquiry.public_id]), {"replied": "1"}, follow=True
    )
    assert "Marked the enquiry from Margaret Patel as replied." in response.content.decode()
    enquiry.refresh_from_db()
    assert enquiry.responded_at is not None


def test_other_people_cannot_read_or_mark_a_providers_enquiries(client, listing, professional):
    enquiry = Enquiry.objects.create(listing=listing, **ENQUIRY)
    stranger = UserFactory(role=Role.PROVIDER)
    stranger.providers.add(ProviderFactory())
    for user in (stranger, professional):
        client.force_login(user)
        assert "Margaret" not in client.get(reverse("signposting:enquiries")).content.decode()
        response = client.post(reverse("signposting:enquiry_replied", args=[enquiry.public_id]))
        assert response.status_code == 404
    enquiry.refresh_from_db()
    assert enquiry.responded_at is None
    client.force_login(professional)
    assert (
        "Your account is not part of a provider's team"
        in client.get(reverse("signposting:enquiries")).content.decode()
    )
    with pytest.raises(signposting.NotAllowed):
        signposting.mark_enquiry_replied(enquiry=enquiry, by=professional)


# --- Response rate on the listing -------------------------------------------------------


def make_enquiries(listing, reply_hours):
    """One enquiry per entry, replied to after that many hours (None: never)."""
    now = timezone.now()
    for n, hours in enumerate(reply_hours):
        asked = now - timedelta(days=10, hours=n)
        enquiry = Enquiry.objects.create(listing=listing, **ENQUIRY)
        Enquiry.objects.filter(pk=enquiry.pk).update(
            created_at=asked, responded_at=asked + timedelta(hours=hours) if hours is not None else None
        )


def test_response_stats_appear_only_once_there_are_five_enquiries(listing):
    make_enquiries(listing, [2, 3, None, 30])
    assert signposting.listing_response_stats(listing) is None
    make_enquiries(listing, [5])
    stats = signposting.listing_response_stats(listing)
    assert stats.enquiries == 5
    assert stats.response_rate == 80  # 4 of 5
    assert stats.typical_reply_hours == 4.0  # median of 2, 3, 5, 30
    assert stats.typical_reply == "within 4 hours"


def test_response_stats_tag_shows_what_people_read(listing):
    template = Template("{% load signposting %}{% response_stats listing %}")
    assert template.render(Context({"listing": listing})).strip() == ""
    make_enquiries(listing, [20, 30, 40, None, None, 50])
    html = " ".join(template.render(Context({"listing": listing})).split())
    assert (
        "Replies to 67% of messages sent through this site, usually within 2 days "
        "(from 6 messages in the last year)." in html
    )


def test_response_stats_ignore_enquiries_older_than_a_year(listing):
    make_enquiries(listing, [1, 1, 1, 1, 1])
    Enquiry.objects.update(created_at=timezone.now() - timedelta(days=400))
    assert signposting.listing_response_stats(listing) is None
