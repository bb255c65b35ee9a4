"""Reindex a listing after the transaction that changed it commits (never inside it)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished

from directory.models import Check, ListingPage, Outcome, Provider
from directory.signals import listing_updated_in_place

from .tasks import index_listing_task


def _enqueue(listing_ids) -> None:
    """Reindex these listings once the current transaction commits (at once outside one)."""
    ids = list(listing_ids)

    def send():
        for listing_id in ids:
            index_listing_task.enqueue(listing_id)

    transaction.on_commit(send)


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
