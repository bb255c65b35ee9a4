"""The demo gives a realistic share of listings access features and age ranges, the same each run."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from wagtail.models import Revision

from directory.demo import generate
from directory.models import AccessFeature, ListingPage

pytestmark = pytest.mark.django_db


def test_generated_listings_have_a_realistic_mix_of_access_features_and_ages():
    listings = [li for p in generate() for li in p.listings]
    with_features = [li for li in listings if li.access_features]
    # Most have something (home visits, a step-free hall), not all; every feature appears.
    assert 0.5 * len(listings) < len(with_features) < len(listings)
    counts = Counter(f for li in listings for f in li.access_features)
    assert set(counts) == set(AccessFeature.objects.values_list("slug", flat=True))
    assert counts["bsl"] < counts["step-free"] < counts["home-visits"]
    # Ages: mostly adults, some for older people only, some for young adults only.
    assert {li.min_age for li in listings} >= {18, 60} or {li.min_age for li in listings} >= {18, 65}
    assert any(li.max_age == 25 for li in listings)
    assert all(li.min_age is None or li.max_age is None or li.min_age <= li.max_age for li in listings)
    # The free-text notes and the ticked features agree.
    for li in listings:
        if "hearing loop" in li.accessibility:
            assert "hearing-loop" in li.access_features, li.slug


def test_generation_is_deterministic():
    def features(specs):
        return [(li.slug, li.access_features, li.min_age, li.max_age) for p in specs for li in p.listings]

    assert features(generate()) == features(generate())


def test_loading_the_demo_stores_the_features_and_a_second_run_changes_nothing():
    call_command("load_demo", stdout=StringIO())
    stored = {
        page.slug: sorted(page.access_features.values_list("slug", flat=True))
        for page in ListingPage.objects.prefetch_related("access_features")
    }
    expected = {li.slug: li.access_features for p in generate() for li in p.listings}
    assert stored == expected
    revisions = Revision.objects.count()
    call_command("load_demo", stdout=StringIO())
    assert Revision.objects.count() == revisions
    # Search finds them: the demo is a place to try the access filter.
    from search.backends import get_search_backend

    get_search_backend("database").rebuild()
    from django.test import Client

    data = Client().get("/api/search", {"near": "BL3", "radius": "20", "access": "step-free"}).json()
    assert data["count"] > 0
    assert data["facets"]["access"]["step-free"] == data["count"]
