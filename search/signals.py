"""Reindex a listing after the transaction that changed it commits (never inside it)."""

import threading

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished

from directory.models import Check, ListingPage, Provider

from .tasks import index_listing_task

_pending = threading.local()


def _enqueue(listing_ids) -> None:
    """Queue each listing once per transaction, however many of its parts changed."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        for listing_id in listing_ids:
            index_listing_task.enqueue(listing_id)
        return
    state = getattr(_pending, "state", None)
    # A rolled-back transaction drops our callback; start a fresh batch then.
    if state is None or not any(entry[1] is state["send"] for entry in connection.run_on_commit):
        ids = set()

        def send():
            _pending.state = None
            for listing_id in sorted(ids):
                index_listing_task.enqueue(listing_id)

        state = _pending.state = {"ids": ids, "send": send}
        transaction.on_commit(send)
    state["ids"].update(listing_ids)


@receiver(page_published, sender=ListingPage)
@receiver(page_unpublished, sender=ListingPage)
def listing_changed(sender, instance, **kwargs):
    """A listing went live, changed while live, or was taken down."""
    _enqueue([instance.pk])


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
