"""The Elasticsearch backend, for deployments that outgrow one machine.

It honours the same contract as the database backend (see database.py for the reference
behaviour), with Elasticsearch doing the work. The requests it sends are built by
_querybody.py, shared with the OpenSearch backend; this module is the transport:
- the client is made on first use (nothing talks to the network at import or construction),
  with short timeouts and no retries so an unreachable cluster fails fast;
- when the cluster cannot be reached or errors, the search is logged and answered by the
  database backend instead, so a page never fails because of Elasticsearch.
"""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from elasticsearch import ApiError, BadRequestError, Elasticsearch, TransportError
from elasticsearch.helpers import bulk

from ..documents import build_document, listing_documents
from ..query import SearchQuery
from ._querybody import (  # noqa: F401 (es_query_text and the scripts are part of this module's API)
    AVAILABILITY_SCRIPT,
    FIT_SCRIPT,
    MINIMUM_SHOULD_MATCH,
    ROTATION_SCRIPT,
    SERVICE_AREA_SCRIPT,
    EngineQueryBodies,
    ListingDocument,
    es_query_text,
)
from .base import BaseSearchBackend

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 2
# Errors that mean "Elasticsearch cannot answer now": connection refused, timeouts, HTTP errors,
# a non-Elasticsearch server, a missing index, or no URL configured at all.
UNAVAILABLE = (TransportError, ApiError, ImproperlyConfigured)


class ElasticsearchSearchBackend(EngineQueryBodies, BaseSearchBackend):
    """Search an Elasticsearch index; falls back to the database backend when it is unavailable."""

    name = "elasticsearch"
    url_setting = "ELASTICSEARCH_URL"
    engine_name = "Elasticsearch"
    unavailable = UNAVAILABLE

    def __init__(self):
        self._es = None
        self._es_url = None
        self._index_ready = False

    # --- connection ----------------------------------------------------------------------

    @property
    def index_name(self) -> str:
        """The index holding listings (settings.ELASTICSEARCH_INDEX)."""
        return getattr(settings, "ELASTICSEARCH_INDEX", "") or "listings"

    def _client(self) -> Elasticsearch:
        url = getattr(settings, "ELASTICSEARCH_URL", "")
        if not url:
            raise ImproperlyConfigured("SEARCH_BACKEND is elasticsearch but ELASTICSEARCH_URL is not set.")
        if self._es is None or self._es_url != url:
            try:
                self._es = Elasticsearch(
                    url, request_timeout=REQUEST_TIMEOUT_SECONDS, max_retries=0, retry_on_timeout=False
                )
            except ValueError as exc:
                raise ImproperlyConfigured(f"ELASTICSEARCH_URL is not a usable URL: {exc}") from exc
            self._es_url = url
            self._index_ready = False
        return self._es

    def _index(self, client: Elasticsearch):
        return ListingDocument._index.clone(name=self.index_name, using=client)

    # --- search --------------------------------------------------------------------------

    def _execute(self, query: SearchQuery, **kwargs) -> dict:
        return self.build_search(query, **kwargs).using(self._client()).execute().to_dict()

    # --- indexing ------------------------------------------------------------------------

    def _ensure_index(self, client: Elasticsearch) -> None:
        """Create the index with its mapping before the first write (never a dynamic mapping)."""
        if self._index_ready:
            return
        index = self._index(client)
        if not index.exists():
            try:
                index.create()
            except BadRequestError as exc:
                if exc.error != "resource_already_exists_exception":  # another worker won the race
                    raise
        self._index_ready = True

    def index_listing(self, listing) -> None:
        """Add or refresh one live listing."""
        client = self._client()
        self._ensure_index(client)
        # wait_for: the change is searchable when this returns (it runs in a background task).
        ListingDocument.from_document(build_document(listing)).save(
            using=client, index=self.index_name, refresh="wait_for"
        )

    def remove_listing(self, listing_id: int) -> None:
        """Drop one listing (already gone is fine)."""
        self._client().options(ignore_status=404).delete(
            index=self.index_name, id=str(listing_id), refresh="wait_for"
        )

    def rebuild(self, listings=None, *, progress=None, batch_size=500) -> int:
        """Recreate the index and bulk-load every live listing; searchable when this returns.

        Searches during a rebuild find no index and are answered by the database backend.
        """
        client = self._client()
        index = self._index(client)
        client.options(ignore_status=404).indices.delete(index=self.index_name)
        index.create()
        self._index_ready = True
        queryset = listing_documents(listings).order_by("pk")
        total = queryset.count()
        done = 0
        for start in range(0, total, batch_size):
            batch = list(queryset[start : start + batch_size])
            actions = [
                {"_index": self.index_name, "_id": listing.pk, "_source": document.to_dict()}
                for listing in batch
                for document in [ListingDocument.from_document(build_document(listing))]
            ]
            bulk(client, actions)
            done += len(batch)
            if progress:
                progress(done, total)
        index.refresh()
        return total
