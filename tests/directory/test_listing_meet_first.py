# ruff: noqa: F811 (the fixtures imported from test_provider_area are arguments here)
"""A listing's "I like to meet first" and "trial session available": the provider's wizard, the
public listing page, and search (page and API). And "Brokers and advocates": a kind of support
people search for, whose listing lets a holder invite that person as a helper after checking."""

import re

import pytest
from django.urls import reverse

from directory import provider_services as services
from directory.models import Category, ListingPage
from marketplace.models import Delegate
from search.backends import get_search_backend
from tests.directory.test_provider_area import (  # noqa: F401 (fixtures)
    STEP_DATA,
    approve,
    coordinator,
    create_listing,
    provider,
    provider_client,
    provider_user,
    text,
    url,
)
from tests.factories import make_listing
from tests.marketplace import factories as mf

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


# --- The wizard and the listing page ------------------------------------------------------------


def test_provider_says_they_like_to_meet_first_and_offer_a_trial_and_the_public_sees_it(
    provider_client, provider, coordinator
):
    listing = create_listing(provider_client, provider, steps=("help", "where", "prices"))
    data = {**STEP_DATA["when"](), "meet_first": "on", "trial_session": "on", "trial_price": "12.50"}
    response = provider_client.post(url("listing_step", listing.public_id, "when"), data)
    assert response.status_code == 302, response.content.decode()
    draft = services.draft_of(ListingPage.objects.get(pk=listing.pk))
    assert (draft.meet_first, draft.meet_first_price_pence) == (True, 0)
    assert (draft.trial_session, draft.trial_price_pence) == (True, 1250)
    # Shown again in pounds when the step is opened again.
    body = provider_client.get(url("listing_step", listing.public_id, "when")).content.decode()
    assert 'name="trial_price" value="12.50"' in body

    provider_client.post(url("listing_submit", listing.public_id))
    approve(listing, coordinator)
    page = text(provider_client.get(ListingPage.objects.get(pk=listing.pk).url))
    assert "They like to meet first: a short visit, phone or video call (free)" in page
    assert "Trial session available: £12.50" in page


def test_a_trial_session_without_a_price_is_named_and_the_rest_kept(provider_client, provider):
    listing = create_listing(provider_client, provider, steps=())
    data = {**STEP_DATA["when"](), "trial_session": "on", "contact_name": "Jo", "meet_first_price": "abc"}
    response = provider_client.post(url("listing_step", listing.public_id, "when"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#id_trial_price">Enter what a trial session costs, or 0 if it is free</a>' in body
    assert "Enter what a meet first costs in pounds and pence, like 18.50" in body
    assert 'value="Jo"' in body and 'value="abc"' in body
    assert not services.draft_of(ListingPage.objects.get(pk=listing.pk)).trial_session


def test_a_listing_without_either_says_nothing_about_them(client, directory):
    listing = make_listing(title="Plain listing")
    page = text(client.get(listing.url))
    assert "like to meet first" not in page
    assert "Trial session" not in page
    assert "Ask to meet first" in page  # anyone may still ask


# --- Search -------------------------------------------------------------------------------------


@pytest.fixture
def flagged(directory):
    meets = make_listing(title="Meet first swimming", meet_first=True)
    trial = make_listing(title="Trial art class", trial_session=True, trial_price_pence=500)
    plain = make_listing(title="Plain gardening")
    get_search_backend("database").rebuild()
    return meets, trial, plain


def test_search_page_filters_by_meet_first_and_trial_and_keeps_the_boxes_ticked(client, flagged):
    body = client.get(reverse("search"), {"near": "BL3", "meet_first": "1"}).content.decode()
    assert "Meet first swimming" in body
    assert "Trial art class" not in body and "Plain gardening" not in body
    assert 'id="field-meet_first" name="meet_first" type="checkbox" value="1" checked' in body
    body = client.get(reverse("search"), {"near": "BL3", "trial": "1"}).content.decode()
    assert "Trial art class" in body and "Meet first swimming" not in body


def test_api_filters_by_meet_first_and_trial_and_names_a_bad_value(client, flagged):
    found = client.get(reverse("search_api"), {"near": "BL3", "meet_first": "1"}).json()
    assert [r["name"] for r in found["results"]] == ["Meet first swimming"]
    found = client.get(reverse("search_api"), {"near": "BL3", "trial": "true"}).json()
    assert [r["name"] for r in found["results"]] == ["Trial art class"]
    response = client.get(reverse("search_api"), {"near": "BL3", "trial": "perhaps"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "trial"


# --- Brokers and advocates --------------------------------------------------------------------------


@pytest.fixture
def broker(directory):
    listing = make_listing(
        title="Independent support broker",
        categories=("brokers-and-advocates",),
        contact_name="Bea Broker",
        contact_email="bea@example.org",
        description="<p>I help you plan your support.</p>",
    )
    get_search_backend("database").rebuild()
    return listing


def test_brokers_and_advocates_is_a_kind_of_support_people_can_search_for(client, broker):
    assert Category.objects.filter(slug="brokers-and-advocates", label="Brokers and advocates").exists()
    for words in ("advocate", "support broker", "advocacy"):
        found = client.get(reverse("search_api"), {"q": words, "near": "BL3"}).json()
        assert "Independent support broker" in [r["name"] for r in found["results"]], words
    found = client.get(reverse("search_api"), {"category": "brokers-and-advocates", "near": "BL3"}).json()
    assert [r["name"] for r in found["results"]] == ["Independent support broker"]


def test_holder_invites_a_broker_from_their_listing_after_checking(client, broker):
    budget = mf.make_budget()
    client.force_login(budget.holder)
    listing_page = client.get(broker.url).content.decode()
    invite = reverse("marketplace:delegate_from_listing", args=[broker.public_id])
    assert f'href="{invite}"' in listing_page

    confirm = client.get(invite)
    body = confirm.content.decode()
    assert confirm.status_code == 200
    assert 'value="Bea Broker"' in body and 'value="bea@example.org"' in body
    ticked = [tag for tag in re.findall(r"<input[^>]*>", body) if "checked" in tag]
    assert [re.search(r'value="([^"]*)"', tag).group(1) for tag in ticked] == ["broker", "request"]
    assert not Delegate.objects.exists()  # looking at the page sends nothing

    response = client.post(
        invite,
        {
            "name": "Bea Broker",
            "email": "bea@example.org",
            "relationship": "broker",
            "permissions": ["request"],
        },
    )
    assert response["Location"] == reverse("marketplace:delegates")
    helper = Delegate.objects.get()
    assert (helper.email, helper.relationship, helper.can_request, helper.can_pay) == (
        "bea@example.org",
        "broker",
        True,
        False,
    )


def test_bad_invitation_input_is_named_and_kept(client, broker):
    client.force_login(mf.make_budget().holder)
    invite = reverse("marketplace:delegate_from_listing", args=[broker.public_id])
    response = client.post(invite, {"name": "Bea Broker", "email": "not an email", "relationship": "broker"})
    body = response.content.decode()
    assert "Enter an email address in the right format, like name@example.com" in body
    assert 'value="not an email"' in body
    assert not Delegate.objects.exists()


def test_only_broker_and_advocate_listings_offer_the_invitation(client, directory):
    plain = make_listing(title="Swimming buddy", contact_email="swim@example.org")
    client.force_login(mf.make_budget().holder)
    assert "invite-as-helper" not in client.get(plain.url).content.decode()
    response = client.get(reverse("marketplace:delegate_from_listing", args=[plain.public_id]))
    assert response.status_code == 404
