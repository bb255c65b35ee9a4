"""Seed the vocabularies and the places from the files in `data/`.

Used by a data migration (so a fresh `migrate` has them) and by `load_demo`. Every
function takes the model classes so the migration can pass its historical models, and
updates rows in place, so running it again changes nothing.
"""

import json
import uuid
from pathlib import Path

from django.utils.text import slugify

DATA_DIR = Path(__file__).resolve().parent / "data"
# Vocabulary terms get the same public id in every database, so published identifiers (the Open
# Referral taxonomy terms, saved searches, API filters) survive a rebuild.
VOCABULARY_NAMESPACE = uuid.UUID("6f1d2c3e-8a4b-5c6d-9e0f-1a2b3c4d5e6f")


def term_id(kind: str, slug: str) -> uuid.UUID:
    """The stable public id of one vocabulary term."""
    return uuid.uuid5(VOCABULARY_NAMESPACE, f"{kind}:{slug}")


def _read_json(name):
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def seed_vocabularies(*, Outcome, Category, Audience, Language):
    """Create or update the outcomes, categories, audiences and languages."""
    vocab_prefix = {"care_act": "", "carer": "carer-", "wellbeing": "wellbeing-"}
    for order, row in enumerate(_read_json("outcomes.json")):
        slug = vocab_prefix[row["vocabulary"]] + slugify(row["label"])
        Outcome.objects.update_or_create(
            slug=slug, defaults={**row, "sort_order": order, "public_id": term_id("outcome", slug)}
        )
    for order, row in enumerate(_read_json("categories.json")):
        Category.objects.update_or_create(slug=slugify(row["label"]), defaults={**row, "sort_order": order})
    for order, row in enumerate(_read_json("audiences.json")):
        Audience.objects.update_or_create(slug=slugify(row["label"]), defaults={**row, "sort_order": order})
    for row in _read_json("languages.json"):
        Language.objects.update_or_create(code=row["code"], defaults={"name": row["name"]})


def seed_places(*, PostcodeDistrict, Place):
    """Create or update every UK postcode district and the shipped neighbourhood names."""
    from .places import load_districts

    return load_districts(PostcodeDistrict=PostcodeDistrict, Place=Place)


def seed_access_features(*, AccessFeature):
    """Create or update the access features (step-free access, hearing loop, …) by slug."""
    for order, row in enumerate(_read_json("access_features.json")):
        slug = row["slug"]
        defaults = {key: value for key, value in row.items() if key != "slug"}
        AccessFeature.objects.update_or_create(
            slug=slug,
            defaults={**defaults, "sort_order": order, "public_id": term_id("access", slug)},
        )


def seed_ascot_domains(*, Outcome, overwrite=False):
    """Set the ASCOT domain of each seeded outcome (see docs/outcomes-ascot.md).

    A domain a coordinator has already chosen is kept unless `overwrite`; outcomes added in
    the CMS and not in the file are left alone.
    """
    for slug, domain in _read_json("outcome_ascot.json").items():
        outcomes = Outcome.objects.filter(slug=slug)
        if not overwrite:
            outcomes = outcomes.filter(ascot_domain="")
        outcomes.update(ascot_domain=domain)
