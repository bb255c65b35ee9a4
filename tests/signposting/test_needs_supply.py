"""New supply from a need: a provider with no listing that could meet it offers from a new one
(the listing wizard is pre-filled with the need's outcome and district, and the offer reaches
the person once the listing is live), and the provider is emailed when their offer is chosen.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from cms.site import site_url
from directory.fields import slots_to_mask
from directory.models import ListingPage, Outcome, PostcodeDistrict
from marketplace.models import Order
from marketplace.services import pooling
from signposting import report
from signposting.models import ListingStarted, Need, Offer, PendingOffer
from signposting.needs import groups, supply
from signposting.needs import services as needs
from tests.factories import ProviderFactory, UserFactory, make_listing
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db


@pytest.fixture
def need(directory):
    return needs.post_need(
        by=UserFactory(first_name="Margaret", email="margaret@example.org"),
        outcomes=list(Outcome.objects.filter(slug="eat-well")),
        own_words="A lunch club on Wednesdays.",
        district=PostcodeDistrict.objects.get(code="BL1"),
        availability=slots_to_mask(["wed-afternoon"]),
    )


@pytest.fixture
def cook():
    """A provider whose only listing (swimming, in BL3) could not meet a lunch-club need in BL1."""
    provider = ProviderFactory(name="Bolton Kitchen", email="kitchen@example.org")
    member = UserFactory(role=Role.PROVIDER, email="cook@example.org")
    provider.members.add(member)
    make_listing(title="Swim buddy", provider=provider, base_postcode="BL3", radius=1)
    return provider, member


def test_a_provider_with_no_matching_listing_offers_from_a_new_one_started_pre_filled(client, need, cook):
    provider, member = cook
    client.force_login(member)
    page = client.get(reverse("signposting:need", args=[need.public_id])).content.decode()
    assert "Offer to help" not in page
    url = reverse("signposting:need_offer_new_listing", args=[need.public_id])
    assert url in page

    response = client.post(
        url, {"provider": str(provider.public_id), "price_unit": "session", "message": "Hi"}
    )
    assert "Enter your price" in response.content.decode() and not PendingOffer.objects.exists()
    assert "Hi</textarea>" in response.content.decode()  # what was typed is kept
    response = client.post(
        url,
        {
            "provider": str(provider.public_id),
            "price": "6",
            "price_unit": "session",
            "message": "A hot lunch",
        },
    )

    wizard = reverse("my:listing_create", args=[provider.public_id])
    assert response.url == f"{wizard}?postcode=BL1&outcome=eat-well"
    pending = PendingOffer.objects.get()
    assert (pending.price_pence, pending.offer) == (600, None)
    client.post(
        response.url,
        {
            "title": "Wednesday lunch club",
            "summary": "Lunch together.",
            "description": "A hot meal and a chat.",
        },
    )
    draft = ListingPage.objects.get(title="Wednesday lunch club").get_latest_revision_as_object()
    assert draft.base_postcode == "BL1"
    assert [o.slug for o in draft.outcomes.all()] == ["eat-well"]


def test_the_offer_reaches_the_person_once_the_new_listing_is_live_and_it_counts_as_new_supply(need, cook):
    provider, member = cook
    supply.offer_from_new_listing(
        need=need, provider=provider, by=member, price_pence=600, price_unit="session", message="A hot lunch"
    )
    draft = make_listing(
        title="Lunch club", provider=provider, base_postcode="BL1", outcomes=("eat-well",), publish=False
    )
    assert not Offer.objects.exists()  # not live yet

    draft.get_latest_revision().publish()

    offer = Offer.objects.get()
    assert (offer.need, offer.listing.pk, offer.price_pence, offer.message) == (
        need,
        draft.pk,
        600,
        "A hot lunch",
    )
    assert PendingOffer.objects.get().offer == offer
    started = ListingStarted.objects.get()
    assert (started.listing_id, started.after, started.district.code) == (draft.pk, "need", "BL1")
    # Publishing again changes nothing.
    ListingPage.objects.get(pk=draft.pk).save_revision().publish()
    assert Offer.objects.count() == 1 and ListingStarted.objects.count() == 1


def test_a_new_listing_that_could_not_meet_the_need_does_not_carry_the_offer(need, cook):
    provider, member = cook
    supply.offer_from_new_listing(
        need=need, provider=provider, by=member, price_pence=600, price_unit="session", message="Lunch"
    )
    make_listing(title="Far away", provider=provider, base_postcode="BL9", radius=1, outcomes=("eat-well",))
    assert not Offer.objects.exists()


def test_someone_on_no_providers_team_cannot_offer_from_a_new_listing(client, need):
    client.force_login(UserFactory())
    response = client.get(reverse("signposting:need_offer_new_listing", args=[need.public_id]))
    assert response.status_code == 403


def test_the_provider_is_emailed_with_a_site_link_when_their_offer_is_chosen(
    client, directory, django_capture_on_commit_callbacks
):
    provider = ProviderFactory(name="Swims", email="swims@example.org")
    member = UserFactory(role=Role.PROVIDER, email="jo@example.org")
    provider.members.add(member)
    listing = make_listing(provider=provider, base_postcode="BL3", slots=("tue-morning",))
    poster = UserFactory(first_name="Margaret", email="margaret@example.org")
    need = needs.post_need(
        by=poster,
        outcomes=list(Outcome.objects.filter(slug="get-out-and-about")),
        own_words="Swimming on Tuesdays.",
        district=PostcodeDistrict.objects.get(code="BL3"),
        availability=slots_to_mask(["tue-morning"]),
    )
    offer = needs.make_offer(
        need=need, listing=listing, by=member, price_pence=1800, price_unit="hour", message="Yes"
    )
    client.force_login(poster)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("signposting:offer_accept", args=[offer.public_id]))

    [email] = mail.outbox
    assert email.subject == f"Your offer from {listing.title} was chosen"
    assert set(email.to) == {"swims@example.org", "jo@example.org"}
    link = re.search(r"Your requests: (\S+)", email.body).group(1)
    assert link == site_url(reverse("marketplace:provider_inbox"))
    assert "Margaret" not in email.body and "margaret@" not in email.body


# --- The report: met (paid) and new listings -----------------------------------------------------


def _paid(order):
    """Mark an order paid as the payment webhook does (the payment itself is tested in
    tests/marketplace; here only the report's reading of it matters)."""
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID, paid_at=timezone.now())


