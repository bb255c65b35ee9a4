"""The Open Referral UK 3.0 API at /openreferral/: what a council directory or the NHS reading it gets.

Every response is checked against the official JSON schemas and the response schema that
`openapi.json` names for its path, read from ../shared/oruk/3.0/ (skipped, with the reason,
where that copy of the specification is absent).
"""

import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from wagtail.models import PageViewRestriction

from directory.fields import slots_to_mask
from directory.models import (
    Category,
    Check,
    Language,
    ListingPage,
    ListingPrice,
    Outcome,
    PostcodeDistrict,
    Provider,
)
from directory.oruk import mapping
from tests import factories
from tests.needs import in_ci, missing

pytestmark = pytest.mark.django_db

SPEC_DIR = Path(settings.BASE_DIR).parent / "shared" / "oruk" / "3.0"
SCHEMA_BASE_URL = "https://openreferraluk.org/specifications/3.0/schema/"
API = "/openreferral"
ENVELOPE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}
# Under CI the spec must be there: the `spec` fixture then fails with the reason instead.
needs_spec = pytest.mark.skipif(
    not SPEC_DIR.is_dir() and not in_ci(),
    reason=f"the ORUK 3.0 specification is not at {SPEC_DIR} (../shared is absent)",
)

PRIVATE_EMAIL = "jo.private@home-address.example"
PRIVATE_PHONE = "01204 999 888"
LEGAL_NAME = "Joanne Margaret Bloggs"
DBS_REFERENCE = "DBS-001234567890"
FULL_POSTCODE_INWARD = "5AA"


# --- the specification -------------------------------------------------------------------------


class Spec:
    """The ORUK 3.0 schemas and openapi.json, for checking responses against."""

    def __init__(self, root: Path):
        resources = []
        for path in sorted((root / "schema").glob("*.json")):
            contents = json.loads(path.read_text(encoding="utf-8"))
            resource = Resource.from_contents(contents, default_specification=DRAFT202012)
            resources.append((SCHEMA_BASE_URL + path.name, resource))
        self.registry = Registry().with_resources(resources)
        self.openapi = json.loads((root / "openapi.json").read_text(encoding="utf-8"))
        self.paths = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "/?$"), template)
            for template in self.openapi["paths"]
        ]

    def errors(self, ref: str, data) -> list[str]:
        """Every way `data` breaks the schema at `ref`, with where."""
        validator = Draft202012Validator(
            {"$ref": ref}, registry=self.registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]

    def response_ref(self, url: str) -> str:
        """The 200 response schema openapi.json gives for the path of `url`."""
        path = urlsplit(url).path.removeprefix(API) or "/"
        template = next((t for pattern, t in self.paths if pattern.match(path)), None)
        assert template, f"openapi.json has no path matching {path}"
        content = self.openapi["paths"][template]["get"]["responses"]["200"]["content"]
        return content["application/json"]["schema"]["$ref"]

    def check(self, url: str, data) -> None:
        """Fail unless `data` is a valid response for `url`, nested objects included."""
        problems = self.errors(self.response_ref(url), data)
        items = data["contents"] if isinstance(data, dict) and "contents" in data else [data]
        if isinstance(data, dict) and "contents" in data:
            assert set(data) == ENVELOPE_KEYS, f"{url}: envelope keys {sorted(data)}"
        for item in items:
            # Objects the response schema does not reach: services nested in organisations and
            # service-at-locations, and a contact's phones.
            for service in [*item.get("services", []), *([item["service"]] if "service" in item else [])]:
                problems += [f"service: {p}" for p in self.errors(SCHEMA_BASE_URL + "service.json", service)]
            for service in [item, *item.get("services", []), item.get("service", {})]:
                for contact in service.get("contacts", []):
                    for phone in contact.get("phones", []):
                        problems += [
                            f"phone: {p}" for p in self.errors(SCHEMA_BASE_URL + "phone.json", phone)
                        ]
        assert not problems, f"{url} does not validate:\n" + "\n".join(problems[:20])


@pytest.fixture(scope="session")
def spec():
    if not SPEC_DIR.is_dir():
        missing(f"the ORUK 3.0 specification is not at {SPEC_DIR} (../shared is absent)")
    return Spec(SPEC_DIR)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The rate limit counts requests in the cache; each test starts with a clean count.
    cache.clear()
    yield
    cache.clear()


