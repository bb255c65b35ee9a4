"""The OpenSearch backend: the scale-out path on the open-source engine public-sector hosts provide.

The requests are the ones the Elasticsearch backend sends (built by _querybody.py); only the
transport differs, because the Elasticsearch Python client refuses to talk to OpenSearch.
- settings: OPENSEARCH_URL (e.g. http://127.0.0.1:9200) and OPENSEARCH_INDEX (default
  "listings"), which names an *alias*: the data lives in `<alias>-<timestamp>` indices;
- `rebuild` builds a fresh index through the bulk API in batches, then moves the alias to it in
  one atomic request and deletes the old index, so searches never see a half-built index
  (zero-downtime reindex);
- `index_listing`/`remove_listing` write through the alias (the indexing task calls them after
  each commit, as for every backend);
- when the node cannot be reached or rejects a request, the search is logged and answered by
  the database backend; the results then say `backend="database"`, `fallback_from="opensearch"`.
"""

import contextlib
import logging
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, OpenSearchException, RequestError
from opensearchpy.helpers import bulk

from ..documents import listing_documents
from ..query import Location, SearchQuery
from ._querybody import EngineQueryBodies, document_source
from .base import BaseSearchBackend

logger = logging.getLogger(__name__)

# A search that takes longer is answered by the database backend instead (OPENSEARCH_TIMEOUT).
REQUEST_TIMEOUT_SECONDS = 2
# Bulk loading and index creation take longer than a search; still bounded.
ADMIN_TIMEOUT_SECONDS = 60
# Connection refused, timeouts, HTTP errors (a rejected query is a 400), a missing index, no URL.
UNAVAILABLE = (OpenSearchException, ImproperlyConfigured)


