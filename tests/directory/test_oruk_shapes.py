"""What councils actually publish: ORUK 3.0 and 1.0 records, in lists and in both kinds of page,
read from files and followed page by page from a real HTTP server on 127.0.0.1; and re-reading
a registered feed keeps the directory in step with it."""

import http.server
import json
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import PageLogEntry, Revision

from cms.models import Role
from directory.models import Feed, ListingPage
from directory.oruk import feeds, importer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "oruk"


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def run(source, *options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_oruk", str(source), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def feed_server():
    """A council's feed on a real local HTTP server. `routes` maps a path (with its query) to
    a list of (status, body) answers, served in turn (the last one repeats); `requests` logs paths."""
    routes: dict[str, list[tuple[int, bytes]]] = {}
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            answers = routes.get(self.path, [(404, b'{"error": "not found"}')])
            status, body = answers.pop(0) if len(answers) > 1 else answers[0]
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
    yield f"http://127.0.0.1:{server.server_address[1]}", routes, requests
    server.shutdown()
    server.server_close()


def serve(routes, path, data, status=200):
    routes[path] = [(status, json.dumps(data).encode())]


# --- shapes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "shape", "created"),
    [
        ("v3_services_list.json", "ORUK 3.0 records in a plain list", 3),
        ("v3_services_page_1.json", "ORUK 3.0 records in a paged envelope (contents/total_items)", 2),
        ("v1_services_list.json", "ORUK 1.0 records in a plain list", 3),
        ("v1_services_contents_page.json", "ORUK 1.0 records in a paged envelope (contents/total_items)", 3),
        ("v1_services_spring_page_0.json", "ORUK 1.0 records in a paged envelope (content/totalElements)", 2),
        ("v3_services_page_4.json", "no records in a paged envelope (contents/total_items)", 0),
    ],
)
def test_each_shape_councils_publish_is_read_and_named(directory, fixture, shape, created):
    out, _ = run(FIXTURES / fixture, "--publish")
    assert shape in out
    assert f"created: {created};" in out
    assert ListingPage.objects.live().count() == created


def test_no_record_is_rejected_for_an_empty_string(directory):
    # Every fixture is full of "email": "", "url": "", "fees": "" and the like.
    for name in ("v3_services_list.json", "v1_services_list.json"):
        records = load(name)
        assert any(r.get("email") == "" for r in records) and any(r.get("url") == "" for r in records)
        report = importer.import_feed(data=records, publish=True, source="file:" + name)
        assert report.errors == [], report.errors
        assert report.created == len(records)
    assert ListingPage.objects.filter(contact_email="", website="").count() >= 4


def test_a_bad_value_is_left_out_with_a_warning_a_coordinator_can_act_on(directory):
    report = importer.import_feed(data=load("v3_services_page_2.json"), publish=True)
    walks = ListingPage.objects.get(title="Halliwell walking group")
    assert walks.live and walks.contact_email == ""
    assert any(
        "email “walks at halliwell” is not an email address: left out" in str(w) for w in report.warnings
    )
    report = importer.import_feed(data=load("v3_services_page_3.json"), publish=True)
    assert any("url “not a web address” is not a web address: left out" in str(w) for w in report.warnings)


def test_a_1_0_record_becomes_a_listing_with_its_schedule_price_place_and_provider(directory):
    importer.import_feed(
        data=load("v1_services_list.json"), publish=True, source="https://bolton.example/api"
    )
    lunch = ListingPage.objects.get(title="Little Lever lunch club")
    assert lunch.live and lunch.base_postcode == "BL3 1BA"
    assert lunch.provider.name == "Little Lever Lunch Club"
    assert lunch.availability and lunch.min_age == 55
    assert [(p.weekday_pence, p.unit) for p in lunch.prices.all()] == [(250, "meal")]
    assert lunch.accessibility == "Step-free entrance and an accessible toilet"
    assert [o.slug for o in lunch.outcomes.all()] == ["eat-well"]
    shed = ListingPage.objects.get(title="Men's Shed woodwork mornings")  # "organization" spelling
    assert shed.provider.name == "Farnworth Men's Shed"


