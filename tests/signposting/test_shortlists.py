"""Shortlists as a professional makes them and a person opens them: the link is unguessable,
revocable and can expire; private notes stay private; every handover says it is not an
endorsement.
"""

import re
import string
from datetime import timedelta

import pytest
import segno
import time_machine
from django.core import mail
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from search.backends.base import SearchHit
from signposting import services as signposting
from signposting.models import (
    ProfessionalVerification,
    Shortlist,
    ShortlistItem,
    ShortlistMember,
    legacy_token_hash,
)
from tests.factories import UserFactory, make_listing

pytestmark = pytest.mark.django_db

STATEMENT = "We do not endorse any of these providers. You choose who, if anyone, to contact."


def make_professional(**fields):
    """A signed-up professional whose account a coordinator has verified."""
    user = UserFactory(role=Role.PROFESSIONAL, **fields)
    ProfessionalVerification.objects.create(user=user, verified_at=timezone.now(), method="coordinator")
    return user


@pytest.fixture
def professional():
    return make_professional(first_name="Asha", last_name="Khan")


@pytest.fixture
def listings(directory):
    swim = make_listing(title="Swimming buddy", contact_phone="07700 900123")
    lunch = make_listing(title="Memory Lane lunch club", outcomes=("eat-well",))
    return swim, lunch


@pytest.fixture
def shortlist(professional, listings):
    """Two listings: one with a note shared with the person, one with a private note."""
    swim, lunch = listings
    shortlist = signposting.create_shortlist(
        owner=professional, title="Options for Mrs P: getting out", person_label="Mrs P"
    )
    signposting.add_to_shortlist(
        shortlist=shortlist,
        listing=swim,
        by=professional,
        note="Ask for Jo, she is lovely.",
        note_shared=True,
    )
    signposting.add_to_shortlist(
        shortlist=shortlist,
        listing=lunch,
        by=professional,
        note="Check the stairs first (private).",
        note_shared=False,
    )
    return shortlist


def public_url(shortlist):
    return reverse("signposting:shortlist_public", args=[shortlist.token])


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- The link ---------------------------------------------------------------------------


def test_shortlist_link_is_long_random_and_different_every_time(professional):
    tokens = {signposting.create_shortlist(owner=professional, title=f"List {n}").token for n in range(20)}
    assert len(tokens) == 20
    allowed = set(string.ascii_letters + string.digits + "-_.")
    for token in tokens:
        # 32 random bytes (256 bits, far beyond guessing), then the signature.
        assert len(token) >= 43 + 1 + 27
        assert set(token) <= allowed


def test_the_database_holds_no_working_shortlist_link(client, shortlist):
    """Every text a copy of the database holds for a shortlist fails as its link."""
    assert client.get(public_url(shortlist)).status_code == 200
    row = Shortlist.objects.filter(pk=shortlist.pk).values().get()
    stored = [value for value in row.values() if isinstance(value, str) and value]
    assert shortlist.link_key in stored
    for value in stored:
        response = client.get(reverse("signposting:shortlist_public", args=[value]))
        assert response.status_code == 404, f"the stored value {value!r} opens the shortlist"
    # A token signed with another key (a guess at the signature) opens nothing either.
    forged = shortlist.link_key + "." + shortlist.token.rsplit(".", 1)[1][::-1]
    assert client.get(reverse("signposting:shortlist_public", args=[forged])).status_code == 404


def test_a_link_from_before_links_were_signed_works_until_renewed(client, shortlist, professional):
    old_token = "an-old-random-token-from-before-links-were-signed-0123456789"
    Shortlist.objects.filter(pk=shortlist.pk).update(legacy_token_hash=legacy_token_hash(old_token))
    old_url = reverse("signposting:shortlist_public", args=[old_token])
    assert "Swimming buddy" in client.get(old_url).content.decode()
    signposting.renew_link(shortlist=Shortlist.objects.get(pk=shortlist.pk), by=professional)
    assert client.get(old_url).status_code == 404


