"""The OpenSearch backend on a real node: zero-downtime rebuilds, the indexing task, the command,
and the fallback to the database backend (saying so) when the node rejects a query or stops.

The contract itself (relevance, filters, facets, ranking...) is tests/search/test_contract.py,
which runs against the same node.
"""

import io
import logging

import pytest
from django.core.management import call_command
from opensearchpy import OpenSearch

from search import services
from search.backends import get_search_backend, reset_backends
from search.backends.opensearch import OpenSearchSearchBackend
from search.query import SearchQuery
from tests.factories import make_listing
from tests.search.conftest import titles
from tests.search.opensearch_node import start_node

pytestmark = pytest.mark.django_db

ALIAS = "test-opensearch"


class Warnings(logging.Handler):
    """Keeps the messages of WARNING records (the suite runs with pytest's logging plugin off)."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings():
    handler = Warnings()
    logger = logging.getLogger("search.backends.opensearch")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture
def node_settings(settings, opensearch_node):
    """SEARCH_BACKEND=opensearch on the shared node, with this module's own alias."""
    settings.SEARCH_BACKEND = "opensearch"
    settings.OPENSEARCH_URL = opensearch_node.url
    settings.OPENSEARCH_INDEX = ALIAS
    settings.OPENSEARCH_TIMEOUT = 30  # answers, not speed (see conftest.backend)
    reset_backends()
    yield settings
    reset_backends()


@pytest.fixture
def client(opensearch_node):
    return OpenSearch(opensearch_node.url)


@pytest.fixture
def listings(directory):
    """Two live listings, in the database backend's index."""
    made = [
        make_listing(title="Swimming buddy", base_postcode="BL3"),
        make_listing(title="Park walking group", base_postcode="BL1", radius=0),
    ]
    get_search_backend("database").rebuild()
    return made


def everywhere(**fields) -> SearchQuery:
    return SearchQuery(**fields)


def test_rebuild_builds_a_new_index_behind_the_alias_and_deletes_the_old(listings, node_settings, client):
    backend = get_search_backend("opensearch")
    backend.rebuild()
    (first,) = client.indices.get_alias(name=ALIAS)
    seen_during_rebuild = []

    def progress(done, total):
        # Mid-rebuild, searches still go to the old index, through the alias, and find everything.
        seen_during_rebuild.append(backend.search(everywhere()))

    make_listing(title="Evening sitter", base_postcode="BL1")
    backend.rebuild(progress=progress, batch_size=2)

    assert [(r.backend, r.count) for r in seen_during_rebuild] == [("opensearch", 2), ("opensearch", 2)]
    (second,) = client.indices.get_alias(name=ALIAS)
    assert second != first
    assert not client.indices.exists(index=first)
    assert backend.search(everywhere()).count == 3


def test_rebuild_command_loads_in_batches_with_progress(listings, node_settings):
    out = io.StringIO()
    call_command("rebuild_search_index", backend="opensearch", stdout=out)
    assert "2/2 listings" in out.getvalue()
    assert "Indexed 2 listings with the opensearch backend." in out.getvalue()
    results = get_search_backend("opensearch").search(everywhere(text="swimming"))
    assert (results.backend, titles(results)) == ("opensearch", ["Swimming buddy"])


def test_listing_changes_reach_the_index_through_the_indexing_task(listings, node_settings):
    backend = get_search_backend("opensearch")
    backend.rebuild()
    listing = listings[0]
    listing.title = "Swimming buddy on Tuesdays"
    listing.save_revision().publish()

    services.index_listing(listing_id=listing.pk)
    assert titles(backend.search(everywhere(text="tuesdays"))) == ["Swimming buddy on Tuesdays"]

    listing.unpublish()
    services.index_listing(listing_id=listing.pk)
    assert backend.search(everywhere(text="tuesdays")).count == 0


def test_a_query_the_node_rejects_is_answered_by_the_database_and_says_so(listings, node_settings, warnings):
    node_settings.OPENSEARCH_INDEX = "test-no-such-alias"  # the node answers 404
    results = OpenSearchSearchBackend().search(everywhere(text="swimming"))
    assert (results.backend, results.fallback_from) == ("database", "opensearch")
    assert titles(results) == ["Swimming buddy"]
    (warning,) = warnings.messages
    assert "using the database backend instead" in warning


def test_missing_url_falls_back_and_says_so(listings, settings, warnings):
    settings.OPENSEARCH_URL = ""
    results = OpenSearchSearchBackend().search(everywhere())
    assert (results.backend, results.fallback_from, results.count) == ("database", "opensearch", 2)
    assert "OPENSEARCH_URL is not set" in warnings.messages[0]


def test_stopping_the_node_mid_suite_falls_back_to_the_database(listings, settings, tmp_path, warnings):
    # A throwaway node, so the shared one stays up for the rest of the run.
    node = start_node(tmp_path / "throwaway")
    try:
        settings.SEARCH_BACKEND = "opensearch"
        settings.OPENSEARCH_URL = node.url
        settings.OPENSEARCH_INDEX = ALIAS
        settings.OPENSEARCH_TIMEOUT = 30
        reset_backends()
        get_search_backend("opensearch").rebuild()
        up = services.search_listings(query=everywhere(text="swimming"))
        assert (up.backend, titles(up)) == ("opensearch", ["Swimming buddy"])
    finally:
        node.stop()

    down = services.search_listings(query=everywhere(text="swimming"))
    assert (down.backend, down.fallback_from, titles(down)) == ("database", "opensearch", ["Swimming buddy"])
    (warning,) = warnings.messages
    assert node.url in warning
    reset_backends()