def test_numbered_1_0_ids_map_to_the_same_listing_every_time(directory):
    records = load("v1_services_list.json")
    importer.import_feed(data=records, publish=True, source="https://bolton.example/api")
    revisions = Revision.objects.count()
    again = importer.import_feed(data=records, publish=True, source="https://bolton.example/api")
    assert (again.created, again.unchanged) == (0, 3)
    assert Revision.objects.count() == revisions
    # The same number in another council's feed is another service.
    other = importer.import_feed(data=records[:1], publish=True, source="https://wigan.example/api")
    assert other.created == 1


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"items": [{"id": 1}], "count": 1},
            "without “contents”, “content” or “id” (it has “count”, “items”)",
        ),
        ([{"foo": 1, "bar": 2}], "objects with “bar”, “foo”, not Open Referral services"),
        ([1, 2, 3], "JSON int values, not Open Referral services"),
    ],
)
def test_an_unknown_shape_is_refused_naming_what_was_found(directory, tmp_path, document, message):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(document))
    with pytest.raises(CommandError) as raised:
        run(path)
    assert message in str(raised.value)
    assert not ListingPage.objects.exists()


def test_what_is_checked_does_not_depend_on_jsonschema_being_installed():
    # A production install has no test dependencies: import and run the importer with jsonschema
    # made unimportable, in a fresh interpreter.
    code = (
        "import sys; sys.modules['jsonschema'] = None; sys.modules['referencing'] = None\n"
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.test'; django.setup()\n"
        "from directory.oruk import importer, shapes\n"
        "records = [{'id': '3a0c5e1f-7b2d-4c8e-9f10-000000000001', 'name': 'x', 'email': 'nope'}]\n"
        "w = []; shapes.service(records[0], w); print(w)\n"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed code)
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "has no status: treated as active" in result.stdout


# --- following a feed page by page ------------------------------------------------------------------


def serve_v3_pages(routes, path="/api/services"):
    for number in (1, 2, 3, 4):
        serve(routes, f"{path}?page={number}", load(f"v3_services_page_{number}.json"))
    routes[path] = routes[f"{path}?page=1"]


def test_a_paged_url_feed_is_followed_to_its_last_page(directory, feed_server):
    base, routes, requests = feed_server
    serve_v3_pages(routes)

    out, _ = run(f"{base}/api/services", "--all-pages", "--publish", "--delay", "0")

    assert "4 page(s), 5 record(s)" in out and "read completely" in out
    assert ListingPage.objects.live().count() == 5
    assert requests == [
        "/api/services",
        "/api/services?page=2",
        "/api/services?page=3",
        "/api/services?page=4",
    ]


def test_spring_pages_counted_from_zero_are_followed(directory, feed_server):
    base, routes, requests = feed_server
    for number in (0, 1, 2):
        serve(routes, f"/v1/services?page={number}", load(f"v1_services_spring_page_{number}.json"))
    routes["/v1/services"] = routes["/v1/services?page=0"]

    out, _ = run(f"{base}/v1/services", "--all-pages", "--publish", "--delay", "0")

    assert "content/totalElements" in out and "read completely" in out
    assert ListingPage.objects.live().count() == 3
    assert requests[1:] == ["/v1/services?page=1", "/v1/services?page=2"]