def test_person_opens_the_link_without_signing_in_and_sees_only_shared_notes(client, shortlist):
    response = client.get(public_url(shortlist))
    body = text_of(response)
    assert response.status_code == 200
    assert "Options for Mrs P: getting out" in body
    assert "Swimming buddy" in body and "Memory Lane lunch club" in body
    assert "Ask for Jo, she is lovely." in body
    assert "Check the stairs first" not in response.content.decode()
    assert STATEMENT in body
    assert "07700 900123" in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_owner_sees_every_note_and_which_ones_the_person_sees(client, shortlist, professional):
    client.force_login(professional)
    body = text_of(client.get(reverse("signposting:shortlist", args=[shortlist.public_id])))
    assert "Ask for Jo, she is lovely." in body
    assert "Check the stairs first (private)." in body
    assert "Shown to the person" in body and "Only you see this" in body


def test_a_guessed_or_shortened_token_finds_nothing(client, shortlist):
    for guess in (shortlist.token[:-1], shortlist.token[:20], shortlist.token.upper(), "x" * 43, "x" * 200):
        response = client.get(reverse("signposting:shortlist_public", args=[guess]))
        assert response.status_code == 404
        assert "We cannot find this shortlist" in response.content.decode()
        assert "Swimming buddy" not in response.content.decode()


def test_revoked_link_says_it_no_longer_works_and_a_new_link_replaces_it(client, shortlist, professional):
    old_url = public_url(shortlist)
    client.force_login(professional)
    client.post(reverse("signposting:shortlist_link", args=[shortlist.public_id]), {"action": "revoke"})
    client.logout()

    response = client.get(old_url)
    assert response.status_code == 410
    assert "This link no longer works" in response.content.decode()
    assert "switched this link off" in response.content.decode()
    assert "Swimming buddy" not in response.content.decode()

    client.force_login(professional)
    client.post(reverse("signposting:shortlist_link", args=[shortlist.public_id]), {"action": "renew"})
    client.logout()
    shortlist.refresh_from_db()
    assert client.get(old_url).status_code == 404
    assert client.get(public_url(shortlist)).status_code == 200


def test_link_stops_working_after_its_end_date(client, professional, listings):
    form = {"title": "For Mr K", "person_label": "", "ends_on": "2030-03-31"}
    with time_machine.travel("2030-03-01 10:00 +00:00", tick=False):
        client.force_login(professional)
        response = client.post(reverse("signposting:shortlist_new"), form)
        assert response.status_code == 302
        shortlist = Shortlist.objects.get(title="For Mr K")
        client.logout()
        assert client.get(public_url(shortlist)).status_code == 200
    with time_machine.travel("2030-03-31 22:00 +00:00", tick=False):
        # 11pm in London on 31 March: still the last day.
        assert client.get(public_url(shortlist)).status_code == 200
    with time_machine.travel("2030-04-01 00:30 +01:00", tick=False):
        response = client.get(public_url(shortlist))
        assert response.status_code == 410
        assert "passed its end date" in response.content.decode()


