"""Reading postcodes people type, and finding where a postcode or town is."""

import pytest

from directory.geo import InvalidPostcode, looks_like_postcode, parse_postcode
from directory.models import Postcode, PostcodeDistrict
from directory.services import PlaceNotFound, locate


@pytest.mark.parametrize(
    ("typed", "outward", "inward"),
    [
        ("BL1 1RU", "BL1", "1RU"),
        ("M1 1AE", "M1", "1AE"),
        ("SW1A 1AA", "SW1A", "1AA"),
        ("EC1A 1BB", "EC1A", "1BB"),
        ("W1A 0AX", "W1A", "0AX"),
        ("B33 8TH", "B33", "8TH"),
        ("CR2 6XH", "CR2", "6XH"),
        ("DN55 1PT", "DN55", "1PT"),
        ("bl1 1ru", "BL1", "1RU"),  # lower case
        ("BL11RU", "BL1", "1RU"),  # no space
        ("sw1a1aa", "SW1A", "1AA"),
        ("  BL1    1RU  ", "BL1", "1RU"),  # extra spaces
        ("BL1\u00a01RU", "BL1", "1RU"),  # a non-breaking space pasted from a web page
    ],
)
def test_full_postcodes_are_normalised(typed, outward, inward):
    parsed = parse_postcode(typed)
    assert (parsed.outward, parsed.inward, parsed.is_full) == (outward, inward, True)
    assert str(parsed) == f"{outward} {inward}"


@pytest.mark.parametrize(
    ("typed", "normal"), [("BL3", "BL3"), ("SW1A", "SW1A"), ("bl3", "BL3"), (" m1 ", "M1")]
)
def test_outward_codes_are_accepted_on_their_own(typed, normal):
    parsed = parse_postcode(typed)
    assert (str(parsed), parsed.outward, parsed.is_full) == (normal, normal, False)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a postcode, like BL1 1RU, or the first half, like BL1."),
        ("   ", "Enter a postcode, like BL1 1RU, or the first half, like BL1."),
        (None, "Enter a postcode, like BL1 1RU, or the first half, like BL1."),
        (
            "hello",
            "“hello” is not a UK postcode. Enter a postcode like BL1 1RU, or the first half, like BL1.",
        ),
        (
            "12345",
            "“12345” is not a UK postcode. Enter a postcode like BL1 1RU, or the first half, like BL1.",
        ),
        ("BL", "“BL” is not a UK postcode. Enter a postcode like BL1 1RU, or the first half, like BL1."),
        (
            "BLL1 1RU",
            "“BLL1 1RU” is not a UK postcode. Enter a postcode like BL1 1RU, or the first half, like BL1.",
        ),
        (
            "<script>",
            "“<script>” is not a UK postcode. Enter a postcode like BL1 1RU, or the first half, like BL1.",
        ),
        ("BL1 1RU" * 100, "“BL1 1RUBL1 1RUBL1 1R” is too long to be a postcode."),
    ],
)
def test_things_that_are_not_postcodes_get_a_clear_message(typed, message):
    with pytest.raises(InvalidPostcode) as error:
        parse_postcode(typed)
    assert str(error.value) == message
    assert not looks_like_postcode(typed)


# --- locate(): what the search box does with a place ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["Farnworth", "farnworth", "FARNWORTH", "  Farnworth "])
def test_a_town_name_in_any_case_is_found(typed):
    location = locate(text=typed)
    assert (location.label, location.district_code, location.precision) == ("Farnworth", "BL4", "place")
    assert location.latitude == pytest.approx(53.545)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["BL3", "bl3", " Bl3 "])
def test_an_outward_code_is_found_at_its_district_centre(typed):
    location = locate(text=typed)
    assert (location.label, location.district_code, location.precision) == ("BL3", "BL3", "district")
    assert (location.latitude, location.longitude) == pytest.approx((53.5662, -2.43197))


@pytest.mark.django_db
def test_a_full_postcode_we_have_is_found_exactly():
    Postcode.objects.create(
        code="BL1 1RU", district=PostcodeDistrict.objects.get(code="BL1"), latitude=53.5769, longitude=-2.4282
    )
    location = locate(text="bl11ru")
    assert (location.label, location.district_code, location.precision) == ("BL1 1RU", "BL1", "postcode")
    assert (location.latitude, location.longitude) == pytest.approx((53.5769, -2.4282))


@pytest.mark.django_db
def test_a_full_postcode_we_lack_falls_back_to_its_district():
    assert not Postcode.objects.filter(code="BL3 5AA").exists()
    location = locate(text="BL3 5AA")
    assert (location.label, location.district_code, location.precision) == ("BL3", "BL3", "district")


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "shown"), [("ZZ9", "ZZ9"), ("zz9 9zz", "ZZ9 9ZZ")])
def test_an_unknown_district_says_what_to_try(typed, shown):
    with pytest.raises(PlaceNotFound) as error:
        locate(text=typed)
    assert str(error.value) == (
        f"We do not know where {shown} is yet. Try the first half of your postcode or a town name."
    )


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["BL3\x005AA", "Farnworth" * 20])
def test_a_place_no_database_could_hold_gets_a_clear_message(typed):
    # A NUL would make PostgreSQL refuse the query; nothing real is 180 characters long.
    with pytest.raises(PlaceNotFound, match="using letters and numbers"):
        locate(text=typed)


@pytest.mark.django_db
def test_an_unknown_town_says_what_to_try():
    with pytest.raises(PlaceNotFound) as error:
        locate(text="Atlantis")
    assert str(error.value) == (
        "We could not find a place called “Atlantis”. "
        "Try a postcode like BL3 or BL1 1RU, or a town like Farnworth."
    )


@pytest.mark.django_db
def test_an_empty_search_place_asks_for_one():
    with pytest.raises(PlaceNotFound, match="Enter a postcode or a town"):
        locate(text="   ")
