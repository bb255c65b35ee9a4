"""Group proposals from the demand side: someone proposes a group, others join it, a provider
offers a price per place, the proposer chooses once enough have joined, the provider is
emailed a pre-filled link to the marketplace's group form, and saving it hands the proposal
over: everyone who joined is told to take their place, each from their own budget.
"""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from cms.site import site_url
from directory.fields import slots_to_mask
from directory.models import Outcome, PostcodeDistrict
from marketplace.models import GroupActivity, Order, ProviderPaymentAccount
from marketplace.services import pooling
from signposting.models import GroupMember, Need, Offer
from signposting.needs import groups
from signposting.needs import services as needs
from tests.factories import ProviderFactory, UserFactory, make_listing
from tests.marketplace import factories as mf
from tests.marketplace import fixtures as marketplace_fixtures

pytestmark = pytest.mark.django_db

WORDS = "Swimming on Tuesday mornings at the leisure centre, a small friendly group."


@pytest.fixture
def proposer():
    return UserFactory(first_name="Margaret", last_name="Hughes", email="margaret.hughes@example.org")


@pytest.fixture
def swim(directory):
    """A provider ready to take payments, with a live listing near BL3 on Tuesday mornings."""
    provider = ProviderFactory(name="Bolton Swim Buddies", email="team@swim.example.org")
    member = UserFactory(role=Role.PROVIDER, email="shazia@swim.example.org")
    provider.members.add(member)
    mf.make_ready_account(provider)
    listing = make_listing(
        title="Swim buddy", provider=provider, base_postcode="BL3", radius=5, slots=("tue-morning",)
    )
    return listing, member


def propose(user, *, min_people=3, max_people=5, places=1, consent=False):
    return groups.propose_group(
        by=user,
        min_people=min_people,
        max_people=max_people,
        places=places,
        consent=consent,
        outcomes=list(Outcome.objects.filter(slug="get-out-and-about")),
        own_words=WORDS,
        district=PostcodeDistrict.objects.get(code="BL3"),
        availability=slots_to_mask(["tue-morning"]),
    )


def proposal_form(**overrides):
    data = {
        "posted_for": "self",
        "outcomes": [str(Outcome.objects.get(slug="get-out-and-about").pk)],
        "own_words": WORDS,
        "postcode": "BL3",
        "availability": ["tue-morning"],
        "frequency": "weekly",
        "expires_in_weeks": "8",
        "min_people": "4",
        "max_people": "8",
        "places": "1",
    }
    data.update(overrides)
    return data


# --- Proposing ------------------------------------------------------------------------------


def test_a_holder_proposes_a_group_and_is_its_first_member(client, proposer):
    client.force_login(proposer)
    response = client.post(reverse("signposting:group_new"), proposal_form(), follow=True)
    need = Need.objects.get()
    assert (need.min_people, need.max_people, need.could_share) == (4, 8, True)
    assert list(need.members.values_list("user", "places")) == [(proposer.pk, 1)]
    page = response.content.decode()
    assert "Your group proposal in BL3" in page and "1 of the 4 people needed have joined" in page


def test_a_group_smaller_than_its_smallest_size_is_refused_naming_the_field_and_keeping_the_words(
    client, proposer
):
    client.force_login(proposer)
    response = client.post(reverse("signposting:group_new"), proposal_form(min_people="6", max_people="4"))
    page = response.content.decode()
    assert response.status_code == 200 and not Need.objects.exists()
    assert "The largest group must be the same as or more than the smallest" in page
    assert 'href="#id_max_people"' in page  # the error summary points at the field
    assert WORDS in page


def test_joining_for_several_people_needs_their_consent(client, proposer):
    client.force_login(proposer)
    response = client.post(reverse("signposting:group_new"), proposal_form(places="3"))
    assert "Tick to say each person agreed" in response.content.decode()
    assert not Need.objects.exists()
    client.post(reverse("signposting:group_new"), proposal_form(places="3", consent="on"))
    assert GroupMember.objects.get().places == 3


