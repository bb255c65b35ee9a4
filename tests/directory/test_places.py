"""National places: every UK postcode district from the first `migrate`, towns, council areas.

These run against the table the migration loads from the shipped copy
(`directory/data/postcode_districts_gb.csv`), the same data a fresh install has.
"""

import csv
import os
from pathlib import Path

import pytest

from directory import places
from directory.models import Place, PostcodeDistrict
from directory.places import district_for_point, districts_for_area
from directory.services import PlaceNotFound, locate

# ../shared beside the project; a git worktree's checkout may sit deeper than the main one.
_ROOT = Path(__file__).resolve().parents[2]
SHARED_CSV = next(
    (
        base / "shared" / "geo" / "postcode_districts_gb.csv"
        for base in (_ROOT.parent, _ROOT.parent.parent)
        if (base / "shared" / "geo").is_dir()
    ),
    _ROOT.parent / "shared" / "geo" / "postcode_districts_gb.csv",
)


def codes(districts):
    return sorted(d.code for d in districts)


# --- the load -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_fresh_database_has_every_district_in_the_shipped_table():
    with places.SHIPPED_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 3000
    assert PostcodeDistrict.objects.count() == len(rows)
    assert PostcodeDistrict.objects.filter(active=False).count() == sum(
        1 for r in rows if r["active_postcodes"] == "0"
    )
    hp5 = PostcodeDistrict.objects.get(code="HP5")
    assert (hp5.post_town, hp5.local_authority, hp5.local_authority_slug) == (
        "Chesham",
        "Chiltern",
        "chiltern",
    )
    assert hp5.active and not hp5.non_geographic
    assert "Ashley Green" in hp5.description
    # The Bolton neighbourhoods the national table does not name are still there, with their points.
    assert Place.objects.get(name="Daubhill").district.code == "BL3"


def test_the_shipped_table_is_the_shared_one():
    if not SHARED_CSV.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SHARED_CSV} is missing: CI must have ../shared beside the project")
        pytest.skip(f"{SHARED_CSV} is absent (../shared is not beside the project)")
    assert places.SHIPPED_CSV.read_bytes() == SHARED_CSV.read_bytes()


def test_the_shipped_table_carries_its_attribution():
    readme = (places.SHIPPED_CSV.parent / "README.md").read_text(encoding="utf-8")
    assert "Contains OS data © Crown copyright and database right" in readme
    assert "Open Government Licence v.3.0" in readme
    footer = (Path(__file__).resolve().parents[2] / "cms" / "templates" / "base.html").read_text(
        encoding="utf-8"
    )
    assert "contains OS data © Crown copyright and database right" in footer


@pytest.mark.django_db
def test_loading_again_updates_in_place_and_keeps_full_postcodes():
    bl3 = PostcodeDistrict.objects.get(code="BL3")
    bl3.postcodes.create(code="BL3 5AA", latitude=53.56, longitude=-2.43)
    PostcodeDistrict.objects.filter(code="BL3").update(latitude=53.0, local_authority="")
    counts = places.load_districts(PostcodeDistrict=PostcodeDistrict, Place=Place)
    assert counts["created"] == 0 and counts["places"] == 0
    bl3.refresh_from_db()
    assert bl3.latitude == pytest.approx(53.5662) and bl3.local_authority == "Bolton"
    assert bl3.postcodes.filter(code="BL3 5AA").exists()


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("Bristol", "bristol"),
        ("Bristol, City of", "bristol"),
        ("bristol city council", "bristol"),
        ("South Gloucestershire", "south-gloucestershire"),
        ("Brighton & Hove", "brighton-and-hove"),
        ("St. Helens", "st-helens"),
    ],
)
def test_council_names_have_one_key_whatever_the_punctuation(typed, slug):
    assert places.authority_slug(typed) == slug


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", ["Bristol", "bristol", "Bristol, City of", "City of Bristol", "BRISTOL CITY COUNCIL"]
)
def test_districts_for_a_council_area(typed):
    found = codes(districts_for_area(typed))
    assert {"BS1", "BS2", "BS5"} <= set(found)
    assert "BS34" not in found  # South Gloucestershire
    assert "BS0" not in found and "BS98" not in found  # non-geographic
    assert "BS18" not in found  # terminated