def fetch(client, spec, url, status=200):
    """GET `url`, check the status, CORS and the body (schema for 200, {"error"} otherwise)."""
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.content[:300])
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    if status == 200:
        spec.check(url, data)
    else:
        assert set(data) == {"error"} and data["error"], data
    return data


# --- data ------------------------------------------------------------------------------------------


def _edit(listing, **changes):
    """Change a published listing the way the admin does: a new revision, published."""
    page = listing.get_latest_revision_as_object()
    for name, value in changes.items():
        setattr(page, name, value)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


@pytest.fixture
def demo(directory):
    """A small directory: a full listing, a plain one, a draft, and one in a private section."""
    provider = factories.ProviderFactory(
        name="Jo's Swimming Buddies",
        legal_name=LEGAL_NAME,
        email=PRIVATE_EMAIL,
        phone=PRIVATE_PHONE,
        size_confirmed_by="provider",  # she said so when she signed up
    )
    factories.make_check(provider)
    Check.objects.filter(provider=provider).update(reference=DBS_REFERENCE)
    full = factories.make_listing(
        title="Swimming buddy",
        provider=provider,
        outcomes=("get-out-and-about", "wellbeing-stay-well-in-body-and-mind"),
        categories=("exercise-sport-and-swimming",),
        base_postcode=f"BL3 {FULL_POSTCODE_INWARD}",
        radius=3,
        slots=("mon-morning", "mon-afternoon", "sat-evening"),
        contact_name="Jo",
        contact_phone="07700 900123",
        contact_email="swim@buddies.example",
        contact_notes="Texts are best",
        website="https://buddies.example/swim",
        accessibility="I can help with hoists at the pool.",
        min_age=18,
        max_age=90,
        intake=ListingPage.Intake.WAITING_LIST,
        description="<p>I take you <b>swimming</b> &amp; for a cuppa.</p><ul><li>Pool</li><li>Café</li></ul>",
    )
    full = _edit(
        full,
        languages=list(Language.objects.filter(code__in=["ur", "en"])),
        served_districts=list(PostcodeDistrict.objects.filter(code__in=["BL9"])),
        prices=[
            ListingPrice(description="Swimming trip", unit="session", unit_minutes=120, weekday_pence=3600),
            ListingPrice(
                description="Extra hour", unit="hour", weekday_pence=1850, evening_weekend_pence=2200
            ),
        ],
    )
    # The exact base is private: put the pin somewhere only the full postcode would give.
    ListingPage.objects.filter(pk=full.pk).update(latitude=53.5501234, longitude=-2.4301234)

    company = factories.ProviderFactory(
        name="Bury Garden Co", business_type=Provider.BusinessType.LIMITED_COMPANY, company_number="01234567"
    )
    plain = factories.make_listing(
        title="Garden help", provider=company, categories=("gardening-and-home-help",), base_postcode="BL9"
    )
    draft = factories.make_listing(title="Secret draft", publish=False)
    private = factories.make_listing(title="Members only")
    PageViewRestriction.objects.create(page=private, restriction_type="password", password="s3cret")
    return {"full": full, "plain": plain, "draft": draft, "private": private, "provider": provider}


def _all_urls(demo) -> list[str]:
    full, plain = demo["full"], demo["plain"]
    outcome = full.outcomes.first()
    sal = mapping.service_at_location_id(full.public_id)
    return [
        f"{API}/",
        f"{API}/services",
        f"{API}/services?full=true",
        f"{API}/services?minimal=true",
        f"{API}/services?per_page=1&page=2",
        f"{API}/services?search=swimming",
        f"{API}/services?text=garden",
        f"{API}/services?taxonomy_term_id={outcome.public_id}",
        f"{API}/services?taxonomy_id={mapping.CATEGORIES_TAXONOMY_ID}",
        f"{API}/services?organization_id={plain.provider.public_id}",
        f"{API}/services?modified_after=2000-01-01",
        f"{API}/services/{full.public_id}",
        f"{API}/services/{plain.public_id}",
        f"{API}/organizations",
        f"{API}/organizations?full=true",
        f"{API}/organizations?full_service=true&search=jo",
        f"{API}/organizations/{full.provider.public_id}",
        f"{API}/organizations/{full.provider.public_id}?full_service=true",
        f"{API}/taxonomies",
        f"{API}/taxonomies/{mapping.OUTCOMES_TAXONOMY_ID}",
        f"{API}/taxonomies/{mapping.CATEGORIES_TAXONOMY_ID}",
        f"{API}/taxonomy_terms",
        f"{API}/taxonomy_terms?taxonomy_id={mapping.CATEGORIES_TAXONOMY_ID}&per_page=5&page=2",
        f"{API}/taxonomy_terms?search=swim&top_only=true",
        f"{API}/taxonomy_terms/{outcome.public_id}",
        f"{API}/service_at_locations",
        f"{API}/service_at_locations?full=true",
        f"{API}/service_at_locations?postcode=BL3",
        f"{API}/service_at_locations?postcode=BL3 5AA&proximity=2000",
        f"{API}/service_at_locations?postcode=Farnworth&proximity=10000",
        f"{API}/service_at_locations/{sal}",
    ]


