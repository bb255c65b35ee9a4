"""Access features in the Open Referral UK API (3.0 `accessibility` on a location) and import."""

import pytest

from directory.models import AccessFeature, ListingPage, Provider
from tests import factories
from tests.directory.test_oruk_api import API, needs_spec
from tests.directory.test_oruk_import import council_service, export, run, spec, write  # noqa: F401

pytestmark = pytest.mark.django_db


def features(*slugs):
    return list(AccessFeature.objects.filter(slug__in=slugs))


def location_of(service):
    return service["service_at_locations"][0]["location"]


@needs_spec
def test_export_lists_each_access_feature_after_the_free_text_and_validates(client, directory, spec):  # noqa: F811
    listing = factories.make_listing(
        title="Deaf club",
        access_features=features("bsl", "hearing-loop"),
        accessibility="Ring the bell by the side door.",
    )
    url = f"{API}/services/{listing.public_id}"
    data = client.get(url).json()
    spec.check(url, data)
    accessibility = location_of(data)["accessibility"]
    assert [item["description"] for item in accessibility] == [
        "Ring the bell by the side door.",
        "Hearing loop",
        "British Sign Language (BSL)",
    ]
    assert len({item["id"] for item in accessibility}) == 3
    assert {item["location_id"] for item in accessibility} == {location_of(data)["id"]}


def test_a_listing_with_features_but_no_free_text_still_exports_them(client, directory):
    listing = factories.make_listing(title="Walks", access_features=features("step-free"))
    data = client.get(f"{API}/services/{listing.public_id}").json()
    assert [item["description"] for item in location_of(data)["accessibility"]] == ["Step-free access"]


def test_our_export_imports_to_the_same_access_features_and_free_text(client, directory, tmp_path):
    listing = factories.make_listing(
        title="Deaf club",
        access_features=features("bsl", "hearing-loop", "home-visits"),
        accessibility="Ring the bell by the side door.",
    )
    first = export(client)
    ListingPage.objects.all().delete()
    Provider.objects.all().delete()

    run(write(tmp_path, first), "--publish")

    copy_ = ListingPage.objects.get(public_id=listing.public_id)
    assert sorted(f.slug for f in copy_.access_features.all()) == ["bsl", "hearing-loop", "home-visits"]
    assert copy_.accessibility == "Ring the bell by the side door."
    out, _ = run(write(tmp_path, export(client)), "--publish")
    assert "unchanged: 1" in out


def test_a_councils_feed_gives_features_by_name_or_synonym_and_keeps_sentences_as_text(directory, tmp_path):
    service = council_service()
    service["service_at_locations"][0]["location"]["accessibility"] = [
        {"id": "8b2a1c3d-0000-4000-8000-000000000101", "description": "Wheelchair access"},
        {"id": "8b2a1c3d-0000-4000-8000-000000000102", "description": "Induction loop."},
        {"id": "8b2a1c3d-0000-4000-8000-000000000103", "accessibility": "PARKING"},
        # A sentence stays free text, even though it names a feature: it may say "no".
        {"id": "8b2a1c3d-0000-4000-8000-000000000104", "description": "There is no hearing loop yet."},
    ]
    run(write(tmp_path, [service]), "--publish")
    listing = ListingPage.objects.get(title="Lunch club at St Mary's")
    assert sorted(f.slug for f in listing.access_features.all()) == ["hearing-loop", "parking", "step-free"]
    assert listing.accessibility == "There is no hearing loop yet."


def test_a_feed_that_drops_a_feature_removes_it(directory, tmp_path):
    service = council_service()
    location = service["service_at_locations"][0]["location"]
    location["accessibility"] = [{"id": "8b2a1c3d-0000-4000-8000-000000000101", "description": "Quiet space"}]
    run(write(tmp_path, [service]), "--publish")
    location["accessibility"] = []
    out, _ = run(write(tmp_path, [service]), "--publish")
    assert "updated: 1" in out
    assert not ListingPage.objects.get(title="Lunch club at St Mary's").access_features.exists()
