"""`manage.py import_oruk`: a coordinator imports an Open Referral UK 3.0 feed into the directory."""

import copy
import http.server
import json
import threading
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from wagtail.models import Page, Revision, Site

from cms.models import HomePage
from directory.fields import slots_to_mask
from directory.models import Category, Check, DirectoryIndexPage, ListingPage, Outcome, Provider
from directory.oruk import conformance, mapping
from tests import factories
from tests.directory.test_oruk_api import API, SPEC_DIR, Spec, needs_spec
from tests.needs import missing

pytestmark = pytest.mark.django_db

EXAMPLES = SPEC_DIR / "examples"
EXAMPLE_SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
SERVICE_EXAMPLES = [
    "service_full.json",
    "service_list.json",
    "service_at_location_full.json",
    "service_at_location_list.json",
    "organization_full.json",
]
# The examples whose service has its nested parts (prices, schedules…); the others carry only
# the one-to-one fields, as list endpoints do.
NESTED_EXAMPLES = {"service_full.json", "service_at_location_full.json", "organization_full.json"}
ORGANIZATION_EXAMPLES = ["organization_list.json"]
TAXONOMY_EXAMPLES = ["taxonomy.json", "taxonomy_list.json", "taxonomy_term.json", "taxonomy_term_list.json"]


@pytest.fixture(scope="module")
def spec():
    if not SPEC_DIR.is_dir():
        missing(f"the ORUK 3.0 specification is not at {SPEC_DIR} (../shared is absent)")
    return Spec(SPEC_DIR)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the API's rate limit counts in the cache
    yield
    cache.clear()


