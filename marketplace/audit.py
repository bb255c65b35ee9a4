"""The audit log of a holder's personal data: who saw or changed it, when, and why (for staff).

`record(...)` appends one `AuditEvent`. Each event's hash covers its own fields and the hash
of the event before it, so the log is a chain: altering, deleting or reordering any row
breaks every hash after it, and `verify()` (the `verify_audit_log` command) finds the first
broken link. Appending locks the single `AuditChainHead` row, so concurrent writers queue
and the chain has no forks.

Events carry ids and fixed wording only (no names, no free text from the person), so
erasing someone's personal data never needs to rewrite the chain.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from cms.roles import is_coordinator

from .models import AuditChainHead, AuditEvent, Delegate

GENESIS_HASH = "0" * 64

# What each action means, in the words the holder reads on "Who has seen my information".
ACTIONS = {
    "viewed_budget": "Looked at the budget",
    "viewed_ledger": "Looked at the money in and out",
    "viewed_plan": "Looked at the support plan",
    "changed_plan": "Changed the support plan",
    "changed_budget": "Changed the budget details",
    "viewed_order": "Looked at an order",
    "viewed_receipt": "Looked at a receipt",
    "requested_support": "Asked a provider for support",
    "paid": "Started a payment",
    "cancelled_order": "Cancelled an order",
    "recorded_spending": "Recorded spending outside the site",
    "viewed_statement": "Looked at a statement",
    "downloaded_statement": "Downloaded a statement",
    "downloaded_receipts": "Downloaded receipts",
    "shared_statement": "Made a link to share a statement",
    "revoked_share": "Stopped a statement link working",
    "opened_shared_statement": "Opened a shared statement link",
    "invited_delegate": "Invited someone to help",
    "delegate_accepted": "Accepted an invitation to help",
    "changed_delegate": "Changed what a helper may do",
    "withdrew_delegate": "Withdrew a helper's access",
    "declined_delegate": "Turned down an invitation to help",
    "viewed_request": "Looked at a request for support",
    "changed_request": "Answered or withdrew a request for support",
    "joined_group": "Joined a group activity",
    "viewed_audit_log": "Looked at who has seen the information",
    "exported_data": "Downloaded all their data",
    "requested_erasure": "Asked for their data to be erased",
    "erased": "Erased personal data",
    "staff_viewed": "A coordinator looked at the record",
    "refused_self_dealing": "Was refused: one person cannot be both sides of a sale",
    "payment_mismatch": "A payment did not match its order, so the order was not marked paid",
    "refund_failed": "A refund failed at the card's end, so its money was taken back out of the budget",
    "refund_unexplained": "Stripe said more was refunded than its listed refunds add up to: not credited",
    "asked_meet_first": "Asked a provider to meet first",
    "viewed_meet_first": "Looked at a meeting with a provider",
    "chose_meet_first_time": "Chose a time to meet a provider",
    "answered_meet_first": "Said whether to go ahead after meeting a provider",
    "cancelled_meet_first": "Called off meeting a provider",
}


def describe(action: str) -> str:
    """The plain-English label for an action code (the code itself if unknown)."""
    return ACTIONS.get(action, action.replace("_", " ").capitalize())


def actor_role(user, budget) -> str:
    """How `user` stands towards `budget`, in words without personal data."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "someone with a shared link"
    if budget is not None and budget.holder_id == user.pk:
        return "the holder"
    if budget is not None:
        delegation = (
            Delegate.objects.filter(budget=budget, user=user)
            .order_by("-created_at")
            .only("relationship")
            .first()
        )
        if delegation is not None:
            return f"helper ({delegation.get_relationship_display().lower()})"
    if is_coordinator(user):
        return "coordinator"
    return "another user"


def _digest(prev_hash: str, fields: dict) -> str:
    canonical = json.dumps([prev_hash, fields], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _fields(event: AuditEvent) -> dict:
    return {
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "subject": event.subject_id,
        "budget": event.budget_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "detail": event.detail,
        "reason": event.reason,
    }


def record(
    *,
    actor,
    action: str,
    budget=None,
    subject=None,
    obj=None,
    detail: str = "",
    reason: str = "",
    role: str | None = None,
) -> AuditEvent:
    """Append one event. `subject` defaults to the budget's holder; `obj` is any model with a
    `public_id` (or pk). Call it where the data is shown or changed, after permission checks.
    """
    if subject is None and budget is not None:
        subject = budget.holder
    actor = actor if getattr(actor, "is_authenticated", False) else None
    object_type = obj._meta.model_name if obj is not None else ""
    object_id = str(getattr(obj, "public_id", None) or getattr(obj, "pk", "")) if obj is not None else ""
    with transaction.atomic():
        head = _locked_head()
        event = AuditEvent(
            sequence=head.last_sequence + 1,
            # Whole microseconds survive every database, so the hash re-computes exactly.
            occurred_at=timezone.now(),
            actor=actor,
            actor_role=(role or actor_role(actor, budget))[:60],
            subject=subject,
            budget=budget,
            action=action[:40],
            object_type=object_type[:40],
            object_id=object_id[:64],
            detail=detail[:300],
            reason=reason[:300],
            prev_hash=head.last_hash,
        )
        event.hash = _digest(event.prev_hash, _fields(event))
        event.save()
        AuditChainHead.objects.filter(pk=head.pk).update(last_sequence=event.sequence, last_hash=event.hash)
    return event


def _locked_head() -> AuditChainHead:
    """The chain's head row, locked. A migration creates it; a flushed test database may not
    have it, and two first writers may race to create it: the loser's insert fails inside a
    savepoint and it then waits on the winner's lock like any other writer."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(pk=1)
        except IntegrityError:
            pass
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


@dataclass(frozen=True)
class Verification:
    """What `verify` found: how many events were checked, and the first broken one, if any."""

    checked: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(batch_size: int = 2000) -> Verification:
    """Walk the chain in order, recomputing every hash; stop at the first mismatch."""
    prev_hash = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=batch_size):
        if event.sequence != expected_sequence:
            return Verification(checked, event.sequence, f"event {expected_sequence} is missing")
        if event.prev_hash != prev_hash:
            return Verification(checked, event.sequence, "it does not follow the event before it")
        if _digest(prev_hash, _fields(event)) != event.hash:
            return Verification(checked, event.sequence, "its contents were changed after it was written")
        prev_hash = event.hash
        expected_sequence += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and (head.last_sequence != checked or head.last_hash != prev_hash):
        return Verification(checked, checked + 1, "events at the end of the log were removed")
    return Verification(checked)


def events_about(user):
    """The events about `user`'s data, newest first (for "Who has seen my information")."""
    return AuditEvent.objects.filter(subject=user).select_related("actor").order_by("-sequence")
