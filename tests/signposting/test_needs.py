"""Needs: posting one (anonymously, district only, no identifying words), the public pages,
expiry, withdrawing, moderation, providers near it being told and offering, the poster
choosing an offer and going on to the marketplace's request page, and offers never
changing search ranking.
"""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from cms.models import Role
from directory.fields import slots_to_mask
from directory.models import Outcome, PostcodeDistrict
from search.backends import get_search_backend
from search.query import parse_query
from search.services import vocabularies
from signposting.models import Need, NeedNotified, Offer
from signposting.needs import services as needs
from tests.factories import ProviderFactory, UserFactory, make_listing

pytestmark = pytest.mark.django_db

WORDS = "Someone to go swimming with on Tuesday mornings, slowly."


@pytest.fixture
def poster():
    return UserFactory(first_name="Margaret", last_name="Hughes", email="margaret.hughes@example.org")


@pytest.fixture
def provider_user():
    return UserFactory(role=Role.PROVIDER, email="shazia@example.org")


@pytest.fixture
def provider_listing(directory, provider_user):
    provider = ProviderFactory(name="Bolton Swim Buddies")
    provider.members.add(provider_user)
    return make_listing(
        title="Swim buddy", provider=provider, base_postcode="BL3", radius=5, slots=("tue-morning",)
    )


def post(user, *, district="BL3", outcomes=("get-out-and-about",), slots=("tue-morning",), **kwargs):
    return needs.post_need(
        by=user,
        outcomes=list(Outcome.objects.filter(slug__in=outcomes)),
        own_words=kwargs.pop("own_words", WORDS),
        district=PostcodeDistrict.objects.get(code=district),
        availability=slots_to_mask(slots),
        **kwargs,
    )


def form_data(**overrides):
    data = {
        "posted_for": "self",
        "outcomes": [str(Outcome.objects.get(slug="get-out-and-about").pk)],
        "own_words": WORDS,
        "postcode": "BL3",
        "availability": ["tue-morning"],
        "frequency": "weekly",
        "budget_min": "15",
        "budget_max": "25.50",
        "expires_in_weeks": "8",
    }
    data.update(overrides)
    return data


# --- Posting ------------------------------------------------------------------------------