def run(source, *options) -> tuple[str, str]:
    """Run the command as a coordinator would; return what it printed (stdout, stderr)."""
    out, err = StringIO(), StringIO()
    call_command("import_oruk", str(source), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, data, name="feed.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str | bytes) else data, encoding="utf-8")
    return path


def export(client, checker=None, **params) -> list[dict]:
    """Every published service, fully nested, read page by page through the API."""
    services, page = [], 1
    while True:
        query = "&".join(
            f"{k}={v}" for k, v in {"full": "true", "per_page": 100, "page": page, **params}.items()
        )
        response = client.get(f"{API}/services?{query}")
        assert response.status_code == 200, response.content[:300]
        data = response.json()
        if checker:
            checker.check(f"{API}/services?{query}", data)
        services += data["contents"]
        if data["last_page"]:
            return services
        page += 1


def crawl(client, checker) -> str:
    """Every page of every list endpoint and every service by id, each validated; all the text."""
    texts = [client.get(f"{API}/").content.decode()]
    lists = [
        "services?full=true",
        "services?minimal=true",
        "organizations?full_service=true",
        "service_at_locations?full=true",
        "taxonomies",
        "taxonomy_terms",
    ]
    services = []
    for query in lists:
        page = 1
        while True:
            url = f"{API}/{query}&per_page=100&page={page}" if "?" in query else f"{API}/{query}?page={page}"
            response = client.get(url)
            assert response.status_code == 200, (url, response.content[:300])
            data = response.json()
            checker.check(url, data)
            texts.append(response.content.decode())
            if query == "services?full=true":
                services += data["contents"]
            if data["last_page"]:
                break
            page += 1
    for service in services:
        for url in [
            f"{API}/services/{service['id']}",
            f"{API}/organizations/{service['organization_id']}",
        ] + [f"{API}/service_at_locations/{sal['id']}" for sal in service["service_at_locations"]]:
            response = client.get(url)
            assert response.status_code == 200, (url, response.content[:300])
            checker.check(url, response.json())
            texts.append(response.content.decode())
    return "\n".join(texts)


def without_timestamps(value):
    """`value` with every last_modified removed: the one thing a round trip may change."""
    if isinstance(value, dict):
        return {k: without_timestamps(v) for k, v in value.items() if k != "last_modified"}
    if isinstance(value, list):
        return [without_timestamps(v) for v in value]
    return value


def snapshot() -> dict:
    """What a rejected feed must leave exactly as it was."""
    return {
        "pages": Page.objects.count(),
        "listings": ListingPage.objects.count(),
        "providers": Provider.objects.count(),
        "revisions": Revision.objects.count(),
        "sites": list(Site.objects.values_list("pk", "root_page_id")),
        "outcomes": Outcome.objects.count(),
    }


def council_service(**changes) -> dict:
    """A service as another council's ORUK 3.0 directory might publish it."""
    service = {
        "id": "5f1d4a8e-2c3b-4d5e-8f90-112233445566",
        "name": "Lunch club at St Mary's",
        "description": "<p>Hot two-course <b>lunches</b> &amp; company.</p><script>alert(1)</script>",
        "url": "www.stmarys-lunch.example",
        "email": "lunch@stmarys.example",
        "status": "active",
        "minimum_age": 60,
        "organization": {
            "id": "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
            "name": "St Mary's Community Group",
            "description": "A volunteer-run community group.",
            "email": "hello@stmarys.example",
        },
        "schedules": [
            {
                "id": "8b2a1c3d-0000-4000-8000-000000000001",
                "byday": "MO,WE",
                "opens_at": "09:00",
                "closes_at": "13:00",
            }
        ],
        "cost_options": [
            {"id": "8b2a1c3d-0000-4000-8000-000000000002", "amount": 4.5, "amount_description": "per meal"}
        ],
        "service_areas": [{"id": "8b2a1c3d-0000-4000-8000-000000000003", "name": "BL2"}],
        "languages": [{"id": "8b2a1c3d-0000-4000-8000-000000000004", "code": "pl"}],
        "contacts": [
            {
                "id": "8b2a1c3d-0000-4000-8000-000000000005",
                "name": "Mary",
                "phones": [{"id": "8b2a1c3d-0000-4000-8000-000000000006", "number": "01204 555 000"}],
            }
        ],
        "attributes": [
            {
                "id": "8b2a1c3d-0000-4000-8000-000000000007",
                "taxonomy_term": {
                    "id": "8b2a1c3d-0000-4000-8000-000000000008",
                    "name": "Meals and cooking",
                    "description": "Their own term for meals",
                },
            },
            {
                "id": "8b2a1c3d-0000-4000-8000-000000000009",
                "taxonomy_term": {
                    "id": "8b2a1c3d-0000-4000-8000-00000000000a",
                    "name": "EAT WELL",
                    "description": "x",
                },
            },
            {
                "id": "8b2a1c3d-0000-4000-8000-00000000000b",
                "taxonomy_term": {
                    "id": "8b2a1c3d-0000-4000-8000-00000000000c",
                    "name": "Bingo",
                    "description": "x",
                },
            },
        ],
        "service_at_locations": [
            {
                "id": "8b2a1c3d-0000-4000-8000-00000000000d",
                "location": {
                    "id": "8b2a1c3d-0000-4000-8000-00000000000e",
                    "location_type": "physical",
                    "addresses": [
                        {
                            "id": "8b2a1c3d-0000-4000-8000-00000000000f",
                            "address_1": "1 Church Street",
                            "city": "Bolton",
                            "state_province": "Greater Manchester",
                            "postal_code": "bl1 1ru",
                            "country": "GB",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
    }
    service.update(changes)
    return service


# --- a council's feed becomes listings --------------------------------------------------------------


def test_a_council_feed_becomes_a_live_listing_on_a_freshly_migrated_site(client, db, tmp_path):
    # A freshly migrated database: Wagtail's placeholder page, no home page, no directory.
    assert not HomePage.objects.exists() and not DirectoryIndexPage.objects.exists()

    out, err = run(write(tmp_path, [council_service()]), "--publish")

    assert "created: 1" in out and "directory page, with a home page for the site, was created" in out
    listing = ListingPage.objects.get(public_id="5f1d4a8e-2c3b-4d5e-8f90-112233445566")
    assert listing.live and listing.get_parent().specific_class is DirectoryIndexPage
    assert Site.objects.get(is_default_site=True).root_page.specific_class is HomePage
    page = client.get(listing.url)
    assert page.status_code == 200 and "Lunch club at St Mary" in page.content.decode()

    assert listing.description == "<p>Hot two-course lunches &amp; company.</p>"
    assert listing.summary == "Hot two-course lunches & company."
    assert listing.website == "https://www.stmarys-lunch.example"
    assert listing.base_postcode == "BL1 1RU"
    assert listing.min_age == 60
    assert listing.availability == slots_to_mask(
        ["mon-morning", "mon-afternoon", "wed-morning", "wed-afternoon"]
    )
    assert [(p.description, p.unit, p.weekday_pence) for p in listing.prices.all()] == [
        ("Lunch club at St Mary's", "meal", 450)
    ]
    assert [d.code for d in listing.served_districts.all()] == ["BL2"]
    assert listing.service_radius_miles == mapping.DEFAULT_RADIUS_MILES
    assert [lang.code for lang in listing.languages.all()] == ["pl"]
    assert (listing.contact_name, listing.contact_phone) == ("Mary", "01204 555 000")
    assert [c.slug for c in listing.categories.all()] == ["meals-and-cooking"]
    assert [o.label for o in listing.outcomes.all()] == ["Eat well"]
    assert "“Bingo”" in err and "none of our outcomes or categories" in err

    provider = listing.provider
    assert provider.name == "St Mary's Community Group" and not provider.is_claimed
    assert provider.email == "hello@stmarys.example"  # kept private: the API never shows it
    # The feed says nothing of its kind or size: "not stated", never guessed (issue 16).
    assert provider.business_type == "" and provider.team_size is None
    assert provider.runner == Provider.Runner.NOT_STATED
    published = client.get(f"{API}/services/{listing.public_id}").json()
    assert "hello@stmarys.example" not in json.dumps(published)
    assert published["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "BL1"


def test_without_publish_listings_wait_for_a_coordinator(client, directory, tmp_path):
    out, _ = run(write(tmp_path, [council_service()]))

    assert "saved as drafts for a coordinator to approve" in out
    listing = ListingPage.objects.get(public_id="5f1d4a8e-2c3b-4d5e-8f90-112233445566")
    assert not listing.live and listing.latest_revision is not None
    assert client.get(f"{API}/services").json()["total_items"] == 0

    listing.latest_revision.publish()  # the coordinator approves it
    assert client.get(f"{API}/services").json()["total_items"] == 1

    # A later change to a live listing is a draft too: the approved version stays live.
    run(write(tmp_path, [council_service(name="Lunch club (new times)")]))
    listing.refresh_from_db()
    assert listing.live and listing.title == "Lunch club at St Mary's" and listing.has_unpublished_changes
    assert listing.get_latest_revision_as_object().title == "Lunch club (new times)"


def test_reimporting_the_same_feed_updates_instead_of_duplicating(directory, tmp_path):
    feed = write(tmp_path, [council_service()])
    run(feed, "--publish")
    revisions = Revision.objects.count()

    out, _ = run(feed, "--publish")
    assert "created: 0; updated: 0; unchanged: 1" in out
    assert Revision.objects.count() == revisions, "an unchanged record gets no new revision"

    changed = council_service(name="Lunch club, Tuesdays too")
    changed["cost_options"][0]["amount"] = 5
    out, _ = run(write(tmp_path, [changed]), "--publish")
    assert "created: 0; updated: 1" in out
    assert ListingPage.objects.count() == 1 and Provider.objects.count() == 1
    listing = ListingPage.objects.get()
    assert listing.title == "Lunch club, Tuesdays too" and listing.prices.get().weekday_pence == 500


def test_each_invalid_record_is_reported_and_the_rest_are_imported(directory, tmp_path):
    good = council_service()
    feed = [
        good,
        council_service(id="11111111-1111-4111-8111-111111111111", name=None),
        {
            k: v
            for k, v in council_service(id="22222222-2222-4222-8222-222222222222").items()
            if k != "status"
        },
        council_service(id="not-a-uuid"),
        council_service(id="33333333-3333-4333-8333-333333333333", status="open"),
        council_service(id="44444444-4444-4444-8444-444444444444", organization=None),
        42,
        copy.deepcopy(good),
    ]

    out, err = run(write(tmp_path, feed), "--publish")

    assert ListingPage.objects.filter(public_id=good["id"], live=True).count() == 1
    # No status, or one we do not know, is read as active (with a warning); an id that is not a
    # UUID (as 1.0-era feeds number theirs) is kept apart by a UUID made from it.
    assert ListingPage.objects.count() == 4
    assert "created: 4" in out and "4 record(s) not imported" in out
    assert "Not imported: 11111111-1111-4111-8111-111111111111: has no name" in err
    assert "Warning: 22222222-2222-4222-8222-222222222222: has no status: treated as active" in err
    assert "Warning: 33333333-3333-4333-8333-333333333333: status “open” is not one of" in err
    assert "Not imported: 44444444-4444-4444-8444-444444444444: has no organization" in err
    assert "Not imported: record 7 (no id): is not a service" in err
    assert f"Not imported: {good['id']}: appears twice in the feed" in err


def test_a_service_without_its_organization_is_reported(directory, tmp_path):
    service = council_service()
    del service["organization"]
    with pytest.raises(CommandError, match="Nothing was imported"):
        run(write(tmp_path, [service]))
    assert not ListingPage.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("this is not json {", "The feed is not JSON: Expecting value at line 1, column 1"),
        ('[{"id": "x"', "The feed is not JSON"),
        ("", "The feed is empty"),
        ('"just a string"', "The feed is a JSON str"),
        ('{"hello": "world"}', "without “contents”, “content” or “id” (it has “hello”)"),
        ('{"total_items": 1, "contents": {"id": "x"}}', "“contents” is not a list"),
        (
            '{"version": "HSDS-UK-3.0", "profile": "https://x.example", "openapi_url": "https://x.example"}',
            "front page",
        ),
    ],
)
def test_a_malformed_feed_is_refused_with_a_clear_message_and_nothing_written(
    tmp_path, directory, content, message
):
    before = snapshot()
    with pytest.raises(CommandError) as raised:
        run(write(tmp_path, content), "--publish")
    assert message in str(raised.value)
    assert snapshot() == before


def test_bytes_that_are_not_text_are_refused(tmp_path, directory):
    path = tmp_path / "feed.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(CommandError, match="not UTF-8 text"):
        run(path)


def test_a_missing_file_is_refused(tmp_path, directory):
    with pytest.raises(CommandError, match="There is no file"):
        run(tmp_path / "nowhere.json")


def test_a_dry_run_reports_and_writes_nothing(db, tmp_path):
    before = snapshot()
    out, _ = run(write(tmp_path, [council_service()]), "--publish", "--dry-run")
    assert "Listings would be created: 1" in out and "with a home page for the site, would be created" in out
    assert snapshot() == before


def test_listings_a_provider_has_claimed_are_left_alone(directory, tmp_path):
    feed = write(tmp_path, [council_service()])
    run(feed, "--publish")
    listing = ListingPage.objects.get()
    listing.provider.members.add(factories.UserFactory())

    out, err = run(write(tmp_path, [council_service(name="Renamed by the council")]), "--publish")

    listing.refresh_from_db()
    assert listing.title == "Lunch club at St Mary's"
    assert "left alone: 1" in out and "has claimed" in err


def test_a_defunct_service_is_taken_down_only_when_publishing(client, directory, tmp_path):
    run(write(tmp_path, [council_service()]), "--publish")
    defunct = write(tmp_path, [council_service(status="defunct")], name="defunct.json")

    _, err = run(defunct)
    assert ListingPage.objects.get().live and "unpublish the listing in the admin" in err

    out, _ = run(defunct, "--publish")
    assert "unpublished: 1" in out and not ListingPage.objects.get().live
    assert client.get(f"{API}/services").json()["total_items"] == 0

    out, err = run(write(tmp_path, [council_service(id=str(uuid.uuid4()), status="inactive")]), "--publish")
    assert ListingPage.objects.count() == 1 and "not imported: its status is “inactive”" in err


# --- feeds over HTTP ------------------------------------------------------------------------------------


@pytest.fixture
def feed_server():
    """A real HTTP server on 127.0.0.1 serving {path: (status, body)}; the network is not mocked."""
    routes: dict[str, tuple[int, bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = routes.get(self.path, (404, b'{"error": "not found"}'))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", routes
    server.shutdown()
    server.server_close()


def test_a_feed_can_be_imported_from_a_url(directory, feed_server):
    base, routes = feed_server
    envelope = {
        "total_items": 3,
        "total_pages": 3,
        "page_number": 1,
        "size": 1,
        "contents": [council_service()],
    }
    routes["/openreferral/services?page=1"] = (200, json.dumps(envelope).encode())

    out, _ = run(f"{base}/openreferral/services?page=1", "--publish")

    assert "created: 1" in out and "page 1 of 3" in out
    assert ListingPage.objects.get().live


def test_an_unreachable_or_failing_url_is_a_clear_error(directory, feed_server):
    base, routes = feed_server
    routes["/broken"] = (500, b"oops")
    with pytest.raises(CommandError, match=r"answered 500"):
        run(f"{base}/broken")
    with pytest.raises(CommandError, match=r"answered 404"):
        run(f"{base}/missing")
    with pytest.raises(CommandError, match=r"Only http:// and https://"):
        run("ftp://127.0.0.1/feed.json")
    # A port nobody listens on: take a free one and close it again.
    probe = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()
    with pytest.raises(CommandError, match=r"Could not fetch"):
        run(f"http://127.0.0.1:{port}/feed.json")
    assert not ListingPage.objects.exists()


# --- the official examples ---------------------------------------------------------------------------


@needs_spec
def test_every_official_example_is_covered():
    assert {p.name for p in EXAMPLES.glob("*.json")} == set(
        SERVICE_EXAMPLES + ORGANIZATION_EXAMPLES + TAXONOMY_EXAMPLES
    )


@needs_spec
@pytest.mark.parametrize("name", SERVICE_EXAMPLES)
def test_the_official_service_examples_import(db, name):
    out, err = run(EXAMPLES / name, "--publish")

    assert "created: 1" in out
    listing = ListingPage.objects.get(public_id=EXAMPLE_SERVICE_ID)
    assert listing.title == "Community Counselling"
    assert listing.summary.startswith("Counselling Services provided by trained professionals.")
    assert (listing.website, listing.contact_email) == ("http://example.com/counselling", "email@example.com")
    assert (listing.min_age, listing.max_age) == (12, 100)
    provider = listing.provider
    assert str(provider.public_id) == "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
    assert provider.name == "Example Organization Inc." and not provider.is_claimed
    # "ABC 1234" is not a UK postcode, latitude 100 is not on Earth and no area is one we know: a
    # draft for a coordinator ("Imported: needs a place").
    assert not listing.live and listing.base_postcode == ""
    assert "have no place" in out
    if name in NESTED_EXAMPLES:
        latest = listing.get_latest_revision_as_object()
        assert [(p.weekday_pence, p.unit) for p in latest.prices.all()] == [(3500, "hour")]
        assert latest.availability == slots_to_mask(
            [f"{d}-{p}" for d in ("thu", "fri") for p in ("morning", "afternoon", "evening")]
        )
        assert latest.contact_name == "Ann Persona"
        assert latest.accessibility.startswith("The building is equipped with induction loops")
        assert "language(s) without a name or code" in err
        assert "matches none of our outcomes" in err
    if "organization_identifiers" in (EXAMPLES / name).read_text():
        assert (provider.company_number, provider.business_type) == (
            "1234567",
            Provider.BusinessType.LIMITED_COMPANY,
        )


@needs_spec
def test_the_official_organization_example_adds_an_unclaimed_provider(db):
    out, _ = run(EXAMPLES / "organization_list.json")
    provider = Provider.objects.get(public_id="d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610")
    assert provider.name == "Example Organization Inc." and not provider.is_claimed
    assert "Providers created: 1" in out and not ListingPage.objects.exists()


@needs_spec
@pytest.mark.parametrize("name", TAXONOMY_EXAMPLES)
def test_the_official_taxonomy_examples_are_read_and_change_nothing(db, name):
    before = snapshot()
    out, _ = run(EXAMPLES / name)
    assert "Nothing was written: the vocabularies are managed in the CMS" in out
    assert snapshot() == before


@needs_spec
def test_the_bundled_schemas_match_the_specification():
    for bundled in sorted(conformance.SCHEMA_DIR.glob("*.json")):
        official = SPEC_DIR / "schema" / bundled.name
        assert json.loads(bundled.read_text()) == json.loads(official.read_text()), bundled.name


# --- round trip ----------------------------------------------------------------------------------------


@needs_spec
def test_the_demo_directory_survives_a_round_trip_through_the_api(client, db, tmp_path, spec, settings):
    settings.ORUK_RATE_LIMIT_PER_MINUTE = 0  # one client reading everything
    call_command("load_demo", stdout=StringIO())

    # Every response for the demo data validates, and nothing private is in any of them.
    everything = crawl(client, spec)
    for check in Check.objects.exclude(reference=""):
        assert check.reference not in everything
    published = set(ListingPage.objects.values_list("contact_email", flat=True))
    unpublished = set(Provider.objects.values_list("email", flat=True)) - published
    assert unpublished, "the demo has providers who keep their email private"
    for email in unpublished:  # addresses no provider chose to put on a listing
        assert email not in everything

    first = export(client, spec)
    assert len(first) == ListingPage.objects.live().count() > 100

    # An empty site: every page below Wagtail's root (so the site too) and every provider.
    Page.objects.filter(depth=2).delete()
    Provider.objects.all().delete()
    assert not ListingPage.objects.exists() and not Site.objects.exists()

    out, err = run(write(tmp_path, first), "--publish")
    assert f"created: {len(first)}" in out and "Not imported" not in err

    second = export(client, spec)
    by_id = lambda services: {s["id"]: without_timestamps(s) for s in services}  # noqa: E731
    before, after = by_id(first), by_id(second)
    assert before.keys() == after.keys()
    for service_id, service in before.items():
        assert after[service_id] == service, service["name"]
    # The exported feed is also importable as it is, a second time, with nothing to change.
    out, _ = run(write(tmp_path, second), "--publish")
    assert f"unchanged: {len(first)}" in out


def test_our_own_export_of_a_listing_imports_to_the_same_listing(client, directory, tmp_path):
    listing = factories.make_listing(
        title="Gardening",
        categories=("gardening-and-home-help",),
        slots=("tue-morning", "thu-overnight"),
        radius=0,
        contact_phone="07700 900000",
        contact_notes="Evenings are best",
    )
    first = export(client)
    ListingPage.objects.all().delete()
    Provider.objects.all().delete()

    run(write(tmp_path, first), "--publish")

    copy_ = ListingPage.objects.get(public_id=listing.public_id)
    assert (copy_.availability, copy_.service_radius_miles) == (listing.availability, 0)
    assert (copy_.contact_phone, copy_.contact_notes) == ("07700 900000", "Evenings are best")
    assert [c.pk for c in copy_.categories.all()] == [Category.objects.get(slug="gardening-and-home-help").pk]
    assert without_timestamps(export(client)) == without_timestamps(first)
