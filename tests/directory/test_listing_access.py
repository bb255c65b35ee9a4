# ruff: noqa: F811 (the fixtures imported from test_provider_area are arguments here)
"""Access features where people set and read them: the provider's wizard, the Wagtail editor
and the public listing page."""

import re

import pytest
from django.urls import reverse

from cms.models import Role
from directory import provider_services as services
from directory.models import AccessFeature, ListingPage, Outcome
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
from tests.factories import UserFactory, make_listing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def feature_ids(*slugs):
    return [AccessFeature.objects.get(slug=slug).pk for slug in slugs]


def test_wizard_offers_every_access_feature_as_a_tick_box(provider_client, provider):
    listing = create_listing(provider_client, provider, steps=())
    body = provider_client.get(url("listing_step", listing.public_id, "when")).content.decode()
    assert "Which of these can you offer? (optional)" in body
    assert "govuk-checkboxes govuk-checkboxes--small" in body
    for feature in AccessFeature.objects.all():
        assert f'value="{feature.pk}"' in body
        assert feature.label in body
    assert "Anything else about access? (optional)" in body


def test_provider_ticks_access_features_and_the_public_sees_them_after_review(
    provider_client, provider, coordinator
):
    listing = create_listing(provider_client, provider, steps=("help", "where", "prices"))
    data = {
        **STEP_DATA["when"](),
        "access_features": feature_ids("step-free", "hearing-loop"),
        "accessibility": "Ring the bell by the side door.",
    }
    response = provider_client.post(url("listing_step", listing.public_id, "when"), data)
    assert response.status_code == 302, response.content.decode()
    draft = services.draft_of(ListingPage.objects.get(pk=listing.pk))
    assert sorted(f.slug for f in draft.access_features.all()) == ["hearing-loop", "step-free"]
    # The ticks are kept when the step is opened again.
    body = provider_client.get(url("listing_step", listing.public_id, "when")).content.decode()
    step_free = AccessFeature.objects.get(slug="step-free").pk
    assert f'value="{step_free}" class="govuk-checkboxes__input" id="id_access_features_0" checked' in body

    provider_client.post(url("listing_submit", listing.public_id))
    approve(listing, coordinator)
    page = text(provider_client.get(ListingPage.objects.get(pk=listing.pk).url))
    assert "Accessibility Step-free access Hearing loop Ring the bell by the side door." in page


def test_a_made_up_access_feature_is_refused_and_the_rest_kept(provider_client, provider):
    listing = create_listing(provider_client, provider, steps=())
    data = {**STEP_DATA["when"](), "access_features": ["99999999"], "contact_name": "Jo"}
    response = provider_client.post(url("listing_step", listing.public_id, "when"), data)
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert 'value="Jo"' in response.content.decode()


def test_listing_page_without_access_features_has_no_empty_accessibility_heading(client, directory):
    listing = make_listing(title="Plain listing")
    assert "Accessibility" not in text(client.get(listing.url))


def test_wagtail_editor_shows_access_features_and_outcome_ascot_domain(client, directory):
    listing = make_listing(title="Deaf club", access_features=list(AccessFeature.objects.filter(slug="bsl")))
    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=True, email="c@example.org"))
    body = client.get(reverse("wagtailadmin_pages:edit", args=[listing.pk])).content.decode()
    assert 'name="access_features"' in body
    assert "British Sign Language (BSL)" in body
    bsl = AccessFeature.objects.get(slug="bsl").pk
    ticked = [tag for tag in re.findall(r"<input[^>]*>", body) if 'name="access_features"' in tag]
    assert len(ticked) == AccessFeature.objects.count()
    assert [tag for tag in ticked if "checked" in tag] == [t for t in ticked if f'value="{bsl}"' in t]

    outcome = Outcome.objects.get(slug="eat-well")
    edit = client.get(reverse("wagtailsnippets_directory_outcome:edit", args=[outcome.pk])).content.decode()
    assert 'name="ascot_domain"' in edit
    assert '<option value="food_and_drink" selected>Food and drink</option>' in edit
    features = client.get(reverse("wagtailsnippets_directory_accessfeature:list")).content.decode()
    assert "Hearing loop" in features