def test_posting_a_need_needs_an_account(client):
    response = client.get(reverse("signposting:need_new"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_form_warns_against_names_addresses_and_health_details(client, poster):
    client.force_login(poster)
    body = client.get(reverse("signposting:need_new")).content.decode()
    assert "Do not include names, addresses or health details" in body
    assert "we keep only the first half" in body


def test_a_posted_need_is_kept_with_its_budget_in_pence_and_expires_in_8_weeks(client, poster):
    client.force_login(poster)
    response = client.post(reverse("signposting:need_new"), form_data(postcode="bl3 4ab"), follow=True)
    need = Need.objects.get()
    assert (need.district.code, need.budget_min_pence, need.budget_max_pence) == ("BL3", 1500, 2550)
    assert need.expires_at - need.created_at == timedelta(weeks=8)
    assert need.posted_by == poster and need.availability == slots_to_mask(["tue-morning"])
    body = response.content.decode()
    assert "We kept only BL3 from the postcode you typed" in body
    assert "4AB" not in str(Need.objects.values_list()[0])


@pytest.mark.parametrize(
    ("words", "what"),
    [
        ("Email me at marg@example.org please", "an email address"),
        ("Ring 01204 123456 after six", "a phone number"),
        ("Call +44 7700 900123", "a phone number"),
        ("I live at BL3 4AB near the park", "a full postcode"),
        ("For my mum, Mrs Hughes, on Tuesdays", "a name"),
    ],
)
def test_words_that_identify_someone_are_refused_and_what_was_typed_is_kept(client, poster, words, what):
    client.force_login(poster)
    response = client.post(reverse("signposting:need_new"), form_data(own_words=words))
    body = response.content.decode()
    assert response.status_code == 200 and not Need.objects.exists()
    assert f"Take out {what}" in body
    assert words.split()[0] in body and "govuk-error-summary" in body
    assert 'value="25.50"' in body  # the other answers are kept too


def test_ordinary_words_are_not_mistaken_for_identifying_ones():
    assert needs.identifying_words("Swimming at 10am, 2 hours, about £18 an hour, BL3 area") == []


def test_an_unknown_district_is_refused_with_a_message(client, poster):
    client.force_login(poster)
    body = client.post(reverse("signposting:need_new"), form_data(postcode="ZZ99")).content.decode()
    assert "We do not know the postcode district ZZ99" in body and 'value="ZZ99"' in body


def test_a_budget_range_the_wrong_way_round_is_refused(client, poster):
    client.force_login(poster)
    body = client.post(reverse("signposting:need_new"), form_data(budget_min="30", budget_max="20")).content
    assert b"must be the same as or more than the least" in body and not Need.objects.exists()


# --- Public pages: anonymous, district only -----------------------------------------------


def test_the_public_pages_show_no_name_email_or_full_postcode(client, poster):
    client.force_login(poster)
    client.post(reverse("signposting:need_new"), form_data(postcode="BL3 4AB"))
    need = Need.objects.get()
    public = Client()
    for url in (reverse("signposting:needs"), reverse("signposting:need", args=[need.public_id])):
        body = public.get(url).content.decode()
        assert "BL3" in body and "swimming" in body
        for secret in ("Margaret", "Hughes", "margaret.hughes", "4AB"):
            assert secret not in body, (url, secret)


def test_the_list_filters_by_district_and_outcome_and_pages(client, poster):
    post(poster, district="BL3")
    post(poster, district="BL1", outcomes=("eat-well",), own_words="A lunch club nearby.")
    body = client.get(reverse("signposting:needs") + "?district=bl1").content.decode()
    assert "lunch club" in body and "swimming" not in body
    body = client.get(reverse("signposting:needs") + "?outcome=get-out-and-about").content.decode()
    assert "swimming" in body and "lunch club" not in body
    for i in range(22):
        post(UserFactory(), own_words=f"Need number {i}.")
    first = client.get(reverse("signposting:needs")).content.decode()
    assert "Page 1 of 2" in first and "page=2" in first


def test_expired_withdrawn_and_hidden_needs_vanish_from_public_pages(client, poster):
    expired = post(poster, own_words="Expired need words.", expires_in_weeks=2)
    withdrawn = post(poster, own_words="Withdrawn need words.")
    hidden = post(poster, own_words="Hidden need words.")
    needs.withdraw_need(need=withdrawn, by=poster)
    Need.objects.filter(pk=hidden.pk).update(hidden=True)
    with time_machine.travel(timezone.now() + timedelta(weeks=3)):
        listing_page = client.get(reverse("signposting:needs")).content.decode()
        for need in (expired, withdrawn, hidden):
            assert client.get(reverse("signposting:need", args=[need.public_id])).status_code == 404
    assert "Expired need words" not in listing_page
    assert "Withdrawn need words" not in listing_page and "Hidden need words" not in listing_page


def test_only_the_poster_can_withdraw(client, poster):
    need = post(poster)
    client.force_login(UserFactory())
    assert client.post(reverse("signposting:need_withdraw", args=[need.public_id])).status_code == 404
    client.force_login(poster)
    client.post(reverse("signposting:need_withdraw", args=[need.public_id]))
    need.refresh_from_db()
    assert need.withdrawn_at is not None and not need.is_open()


# --- Providers near it ----------------------------------------------------------------------


def test_a_provider_sees_needs_their_listings_could_meet_and_no_others(
    client, provider_user, provider_listing
):
    near = post(UserFactory(), own_words="Near and matching.")
    post(UserFactory(), own_words="Far away in Leeds.", district="LS1")
    post(UserFactory(), own_words="Wrong outcome.", outcomes=("eat-well",))
    post(UserFactory(), own_words="Wrong time.", slots=("sat-evening",))
    any_time = post(UserFactory(), own_words="Any time at all.", slots=())
    client.force_login(provider_user)
    body = client.get(reverse("signposting:needs_near_you")).content.decode()
    assert "Near and matching" in body and "Any time at all" in body
    for absent in ("Far away", "Wrong outcome", "Wrong time"):
        assert absent not in body
    assert {n.pk for n, _ in needs.needs_near(user=provider_user)} == {near.pk, any_time.pk}


def test_a_district_the_listing_covers_in_full_matches_however_far(provider_user, provider_listing):
    provider_listing.served_districts.add(PostcodeDistrict.objects.get(code="LS1"))
    provider_listing.save()  # a parental many-to-many is written when the page is saved
    leeds = post(UserFactory(), district="LS1")
    assert leeds.pk in {n.pk for n, _ in needs.needs_near(user=provider_user)}


def test_the_daily_digest_tells_each_provider_once_and_names_nobody(poster, provider_user, provider_listing):
    need = post(poster)
    call_command("send_need_digests", stdout=__import__("io").StringIO())
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert "shazia@example.org" in email.to
    assert str(need.public_id) in email.body and "BL3" in email.body
    for secret in ("Margaret", "Hughes", "margaret.hughes"):
        assert secret not in email.body and secret not in email.subject
    assert NeedNotified.objects.filter(need=need).count() == 1
    needs.send_need_digests()
    assert len(mail.outbox) == 1  # nothing new, nothing sent


def test_a_provider_offers_from_their_listing(client, poster, provider_user, provider_listing):
    need = post(poster)
    client.force_login(provider_user)
    url = reverse("signposting:need_offer", args=[need.public_id])
    response = client.post(
        url,
        {"listing": str(provider_listing.public_id), "price": "18", "price_unit": "hour", "message": "Hi"},
    )
    assert response.status_code == 302
    offer = Offer.objects.get()
    assert (offer.listing, offer.price_pence, offer.made_by) == (provider_listing, 1800, provider_user)


def test_bad_offer_input_keeps_what_was_typed(client, poster, provider_user, provider_listing):
    need = post(poster)
    client.force_login(provider_user)
    body = client.post(
        reverse("signposting:need_offer", args=[need.public_id]),
        {
            "listing": str(provider_listing.public_id),
            "price": "eighteen",
            "price_unit": "hour",
            "message": "Hello",
        },
    ).content.decode()
    assert "in pounds and pence" in body and 'value="eighteen"' in body and "Hello" in body
    assert not Offer.objects.exists()


def test_someone_not_on_the_team_cannot_offer_from_the_listing(client, poster, provider_listing):
    need = post(poster)
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(reverse("signposting:need_offer", args=[need.public_id])).status_code == 403
    with pytest.raises(needs.NotAllowed):
        needs.make_offer(
            need=need, listing=provider_listing, by=stranger, price_pence=1, price_unit="hour", message="x"
        )


def test_a_provider_cannot_offer_on_their_own_need(client, provider_user, provider_listing):
    own = post(provider_user)
    assert own.pk not in {n.pk for n, _ in needs.needs_near(user=provider_user)}
    client.force_login(provider_user)
    assert client.get(reverse("signposting:need_offer", args=[own.public_id])).status_code == 403
    with pytest.raises(needs.NotAllowed):
        needs.make_offer(
            need=own,
            listing=provider_listing,
            by=provider_user,
            price_pence=1,
            price_unit="hour",
            message="x",
        )


def test_a_closed_need_takes_no_offers(poster, provider_user, provider_listing):
    need = post(poster)
    needs.withdraw_need(need=need, by=poster)
    with pytest.raises(needs.NeedClosed):
        needs.make_offer(
            need=need,
            listing=provider_listing,
            by=provider_user,
            price_pence=1,
            price_unit="hour",
            message="x",
        )


# --- Choosing an offer ---------------------------------------------------------------------


def offer_from(listing, user, need, price=1800):
    return needs.make_offer(
        need=need, listing=listing, by=user, price_pence=price, price_unit="hour", message="I can help."
    )


def test_only_the_poster_sees_the_offers(client, poster, provider_user, provider_listing):
    need = post(poster)
    offer_from(provider_listing, provider_user, need)
    url = reverse("signposting:need", args=[need.public_id])
    client.force_login(poster)
    assert "I can help." in client.get(url).content.decode()
    for other in (UserFactory(), provider_user):
        client.force_login(other)
        body = client.get(url).content.decode()
        assert "I can help." not in body and "Choose this offer" not in body
    with pytest.raises(needs.NotAllowed):
        needs.offers_for(need=need, by=provider_user)


def test_choosing_an_offer_declines_the_others_and_goes_to_the_request_page(
    client, poster, provider_user, provider_listing
):
    need = post(poster)
    chosen = offer_from(provider_listing, provider_user, need)
    other_user = UserFactory()
    other_provider = ProviderFactory()
    other_provider.members.add(other_user)
    other = offer_from(make_listing(title="Pool pal", provider=other_provider, slots=()), other_user, need)
    client.force_login(poster)
    response = client.post(reverse("signposting:offer_accept", args=[chosen.public_id]))
    expected = reverse("marketplace:request_new", args=[provider_listing.public_id])
    assert response.status_code == 302 and response["Location"].startswith(expected)
    assert "outcome=get-out-and-about" in response["Location"] and str(need.public_id) in response["Location"]
    chosen.refresh_from_db()
    other.refresh_from_db()
    need.refresh_from_db()
    assert (chosen.status, other.status) == (Offer.Status.ACCEPTED, Offer.Status.DECLINED)
    assert need.accepted_at is not None and not need.is_open()
    # The need's page keeps the way on to the request, for a person who comes back later.
    page = client.get(reverse("signposting:need", args=[need.public_id])).content.decode()
    assert f'href="{expected}?need={need.public_id}&amp;outcome=get-out-and-about"' in page


def test_nobody_but_the_poster_can_choose_an_offer(client, poster, provider_user, provider_listing):
    need = post(poster)
    offer = offer_from(provider_listing, provider_user, need)
    client.force_login(provider_user)
    assert client.post(reverse("signposting:offer_accept", args=[offer.public_id])).status_code == 404
    with pytest.raises(needs.NotAllowed):
        needs.accept_offer(offer=offer, by=provider_user)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OPEN


# --- Offers never change ranking -----------------------------------------------------------


def test_offers_never_change_search_ranking(poster, provider_user, provider_listing):
    for title in ("Swim pal", "Water walkers", "Aqua friends"):
        make_listing(title=title, slots=("tue-morning",))
    backend = get_search_backend("database")
    backend.rebuild()
    query = parse_query(QueryDict("q=swim&near=BL3"), vocabularies=vocabularies())

    def ranking():
        return [(hit.listing_id, hit.score) for hit in backend.search(query).hits]

    before = ranking()
    for i in range(5):
        offer_from(provider_listing, provider_user, post(UserFactory(), own_words=f"Swim need {i}."))
    backend.rebuild()
    assert len(before) >= 2 and ranking() == before


# --- Moderation ----------------------------------------------------------------------------


def test_a_coordinator_hides_a_need_and_the_change_is_logged(client, poster):
    need = post(poster)
    coordinator = UserFactory(role=Role.COORDINATOR, is_staff=True)
    client.force_login(coordinator)
    edit = reverse("wagtailsnippets_signposting_need:edit", args=[need.pk])
    page = client.get(edit)
    assert page.status_code == 200 and "Margaret" not in page.content.decode()
    response = client.post(edit, {"hidden": "on", "coordinator_note": "Named a neighbour."})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.hidden and need.coordinator_note == "Named a neighbour."
    assert ModelLogEntry.objects.filter(object_id=str(need.pk), user=coordinator).exists()
    assert Client().get(reverse("signposting:need", args=[need.public_id])).status_code == 404


def test_people_who_are_not_coordinators_cannot_hide_needs(client, poster):
    need = post(poster)
    client.force_login(UserFactory(role=Role.PROVIDER))
    response = client.post(reverse("wagtailsnippets_signposting_need:edit", args=[need.pk]), {"hidden": "on"})
    assert response.status_code in (302, 403)
    need.refresh_from_db()
    assert not need.hidden


def test_the_digest_skips_providers_out_of_reach_and_a_teams_own_need(provider_user, provider_listing):
    far_user = UserFactory(email="far@example.org")
    far = ProviderFactory(email="far-provider@example.org")
    far.members.add(far_user)
    make_listing(title="Leeds swims", provider=far, base_postcode="LS1", slots=("tue-morning",))
    post(provider_user)  # the provider's own need: nobody in their team is told about it
    assert needs.send_need_digests() == 0 and mail.outbox == []


def test_erasing_a_persons_data_deletes_their_needs(poster):
    from cms.signals import erasing_personal_data

    mine, theirs = post(poster), post(UserFactory())
    erasing_personal_data.send(sender=None, user=poster)
    assert list(Need.objects.all()) == [theirs] and mine.pk not in Need.objects.values_list("pk", flat=True)