# --- Joining --------------------------------------------------------------------------------


def test_others_join_until_it_is_full_and_nobody_sees_who_joined(client, proposer):
    need = propose(proposer, min_people=2, max_people=3)
    ada = UserFactory(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    client.force_login(ada)
    url = reverse("signposting:group_join", args=[need.public_id])
    response = client.post(url, {"places": "1"}, follow=True)
    assert "You joined the group" in response.content.decode()
    response = client.post(url, {"places": "1"})
    assert "You have joined this group already" in response.content.decode()

    bob = UserFactory(email="bob@example.org")
    client.force_login(bob)
    response = client.post(url, {"places": "2", "consent": "on"})
    assert response.status_code == 400 and "There are not enough places left" in response.content.decode()
    assert needs.people_joined(need) == 2

    client.logout()
    page = client.get(reverse("signposting:need", args=[need.public_id])).content.decode()
    assert "2 joined so far" in page
    for private in ("Margaret", "Hughes", "Ada", "Lovelace", "example.org"):
        assert private not in page


def test_a_member_leaves_before_an_offer_is_chosen(client, proposer):
    need = propose(proposer)
    ada = UserFactory()
    groups.join_group(need=need, by=ada)
    client.force_login(ada)
    client.post(reverse("signposting:group_leave", args=[need.public_id]))
    assert needs.people_joined(need) == 1


# --- Offers, choosing and the hand-over ----------------------------------------------------------


def _offer(need, listing, member, price_pence=800):
    return needs.make_offer(
        need=need,
        listing=listing,
        by=member,
        price_pence=price_pence,
        price_unit="session",
        message="Happy to",
    )


def test_an_offer_cannot_be_chosen_until_enough_people_have_joined(client, proposer, swim):
    listing, member = swim
    need = propose(proposer, min_people=3)
    offer = _offer(need, listing, member)
    client.force_login(proposer)
    page = client.get(reverse("signposting:need", args=[need.public_id])).content.decode()
    assert "Choose this offer" not in page and "1 of the 3 people needed have joined" in page

    response = client.post(reverse("signposting:offer_accept", args=[offer.public_id]), follow=True)

    assert "1 of the 3 people needed have joined" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OPEN and Need.objects.get().accepted_at is None


def _filled_and_chosen(client, proposer, swim, capture):
    listing, member = swim
    need = propose(proposer, min_people=3, max_people=5)
    holders = [mf.make_holder(email=f"holder{i}@example.org") for i in range(2)]
    for holder in holders:
        groups.join_group(need=need, by=holder)
    offer = _offer(need, listing, member)
    client.force_login(proposer)
    mail.outbox.clear()
    with capture(execute=True):
        response = client.post(reverse("signposting:offer_accept", args=[offer.public_id]), follow=True)
    return need, offer, holders, response


def test_choosing_an_offer_emails_the_provider_a_pre_filled_link_to_set_up_the_group(
    client, proposer, swim, django_capture_on_commit_callbacks
):
    listing, _ = swim
    need, _, _, response = _filled_and_chosen(client, proposer, swim, django_capture_on_commit_callbacks)

    assert "We have asked them to set up the group" in response.content.decode()
    [email] = mail.outbox
    assert "team@swim.example.org" in email.to and "shazia@swim.example.org" in email.to
    link = re.search(r"Set up the group: (\S+)", email.body).group(1)
    assert link.startswith(site_url("/provider/groups/new/?"))  # the site's configured address
    params = parse_qs(urlsplit(link).query)
    assert params["proposal"] == [str(need.public_id)] and params["listing"] == [str(listing.public_id)]
    assert (params["places"], params["min_places"], params["unit_price"]) == (["5"], ["3"], ["8.00"])
    assert "Margaret" not in email.body and "holder0" not in email.body


def test_the_providers_saved_group_hands_the_proposal_over_and_members_are_told(
    client, proposer, swim, django_capture_on_commit_callbacks
):
    listing, member = swim
    need, _, holders, _ = _filled_and_chosen(client, proposer, swim, django_capture_on_commit_callbacks)
    link = re.search(r"Set up the group: (\S+)", mail.outbox[0].body).group(1)
    path = link.removeprefix(site_url(""))
    client.force_login(member)
    form = client.get(path).content.decode()
    assert 'value="8.00"' in form and 'value="5"' in form  # pre-filled from the proposal and offer
    start = timezone.localdate() + timedelta(days=14)
    data = {
        "listing": str(listing.public_id),
        "title": "Tuesday swimming group",
        "when": "Tuesdays 10am",
        "unit": "session",
        "units_per_place": "4",
        "unit_price": "8.00",
        "places": "5",
        "min_places": "3",
        "if_not_filled": "hold",
    }
    for prefix, day in (("starts_on", start), ("ends_on", start + timedelta(days=21)), ("join_by", start)):
        data.update(
            {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, data)

    activity = GroupActivity.objects.get()
    need.refresh_from_db()
    assert need.activity_ref == activity.public_id
    assert need.activity_url == site_url(f"/groups/{activity.public_id}/")
    told = sorted(address for email in mail.outbox for address in email.to)
    assert told == sorted([proposer.email, *(h.email for h in holders)])  # one email each
    # Each member, from their own budget and outcome, takes a place in the activity.
    for holder in holders:
        budget = mf.make_budget(holder=holder, own_words="Swim with others")
        client.force_login(holder)
        page = client.get(reverse("signposting:need", args=[need.public_id])).content.decode()
        assert "Take your place in the group" in page and need.activity_url in page
        pooling.join_activity(
            activity=activity, budget=budget, by=holder, plan_outcome=budget.plan.outcomes.first()
        )
    budget = mf.make_budget(holder=proposer)
    pooling.join_activity(
        activity=activity, budget=budget, by=proposer, plan_outcome=budget.plan.outcomes.first()
    )
    activity.refresh_from_db()
    assert activity.status == GroupActivity.Status.GOING_AHEAD
    assert Order.objects.filter(activity=activity, status=Order.Status.AWAITING_PAYMENT).count() == 3


def test_an_activity_on_another_providers_listing_cannot_take_over_a_proposal(
    client, proposer, swim, django_capture_on_commit_callbacks
):
    need, _, _, _ = _filled_and_chosen(client, proposer, swim, django_capture_on_commit_callbacks)
    other, other_member = mf.make_provider_member()
    mf.make_ready_account(other)
    other_listing = make_listing(title="Other swim", provider=other, base_postcode="BL3")
    day = timezone.localdate() + timedelta(days=10)
    pooling.create_activity(
        provider=other,
        by=other_member,
        listing=other_listing,
        title="Not theirs",
        when="Tuesdays",
        starts_on=day,
        ends_on=day,
        unit_price_pence=500,
        places=5,
        min_places=3,
        join_by=day,
        if_not_filled="hold",
        proposal=str(need.public_id),
    )
    need.refresh_from_db()
    assert need.activity_ref is None and need.activity_url == ""


# --- A provider whose payments are not set up yet ------------------------------------------------

stripe_test_server = marketplace_fixtures.stripe_test_server
stripe_server = marketplace_fixtures.stripe_server


def _group_form_data(listing):
    start = timezone.localdate() + timedelta(days=14)
    data = {
        "listing": str(listing.public_id),
        "title": "Swimming on Tuesday mornings at the leisure centre, a small friendly group.",
        "when": "Tuesday morning",
        "unit": "session",
        "units_per_place": "4",
        "unit_price": "8.00",
        "places": "5",
        "min_places": "3",
        "if_not_filled": "hold",
    }
    for prefix, day in (("starts_on", start), ("ends_on", start + timedelta(days=21)), ("join_by", start)):
        data.update(
            {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}
        )
    return data


def test_a_provider_without_payments_sets_them_up_and_comes_back_to_the_pre_filled_form(
    client, proposer, swim, stripe_server, django_capture_on_commit_callbacks
):
    """The Stripe side is the Stripe-compatible test server (tests/marketplace/stripe_server.py);
    finishing Stripe's hosted onboarding is done there with `enable_account`, as its page would."""
    listing, member = swim
    listing.provider.payment_account.delete()  # payments not set up
    need, _, _, _ = _filled_and_chosen(client, proposer, swim, django_capture_on_commit_callbacks)
    link = re.search(r"Set up the group: (\S+)", mail.outbox[0].body).group(1)
    path = link.removeprefix(site_url(""))
    client.force_login(member)

    # The form is not offered yet: the page says why, keeps the details, and links to set up.
    page = client.get(path).content.decode()
    assert "Set up payments first" in page and "You have not set up payments yet" in page
    assert "Offer the activity" not in page
    assert "£8.00 per session" in page and "3 to 5" in page
    setup = reverse("marketplace:provider_group_payments", args=[listing.provider.public_id])
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert urlsplit(action).path == setup
    assert parse_qs(urlsplit(action).query) == parse_qs(urlsplit(path).query)

    # Set up payments: off to Stripe's hosted onboarding, which is told to come back here.
    response = client.post(action)
    assert response.status_code == 302 and response["Location"].startswith(stripe_server.url)
    sent = stripe_server.requests_to("POST", "/v1/account_links")[-1].params
    back = urlsplit(sent["return_url"])
    provider_id = listing.provider.public_id
    assert back.path == reverse("marketplace:provider_group_payments_return", args=[provider_id])
    account_id = ProviderPaymentAccount.objects.get(provider=listing.provider).account_id
    stripe_server.enable_account(account_id, deliver=False)

    # Back from Stripe: the group form, with everything that was pre-filled.
    response = client.get(f"{back.path}?{back.query}", follow=True)
    landed = urlsplit(response.redirect_chain[-1][0])
    assert landed.path == urlsplit(path).path
    assert parse_qs(landed.query) == parse_qs(urlsplit(path).query)  # every pre-filled value kept
    form = response.content.decode()
    assert "Payments are set up. Check the details and offer the activity." in form
    assert "Offer the activity" in form and 'value="8.00"' in form and 'value="5"' in form
    assert f'value="{listing.public_id}"' in form and "checked" in form

    with django_capture_on_commit_callbacks(execute=True):
        client.post(path, _group_form_data(listing))
    activity = GroupActivity.objects.get()
    need.refresh_from_db()
    assert need.activity_ref == activity.public_id


def test_a_provider_with_payments_set_up_goes_straight_to_the_pre_filled_form(
    client, proposer, swim, django_capture_on_commit_callbacks
):
    _, member = swim
    _filled_and_chosen(client, proposer, swim, django_capture_on_commit_callbacks)
    path = re.search(r"Set up the group: (\S+)", mail.outbox[0].body).group(1).removeprefix(site_url(""))
    client.force_login(member)
    page = client.get(path).content.decode()
    assert "Set up payments first" not in page and "Offer the activity" in page and 'value="8.00"' in page


def test_stripe_unreachable_on_the_way_to_set_up_payments_keeps_the_pre_filled_link(client, swim, settings):
    listing, member = swim
    listing.provider.payment_account.delete()
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens here
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    query = f"listing={listing.public_id}&title=Swim&unit_price=8.00"
    client.force_login(member)
    setup = reverse("marketplace:provider_group_payments", args=[listing.provider.public_id])
    response = client.post(f"{setup}?{query}", follow=True)
    assert response.redirect_chain[0][0] == reverse("marketplace:provider_group_new") + "?" + query
    assert "Set up payments first" in response.content.decode()
