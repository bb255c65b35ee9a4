"""Figures that would otherwise count or sort every listing on every view, kept for a while.

The directory's outcome and category counts, its A to Z pages and the Open Referral API's
unfiltered pages each cost time in proportion to the number of listings (at 100,000 listings,
over a second for the directory's counts). They change only when a listing is published,
unpublished, saved or deleted, so they are kept in the cache under a *generation* number that
those signals advance: the next view after a change recomputes them.

The generation lives in the cache too, so with a shared cache (Redis) every process sees the
change at once; with the default per-process memory cache another process can show the old
figures for up to `KEEP_SECONDS`, after which it recomputes them anyway.
"""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.signals import page_published, page_unpublished

KEEP_SECONDS = 60
GENERATION_KEY = "directory:kept:generation"


def generation() -> int:
    """The current generation (starts at 0 in a fresh cache)."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 0, None)
        value = cache.get(GENERATION_KEY, 0)
    return value


def advance(**_kwargs) -> None:
    """Forget every kept figure: a listing changed (now and again once its transaction commits)."""

    def bump():
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.set(GENERATION_KEY, 1, None)

    bump()
    # Another request may recompute from the old rows before this transaction commits.
    transaction.on_commit(bump)


def kept(name: str, compute, *parts):
    """`compute()`'s value, kept for this generation (and at most KEEP_SECONDS)."""
    key = ":".join(["directory:kept", str(generation()), name, *map(str, parts)])
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, KEEP_SECONDS)
    return value


def connect() -> None:
    """Advance the generation whenever a listing, or which listings have which terms, changes."""
    from directory.models import ListingPage

    for signal in (page_published, page_unpublished, post_save, post_delete):
        signal.connect(advance, sender=ListingPage, dispatch_uid=f"directory-kept-{id(signal)}")
    for name in ("outcomes", "categories"):
        m2m_changed.connect(
            advance,
            sender=getattr(ListingPage, name).through,
            dispatch_uid=f"directory-kept-m2m-{name}",
        )
