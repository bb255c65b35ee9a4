"""The holder's data rights: see who looked at their information, take a copy of it all, and
have their personal data erased.

- `audit_rows(...)` turns audit events into what the holder reads on "Who has seen my
  information": "You", a helper's name and relationship, "A coordinator" with the reason they
  gave, "Someone with the link you shared".
- `export_zip(...)` builds the download: `data.json` (everything we hold about them), one
  statement PDF per budget year and the receipts they uploaded.
- `erase_personal_data(...)` removes what identifies the person and keeps the money records
  the council may audit (see docs/privacy.md for the rule and why).
"""

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cms.roles import is_coordinator
from cms.signals import erasing_personal_data
from directory.evidence import display_name

from .. import audit
from ..models import (
    AuditEvent,
    Budget,
    Delegate,
    LedgerEntry,
    MeetFirst,
    Order,
    Payment,
    PlanOutcome,
    Refund,
    RequestEvent,
    SupportRequest,
    add_months,
)
from .budgets import balance_pence
from .common import MarketplaceError
from .statements import forget_prepared_pdfs

ERASED = "(erased)"
AUDIT_PAGE_SIZE = 25


class PrivacyError(MarketplaceError):
    """An export or erasure cannot be done; `str(error)` says why in plain English."""


class ErasureNotAllowed(PrivacyError):
    """The person asking may not erase this account (only the holder or a coordinator may)."""


# --- Who is who --------------------------------------------------------------------------


def own_budget(user) -> Budget | None:
    """The budget `user` holds (not one they help with), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Budget.objects.filter(holder=user).first()


def is_self_funder(user) -> bool:
    """True when `user` has asked for support paying with their own money (no budget)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return SupportRequest.objects.filter(payer=user, budget__isnull=True).exists()


# --- "Who has seen my information" -------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    """One audit event as the holder reads it."""

    event: AuditEvent
    who: str
    what: str
    detail: str
    reason: str


def audit_rows(events, *, holder) -> list[AuditRow]:
    """The events as rows for `holder`: delegates by name and relationship, staff with their reason."""
    events = list(events)
    helpers = {}
    actor_ids = {event.actor_id for event in events if event.actor_id and event.actor_id != holder.pk}
    if actor_ids:
        # The newest delegation per person wins, so a re-invited helper shows their current name.
        for delegation in Delegate.objects.filter(budget__holder=holder, user_id__in=actor_ids).order_by(
            "created_at", "pk"
        ):
            helpers[delegation.user_id] = delegation
    return [
        AuditRow(
            event=event,
            who=_who(event, holder=holder, helpers=helpers),
            what=audit.describe(event.action),
            detail=event.detail,
            reason=event.reason,
        )
        for event in events
    ]


def _who(event, *, holder, helpers) -> str:
    if event.actor_id is not None and event.actor_id == holder.pk:
        return "You"
    if event.actor_id in helpers:
        delegation = helpers[event.actor_id]
        relationship = delegation.get_relationship_display().lower()
        return f"{delegation.name} ({relationship})" if delegation.name else f"A helper ({relationship})"
    role = event.actor_role or ""
    if role == "coordinator":
        return "A coordinator"
    if event.actor_id is None or role.startswith("someone with a shared link"):
        return "Someone with the link you shared"
    if role.startswith("helper"):
        return f"A helper {role.removeprefix('helper').strip()}".strip()
    return role[:1].upper() + role[1:] if role else "Someone else"


# --- Export ------------------------------------------------------------------------------


def _iso(value) -> str | None:
    if value is None:
        return None
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def budget_years(budget: Budget, *, today: date | None = None) -> list[tuple[date, date]]:
    """(first day, last day) of each budget year from the first period to today (the last one
    ends today). A budget year runs twelve months from the day the first period began."""
    today = today or timezone.localdate()
    first = budget.periods.order_by("starts_on").values_list("starts_on", flat=True).first()
    if first is None or first > today:
        return []
    years, n = [], 0
    while True:
        starts_on = add_months(first, 12 * n)
        if starts_on > today:
            return years
        ends_on = add_months(first, 12 * (n + 1)) - timedelta(days=1)
        years.append((starts_on, min(ends_on, today)))
        n += 1