def test_end_date_in_the_past_is_refused_and_what_was_typed_is_kept(client, professional):
    client.force_login(professional)
    response = client.post(
        reverse("signposting:shortlist_new"), {"title": "Options for Mrs P", "ends_on": "2001-01-01"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert "The end date must be today or in the future." in body
    assert 'value="Options for Mrs P"' in body
    assert not Shortlist.objects.exists()


# --- Who may do what --------------------------------------------------------------------


def test_another_professional_cannot_see_or_change_a_shortlist(client, shortlist):
    other = make_professional()
    client.force_login(other)
    item = shortlist.items.first()
    pages = [
        ("get", reverse("signposting:shortlist", args=[shortlist.public_id])),
        ("get", reverse("signposting:shortlist_edit", args=[shortlist.public_id])),
        ("get", reverse("signposting:shortlist_print", args=[shortlist.public_id])),
        ("get", reverse("signposting:item_edit", args=[shortlist.public_id, item.pk])),
        ("post", reverse("signposting:item_remove", args=[shortlist.public_id, item.pk])),
        ("post", reverse("signposting:shortlist_link", args=[shortlist.public_id])),
        ("post", reverse("signposting:shortlist_email", args=[shortlist.public_id])),
    ]
    for method, url in pages:
        response = getattr(client, method)(url, {"action": "revoke", "email": "x@example.org"})
        assert response.status_code == 404, url
    shortlist.refresh_from_db()
    assert shortlist.link_works()
    assert shortlist.items.count() == 2
    assert len(mail.outbox) == 0


def test_someone_not_verified_cannot_make_shortlists(client, listings):
    user = UserFactory(role=Role.PROFESSIONAL)  # in the group, but nobody has verified them
    client.force_login(user)
    response = client.get(reverse("signposting:shortlist_new"))
    assert response.status_code == 403
    assert "Get your account verified" in response.content.decode()
    with pytest.raises(signposting.NotAProfessional):
        signposting.create_shortlist(owner=user, title="Mine")


def test_shortlist_pages_need_sign_in(client, shortlist):
    response = client.get(reverse("signposting:shortlist", args=[shortlist.public_id]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- Building a shortlist ---------------------------------------------------------------


def test_professional_adds_a_search_result_to_a_new_shortlist_without_javascript(
    client, professional, listings
):
    swim, _ = listings
    client.force_login(professional)
    back = "/search/?q=swimming&near=BL3"
    add_url = reverse("signposting:shortlist_add") + f"?listing={swim.public_id}&next=/search/%3Fq%3Dswimming"
    page = client.get(add_url)
    assert page.status_code == 200
    assert "Add Swimming buddy to a shortlist" in page.content.decode()

    response = client.post(
        reverse("signposting:shortlist_add"),
        {
            "listing": str(swim.public_id),
            "next": back,
            "shortlist": "new",
            "new_title": "Options for Mrs P: getting out",
            "note": "Saturday mornings suit her.",
            "note_shared": "on",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == back
    assert "Added Swimming buddy to" in response.content.decode()
    item = ShortlistItem.objects.get()
    assert item.shortlist.title == "Options for Mrs P: getting out"
    assert item.note == "Saturday mornings suit her." and item.note_shared


def test_adding_with_a_new_shortlist_but_no_name_keeps_the_note(client, professional, listings):
    swim, _ = listings
    client.force_login(professional)
    response = client.post(
        reverse("signposting:shortlist_add"),
        {"listing": str(swim.public_id), "shortlist": "new", "new_title": "", "note": "Good for her knees"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Enter a name for the new shortlist." in body
    assert "Good for her knees" in body
    assert not ShortlistItem.objects.exists()


def test_adding_the_same_listing_twice_says_so(client, shortlist, professional, listings):
    swim, _ = listings
    client.force_login(professional)
    response = client.post(
        reverse("signposting:shortlist_add"),
        {"listing": str(swim.public_id), "shortlist": str(shortlist.public_id), "next": "/shortlists/"},
        follow=True,
    )
    assert "Swimming buddy is already on Options for Mrs P: getting out." in response.content.decode()
    assert shortlist.items.count() == 2


def test_an_unpublished_listing_cannot_be_added(client, professional, directory):
    hidden = make_listing(title="Not yet live", publish=False)
    client.force_login(professional)
    response = client.get(reverse("signposting:shortlist_add") + f"?listing={hidden.public_id}")
    assert response.status_code == 404


def test_add_control_on_search_results_shows_for_professionals_only(professional, listings):
    swim, _ = listings
    hit = SearchHit(
        listing_id=swim.pk,
        public_id=str(swim.public_id),
        title=swim.title,
        url=swim.url,
        summary="",
        provider_name="",
        outcomes=[],
        price_per_hour_pence=None,
        intake="taking",
        verified=False,
        stale=False,
        latitude=None,
        longitude=None,
    )
    request = RequestFactory().get("/search/?q=swim")
    request.user = professional
    html = render_to_string(
        "signposting/_add_to_shortlist.html", {"hit": hit, "user": professional, "request": request}
    )
    assert f"/shortlists/add/?listing={swim.public_id}&amp;next=/search/%3Fq%3Dswim" in html
    assert "Add to shortlist" in html
    assert "<form" not in html  # results sit inside the search form; forms cannot nest

    someone = UserFactory()
    assert "Add to shortlist" not in render_to_string(
        "signposting/_add_to_shortlist.html", {"hit": hit, "user": someone, "request": request}
    )


def test_owner_changes_a_note_to_shared_and_the_person_then_sees_it(client, shortlist, professional):
    item = shortlist.items.get(note_shared=False)
    client.force_login(professional)
    client.post(
        reverse("signposting:item_edit", args=[shortlist.public_id, item.pk]),
        {"note": "Lift at the side door.", "note_shared": "on"},
    )
    client.logout()
    assert "Lift at the side door." in text_of(client.get(public_url(shortlist)))


def test_a_listing_taken_down_later_is_shown_as_no_longer_listed(client, shortlist, listings):
    _, lunch = listings
    lunch.unpublish()
    body = text_of(client.get(public_url(shortlist)))
    assert "This service is no longer listed." in body
    assert "Send a message to Memory Lane lunch club" not in body


# --- Handing it over --------------------------------------------------------------------


def test_print_view_has_the_statement_the_link_and_a_qr_code_of_it(client, shortlist, professional, settings):
    # The printed link (and its QR code) is on the site's public address, not the one asked on.
    settings.SITE_URL = "https://support.example.gov.uk"
    client.force_login(professional)
    response = client.get(reverse("signposting:shortlist_print", args=[shortlist.public_id]))
    html = response.content.decode()
    link = "https://support.example.gov.uk" + public_url(shortlist)
    assert "http://testserver" + public_url(shortlist) not in html
    assert response.status_code == 200
    assert STATEMENT in text_of(response)
    assert link in html
    assert 'role="img" aria-label="QR code: scan it to open this list on a phone"' in html
    # The QR code's modules are exactly segno's encoding of the link.
    expected = segno.make(link, error="m").svg_inline(
        scale=4, dark="#0b0c0c", light="#ffffff", svgclass="lsm-qr"
    )
    assert re.search(r'd="[^"]+"', expected).group(0) in html
    assert "Ask for Jo, she is lovely." in html
    assert "Check the stairs first" not in html
    assert "lsm-large-print" not in html

    large = client.get(reverse("signposting:shortlist_print", args=[shortlist.public_id]) + "?size=large")
    assert 'class="govuk-template__body lsm-print lsm-large-print"' in large.content.decode()


def test_person_can_print_from_the_link_too(client, shortlist):
    response = client.get(
        reverse("signposting:shortlist_public_print", args=[shortlist.token]) + "?size=large"
    )
    assert response.status_code == 200
    assert "lsm-large-print" in response.content.decode()
    assert "Check the stairs first" not in response.content.decode()


def test_emailed_shortlist_has_link_statement_and_shared_notes_only(
    client, shortlist, professional, settings
):
    settings.SITE_URL = "https://support.example.gov.uk"
    client.force_login(professional)
    response = client.post(
        reverse("signposting:shortlist_email", args=[shortlist.public_id]),
        {"email": "mrs.p@example.org", "message": "Lovely to see you today."},
        follow=True,
    )
    assert "We emailed the shortlist to mrs.p@example.org." in response.content.decode()
    (email,) = mail.outbox
    assert email.to == ["mrs.p@example.org"]
    assert email.reply_to == [professional.email]
    assert "Options for Mrs P: getting out" in email.subject
    assert "https://support.example.gov.uk" + public_url(shortlist) in email.body
    assert STATEMENT in " ".join(email.body.split())
    assert "Lovely to see you today." in email.body
    assert "Ask for Jo, she is lovely." in email.body
    assert "Check the stairs first" not in email.body


def test_email_with_a_bad_address_keeps_what_was_typed(client, shortlist, professional):
    client.force_login(professional)
    response = client.post(
        reverse("signposting:shortlist_email", args=[shortlist.public_id]),
        {"email": "mrs.p at example", "message": "See you Tuesday"},
    )
    body = response.content.decode()
    assert "There is a problem" in body
    assert 'value="mrs.p at example"' in body
    assert "See you Tuesday" in body
    assert mail.outbox == []


# --- Opening, comments and saving -------------------------------------------------------


def test_openings_are_counted_once_per_visitor_and_not_for_the_owner(client, shortlist, professional):
    client.get(public_url(shortlist))
    client.get(public_url(shortlist))  # a reload
    from django.test import Client

    Client().get(public_url(shortlist))  # someone else (a family member)
    owner = Client()
    owner.force_login(professional)
    owner.get(public_url(shortlist))
    shortlist.refresh_from_db()
    assert shortlist.opened_count == 2
    page = text_of(owner.get(reverse("signposting:shortlist", args=[shortlist.public_id])))
    assert "Times the link was opened 2" in page


def test_comments_are_off_unless_the_owner_opens_them(client, shortlist):
    body = client.get(public_url(shortlist)).content.decode()
    assert "Add comment" not in body
    response = client.post(
        reverse("signposting:shortlist_public_comment", args=[shortlist.token]), {"name": "Dev", "text": "Hi"}
    )
    assert "Comments are not open on this shortlist." in response.content.decode()
    assert not shortlist.comments.exists()


def test_person_family_and_professional_comment_together(client, shortlist, professional):
    shortlist.comments_open = True
    shortlist.save()
    client.post(
        reverse("signposting:shortlist_public_comment", args=[shortlist.token]),
        {"name": "Priya (daughter)", "text": "Mum liked the swimming one."},
    )
    pro = type(client)()
    pro.force_login(professional)
    pro.post(
        reverse("signposting:shortlist_comment", args=[shortlist.public_id]),
        {"name": "Asha Khan", "text": "Great, shall I ring them?"},
    )
    body = text_of(client.get(public_url(shortlist)))
    assert "Priya (daughter)" in body and "Mum liked the swimming one." in body
    assert "Asha Khan (made this shortlist)" in body and "Great, shall I ring them?" in body


def test_anonymous_comments_are_rate_limited_like_enquiries(client, shortlist, professional, settings):
    settings.COMMENT_RATE_LIMIT_PER_HOUR = 3
    shortlist.comments_open = True
    shortlist.save()
    url = reverse("signposting:shortlist_public_comment", args=[shortlist.token])
    for n in range(3):
        assert client.post(url, {"name": "Dev", "text": f"Comment {n}"}).status_code == 302

    response = client.post(url, {"name": "Dev", "text": "One too many"})

    body = response.content.decode()
    assert "You have added a lot of comments in the last hour" in body
    assert "One too many</textarea>" in body  # what they typed is kept
    assert shortlist.comments.count() == 3
    # The owner is never limited: their page is their own.
    owner = type(client)()
    owner.force_login(professional)
    owner.post(
        reverse("signposting:shortlist_comment", args=[shortlist.public_id]),
        {"name": "Asha", "text": "Noted"},
    )
    assert shortlist.comments.count() == 4


def test_comment_without_a_name_keeps_the_text(client, shortlist):
    shortlist.comments_open = True
    shortlist.save()
    response = client.post(
        reverse("signposting:shortlist_public_comment", args=[shortlist.token]),
        {"name": "", "text": "Thank you"},
    )
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Thank you</textarea>" in body


def test_person_saves_the_shortlist_to_their_own_account(client, shortlist):
    response = client.post(reverse("signposting:shortlist_save", args=[shortlist.token]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    person = UserFactory(email="mrs.p@example.org")
    client.force_login(person)
    client.post(reverse("signposting:shortlist_save", args=[shortlist.token]))
    assert ShortlistMember.objects.filter(shortlist=shortlist, user=person).exists()
    mine = text_of(client.get(reverse("signposting:shortlists")))
    assert "Options for Mrs P: getting out" in mine
    assert "Make a new shortlist" not in mine  # the person is not a professional


def test_saved_shortlist_shows_when_its_link_is_switched_off(client, shortlist, professional):
    person = UserFactory()
    ShortlistMember.objects.create(shortlist=shortlist, user=person)
    signposting.revoke_link(shortlist=shortlist, by=professional)
    client.force_login(person)
    assert "(this link no longer works)" in text_of(client.get(reverse("signposting:shortlists")))


def test_expiry_and_revocation_helpers(shortlist, professional):
    assert shortlist.link_works()
    shortlist.expires_at = timezone.now() - timedelta(seconds=1)
    assert shortlist.is_expired() and not shortlist.link_works()
    with pytest.raises(signposting.NotAllowed):
        signposting.revoke_link(shortlist=shortlist, by=make_professional())
