"""Access features on listings, and the ASCOT domain each outcome is read under."""

import json
from pathlib import Path

import pytest

from directory.models import AccessFeature, Outcome
from directory.seed import seed_access_features, seed_ascot_domains
from tests.factories import make_listing

pytestmark = pytest.mark.django_db

FIXED_SLUGS = [
    "step-free",
    "accessible-toilet",
    "hearing-loop",
    "bsl",
    "large-print-easy-read",
    "quiet-space",
    "parking",
    "home-visits",
]


def test_the_migration_seeds_the_eight_access_features_with_fixed_slugs():
    # Search filters (access=…) and the Open Referral export name features by these slugs.
    assert list(AccessFeature.objects.values_list("slug", flat=True)) == FIXED_SLUGS
    assert AccessFeature.objects.get(slug="hearing-loop").label == "Hearing loop"


def test_seeding_again_changes_nothing_and_keeps_public_ids():
    before = dict(AccessFeature.objects.values_list("slug", "public_id"))
    seed_access_features(AccessFeature=AccessFeature)
    assert dict(AccessFeature.objects.values_list("slug", "public_id")) == before


def test_a_listing_keeps_its_access_features_through_publishing(directory):
    features = list(AccessFeature.objects.filter(slug__in=["step-free", "bsl"]))
    listing = make_listing(title="Deaf club", access_features=features, accessibility="Ring the side bell.")
    assert sorted(f.slug for f in listing.access_features.all()) == ["bsl", "step-free"]
    assert listing.accessibility == "Ring the side bell."


def test_every_seeded_outcome_has_an_ascot_domain():
    assert not Outcome.objects.filter(ascot_domain="").exists()
    assert Outcome.objects.get(slug="eat-well").ascot_domain == Outcome.AscotDomain.FOOD_AND_DRINK
    assert Outcome.objects.get(slug="get-out-and-about").get_ascot_domain_display() == (
        "Social participation and involvement"
    )
    assert Outcome.objects.get(slug="wellbeing-be-treated-with-dignity").ascot_domain == "dignity"


def test_every_ascot_domain_has_at_least_one_outcome():
    used = set(Outcome.objects.values_list("ascot_domain", flat=True))
    assert used == set(Outcome.AscotDomain.values)


def test_reseeding_keeps_a_domain_a_coordinator_changed():
    Outcome.objects.filter(slug="get-out-and-about").update(ascot_domain="occupation")
    seed_ascot_domains(Outcome=Outcome)
    assert Outcome.objects.get(slug="get-out-and-about").ascot_domain == "occupation"
    seed_ascot_domains(Outcome=Outcome, overwrite=True)
    assert Outcome.objects.get(slug="get-out-and-about").ascot_domain == "social"


def test_the_ascot_document_lists_every_seeded_outcome_with_its_domain():
    # docs/outcomes-ascot.md is the mapping people read: it must say what the data says.
    doc = (Path(__file__).resolve().parents[2] / "docs" / "outcomes-ascot.md").read_text()
    rows = {
        line.split("|")[2].strip().strip("`"): line.split("|")[3].strip()
        for line in doc.splitlines()
        if line.startswith("| ") and line.count("|") >= 5 and "`" in line.split("|")[2]
    }
    mapping = json.loads(
        (Path(__file__).resolve().parents[2] / "directory" / "data" / "outcome_ascot.json").read_text()
    )
    assert set(rows) == set(mapping) == set(Outcome.objects.values_list("slug", flat=True))
    for slug, domain in mapping.items():
        assert rows[slug] == Outcome.AscotDomain(domain).label, slug