def export_data(*, user) -> dict:
    """Everything we hold about `user` as a holder or a self-funder, in plain JSON types (money in pence)."""
    budget = own_budget(user)
    data = {
        "exported_at": _iso(timezone.now()),
        "about": (
            "Everything Local Support Marketplace holds about you. Money is in pence "
            "(1234 means £12.34). Dates and times are UK time."
        ),
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _iso(user.date_joined),
        },
        "budget": None,
        "support_plan": [],
        "requests": [],
        "orders": [],
        "payments": [],
        "refunds": [],
        "receipts": [],
        "ledger": [],
        "helpers": [],
        "statement_links": [],
        "meet_first": [],
        "audit_events": [],
    }
    if budget is not None:
        data.update(_budget_data(budget))
    # What they paid for with their own money sits beside what their budget paid for.
    for key, rows in _self_funded_data(user).items():
        data[key] = data[key] + rows
    data["audit_events"] = [
        {
            "sequence": row.event.sequence,
            "when": _iso(row.event.occurred_at),
            "who": row.who,
            "what": row.what,
            "detail": row.detail,
            "reason": row.reason,
        }
        for row in audit_rows(audit.events_about(user), holder=user)
    ]
    return data


def _budget_data(budget: Budget) -> dict:
    plan_outcomes = PlanOutcome.objects.filter(plan__budget=budget).select_related("outcome")
    requests = (
        SupportRequest.objects.filter(budget=budget)
        .select_related("provider", "plan_outcome")
        .prefetch_related("events")
        .order_by("created_at", "pk")
    )
    orders = (
        Order.objects.filter(budget=budget)
        .select_related("provider", "plan_outcome", "outcome", "request")
        .prefetch_related("payments__refunds")
        .order_by("created_at", "pk")
    )
    payments = Payment.objects.filter(order__budget=budget).select_related("order").order_by("paid_at", "pk")
    refunds = (
        Refund.objects.filter(payment__order__budget=budget)
        .select_related("payment__order")
        .order_by("created_at", "pk")
    )
    ledger = LedgerEntry.objects.filter(budget=budget).select_related("plan_outcome", "outcome", "order")
    return {
        "budget": {
            "id": str(budget.public_id),
            "amount_pence": budget.amount_pence,
            "period": budget.get_period_display(),
            "first_period_starts_on": _iso(budget.first_period_starts_on),
            "client_contribution_pence": budget.client_contribution_pence,
            "contingency_weeks": budget.contingency_weeks,
            "balance_pence": balance_pence(budget=budget),
            "set_up_at": _iso(budget.created_at),
            "periods": [
                {
                    "starts_on": _iso(period.starts_on),
                    "ends_on": _iso(period.ends_on),
                    "amount_pence": period.amount_pence,
                    "client_contribution_pence": period.client_contribution_pence,
                }
                for period in budget.periods.order_by("starts_on")
            ],
        },
        "support_plan": [
            {
                "id": str(item.public_id),
                "in_your_words": item.own_words,
                "outcome": item.outcome.label,
                "taken_off_the_plan": item.archived,
                "added_at": _iso(item.created_at),
            }
            for item in plan_outcomes
        ],
        "requests": _request_rows(requests),
        "orders": _order_rows(orders),
        "payments": _payment_rows(payments),
        "refunds": _refund_rows(refunds),
        "receipts": _receipt_rows(orders),
        "ledger": [
            {
                "id": str(entry.public_id),
                "date": _iso(entry.occurred_on),
                "kind": entry.get_kind_display(),
                "amount_pence": entry.amount_pence,
                "description": entry.description,
                "paid_to": entry.payee,
                "plan_outcome": entry.plan_outcome.own_words if entry.plan_outcome else "",
                "outcome": entry.outcome.label if entry.outcome else "",
                "order": str(entry.order.public_id) if entry.order else "",
                "receipt": _receipt_path(entry) if entry.receipt else "",
                "recorded_at": _iso(entry.recorded_at),
            }
            for entry in ledger
        ],
        "helpers": [
            {
                "name": delegate.name,
                "email": delegate.email,
                "relationship": delegate.get_relationship_display(),
                "may_request_support": delegate.can_request,
                "may_pay": delegate.can_pay,
                "may_download_statements": delegate.can_download_statements,
                "status": delegate.get_status_display(),
                "invited_at": _iso(delegate.created_at),
                "accepted_at": _iso(delegate.accepted_at),
                "withdrawn_at": _iso(delegate.withdrawn_at),
            }
            for delegate in budget.delegates.order_by("created_at", "pk")
        ],
        "did_it_help": [
            {
                "plan_outcome": check.plan_outcome.own_words,
                "order": str(check.order.public_id),
                "asked": check.get_kind_display(),
                "due_on": _iso(check.due_on),
                "answered_at": _iso(check.answered_at),
                "helped": check.get_helped_display(),
                "people": check.get_connections_display(),
                "note": check.note,
                "note_in_statements": check.note_in_statements,
            }
            for check in budget.outcome_checks.select_related("plan_outcome", "order").order_by("due_on")
        ],
        # Meetings asked for: everything the person's side wrote or was written for them, never
        # the provider's private reason.
        "meet_first": [
            {
                "provider": meet.provider.name,
                "listing": meet.listing.title,
                "how": meet.get_kind_display(),
                "status": meet.get_status_display(),
                "asked_at": _iso(meet.created_at),
                "message": meet.message,
                "times_offered": [_iso(when) for when in meet.offered_times],
                "where": meet.where,
                "chosen_time": _iso(meet.chosen_time),
                "your_answer": meet.get_person_decision_display(),
                "your_private_reason": meet.person_private_reason,
                "your_message_to_them": meet.person_message,
                "their_answer": meet.get_provider_decision_display(),
                "their_message_to_you": meet.provider_message,
            }
            for meet in budget.meets.select_related("provider", "listing").order_by("created_at", "pk")
        ],
        "statement_links": [
            {
                "for": share.recipient,
                "statement_from": _iso(share.starts_on),
                "statement_to": _iso(share.ends_on),
                "made_at": _iso(share.created_at),
                "expires_at": _iso(share.expires_at),
                "stopped_at": _iso(share.revoked_at),
            }
            for share in budget.statement_shares.order_by("created_at", "pk")
        ],
    }