def test_a_failing_server_is_retried_and_a_refusal_stops_the_read(directory, feed_server):
    base, routes, _ = feed_server
    serve_v3_pages(routes)
    page_2 = routes["/api/services?page=2"][0]
    routes["/api/services?page=2"] = [(503, b"busy"), page_2]  # fails once, then answers
    routes["/api/services?page=3"] = [(403, b"forbidden"), routes["/api/services?page=3"][0]]
    feed = Feed.objects.create(name="Bolton", url=f"{base}/api/services", publish=True)

    waits = []
    first = feeds.import_pages(feed=feed, delay=0, retries=2, sleep=waits.append)

    assert not first.complete and "answered 403 Forbidden: stopped" in first.stopped
    assert first.pages == 2 and ListingPage.objects.live().count() == 4
    assert waits == [0, feeds.BACKOFF_SECONDS, 0]  # the pause, one backoff after the 503, the pause
    feed.refresh_from_db()
    assert feed.last_outcome == Feed.Outcome.STOPPED and feed.next_page_url.endswith("page=3")
    assert "answered 403" in feed.problems


def test_resume_carries_on_from_the_page_after_the_last_one_done(directory, feed_server):
    base, routes, requests = feed_server
    serve_v3_pages(routes)
    routes["/api/services?page=3"] = [(404, b"gone"), routes["/api/services?page=3"][0]]
    url = f"{base}/api/services"

    with pytest.raises(CommandError, match=r"answered 404 .* Run again with --resume"):
        run(url, "--all-pages", "--publish", "--delay", "0")
    requests.clear()
    out, _ = run(url, "--all-pages", "--publish", "--delay", "0", "--resume")

    assert requests == ["/api/services?page=3", "/api/services?page=4"]
    assert "read completely" in out
    assert ListingPage.objects.live().count() == 5


# --- keeping in step ---------------------------------------------------------------------------------


def test_a_registered_feed_keeps_the_directory_in_step(client, directory, feed_server):
    base, routes, _ = feed_server
    serve_v3_pages(routes)
    out = StringIO()
    call_command("add_feed", "Bolton Council", f"{base}/api/services", "--publish", stdout=out)
    assert "registered" in out.getvalue()

    call_command("import_feeds", "--delay", "0", stdout=StringIO())
    assert ListingPage.objects.live().count() == 5
    revisions = Revision.objects.count()

    # The same feed again: nothing changed, so nothing is written.
    call_command("import_feeds", "--delay", "0", stdout=StringIO())
    assert Revision.objects.count() == revisions
    feed = Feed.objects.get()
    assert feed.counts["unchanged"] == 5 and feed.counts["created"] == 0

    # The council changes one service and withdraws another.
    page_1 = load("v3_services_page_1.json")
    page_1["contents"][0]["name"] = "Chair yoga at Deane (now Fridays too)"
    withdrawn = page_1["contents"].pop(1)
    serve(routes, "/api/services?page=1", page_1)
    routes["/api/services"] = routes["/api/services?page=1"]
    call_command("import_feeds", "--delay", "0", stdout=StringIO())

    feed.refresh_from_db()
    assert (feed.counts["updated"], feed.counts["unchanged"], feed.counts["withdrawn"]) == (1, 3, 1)
    assert Revision.objects.count() == revisions + 1
    gone = ListingPage.objects.get(public_id=withdrawn["id"])
    assert not gone.live
    entry = PageLogEntry.objects.filter(page=gone, action=feeds.WITHDRAWN_ACTION).get()
    assert "No longer in the feed “Bolton Council”" in entry.data["reason"]

    # Coordinators see each feed's last run, counts and problems in the admin.
    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=True))
    page = client.get("/admin/snippets/directory/feed/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Bolton Council" in text and "Read completely" in text and "withdrawn: 1" in text


def test_a_feed_that_stopped_part_way_withdraws_nothing(directory, feed_server):
    base, routes, _ = feed_server
    serve_v3_pages(routes)
    feed = Feed.objects.create(name="Bolton", url=f"{base}/api/services", publish=True)
    feeds.import_pages(feed=feed, delay=0)
    routes["/api/services?page=2"] = [(404, b"gone")]

    run_ = feeds.import_pages(feed=feed, delay=0)

    assert not run_.complete and run_.counts["withdrawn"] == 0
    assert ListingPage.objects.live().count() == 5