class OpenSearchSearchBackend(EngineQueryBodies, BaseSearchBackend):
    """Search an OpenSearch alias; falls back to the database backend when it is unavailable."""

    name = "opensearch"
    url_setting = "OPENSEARCH_URL"
    engine_name = "OpenSearch"
    unavailable = UNAVAILABLE

    def __init__(self):
        self._client_obj = None
        self._client_url = None
        self._index_ready = False

    # --- connection ----------------------------------------------------------------------

    @property
    def index_name(self) -> str:
        """The alias searches and writes go through (settings.OPENSEARCH_INDEX)."""
        return getattr(settings, "OPENSEARCH_INDEX", "") or "listings"

    def _client(self) -> OpenSearch:
        url = getattr(settings, "OPENSEARCH_URL", "")
        if not url:
            raise ImproperlyConfigured("SEARCH_BACKEND is opensearch but OPENSEARCH_URL is not set.")
        if self._client_obj is None or self._client_url != url:
            try:
                timeout = float(getattr(settings, "OPENSEARCH_TIMEOUT", 0) or REQUEST_TIMEOUT_SECONDS)
                self._client_obj = OpenSearch(url, timeout=timeout, max_retries=0, retry_on_timeout=False)
            except ValueError as exc:
                raise ImproperlyConfigured(f"OPENSEARCH_URL is not a usable URL: {exc}") from exc
            self._client_url = url
            self._index_ready = False
        return self._client_obj

    # --- search --------------------------------------------------------------------------

    def _execute(self, query: SearchQuery, **kwargs) -> dict:
        body = self.build_search(query, **kwargs).to_dict()
        return self._client().search(index=self.index_name, body=body)

    # --- indexing ------------------------------------------------------------------------

    def _new_index_name(self) -> str:
        return f"{self.index_name}-{time.time_ns() // 1000}"

    def _indices_behind_alias(self, client: OpenSearch) -> list[str]:
        try:
            return sorted(client.indices.get_alias(name=self.index_name))
        except NotFoundError:
            return []

    def _create_index(self, client: OpenSearch, name: str) -> None:
        client.indices.create(index=name, body=self.index_body(), request_timeout=ADMIN_TIMEOUT_SECONDS)

    def _ensure_index(self, client: OpenSearch) -> None:
        """Before the first write: an index behind the alias, created with its mapping."""
        if self._index_ready:
            return
        if not client.indices.exists(index=self.index_name):
            name = self._new_index_name()
            self._create_index(client, name)
            try:
                client.indices.put_alias(index=name, name=self.index_name)
            except RequestError:  # another worker made the alias (or an index of that name) first
                client.indices.delete(index=name)
        self._index_ready = True

    def index_listing(self, listing) -> None:
        """Add or refresh one live listing (through the alias)."""
        client = self._client()
        self._ensure_index(client)
        # wait_for: the change is searchable when this returns (it runs in a background task).
        client.index(
            index=self.index_name, id=str(listing.pk), body=document_source(listing), refresh="wait_for"
        )

    def remove_listing(self, listing_id: int) -> None:
        """Drop one listing (already gone, or no index yet, is fine)."""
        with contextlib.suppress(NotFoundError):
            self._client().delete(index=self.index_name, id=str(listing_id), refresh="wait_for")

    def rebuild(self, listings=None, *, progress=None, batch_size=500) -> int:
        """Build a new index with the bulk API, then switch the alias to it and delete the old.

        Searches keep using the old index until the switch, which is one atomic request.
        """
        queryset = listing_documents(listings).order_by("pk")
        total = queryset.count()

        def batches():
            for start in range(0, total, batch_size):
                yield [
                    (listing.pk, document_source(listing)) for listing in queryset[start : start + batch_size]
                ]

        return self.build_index(batches(), total, progress=progress)

    def build_index(self, batches, total: int, *, progress=None) -> int:
        """Load `batches` (lists of (listing id, document source)) into a new index with one bulk
        request each, then switch the alias to it and delete the old index. The bench loads its
        synthetic listings through here too, so it times what `rebuild` does."""
        client = self._client()
        client.cluster.health(wait_for_status="yellow", request_timeout=ADMIN_TIMEOUT_SECONDS)
        old = self._indices_behind_alias(client)
        new = self._new_index_name()
        self._create_index(client, new)
        done = 0
        try:
            for batch in batches:
                actions = [{"_index": new, "_id": str(pk), "_source": source} for pk, source in batch]
                bulk(client, actions, request_timeout=ADMIN_TIMEOUT_SECONDS)
                done += len(batch)
                if progress:
                    progress(done, total)
            if progress and done == 0:
                progress(0, 0)
            client.indices.refresh(index=new, request_timeout=ADMIN_TIMEOUT_SECONDS)
        except BaseException:
            client.indices.delete(index=new, ignore_unavailable=True)
            raise
        actions = [{"add": {"index": new, "alias": self.index_name, "is_write_index": True}}]
        actions += [{"remove": {"index": name, "alias": self.index_name}} for name in old]
        if not old and client.indices.exists(index=self.index_name):
            # A plain index under the alias's name (made before aliases were used): replace it.
            actions.append({"remove_index": {"index": self.index_name}})
        client.indices.update_aliases(body={"actions": actions})
        for name in old:
            client.indices.delete(index=name, ignore_unavailable=True)
        self._index_ready = True
        self._warm_up(client)
        return done

    def _warm_up(self, client: OpenSearch) -> None:
        """One search that uses every painless script, so the node compiles them now rather than
        during someone's search (compiling took over the 2 s search timeout on a busy machine)."""
        warm = SearchQuery(
            text="care",
            location=Location(53.58, -2.43, "warm-up"),
            outcomes=("warm-up",),
            days=("mon",),
        )
        body = self.build_search(warm).to_dict()
        try:
            client.search(index=self.index_name, body=body, request_timeout=ADMIN_TIMEOUT_SECONDS)
        except OpenSearchException:
            logger.warning("OpenSearch warm-up search failed", exc_info=True)

    def index_stats(self) -> dict:
        """Documents and bytes on disk of the index behind the alias (for the bench and monitoring)."""
        stats = self._client().indices.stats(index=self.index_name, metric="docs,store")
        primaries = stats["_all"]["primaries"]
        return {"docs": primaries["docs"]["count"], "bytes": primaries["store"]["size_in_bytes"]}