# Requests, orders, payments, refunds and receipts are written the same way whether a budget
# paid or the person paid with their own money ("paid_with" says which).


def _paid_with(item) -> str:
    return "your own money" if item.budget_id is None else "your budget"


def _request_rows(requests) -> list[dict]:
    return [
        {
            "id": str(item.public_id),
            "paid_with": _paid_with(item),
            "provider": item.provider.name,
            "service": item.service_description,
            "quantity": item.quantity,
            "unit": item.unit,
            "unit_price_pence": item.unit_price_pence,
            "starts_on": _iso(item.starts_on),
            "ends_on": _iso(item.ends_on),
            "plan_outcome": item.plan_outcome.own_words if item.plan_outcome_id else "",
            "what_it_is_for": item.purpose,
            "status": item.get_status_display(),
            "your_message": item.message,
            "provider_note": item.provider_note,
            "sent_at": _iso(item.created_at),
            "messages": [
                {"when": _iso(step.created_at), "what": step.get_kind_display(), "note": step.note}
                for step in item.events.all()
            ],
        }
        for item in requests
    ]


def _order_rows(orders) -> list[dict]:
    return [
        {
            "id": str(order.public_id),
            "reference": order.reference,
            "paid_with": _paid_with(order),
            "request": str(order.request.public_id),
            "provider": order.provider.name,
            "service": order.service_description,
            "quantity": order.quantity,
            "unit": order.unit,
            "unit_price_pence": order.unit_price_pence,
            "total_pence": order.total_pence,
            "starts_on": _iso(order.starts_on),
            "ends_on": _iso(order.ends_on),
            "plan_outcome": order.plan_outcome.own_words if order.plan_outcome_id else "",
            "outcome": order.outcome.label if order.outcome_id else "",
            "what_it_is_for": order.purpose,
            "status": order.get_status_display(),
            "agreed_at": _iso(order.created_at),
            "paid_at": _iso(order.paid_at),
            "cancelled_at": _iso(order.cancelled_at),
            "cancel_reason": order.cancel_reason,
        }
        for order in orders
    ]