# --- every endpoint validates --------------------------------------------------------------------


@needs_spec
def test_every_endpoint_validates_against_the_specification(client, spec, demo):
    for url in _all_urls(demo):
        fetch(client, spec, url)


@needs_spec
def test_root_says_which_standard_it_follows(client, spec):
    data = fetch(client, spec, f"{API}/")
    assert data["version"] == "HSDS-UK-3.0"
    assert data["profile"].startswith("https://") and data["openapi_url"].startswith("https://")


@needs_spec
def test_a_full_service_carries_everything_the_listing_publishes(client, spec, demo):
    full = demo["full"]
    data = fetch(client, spec, f"{API}/services/{full.public_id}")

    assert data["id"] == str(full.public_id)
    assert data["name"] == "Swimming buddy"
    assert data["description"] == "I take you swimming & for a cuppa.\n\n- Pool\n- Café"
    assert data["url"] == "https://buddies.example/swim" and data["email"] == "swim@buddies.example"
    assert data["status"] == "active" and data["alert"] == "Waiting list"
    assert (data["minimum_age"], data["maximum_age"]) == (18, 90)
    assert data["organization"] == {
        "id": str(full.provider.public_id),
        "name": "Jo's Swimming Buddies",
        "description": "Sole trader: a small local provider of 8 or fewer people.",
    }
    assert [(s["byday"], s["description"]) for s in data["schedules"]] == [
        ("MO", "Monday: morning and afternoon"),
        ("SA", "Saturday: evening"),
    ]
    assert [(c["option"], c["amount"], c["amount_description"]) for c in data["cost_options"]] == [
        ("Swimming trip", 36.0, "per session (120 minutes)"),
        ("Extra hour", 18.5, "per hour"),
        ("Extra hour (evenings and weekends)", 22.0, "per hour"),
    ]
    assert {c["currency"] for c in data["cost_options"]} == {"GBP"}
    assert [a["name"] for a in data["service_areas"]] == ["BL9", "Up to 3 miles from the base in BL3"]
    assert [(lang["code"], lang["name"]) for lang in data["languages"]] == [("en", "English"), ("ur", "Urdu")]
    assert data["contacts"] == [
        {
            "id": data["contacts"][0]["id"],
            "service_id": str(full.public_id),
            "name": "Jo",
            "phones": [
                {
                    "id": data["contacts"][0]["phones"][0]["id"],
                    "contact_id": data["contacts"][0]["id"],
                    "number": "07700 900123",
                    "description": "Texts are best",
                }
            ],
        }
    ]
    terms = {(a["link_type"], a["taxonomy_term"]["name"]) for a in data["attributes"]}
    assert terms == {
        ("outcome", "Get out and about"),
        ("outcome", "Stay well in body and mind"),
        ("category", "Exercise, sport and swimming"),
    }
    outcome_link = next(a for a in data["attributes"] if a["link_type"] == "outcome")
    assert outcome_link["taxonomy_term"]["taxonomy_id"] == str(mapping.OUTCOMES_TAXONOMY_ID)


