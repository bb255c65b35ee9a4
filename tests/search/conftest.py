"""The fixed set of listings every search backend is held to, and a way to query them."""

import os
from dataclasses import replace
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.utils import timezone

from directory.models import ListingPrice, PostcodeDistrict, Provider
from directory.services import locate
from search.backends import get_search_backend, reset_backends
from search.query import Location, parse_query
from search.services import vocabularies
from tests.factories import ProviderFactory, make_check, make_listing
from tests.search.opensearch_node import opensearch_node  # noqa: F401 (a session fixture)

# OpenSearch is a real node the suite starts (tests/search/opensearch_node.py); Elasticsearch
# runs only against a cluster someone provides with ELASTICSEARCH_URL.
BACKENDS = ["database", "elasticsearch", "opensearch"]


def pytest_generate_tests(metafunc):
    if "backend_name" in metafunc.fixturenames:
        metafunc.parametrize("backend_name", BACKENDS)


@pytest.fixture
def backend(backend_name, settings, request):
    """The backend under test; Elasticsearch only when a cluster is configured."""
    if backend_name == "opensearch":
        settings.OPENSEARCH_URL = request.getfixturevalue("opensearch_node").url
        settings.OPENSEARCH_INDEX = "test-listings"
        # The contract is about answers, not speed: on a busy shared machine a search can take
        # longer than production's 2 s, and a timeout would hand it to the database backend.
        settings.OPENSEARCH_TIMEOUT = 30
    if backend_name == "elasticsearch":
        if not os.environ.get("ELASTICSEARCH_URL"):
            pytest.skip("Elasticsearch contract run needs ELASTICSEARCH_URL (no cluster configured)")
        settings.ELASTICSEARCH_URL = os.environ["ELASTICSEARCH_URL"]
        settings.ELASTICSEARCH_INDEX = "test-listings"
    reset_backends()
    yield get_search_backend(backend_name)
    reset_backends()


# Every listing the contract tests search: title -> what makes it interesting.
LISTINGS = [
    {
        "title": "Swimming buddy",
        "base_postcode": "BL3",
        "radius": 5,
        "outcomes": ["get-out-and-about"],
        "categories": ["exercise-sport-and-swimming"],
        "price_pence": 1800,
        "slots": ["mon-morning", "wed-afternoon"],
        "description": "<p>I take people swimming at the leisure centre.</p>",
        "verified": True,
        "access": ["step-free", "accessible-toilet", "parking"],
        "min_age": 18,
    },
    {
        "title": "Green Fingers",
        "base_postcode": "BL4",
        "radius": 6,
        "outcomes": ["keep-my-home"],
        "categories": ["gardening-and-home-help"],
        "price_pence": 2000,
        "slots": ["sat-morning"],
        "description": "<p>Experienced gardener: lawns, hedges and weeding.</p>",
        "intake": "full",
    },
    {
        "title": "Park walking group",
        "base_postcode": "BL1",
        "radius": 0,
        "outcomes": ["get-out-and-about", "see-friends-and-family"],
        "price_pence": 500,
        "unit": ListingPrice.Unit.SESSION,
        "slots": ["tue-morning"],
        "description": "<p>Gentle walks in the park every Tuesday, with a cuppa after.</p>",
        # No access features and no age limits: found by any age, never by an access filter.
    },
    {
        "title": "Helping Hand errands",
        "base_postcode": "BL2",
        "radius": 5,
        "outcomes": ["eat-well"],
        "categories": ["shopping-and-errands"],
        "price_pence": 1500,
        "slots": ["fri-morning", "fri-afternoon"],
        "description": "<p>Help with shopping at the supermarket and carrying bags home.</p>",
        "access": ["home-visits"],
    },
    {
        "title": "Memory Lane lunch club",
        "base_postcode": "BL3",
        "radius": 0,
        "outcomes": ["eat-well", "see-friends-and-family"],
        "categories": ["clubs-and-day-activities"],
        "audiences": ["people-living-with-dementia"],
        "price_pence": 900,
        "slots": ["thu-afternoon"],
        "description": "<p>A dementia friendly lunch club: a hot meal and good company.</p>",
        "access": ["step-free", "accessible-toilet", "hearing-loop", "quiet-space"],
        "min_age": 60,
    },
    {
        "title": "Westhoughton lunch club",
        "base_postcode": "BL5",
        "radius": 0,
        "outcomes": ["eat-well"],
        "categories": ["clubs-and-day-activities"],
        "price_pence": 700,
        "slots": ["thu-morning"],
        "description": "<p>A friendly lunch club in the church hall.</p>",
        "access": ["step-free"],
        "min_age": 65,
    },
    {
        "title": "Your own PA",
        "base_postcode": "BL3",
        "radius": 8,
        "outcomes": ["wellbeing-be-in-control-of-my-day"],
        "categories": ["personal-assistants"],
        "price_pence": 1600,
        "slots": ["mon-evening", "tue-evening", "sat-afternoon"],
        "description": "<p>A flexible personal assistant for everyday life, on your terms.</p>",
        "verified": True,
        "access": ["home-visits"],
        "min_age": 18,
        "max_age": 64,
    },
    {
        "title": "Evening sitter",
        "base_postcode": "BL1",
        "radius": 6,
        "outcomes": ["carer-a-break-for-my-carer"],
        "categories": ["companionship-and-sitting"],
        "price_pence": 1700,
        "slots": ["wed-evening"],
        "description": "<p>I sit with your loved one so you can go out for the evening.</p>",
        "access": ["home-visits", "large-print-easy-read"],
    },
    {
        "title": "Bury garden care",
        "base_postcode": "BL9",
        "radius": 2,
        "outcomes": ["keep-my-home"],
        "categories": ["gardening-and-home-help"],
        "price_pence": 1900,
        "slots": ["sat-morning"],
        "description": "<p>Gardener covering central Bury only.</p>",
    },
    {
        "title": "Bury mowing, all of BL3",
        "base_postcode": "BL9",
        "radius": 1,
        "outcomes": ["keep-my-home"],
        "categories": ["gardening-and-home-help"],
        "price_pence": 2100,
        "slots": ["sun-morning"],
        "districts": ["BL3"],
        "description": "<p>Lawn mowing and a gardener's eye; we also cover every street in BL3.</p>",
    },
    {
        "title": "Urdu-speaking companion",
        "base_postcode": "BL3",
        "radius": 5,
        "outcomes": ["see-friends-and-family"],
        "categories": ["companionship-and-sitting"],
        "languages": ["ur"],
        "price_pence": 1400,
        "slots": ["sun-afternoon"],
        "description": "<p>Conversation and company in Urdu or English.</p>",
    },
]