def _payment_rows(payments) -> list[dict]:
    return [
        {
            "id": str(payment.public_id),
            "order": str(payment.order.public_id),
            "amount_pence": payment.amount_pence,
            "currency": payment.currency,
            "payment_reference": payment.payment_intent_id,
            "status": payment.get_status_display(),
            "paid_at": _iso(payment.paid_at),
        }
        for payment in payments
    ]


def _refund_rows(refunds) -> list[dict]:
    return [
        {
            "id": str(refund.public_id),
            "order": str(refund.payment.order.public_id),
            "payment_reference": refund.payment.payment_intent_id,
            "amount_pence": refund.amount_pence,
            "status": refund.status,
            "reason": refund.reason,
            "refunded_at": _iso(refund.created_at),
        }
        for refund in refunds
    ]


def _receipt_rows(orders) -> list[dict]:
    """What each paid order's receipt says about the money (the receipt page and download)."""
    rows = []
    for order in orders:
        for payment in order.payments.all():
            rows.append(
                {
                    "receipt_for": f"Order {order.reference}",
                    "paid_with": "your own money, by card" if order.budget_id is None else "your budget",
                    "amount_pence": payment.amount_pence,
                    "payment_reference": payment.payment_intent_id,
                    "paid_at": _iso(payment.paid_at),
                    "refunded_pence": sum(refund.amount_pence for refund in payment.refunds.returned()),
                }
            )
    return rows


def _self_funded_data(user) -> dict:
    """What `user` asked for and paid with their own money (no budget): see docs/self-funders.md."""
    requests = (
        SupportRequest.objects.filter(payer=user, budget__isnull=True)
        .select_related("provider")
        .prefetch_related("events")
        .order_by("created_at", "pk")
    )
    orders = (
        Order.objects.filter(payer=user, budget__isnull=True)
        .select_related("provider", "request")
        .prefetch_related("payments__refunds")
        .order_by("created_at", "pk")
    )
    payments = (
        Payment.objects.filter(order__payer=user, order__budget__isnull=True)
        .select_related("order")
        .order_by("paid_at", "pk")
    )
    refunds = (
        Refund.objects.filter(payment__order__payer=user, payment__order__budget__isnull=True)
        .select_related("payment__order")
        .order_by("created_at", "pk")
    )
    return {
        "requests": _request_rows(requests),
        "orders": _order_rows(orders),
        "payments": _payment_rows(payments),
        "refunds": _refund_rows(refunds),
        "receipts": _receipt_rows(orders),
    }


def _receipt_path(entry: LedgerEntry) -> str:
    """Where the entry's receipt sits in the zip: receipts/<date>-<short id>-<its own name>."""
    name = display_name(entry.receipt_name or entry.receipt.name)
    return f"receipts/{entry.occurred_on.isoformat()}-{str(entry.public_id)[:8]}-{name}"


