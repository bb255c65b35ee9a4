"""Wagtail's own indexes of listings, brought up to date once per batch of saves (imports).

Every save of a page makes Wagtail update two indexes of it: its search index (the admin's page
search; modelsearch) and its reference index (what links to what). Publishing a new listing
saves it twice, updating a changed one three times, so an import of a page of 500 records
would index each listing two or three times, one listing at a time. Within `deferred()` the
saves of listings only note which listings changed; on leaving, each of them is indexed once,
together (the search index through the backend's bulk `add_bulk`).

Our own search index (the `search` app) is separate: it already waits for the transaction to
commit and indexes the listings it changed together (search/signals.py).

The switch is per thread, like Wagtail's own `disable_reference_index_auto_update`, so a save
in another thread meanwhile is indexed at once as usual.
"""

import logging
import threading
from contextlib import contextmanager

from django.db import transaction
from django.db.models.signals import post_save
from modelsearch.backends import get_search_backends_with_name
from modelsearch.signal_handlers import post_save_signal_handler as modelsearch_on_save
from wagtail.models import ReferenceIndex
from wagtail.signal_handlers import disable_reference_index_auto_update

logger = logging.getLogger(__name__)
_local = threading.local()
_swap_lock = threading.Lock()
_swapped = False


def _on_save(sender, instance, **kwargs):
    """Wagtail's search-index handler for listings, unless this thread is deferring it."""
    waiting = getattr(_local, "waiting", None)
    if waiting is not None and not kwargs.get("raw", False):
        waiting.add(instance.pk)
        return
    modelsearch_on_save(instance, **kwargs)


def _take_over_search_handler(model) -> None:
    """Route modelsearch's save handler for `model` through `_on_save` (once per process).

    modelsearch connects its handler when its app is ready, after ours, and has no per-thread
    switch; this one calls it whenever the thread is not deferring, so nothing else changes.
    """
    global _swapped
    with _swap_lock:
        if _swapped:
            return
        if post_save.disconnect(modelsearch_on_save, sender=model):
            post_save.connect(_on_save, sender=model, weak=False, dispatch_uid="directory.indexing")
        _swapped = True


@contextmanager
def deferred():
    """Index the listings saved within once each, together, when the block ends.

    Nesting is fine: only the outermost block indexes. If the block raises, or its transaction
    is to be rolled back (a dry run), nothing is indexed: the changes are going away.
    """
    from directory.models import ListingPage

    if getattr(_local, "waiting", None) is not None:
        yield
        return
    _take_over_search_handler(ListingPage)
    _local.waiting = set()
    try:
        with disable_reference_index_auto_update():
            yield
        ids = _local.waiting
    finally:
        _local.waiting = None
    if ids and not (transaction.get_connection().in_atomic_block and transaction.get_rollback()):
        index_listings(ListingPage.objects.filter(pk__in=ids).order_by("pk"))


def index_listings(listings) -> None:
    """Bring Wagtail's search and reference indexes up to date for these listings, together."""
    from directory.models import ListingPage

    listings = list(ListingPage.get_indexed_objects().filter(pk__in=[listing.pk for listing in listings]))
    for name, backend in get_search_backends_with_name(with_auto_update=True):
        try:
            backend.add_bulk(ListingPage, listings)
        except Exception:
            # As modelsearch does: log for a backend on an outside service, raise for the database.
            logger.exception("Could not add %d listings to the '%s' search backend", len(listings), name)
            if not backend.catch_indexing_errors:
                raise
    with transaction.atomic():
        for listing in listings:
            ReferenceIndex.create_or_update_for_object(listing)