@pytest.mark.django_db
def test_districts_for_a_town_an_outward_code_and_nothing():
    assert codes(districts_for_area("chesham")) == ["HP5"]
    assert codes(districts_for_area("Little Stoke")) == ["BS34"]
    assert codes(districts_for_area("bs34")) == ["BS34"]
    assert {"BS30", "BS34", "BS37"} <= set(codes(districts_for_area("South Gloucestershire")))
    assert districts_for_area("Atlantis") == []
    assert districts_for_area("") == []


@pytest.mark.django_db
def test_a_town_in_several_council_areas_needs_its_council():
    # Richmond is in North Yorkshire (DL10) and a part of Sheffield (S13).
    assert districts_for_area("Richmond") == []
    assert codes(districts_for_area("Richmond, North Yorkshire")) == ["DL10"]
    assert codes(districts_for_area("Richmond, Sheffield")) == ["S13"]


@pytest.mark.django_db
def test_a_terminated_district_is_never_offered():
    bs18 = PostcodeDistrict.objects.get(code="BS18")
    assert not bs18.active
    assert districts_for_area("BS18") == []
    # Its own centre is nearer to it than to any live district, yet a live one is chosen.
    assert district_for_point(bs18.latitude, bs18.longitude).code != "BS18"
    # Typed as an old address, it is still found.
    assert locate(text="BS18").district_code == "BS18"


@pytest.mark.django_db
def test_district_for_point():
    assert district_for_point(51.7131, -0.6086).code == "HP5"  # Chesham
    assert district_for_point(51.5253, -2.5678).code == "BS34"  # Filton
    assert district_for_point("51.4539", "-2.59204").code == "BS1"  # text from a feed
    assert district_for_point(48.8566, 2.3522) is None  # Paris
    assert district_for_point(52.0, -7.0) is None  # the Celtic Sea, inside the UK box
    assert district_for_point(None, None) is None


# --- locate: what the search box does with each kind of place --------------------------------


@pytest.mark.django_db
def test_an_outward_code_anywhere_is_found():
    location = locate(text="HP5")
    assert (location.label, location.district_code, location.precision, location.note) == (
        "HP5",
        "HP5",
        "district",
        "",
    )


@pytest.mark.django_db
def test_a_full_postcode_we_lack_says_distances_are_from_its_district():
    location = locate(text="bs34 5lp")
    assert (location.district_code, location.precision) == ("BS34", "district")
    assert location.note == (
        "We found BS34 but not the full postcode BS34 5LP, so distances are from the middle of BS34."
    )


@pytest.mark.django_db
def test_a_town_is_found_at_its_district():
    location = locate(text="chesham")
    assert (location.label, location.district_code, location.precision) == ("Chesham", "HP5", "place")
    assert (location.latitude, location.longitude) == pytest.approx((51.7131, -0.608571))


@pytest.mark.django_db
def test_a_council_area_is_found_at_the_middle_of_its_districts():
    location = locate(text="South Gloucestershire")
    assert (location.label, location.district_code, location.precision) == (
        "South Gloucestershire",
        "",
        "area",
    )
    assert "BS34" in location.district_codes and "BS1" not in location.district_codes
    assert "council area" in location.note
    districts = PostcodeDistrict.objects.filter(code__in=location.district_codes)
    assert location.latitude == pytest.approx(sum(d.latitude for d in districts) / len(districts))


@pytest.mark.django_db
def test_an_ambiguous_town_says_which_one_and_how_to_choose():
    location = locate(text="Richmond")
    assert location.district_code in {"DL10", "S13"}
    assert "more than one Richmond" in location.note and "“Richmond, " in location.note
    assert locate(text="Richmond, Sheffield").district_code == "S13"


@pytest.mark.django_db
def test_an_unknown_place_still_says_what_to_try():
    with pytest.raises(PlaceNotFound, match="We could not find a place called “Nowhereville”"):
        locate(text="Nowhereville")