def export_zip(*, user, today: date | None = None) -> bytes:
    """The holder's data as a zip: data.json, a statement PDF per budget year, and their receipts."""
    from .statements import build_statement, statement_pdf

    budget = own_budget(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files = []
        if budget is not None:
            for starts_on, ends_on in budget_years(budget, today=today):
                statement = build_statement(budget=budget, starts_on=starts_on, ends_on=ends_on)
                name = f"statements/statement-{starts_on.isoformat()}-to-{ends_on.isoformat()}.pdf"
                archive.writestr(name, statement_pdf(statement))
                files.append(name)
            receipts = LedgerEntry.objects.filter(budget=budget).exclude(receipt="")
            for entry in receipts:
                name = _receipt_path(entry)
                try:
                    with entry.receipt.open("rb") as stored:
                        archive.writestr(name, stored.read())
                except FileNotFoundError:
                    continue
                files.append(name)
        data = export_data(user=user)
        data["files"] = files
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
    audit.record(
        actor=user,
        action="exported_data",
        budget=budget,
        subject=user,
        role=None if budget is not None else "the person paying",
    )
    return buffer.getvalue()


def export_filename(*, today: date | None = None) -> str:
    """The download's name: my-data-<date>.zip."""
    return f"my-data-{(today or timezone.localdate()).isoformat()}.zip"


# --- Erasure -----------------------------------------------------------------------------


def erased_email(user) -> str:
    """The address an erased account is left with: unique, and undeliverable by design."""
    return f"erased-{user.public_id}@invalid"


def unpaid_orders(user):
    """Orders of the person's (from their budget or their own money) that are agreed but not
    paid: erasure waits until they are settled."""
    return Order.objects.filter(Q(budget__holder=user) | Q(payer=user), status__in=Order.COMMITTED)


def erase_personal_data(*, user, by, reason: str = "") -> None:
    """Erase what identifies `user` and keep the money records the council may audit.

    Only the person themselves or a coordinator (who must give a reason) may do it. Erased:
    name, email (replaced by `erased-<public id>@invalid`), password, sign-in addresses and
    sessions (so they are signed out everywhere); support-plan words; request messages and
    notes; helpers' invitations and emails; statement links; signposting records; what a
    self-funder wrote their support was for. Kept: the budget, periods, orders (their own
    and self-funded), payments, refunds and ledger (unchanged amounts) and the audit log,
    linked to the anonymised account. See docs/privacy.md.
    """
    is_self = getattr(by, "pk", None) == user.pk
    if not is_self and not is_coordinator(by):
        raise ErasureNotAllowed("Only the person themselves or a coordinator can erase an account.")
    if not is_self and not reason.strip():
        raise PrivacyError("Give the reason for erasing this person's data.")
    if user.email == erased_email(user):
        raise PrivacyError("This person's data has already been erased.")
    unpaid = list(unpaid_orders(user)[:5])
    if unpaid:
        references = ", ".join(order.reference for order in unpaid)
        raise PrivacyError(
            f"There is support agreed but not paid for yet (order {references}). Pay for it or cancel it "
            "first, then erase the data."
        )
    budget = own_budget(user)
    now = timezone.now()
    with transaction.atomic():
        # Written first, while the account still exists as it was, so the chain records who
        # erased whom and the erasure itself cannot be erased.
        audit.record(
            actor=by,
            action="erased",
            budget=budget,
            subject=user,
            reason=reason.strip(),
            detail="Personal data erased; money records kept for the council's audit",
        )
        if budget is not None:
            _erase_budget_words(budget, by=by, now=now)
        _erase_self_funded_words(user)
        # Other apps erase their own records (search: shortlists, saved searches, enquiries…).
        erasing_personal_data.send(sender=erase_personal_data, user=user)
        _anonymise_account(user)
    _end_sessions(user)


def _erase_budget_words(budget: Budget, *, by, now) -> None:
    """The person's own words and the people they named; the money stays as it was."""
    PlanOutcome.objects.filter(plan__budget=budget).update(own_words=ERASED)
    open_requests = SupportRequest.objects.filter(budget=budget, status__in=SupportRequest.OPEN)
    for support_request in open_requests.select_for_update():
        # An open request could still be accepted into an order for someone who is gone.
        RequestEvent.objects.create(request=support_request, kind=RequestEvent.Kind.WITHDRAWN, actor=None)
    open_requests.update(status=SupportRequest.Status.WITHDRAWN)
    SupportRequest.objects.filter(budget=budget).update(message="", provider_note="")
    RequestEvent.objects.filter(request__budget=budget).update(note="")
    Order.objects.filter(budget=budget).update(cancel_reason="")
    Refund.objects.filter(payment__order__budget=budget).update(reason="")
    # Meetings: an open one is called off (nobody is left to meet); the words both sides wrote
    # about the person go, the yes and no answers stay.
    budget.meets.filter(status__in=MeetFirst.OPEN).update(status=MeetFirst.Status.CANCELLED, cancelled_by=by)
    budget.meets.update(
        message="",
        person_private_reason="",
        person_message="",
        provider_private_reason="",
        provider_message="",
    )
    # "Did it help?" answers stay as counts for the report; the person's own words go.
    budget.outcome_checks.update(note="", note_in_statements=False)
    budget.delegates.exclude(status=Delegate.Status.WITHDRAWN).update(
        status=Delegate.Status.WITHDRAWN, withdrawn_at=now, withdrawn_by=by
    )
    budget.delegates.update(name=ERASED, email="", invite_token_hash="", invite_expires_at=None)
    budget.statement_shares.filter(revoked_at__isnull=True).update(revoked_at=now)
    # Kept statement PDFs carry the holder's name; the ledger can make new ones.
    transaction.on_commit(lambda: forget_prepared_pdfs(budget))
    budget.statement_shares.update(recipient=ERASED)


def _erase_self_funded_words(user) -> None:
    """What a self-funder paid for with their own money: the same rule as a holder's orders.
    Their words ("what it is for", messages, notes, reasons) go; the provider keeps the order,
    payment and refund as a business must (who, what, when, how much, references)."""
    requests = SupportRequest.objects.filter(payer=user, budget__isnull=True)
    open_requests = requests.filter(status__in=SupportRequest.OPEN)
    for support_request in open_requests.select_for_update():
        RequestEvent.objects.create(request=support_request, kind=RequestEvent.Kind.WITHDRAWN, actor=None)
    open_requests.update(status=SupportRequest.Status.WITHDRAWN)
    requests.update(purpose="", message="", provider_note="")
    RequestEvent.objects.filter(request__payer=user, request__budget__isnull=True).update(note="")
    Order.objects.filter(payer=user, budget__isnull=True).update(purpose="", cancel_reason="")
    Refund.objects.filter(payment__order__payer=user, payment__order__budget__isnull=True).update(reason="")


def _anonymise_account(user) -> None:
    try:
        from allauth.account.models import EmailAddress

        EmailAddress.objects.filter(user=user).delete()
    except ImportError:  # pragma: no cover - allauth is always installed here
        pass
    if apps.is_installed("allauth.socialaccount"):
        apps.get_model("socialaccount", "SocialAccount").objects.filter(user=user).delete()
    user.first_name = ""
    user.last_name = ""
    user.email = erased_email(user)
    user.set_unusable_password()  # also ends every session: its hash no longer matches
    user.is_active = False
    user.save()


def _end_sessions(user) -> None:
    """Delete the person's stored sessions (database-backed sessions only)."""
    if settings.SESSION_ENGINE not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return
    user_id = str(user.pk)
    stale = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == user_id
    ]
    Session.objects.filter(session_key__in=stale).delete()


def holders():
    """Accounts that hold a budget (for the coordinators' record pages)."""
    return get_user_model().objects.filter(budget__isnull=False)