def _build(spec, provider=None):
    spec = dict(spec)
    verified = spec.pop("verified", False)
    districts = spec.pop("districts", [])
    audiences = spec.pop("audiences", [])
    languages = spec.pop("languages", [])
    access = spec.pop("access", [])
    if access:
        from directory.models import AccessFeature

        spec["access_features"] = list(AccessFeature.objects.filter(slug__in=access))
    listing = make_listing(provider=provider or ProviderFactory(), **spec)
    if districts or audiences or languages:
        from directory.models import Audience, Language

        listing.served_districts.set(PostcodeDistrict.objects.filter(code__in=districts))
        listing.audiences.set(Audience.objects.filter(slug__in=audiences))
        listing.languages.set(Language.objects.filter(code__in=languages))
        listing.save_revision().publish()
    if verified:
        make_check(listing.provider)
    return listing


@pytest.fixture
def catalogue(directory):
    """The fixed listings, by title."""
    return {spec["title"]: _build(spec) for spec in LISTINGS}


@pytest.fixture
def indexed(catalogue, backend):
    """The catalogue, indexed by the backend under test."""
    backend.rebuild()
    return catalogue


def make_twin_pair(*, stale_second=False, **overrides):
    """Two listings identical in everything ranking may use; anything else may differ."""
    base = {
        "base_postcode": "BL3",
        "radius": 5,
        "outcomes": ["get-out-and-about"],
        "price_pence": 1800,
        "slots": ["mon-morning"],
        "description": "<p>Tandem cycling rides along the canal.</p>",
    }
    first = _build({**base, "title": "Canal tandem rides"}, ProviderFactory(team_size=1))
    second_spec = {
        **base,
        "title": "Canal tandem rides",
        "slug": "canal-tandem-rides-2",
        "price_pence": 2500,
        **overrides,
    }
    if stale_second:
        second_spec["last_confirmed_at"] = timezone.now() - timedelta(days=400)
    second = _build(
        second_spec,
        ProviderFactory(team_size=8, business_type=Provider.BusinessType.LIMITED_COMPANY, name="Zed Ltd"),
    )
    return first, second


@pytest.fixture
def run(backend):
    """run("q=swimming&near=BL3") -> SearchResults from the backend under test.

    Every search must be answered by that backend: a fallback to the database backend (which
    answers the same contract) would otherwise let a broken engine pass.
    """

    def _run(querystring="", **changes):
        query = parse_query(QueryDict(querystring), vocabularies=vocabularies())
        if query.near:
            found = locate(text=query.near)
            query = query.with_location(
                Location(found.latitude, found.longitude, found.label, found.district_code)
            )
        results = backend.search(replace(query, **changes))
        assert (results.backend, results.fallback_from) == (backend.name, ""), (
            f"{backend.name} did not answer (see the warning logged by search.backends.{backend.name})"
        )
        return results

    return _run


def titles(results):
    """Titles of the hits, in order."""
    return [hit.title for hit in results.hits]
