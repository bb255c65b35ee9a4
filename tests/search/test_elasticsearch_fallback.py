"""When Elasticsearch cannot be reached, people still get results, from the database backend.

A closed port on 127.0.0.1 stands in for a cluster that is down: nothing listens there, so
every connection is refused at once. Warnings are captured with a handler on the logger itself,
because the suite runs with pytest's logging plugin off (-p no:logging), which removes caplog.
"""

import logging
import socket

import pytest

from directory.services import locate
from search import services
from search.backends import get_search_backend, reset_backends
from search.backends.elasticsearch import ElasticsearchSearchBackend
from search.models import SearchDocument
from search.query import Location, SearchQuery
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


class Records(logging.Handler):
    """Keeps every record it is given."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def warnings(self) -> list[str]:
        """The messages of WARNING records, formatted."""
        return [r.getMessage() for r in self.records if r.levelno == logging.WARNING]


@pytest.fixture
def logged():
    """logged("name") -> Records of that logger, detached after the test."""
    attached = []

    def attach(name: str) -> Records:
        handler = Records()
        logging.getLogger(name).addHandler(handler)
        attached.append((name, handler))
        return handler

    yield attach
    for name, handler in attached:
        logging.getLogger(name).removeHandler(handler)


@pytest.fixture
def closed_port_url():
    """An http URL on 127.0.0.1 where nothing listens (a port bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def cluster_down(settings, closed_port_url):
    """Settings that point the Elasticsearch backend at the closed port."""
    settings.ELASTICSEARCH_URL = closed_port_url
    settings.ELASTICSEARCH_INDEX = "test-listings"
    reset_backends()
    yield closed_port_url
    reset_backends()


@pytest.fixture
def listings(directory):
    """Two live listings, in the database backend's index."""
    made = [
        make_listing(title="Swimming buddy", base_postcode="BL3"),
        make_listing(
            title="Park walking group",
            base_postcode="BL1",
            radius=0,
            description="<p>Gentle walks in the park every Tuesday.</p>",
        ),
    ]
    get_search_backend("database").rebuild()
    return made


def near_bl3(**fields) -> SearchQuery:
    found = locate(text="BL3")
    location = Location(found.latitude, found.longitude, found.label, found.district_code)
    return SearchQuery(near="BL3", location=location, radius_miles=20, **fields)


def titles(results) -> list[str]:
    return [hit.title for hit in results.hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (near_bl3, {"Swimming buddy", "Park walking group"}),
        (lambda: near_bl3(text="swimming"), {"Swimming buddy"}),
    ],
    ids=["place", "text-and-place"],
)
def test_unreachable_cluster_answers_from_the_database(listings, cluster_down, logged, query, expected):
    log = logged("search.backends.elasticsearch")
    query = query()
    results = ElasticsearchSearchBackend().search(query)
    assert (results.backend, results.fallback_from) == ("database", "elasticsearch")
    assert titles(results) == titles(get_search_backend("database").search(query))
    assert set(titles(results)) == expected
    (warning,) = log.warnings()
    assert cluster_down in warning
    assert "database backend" in warning


def test_search_through_the_configured_backend_falls_back_too(listings, cluster_down, settings, logged):
    settings.SEARCH_BACKEND = "elasticsearch"
    reset_backends()
    log = logged("search.backends.elasticsearch")
    results = services.search_listings(query=SearchQuery(near="BL3", radius_miles=20))
    assert results.backend == "database"
    assert set(titles(results)) == {"Swimming buddy", "Park walking group"}
    assert len(log.warnings()) == 1


def test_missing_url_falls_back_and_says_so(listings, settings, logged):
    settings.ELASTICSEARCH_URL = ""
    reset_backends()
    log = logged("search.backends.elasticsearch")
    results = ElasticsearchSearchBackend().search(near_bl3())
    assert results.backend == "database"
    assert results.count == 2
    assert "ELASTICSEARCH_URL is not set" in log.warnings()[0]
    reset_backends()


def test_password_in_the_url_is_not_logged(listings, cluster_down, settings, logged):
    settings.ELASTICSEARCH_URL = cluster_down.replace("http://", "http://search:hunter2@")
    log = logged("search.backends.elasticsearch")
    ElasticsearchSearchBackend().search(near_bl3())
    (warning,) = log.warnings()
    assert "hunter2" not in warning
    assert cluster_down in warning


def test_indexing_with_the_cluster_down_still_updates_the_database_index(
    listings, cluster_down, settings, logged
):
    settings.SEARCH_BACKEND = "elasticsearch"
    reset_backends()
    log = logged("search.services")
    listing = listings[0]
    listing.title = "Swimming buddy on Tuesdays"
    listing.save_revision().publish()

    services.index_listing(listing_id=listing.pk)

    assert SearchDocument.objects.get(listing_id=listing.pk).title == "Swimming buddy on Tuesdays"
    found = get_search_backend("database").search(near_bl3(text="tuesdays"))
    assert "Swimming buddy on Tuesdays" in titles(found)
    (warning,) = log.warnings()
    assert f"elasticsearch index for listing {listing.pk}" in warning


def test_removing_with_the_cluster_down_still_removes_from_the_database_index(
    listings, cluster_down, settings, logged
):
    settings.SEARCH_BACKEND = "elasticsearch"
    reset_backends()
    log = logged("search.services")
    listing = listings[0]
    listing.unpublish()

    services.index_listing(listing_id=listing.pk)

    assert not SearchDocument.objects.filter(listing_id=listing.pk).exists()
    assert len(log.warnings()) == 1