def _period():
    today = timezone.localdate()
    return report.Period(today - timedelta(days=1), today + timedelta(days=1))


def test_a_need_counts_as_met_only_once_its_poster_paid_the_chosen_listing(client, directory):
    world = mf.World()
    need = needs.post_need(
        by=world.holder,
        outcomes=list(Outcome.objects.filter(slug="get-out-and-about")),
        own_words="Swimming, please.",
        district=PostcodeDistrict.objects.get(code="BL3"),
    )
    offer = needs.make_offer(
        need=need,
        listing=world.listing,
        by=world.provider_user,
        price_pence=2000,
        price_unit="hour",
        message="Yes",
    )
    needs.accept_offer(offer=offer, by=world.holder)
    elsewhere = mf.World(budget=world.budget)  # the same holder, another provider's listing
    _paid(elsewhere.order())
    assert report.needs_summary(period=_period())[0].met == 0

    order = world.order()
    assert report.needs_summary(period=_period())[0].met == 0  # agreed, not paid yet
    _paid(order)

    (row,) = report.needs_summary(period=_period())
    assert (row.accepted, row.met) == (1, 1)
    lines = report.csv_text("needs", period=_period()).splitlines()
    assert lines[1] == "Get out and about,BL3,1,1,1,1,"


def test_a_group_proposal_counts_as_met_once_a_place_in_its_activity_is_paid(directory):
    world = mf.World()
    proposal = groups.propose_group(
        by=UserFactory(),
        min_people=2,
        max_people=4,
        outcomes=list(Outcome.objects.filter(slug="get-out-and-about")),
        own_words="Swimming together.",
        district=PostcodeDistrict.objects.get(code="BL3"),
    )
    day = timezone.localdate() + timedelta(days=10)
    activity = pooling.create_activity(
        provider=world.provider,
        by=world.provider_user,
        listing=world.listing,
        title="Swim",
        when="Tuesdays",
        starts_on=day,
        ends_on=day,
        unit_price_pence=500,
        places=4,
        min_places=1,
        join_by=day,
        if_not_filled="refund",
    )
    Need.objects.filter(pk=proposal.pk).update(activity_ref=activity.public_id)
    share = pooling.join_activity(
        activity=activity, budget=world.budget, by=world.holder, plan_outcome=world.plan_outcome
    )
    assert report.needs_summary(period=_period())[0].met == 0
    _paid(share)
    assert report.needs_summary(period=_period())[0].met == 1


def test_the_report_counts_new_listings_started_after_a_need(client, need, cook):
    provider, member = cook
    supply.offer_from_new_listing(
        need=need, provider=provider, by=member, price_pence=600, price_unit="session", message="Lunch"
    )
    make_listing(title="Lunch club", provider=provider, base_postcode="BL1", outcomes=("eat-well",))
    assert report.listings_started(period=_period()) == [("A need", "Eat well", "BL1", 1)]
    lines = report.csv_text("new-listings", period=_period()).splitlines()
    assert lines == ["started after,outcome,district,new listings", "A need,Eat well,BL1,1"]
    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=True))
    body = client.get(reverse("signposting_report")).content.decode()
    assert "New listings after a need or demand alert" in body and "Lunch club" not in body
