"""Issue 16: where an imported service is, and saying only what is true about its organisation.

Fixtures are written from the ORUK 3.0 and 1.0 specifications with invented services, people
and places; everything runs on the real database, the real search backend and real HTTP.
"""

import json
import uuid

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.urls import reverse

from cms.models import Role
from directory.models import Audience, ListingPage, Provider
from directory.oruk.importer import import_feed
from search.backends import get_search_backend
from search.query import parse_query
from search.services import search_listings, vocabularies
from tests.directory.test_oruk_api import API
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ORG_ID = "5a1e0000-0000-4000-8000-000000000001"
COUNCIL_DESCRIPTION = (
    "Northavon Borough Council runs adult social care, libraries and leisure for 280,000 residents."
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the API's rate limit counts in the cache
    yield
    cache.clear()


def service(n: int, **parts) -> dict:
    """An ORUK 3.0 service with no place at all unless `parts` gives one."""
    return {
        "id": f"5e4f0000-0000-4000-8000-{n:012d}",
        "name": parts.pop("name", f"Invented support service {n}"),
        "description": "Friendly support from local volunteers.",
        "status": "active",
        "email": "",
        "url": "",
        "organization": parts.pop(
            "organization", {"id": ORG_ID, "name": "Invented Community Trust", "description": ""}
        ),
        **parts,
    }


def located(latitude=None, longitude=None, postcode=None, location_type="physical") -> list:
    location = {"id": str(uuid.uuid4()), "location_type": location_type}
    if latitude is not None:
        location.update(latitude=latitude, longitude=longitude)
    if postcode:
        location["addresses"] = [{"id": str(uuid.uuid4()), "postal_code": postcode, "address_1": ""}]
    return [{"id": str(uuid.uuid4()), "location": location}]


def found_near(place: str, name: str) -> bool:
    get_search_backend("database").rebuild()
    query = parse_query(QueryDict(f"near={place}"), vocabularies=vocabularies())
    return name in [hit.title for hit in search_listings(query=query).hits]


def listing(n: int) -> ListingPage:
    return ListingPage.objects.get(public_id=f"5e4f0000-0000-4000-8000-{n:012d}")


# --- where a service is --------------------------------------------------------------------


def test_a_service_with_only_a_named_council_area_is_findable_in_that_area(directory):
    report = import_feed(
        data=[
            service(
                1,
                name="Bradley Stoke carers' café",
                service_areas=[{"id": "a1", "name": "South Gloucestershire"}],
            )
        ],
        publish=True,
    )
    assert report.created == 1 and not report.errors, report.errors
    page = listing(1)
    assert page.live and page.base_postcode.startswith("BS")
    assert {"BS34", "BS37"} <= {d.code for d in page.served_districts.all()}
    assert found_near("BS34", "Bradley Stoke carers' café")
    assert found_near("South Gloucestershire", "Bradley Stoke carers' café")
    assert not found_near("HP5", "Bradley Stoke carers' café")


def test_a_service_with_only_coordinates_is_placed_in_its_postcode_district(directory):
    # The middle of Chesham, in HP5.
    import_feed(
        data=[service(2, name="Chesham lunch club", service_at_locations=located(51.7055, -0.6115))],
        publish=True,
    )
    page = listing(2)
    assert page.live and page.base_postcode == "HP5"
    assert found_near("Chesham", "Chesham lunch club")
    assert not found_near("BS34", "Chesham lunch club")


def test_the_organisations_address_is_the_last_place_to_look(directory):
    organization = {
        "id": ORG_ID,
        "name": "Invented Community Trust",
        "description": "",
        "addresses": [{"postal_code": "BL3 5AA"}],
    }
    import_feed(data=[service(3, organization=organization)], publish=True)
    assert listing(3).live and listing(3).base_postcode == "BL3 5AA"


def test_a_phone_service_with_no_place_is_published_as_available_anywhere(directory, client):
    record = service(
        4,
        name="Telephone befriending",
        url="https://befriending.example.org",
        service_at_locations=located(location_type="virtual"),
    )
    report = import_feed(data=[record], publish=True)
    page = listing(4)
    assert page.live and page.available_anywhere and not page.base_postcode
    assert report.available_anywhere == 1 and "available anywhere" in str(report)
    for place in ("BS34", "Chesham", "BL3"):
        assert found_near(place, "Telephone befriending"), place
    assert "Available anywhere" in client.get(page.url).content.decode()
    assert "Available anywhere" in client.get(reverse("search"), {"near": "HP5"}).content.decode()


def test_a_record_with_no_place_stays_a_draft_for_coordinators_to_place(directory, client):
    report = import_feed(data=[service(5, name="Somewhere support")], publish=True)
    page = listing(5)
    assert not page.live and report.drafts_without_place == 1
    assert "needs a place" in str(report)

    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=True))
    shown = client.get("/admin/directory/needs-a-place/")
    assert shown.status_code == 200 and "Somewhere support" in shown.content.decode()

    # A place we do not know: said plainly, what was typed kept, nothing changed.
    refused = client.post(
        "/admin/directory/needs-a-place/",
        {"listing": str(page.public_id), "where": "place", "place": "Atlantis"},
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "We do not know a postcode, council area or town called “Atlantis”" in body
    assert 'value="Atlantis"' in body
    assert not ListingPage.objects.get(pk=page.pk).live

    done = client.post(
        "/admin/directory/needs-a-place/",
        {"listing": str(page.public_id), "where": "place", "place": "Chesham"},
    )
    assert done.status_code == 302
    page = ListingPage.objects.get(pk=page.pk)
    assert page.live and page.base_postcode == "HP5"
    assert found_near("Chesham", "Somewhere support")
    assert "Somewhere support" not in client.get("/admin/directory/needs-a-place/").content.decode()


# --- say only what is true about an organisation --------------------------------------------


def test_an_imported_council_keeps_its_own_words_and_is_never_called_a_micro_enterprise(directory, client):
    council = {
        "id": ORG_ID,
        "name": "Northavon Borough Council",
        "description": COUNCIL_DESCRIPTION,
        "legal_status": "Local authority",
    }
    import_feed(
        data=[
            service(
                6,
                name="Northavon day centre",
                organization=council,
                service_at_locations=located(postcode="BS34 5LP"),
            )
        ],
        publish=True,
    )
    provider = Provider.objects.get(public_id=ORG_ID)
    assert provider.description == COUNCIL_DESCRIPTION
    assert provider.stated_type == "Local authority" and provider.business_type == ""
    assert provider.runner == Provider.Runner.OTHER

    exported = client.get(f"{API}/organizations/{ORG_ID}").json()
    assert exported["description"] == COUNCIL_DESCRIPTION
    in_service = client.get(f"{API}/services/{listing(6).public_id}").json()["organization"]
    assert in_service["description"] == COUNCIL_DESCRIPTION
    page = client.get(listing(6).url).content.decode()
    for text in (json.dumps(exported), json.dumps(in_service), page):
        assert "micro-enterprise" not in text and "eight or fewer" not in text
        assert "Charity" not in text
    assert "Small local provider" not in page
    assert "Local authority" in page


def test_an_organisation_that_says_nothing_is_not_stated_everywhere(directory, client):
    import_feed(data=[service(7, service_at_locations=located(postcode="BL3"))], publish=True)
    provider = Provider.objects.get(public_id=ORG_ID)
    assert (provider.business_type, provider.team_size, provider.runner) == ("", None, "not_stated")
    exported = client.get(f"{API}/organizations/{ORG_ID}").json()
    assert exported["description"] == "Type and size not stated."
    page = client.get(listing(7).url).content.decode()
    assert "Not stated" in page and "Small local provider" not in page
    assert "micro-enterprise" not in page


def test_small_local_provider_shows_only_when_confirmed(directory, client):
    import_feed(data=[service(8, service_at_locations=located(postcode="BL3"))], publish=True)
    provider = Provider.objects.get(public_id=ORG_ID)
    provider.team_size = 3
    provider.save()
    assert "Small local provider" not in client.get(listing(8).url).content.decode()  # not confirmed
    provider.size_confirmed_by = Provider.SizeConfirmedBy.COORDINATOR
    provider.save()
    assert "Small local provider (8 or fewer people)" in client.get(listing(8).url).content.decode()
    exported = client.get(f"{API}/organizations/{ORG_ID}").json()
    assert "small local provider of 8 or fewer people" in exported["description"]


# --- audiences ---------------------------------------------------------------------------


def test_audiences_the_feed_names_map_to_ours_or_are_kept_as_text(directory, client):
    v1 = {
        "id": "8812",
        "name": "Leaving care drop-in",
        "status": "active",
        "organisation": {"id": "77", "name": "Invented Youth Trust"},
        "eligibilitys": [{"id": "1", "eligibility": "Care leavers", "minimum_age": 16, "maximum_age": 25}],
        "service_at_locations": [
            {"id": "1", "location": {"id": "1", "physical_addresses": [{"postal_code": "BL3 5AA"}]}}
        ],
    }
    v3 = service(
        9,
        name="Memory café",
        attributes=[
            {
                "taxonomy_term": {
                    "id": str(uuid.uuid4()),
                    "name": "Older people",
                    "taxonomy": "Target audience",
                }
            },
            {
                "taxonomy_term": {
                    "id": str(uuid.uuid4()),
                    "name": "Unpaid carers",
                    "taxonomy": "Target audience",
                }
            },
        ],
        service_at_locations=located(postcode="BL3"),
    )
    import_feed(data=[v3], publish=True)
    import_feed(data=[v1], publish=True, source="https://council.example/api")
    cafe = listing(9)
    assert {a.slug for a in cafe.audiences.all()} == {"older-people", "carers"}
    assert cafe.audience_text == ""
    drop_in = ListingPage.objects.get(title="Leaving care drop-in")
    assert drop_in.audience_text == "Care leavers"  # none of ours: kept in the feed's words
    assert list(drop_in.audiences.all()) == [Audience.objects.get(slug="young-adults")]  # ages 16 to 25
    assert "Care leavers" in client.get(drop_in.url).content.decode()
