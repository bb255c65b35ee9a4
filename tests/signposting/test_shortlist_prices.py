"""Shortlists show each service's price as it is charged ("£6 a meal"), wherever they are read:
the professional's own view, the shared link, the printed list and the email."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from directory.models import ListingPrice
from signposting import services as signposting
from signposting.models import ProfessionalVerification
from tests.factories import UserFactory, make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def professional():
    user = UserFactory(role=Role.PROFESSIONAL, first_name="Asha", last_name="Khan")
    ProfessionalVerification.objects.create(user=user, verified_at=timezone.now(), method="coordinator")
    return user


@pytest.fixture
def shortlist(professional, directory):
    lunch = make_listing(
        title="Memory Lane lunch club",
        prices=[ListingPrice(description="Lunch", unit="meal", weekday_pence=650)],
    )
    swim = make_listing(
        title="Swimming buddy",
        prices=[
            ListingPrice(description="Swim", unit="session", unit_minutes=90, weekday_pence=250),
            ListingPrice(description="Longer swim", unit="hour", weekday_pence=1200),
        ],
    )
    shortlist = signposting.create_shortlist(owner=professional, title="Options for Mrs P")
    for listing in (lunch, swim):
        signposting.add_to_shortlist(shortlist=shortlist, listing=listing, by=professional)
    return shortlist


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_shared_link_and_the_printed_list_show_prices_in_their_own_units(client, shortlist):
    for name in ("signposting:shortlist_public", "signposting:shortlist_public_print"):
        page = text_of(client.get(reverse(name, args=[shortlist.token])))
        assert "£6.50 a meal ·" in page, name
        assert "From £2.50 a session (1½ hours) ·" in page, name
        assert "an hour ·" not in page, name  # no hourly figure nobody is charged


def test_the_professionals_view_and_print_show_the_same_prices(client, shortlist, professional):
    client.force_login(professional)
    page = text_of(client.get(reverse("signposting:shortlist", args=[shortlist.public_id])))
    assert "By Helping Hands" in page  # the factory's provider name, then the price
    assert "· £6.50 a meal" in page
    assert "· From £2.50 a session (1½ hours)" in page
    printed = text_of(client.get(reverse("signposting:shortlist_print", args=[shortlist.public_id])))
    assert "£6.50 a meal" in printed and "From £2.50 a session (1½ hours)" in printed


def test_the_emailed_shortlist_gives_each_price_in_its_own_unit(client, shortlist, professional):
    client.force_login(professional)
    client.post(
        reverse("signposting:shortlist_email", args=[shortlist.public_id]),
        {"email": "mrs.p@example.org", "message": ""},
    )
    (email,) = mail.outbox
    assert "Price: £6.50 a meal" in email.body
    assert "Price: From £2.50 a session (1½ hours)" in email.body