@needs_spec
def test_location_is_published_at_postcode_district_level_only(client, spec, demo):
    full = demo["full"]
    bl3 = PostcodeDistrict.objects.get(code="BL3")
    response = client.get(f"{API}/services/{full.public_id}")
    location = response.json()["service_at_locations"][0]["location"]

    assert (location["latitude"], location["longitude"]) == (bl3.latitude, bl3.longitude)
    assert location["addresses"][0]["postal_code"] == "BL3"
    assert location["addresses"][0]["address_1"] == ""
    assert location["accessibility"][0]["description"] == "I can help with hoists at the pool."
    text = response.content.decode()
    assert f"BL3 {FULL_POSTCODE_INWARD}" not in text and "53.5501234" not in text and "2.4301234" not in text


@needs_spec
def test_nothing_private_appears_in_any_response(client, spec, demo):
    texts = [client.get(url).content.decode() for url in _all_urls(demo)]
    texts.append(client.get(f"{API}/organizations?full_service=true&full=true&per_page=100").content.decode())
    everything = "\n".join(texts)
    assert demo["provider"].public_id and str(demo["full"].public_id) in everything  # the crawl saw it
    for secret in (PRIVATE_EMAIL, PRIVATE_PHONE, LEGAL_NAME, DBS_REFERENCE, demo["plain"].provider.email):
        assert secret not in everything, f"{secret} was published"


@needs_spec
def test_unpublished_and_private_listings_never_appear(client, spec, demo):
    draft, private = demo["draft"], demo["private"]
    everything = "\n".join(client.get(url).content.decode() for url in _all_urls(demo))
    for listing in (draft, private):
        assert str(listing.public_id) not in everything
        assert listing.title not in everything
        assert str(listing.provider.public_id) not in everything
        fetch(client, spec, f"{API}/services/{listing.public_id}", status=404)
        fetch(client, spec, f"{API}/organizations/{listing.provider.public_id}", status=404)
    services = fetch(client, spec, f"{API}/services")
    assert services["total_items"] == 2

    # Taking a live listing down removes it at once.
    demo["plain"].unpublish()
    assert fetch(client, spec, f"{API}/services")["total_items"] == 1


# --- lists, filters and paging --------------------------------------------------------------------


@needs_spec
def test_an_empty_directory_is_an_empty_valid_page(client, spec, directory):
    for url in (f"{API}/services", f"{API}/organizations", f"{API}/service_at_locations"):
        data = fetch(client, spec, url)
        assert data["contents"] == [] and data["empty"] is True
        assert (data["total_items"], data["total_pages"], data["size"]) == (0, 0, 0)
        assert data["first_page"] is True and data["last_page"] is True


@needs_spec
def test_paging_walks_every_service_once(client, spec, demo):
    first = fetch(client, spec, f"{API}/services?per_page=1")
    last = fetch(client, spec, f"{API}/services?per_page=1&page=2")
    beyond = fetch(client, spec, f"{API}/services?per_page=1&page=3")

    assert (first["total_items"], first["total_pages"], first["size"]) == (2, 2, 1)
    assert first["first_page"] is True and first["last_page"] is False
    assert last["first_page"] is False and last["last_page"] is True and last["empty"] is False
    assert {first["contents"][0]["id"], last["contents"][0]["id"]} == {
        str(demo["full"].public_id),
        str(demo["plain"].public_id),
    }
    assert beyond["contents"] == [] and beyond["empty"] is True and beyond["last_page"] is True


@needs_spec
def test_list_filters_pick_the_right_services(client, spec, demo):
    full, plain = demo["full"], demo["plain"]
    gardening = Category.objects.get(slug="gardening-and-home-help")

    def ids(query):
        return {s["id"] for s in fetch(client, spec, f"{API}/services?{query}")["contents"]}

    both = {str(full.public_id), str(plain.public_id)}
    assert ids("search=swimming") == {str(full.public_id)}
    assert ids("text=GARDEN") == {str(plain.public_id)}
    assert ids("search=bury garden") == {str(plain.public_id)}  # words match the provider too
    assert ids(f"taxonomy_term_id={gardening.public_id}") == {str(plain.public_id)}
    assert ids(f"taxonomy_id={mapping.OUTCOMES_TAXONOMY_ID}") == both
    assert ids(f"organization_id={full.provider.public_id}") == {str(full.public_id)}
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    assert ids(f"modified_after={tomorrow}") == set()
    assert ids("modified_after=2020-01-01T00:00:00Z") == both
    minimal = fetch(client, spec, f"{API}/services?minimal=true")["contents"][0]
    assert set(minimal) == {"id", "name", "status", "last_modified"}


