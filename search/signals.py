"""Reindex a listing after the transaction that changed it commits (never inside it)."""

import threading

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished

from directory.models import Check, ListingPage, Outcome, Provider
from directory.signals import listing_updated_in_place

from .tasks import index_listing_task, index_listings_task

# Listings waiting for their transaction to commit, per thread (each thread has its own
# database connection, so its own transactions).
_waiting = threading.local()


def _enqueue(listing_ids) -> None:
    """Reindex these listings once the current transaction commits (at once outside one).

    Listings changed in one transaction are reindexed together, by one task: an import that
    publishes a page of records in one transaction indexes the page in one go. Whichever of the
    transaction's callbacks runs first sends them all. (A callback registered in a savepoint that
    rolled back never runs; its listings are sent by another, or with the next commit.)
    """
    waiting = getattr(_waiting, "ids", None)
    if waiting is None:
        waiting = _waiting.ids = set()
    waiting.update(listing_ids)
    transaction.on_commit(_send_waiting)


def _send_waiting() -> None:
    ids = sorted(getattr(_waiting, "ids", None) or ())
    _waiting.ids = set()
    if len(ids) == 1:
        index_listing_task.enqueue(ids[0])
    elif ids:
        index_listings_task.enqueue(ids)


@receiver(page_published, sender=ListingPage)
@receiver(page_unpublished, sender=ListingPage)
def listing_changed(sender, instance, **kwargs):
    """A listing went live, changed while live, or was taken down."""
    _enqueue([instance.pk])


@receiver(listing_updated_in_place)
def listing_updated(sender, listing, **kwargs):
    """A live listing's facts changed without a publish (e.g. "taking new people")."""
    _enqueue([listing.pk])


@receiver(post_delete, sender=ListingPage)
def listing_deleted(sender, instance, **kwargs):
    """A listing was deleted."""
    _enqueue([instance.pk])


@receiver(post_save, sender=Check)
@receiver(post_delete, sender=Check)
def check_changed(sender, instance, **kwargs):
    """A check was verified, expired or removed: the "checks verified" filter depends on it."""
    _enqueue(ListingPage.objects.filter(provider_id=instance.provider_id).values_list("pk", flat=True))


@receiver(post_save, sender=Provider)
def provider_changed(sender, instance, created, **kwargs):
    """The provider's name appears in results."""
    if not created:
        _enqueue(ListingPage.objects.filter(provider=instance).values_list("pk", flat=True))


@receiver(post_save, sender=Outcome)
@receiver(post_delete, sender=Outcome)
def outcome_changed(sender, **kwargs):
    """An outcome's label shows on every result: read the labels again (see database backend)."""
    from .backends.database import forget_outcome_labels

    forget_outcome_labels()
