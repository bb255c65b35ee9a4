"""Search anywhere in Great Britain on a fresh install: outward codes, full postcodes we lack,
towns and council areas, on the search page and in /api/search."""

import pytest

from search.backends import get_search_backend, reset_backends
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def national(directory):
    """A listing in each place the examples name, and one in Bolton that none of them is near."""
    reset_backends()
    made = {
        "chesham": make_listing(title="Chesham walking group", base_postcode="HP5", radius=5),
        "filton": make_listing(title="Filton lunch club", base_postcode="BS34", radius=5),
        "bolton": make_listing(title="Bolton swimming buddy", base_postcode="BL3", radius=5),
    }
    # Indexing runs after commit, which a rolled-back test never reaches.
    get_search_backend().rebuild()
    return made


def api(client, **params):
    return client.get("/api/search", params)


@pytest.mark.parametrize(
    ("near", "found", "note"),
    [
        ("HP5", "Chesham walking group", ""),
        ("Chesham", "Chesham walking group", ""),
        (
            "BS34 5LP",
            "Filton lunch club",
            "We found BS34 but not the full postcode BS34 5LP, so distances are from the middle of BS34.",
        ),
        (
            "South Gloucestershire",
            "Filton lunch club",
            "South Gloucestershire is a council area: distances are from its middle.",
        ),
    ],
)
def test_each_kind_of_place_finds_listings_near_it(client, national, near, found, note):
    response = api(client, near=near)
    assert response.status_code == 200, response.content
    data = response.json()
    assert [r["name"] for r in data["results"]] == [found]
    assert data["place"]["note"] == note

    page = client.get("/search/", {"near": near}).content.decode()
    assert found in page and "Bolton swimming buddy" not in page
    if note:
        assert note in page


def test_a_council_area_search_measures_from_its_middle(client, national):
    # Filton is a few miles from the middle of South Gloucestershire's districts, not 0.
    data = api(client, near="south gloucestershire").json()
    assert data["place"]["label"] == "South Gloucestershire"
    assert 1 < data["results"][0]["distance_miles"] < 10


def test_bristol_is_its_council_area(client, national):
    data = api(client, near="Bristol, City of").json()
    assert data["place"]["label"] == "Bristol"
    # A council area typed as the place keeps its own districts: Filton (BS34) is ~4 miles from
    # Bristol's middle but in South Gloucestershire, so it is not "in Bristol".
    assert [r["name"] for r in data["results"]] == []


def test_an_unknown_place_gets_the_clear_message(client, national):
    response = api(client, near="Nowhereville")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "param": "near",
        "message": "We could not find a place called “Nowhereville”. "
        "Try a postcode like BL3 or BL1 1RU, or a town like Farnworth.",
    }


def test_an_unknown_council_gets_a_clear_message(client, national):
    response = api(client, council="atlantis")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "council"
    assert "We do not know a council area called “atlantis”" in response.json()["error"]["message"]


def test_a_council_that_is_not_a_short_name_is_refused(client, national):
    response = api(client, council="Bristol City!")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Choose a council area by its short name, like bristol."


def test_the_council_filter_keeps_listings_in_that_council_area(client, national):
    data = api(client, council="south-gloucestershire").json()
    assert [r["name"] for r in data["results"]] == ["Filton lunch club"]
    # …and a neighbouring council's filter leaves it out.
    data = api(client, council="bristol").json()
    assert "Filton lunch club" not in [r["name"] for r in data["results"]]