@needs_spec
def test_taxonomies_publish_outcomes_and_categories(client, spec, demo):
    taxonomies = fetch(client, spec, f"{API}/taxonomies")["contents"]
    assert [t["name"] for t in taxonomies] == ["Broad outcomes", "Kinds of support"]

    terms = fetch(client, spec, f"{API}/taxonomy_terms?per_page=100")
    assert terms["total_items"] == Outcome.objects.count() + Category.objects.count()
    outcomes = fetch(client, spec, f"{API}/taxonomies/{mapping.OUTCOMES_TAXONOMY_ID}")["taxonomy_terms"]
    assert {t["id"] for t in outcomes} == {str(o.public_id) for o in Outcome.objects.all()}
    category = Category.objects.get(slug="meals-and-cooking")
    term = fetch(client, spec, f"{API}/taxonomy_terms/{category.public_id}")
    assert (term["name"], term["taxonomy"]) == ("Meals and cooking", "Kinds of support")
    assert fetch(client, spec, f"{API}/taxonomy_terms?parent_id={category.public_id}")["contents"] == []


@needs_spec
def test_organizations_list_providers_with_live_listings(client, spec, demo):
    data = fetch(client, spec, f"{API}/organizations?full=true")
    assert {o["name"] for o in data["contents"]} == {"Jo's Swimming Buddies", "Bury Garden Co"}
    company = next(o for o in data["contents"] if o["name"] == "Bury Garden Co")
    assert company["organization_identifiers"][0]["identifier"] == "01234567"
    assert [s["name"] for s in company["services"]] == ["Garden help"]
    detail = fetch(client, spec, f"{API}/organizations/{demo['full'].provider.public_id}?full_service=true")
    assert detail["services"][0]["cost_options"], "full_service nests whole services"


@needs_spec
def test_service_at_locations_near_a_postcode(client, spec, demo):
    full, plain = demo["full"], demo["plain"]  # bases in BL3 (Bolton) and BL9 (Bury), ~7 miles apart

    def ids(query):
        data = fetch(client, spec, f"{API}/service_at_locations?{query}")
        return {item["service_id"] for item in data["contents"]}

    assert ids("postcode=BL3&proximity=1000") == {str(full.public_id)}
    assert ids("postcode=bl9&proximity=1000") == {str(plain.public_id)}
    assert ids("postcode=BL3&proximity=15000") == {str(full.public_id), str(plain.public_id)}
    # Without proximity: whose service area reaches the postcode. The swimming buddy travels
    # 3 miles from BL3 and covers BL9 in full; the gardener travels 5 miles from BL9.
    assert ids("postcode=BL3") == {str(full.public_id)}
    assert ids("postcode=BL9") == {str(full.public_id), str(plain.public_id)}
    assert ids("postcode=BL1") == {str(full.public_id)}
    sal = fetch(client, spec, f"{API}/service_at_locations/{mapping.service_at_location_id(full.public_id)}")
    assert sal["service"]["id"] == str(full.public_id) and sal["location"]["name"] == "BL3, Bolton"


# --- errors ------------------------------------------------------------------------------------------


@needs_spec
@pytest.mark.parametrize(
    "path",
    [
        "services/{uuid}",
        "services/not-a-uuid",
        "organizations/{uuid}",
        "taxonomies/{uuid}",
        "taxonomy_terms/{uuid}",
        "service_at_locations/{uuid}",
        "locations",
        "services/1/extra",
    ],
)
def test_unknown_ids_and_paths_are_json_404s(client, spec, directory, path):
    data = fetch(
        client, spec, f"{API}/" + path.format(uuid="0b0e6c1e-7f3c-4d2e-9a55-1c4f3e2d1a00"), status=404
    )
    assert "id" in data["error"] or "endpoint" in data["error"]


