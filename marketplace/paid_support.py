"""The marketplace's answer to "which needs turned into paid support?" (cms.signals).

signposting asks with plain values (account and listing ids, times, group activity ids) so
neither app imports the other; an order counts once it has been paid (`paid_at`), even if it
was later refunded or cancelled: the need was met by paid support at that point.
"""

from django.db.models import Q
from django.dispatch import receiver

from cms.signals import paid_support_asked

from .models import Order


@receiver(paid_support_asked, dispatch_uid="marketplace.paid_support")
def answer_paid_support(sender, *, choices=(), activities=(), **kwargs) -> set:
    """The refs of `choices` that led to a paid order, and the `activities` with a paid place."""
    paid = set()
    if choices:
        found = Order.objects.filter(paid_at__isnull=False).filter(
            Q(request__requested_by_id__in={c[1] for c in choices})
            | Q(budget__holder_id__in={c[1] for c in choices}),
            listing_id__in={c[2] for c in choices},
        )
        rows = list(
            found.values_list("request__requested_by_id", "budget__holder_id", "listing_id", "created_at")
        )
        for ref, user_pk, listing_pk, since in choices:
            if any(
                listing == listing_pk and user_pk in (asker, holder) and created >= since
                for asker, holder, listing, created in rows
            ):
                paid.add(ref)
    if activities:
        paid |= set(
            Order.objects.filter(activity__public_id__in=list(activities), paid_at__isnull=False)
            .values_list("activity__public_id", flat=True)
            .distinct()
        )
    return paid