@needs_spec
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("services?page=0", "page must be between 1"),
        ("services?page=two", "page must be a whole number"),
        ("services?per_page=1000", "per_page must be between 1 and 100"),
        ("services?per_page=0", "per_page must be between 1 and 100"),
        ("services?full=maybe", "full must be true or false"),
        ("services?taxonomy_term_id=meals", "taxonomy_term_id must be a UUID"),
        ("services?organization_id=42", "organization_id must be a UUID"),
        ("services?modified_after=yesterday", "modified_after must be an ISO 8601 date"),
        ("services?format=ndjson", "Only format=json"),
        ("taxonomy_terms?top_only=perhaps", "top_only must be true or false"),
        ("service_at_locations?proximity=1000", "proximity needs a postcode"),
        ("service_at_locations?postcode=BL3&proximity=near", "proximity must be a distance in metres"),
        ("service_at_locations?postcode=BL3&proximity=-5", "proximity must be more than 0"),
        ("service_at_locations?postcode=ZZ99 9ZZ", "We do not know where ZZ99 9ZZ is"),
        ("service_at_locations?postcode=Atlantis", "We could not find a place called"),
    ],
)
def test_bad_parameters_are_json_400s_that_say_what_to_fix(client, spec, directory, query, message):
    data = fetch(client, spec, f"{API}/{query}", status=400)
    assert message in data["error"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_is_read_only(client, demo, method):
    response = getattr(client, method)(
        f"{API}/services/{demo['full'].public_id}", data={}, content_type="application/json"
    )
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "read-only" in response.json()["error"]
    assert ListingPage.objects.filter(pk=demo["full"].pk).exists()


def test_browsers_may_ask_first_and_read_from_any_origin(client, directory):
    preflight = client.options(f"{API}/services", HTTP_ORIGIN="https://council.example")
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight["Access-Control-Allow-Headers"]
    head = client.head(f"{API}/services")
    assert head.status_code == 200 and head["Access-Control-Allow-Origin"] == "*"


# --- caching and rate limits -------------------------------------------------------------------------


def test_a_repeat_request_gets_304_until_something_changes(client, demo):
    url = f"{API}/services/{demo['full'].public_id}"
    first = client.get(url)
    etag = first["ETag"]
    assert etag and "public" in first["Cache-Control"]

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Access-Control-Allow-Origin"] == "*"

    # A provider's new name changes the service, though no listing was republished.
    Provider.objects.filter(pk=demo["full"].provider_id).update(name="Jo's Swim Club")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["organization"]["name"] == "Jo's Swim Club"


def test_each_client_is_rate_limited(client, directory, settings):
    settings.ORUK_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        assert client.get(f"{API}/taxonomies", REMOTE_ADDR="203.0.113.7").status_code == 200
    limited = client.get(f"{API}/taxonomies", REMOTE_ADDR="203.0.113.7")
    assert limited.status_code == 429
    assert limited["Access-Control-Allow-Origin"] == "*"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "limit is 3 a minute" in limited.json()["error"]
    # Another client is not affected.
    assert client.get(f"{API}/taxonomies", REMOTE_ADDR="198.51.100.2").status_code == 200


# --- efficiency ---------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_pages_of_services_cost_the_same_few_queries_however_many_listings(
    client, demo, django_assert_max_num_queries
):
    urls = [
        f"{API}/services?full=true",
        f"{API}/services",
        f"{API}/organizations?full_service=true",
        f"{API}/service_at_locations?full=true&postcode=BL3",
    ]
    small = {}
    for url in urls:
        cache.clear()  # both measured with nothing kept (directory.kept)
        small[url] = _queries(client, url)
    for n in range(10):
        factories.make_listing(
            title=f"Extra listing {n}", categories=("meals-and-cooking",), base_postcode="BL1"
        )
    for url in urls:
        cache.clear()
        with django_assert_max_num_queries(small[url]):
            client.get(url)
        assert small[url] <= 15, f"{url} took {small[url]} queries"


# --- text mapping -------------------------------------------------------------------------------------


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_text_survives_a_trip_through_rich_text(text):
    published = mapping.html_to_text(mapping.text_to_html(text))
    assert mapping.html_to_text(mapping.text_to_html(published)) == published
    assert "<" not in mapping.text_to_html("<script>alert(1)</script>").replace("<p>", "").replace("</p>", "")


def test_availability_mask_round_trips_through_schedules():
    listing = ListingPage(availability=slots_to_mask(["tue-overnight", "sun-morning", "sun-evening"]))
    listing.public_id = mapping.NAMESPACE
    published = mapping.schedules(listing)
    assert mapping.parse_schedules(published, []) == listing.availability
