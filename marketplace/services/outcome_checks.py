"""Did it help? Asking the person, per plan outcome, whether paid support helped, and reading
the answers back: on their plan, in their statement, and as counts for coordinators.

The rule (docs/did-it-help.md):
- Every paid order is asked about twice: `OUTCOME_CHECK_AFTER_DAYS` (default 28) after its
  support starts, and on its last day. Support shorter than that is asked about once, at the end.
- The holder and the helpers who may ask for support (`acting.REQUEST`) may answer; anyone
  who may see the budget sees the answers; only the holder and the person who wrote it see the
  free-text note.
- The answers never reach search, ranking or a provider's public page (search does not import
  the marketplace: tests/signposting/test_boundaries.py). Coordinators see counts by outcome
  and district with anything below `OUTCOME_REPORT_MIN_COUNT` (default 5) shown as "fewer than".
"""

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cms import mail
from cms.site import site_url
from directory import geo

from ..acting import REQUEST, VIEW, can
from ..models import Delegate, Order, OutcomeCheck
from .common import NotPermitted, audit_holder_side

logger = logging.getLogger(__name__)

DEFAULT_AFTER_DAYS = 28
DEFAULT_REMIND_AFTER_DAYS = 14
DEFAULT_REPORT_MIN_COUNT = 5
# The words each question is asked in (the form and the emails use them).
HELPED_QUESTION = "Did it help with this?"
CONNECTIONS_QUESTION = "Because of it, do you see or do things with more people, the same, or fewer?"


def after_days() -> int:
    """Days after support starts that the first "did it help?" is asked."""
    return int(getattr(settings, "OUTCOME_CHECK_AFTER_DAYS", DEFAULT_AFTER_DAYS))


def remind_after_days() -> int:
    """Days after asking that one reminder goes, if the question is still not answered."""
    return int(getattr(settings, "OUTCOME_CHECK_REMIND_AFTER_DAYS", DEFAULT_REMIND_AFTER_DAYS))


def report_min_count() -> int:
    """Counts below this are shown as "fewer than N" in reports, so nobody can be picked out."""
    return int(getattr(settings, "OUTCOME_REPORT_MIN_COUNT", DEFAULT_REPORT_MIN_COUNT))


def due_dates(order: Order) -> dict[str, date]:
    """When an order is asked about, by kind: a few weeks in (if it lasts that long) and at its end."""
    dates = {OutcomeCheck.Kind.END: order.ends_on}
    early = order.starts_on + timedelta(days=after_days())
    if early < order.ends_on:
        dates[OutcomeCheck.Kind.EARLY] = early
    return dates


# --- Asking --------------------------------------------------------------------------------


def open_due_checks(*, today: date | None = None) -> list[OutcomeCheck]:
    """Make the checks that are due by `today` for paid orders; returns the new ones.

    Idempotent: a check already made (answered or not) is never made again, so running this
    twice a day, or after a missed day, asks each question once.
    """
    today = today or timezone.localdate()
    created = []
    # Only orders that may have a question due and not yet made: an order with its end
    # question is finished (the early one is always due first, so made with it or before),
    # and one that has not ended needs only its early question, once it is due. So a daily
    # run reads the orders that changed today, not every paid order (bench/outcome_checks.py).
    early_due = Q(starts_on__lte=today - timedelta(days=after_days())) & ~Q(
        outcome_checks__kind=OutcomeCheck.Kind.EARLY
    )
    orders = (
        Order.objects.filter(status=Order.Status.PAID, starts_on__lte=today)
        .exclude(plan_outcome__isnull=True)
        .exclude(outcome_checks__kind=OutcomeCheck.Kind.END)
        .filter(Q(ends_on__lte=today) | early_due)
        .prefetch_related("outcome_checks")
    )
    for order in orders.iterator(chunk_size=500):
        have = {check.kind for check in order.outcome_checks.all()}
        for kind, due_on in due_dates(order).items():
            if kind in have or due_on > today:
                continue
            try:
                with transaction.atomic():
                    check = OutcomeCheck.objects.create(
                        order=order,
                        budget_id=order.budget_id,
                        plan_outcome_id=order.plan_outcome_id,
                        kind=kind,
                        due_on=due_on,
                    )
            except IntegrityError:  # another run made it at the same moment
                continue
            created.append(check)
    return created


def _answerers(budget) -> list[str]:
    """Email addresses of the holder and the helpers who may answer for them."""
    emails = [budget.holder.email]
    helpers = Delegate.objects.filter(budget=budget, status=Delegate.Status.ACTIVE, can_request=True)
    emails += [d.user.email for d in helpers.select_related("user") if d.user_id]
    return list(dict.fromkeys(e for e in emails if e))


def ask_due(*, today: date | None = None) -> int:
    """Open the checks due by `today` and email each budget once about its unasked ones, then
    remind (once) about those asked `remind_after_days()` ago and still not answered.

    Returns how many emails were queued. A check counts as asked once its email is queued;
    one that could not be sent is asked again on the next run.
    """
    started = timezone.now()
    sent = _ask_new(today=today)
    return sent + remind_unanswered(today=today, asked_before=started)


def _email_budgets(checks, *, subject: str, opening: str, stamp: str) -> int:
    """Email each budget's answerers once about its `checks`; set `stamp` on those sent."""
    by_budget = defaultdict(list)
    for check in checks:
        by_budget[check.budget].append(check)
    sent = 0
    link = site_url(reverse("marketplace:did_it_help"))
    for budget, budget_checks in by_budget.items():
        lines = "\n".join(f"- {c.plan_outcome.own_words} ({c.order.provider.name})" for c in budget_checks)
        body = (
            f"{opening}\n\n{lines}\n\nIt takes a minute, and only you, and the people you "
            f"chose to help with your budget, see your answers: {link}\n\n"
            "Your answers are never shown to the public and never change how providers are listed."
        )
        try:
            mail.send_mail(subject, body, None, _answerers(budget))
        except OSError:
            logger.warning("Could not send the did-it-help email for budget %s", budget.pk, exc_info=True)
            continue
        OutcomeCheck.objects.filter(pk__in=[c.pk for c in budget_checks]).update(**{stamp: timezone.now()})
        sent += 1
    return sent


def remind_unanswered(*, today: date | None = None, asked_before=None) -> int:
    """One reminder per budget about checks due `remind_after_days()` or more days before
    `today`, asked (before `asked_before`, so never in the same run) and still not answered;
    a check is reminded about once, ever."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=remind_after_days())
    waiting = OutcomeCheck.objects.filter(
        due_on__lte=cutoff,
        asked_at__lt=asked_before or timezone.now(),
        answered_at__isnull=True,
        reminded_at__isnull=True,
    ).select_related("budget__holder", "plan_outcome", "order__provider")
    return _email_budgets(
        waiting,
        subject="A reminder: did your support help?",
        opening="A couple of weeks ago we asked whether the support paid for from a direct payment "
        "is helping. If you have a minute, we would still like to know about:",
        stamp="reminded_at",
    )


def _ask_new(*, today: date | None = None) -> int:
    open_due_checks(today=today)
    unasked = OutcomeCheck.objects.filter(asked_at__isnull=True, answered_at__isnull=True).select_related(
        "budget__holder", "plan_outcome", "order__provider"
    )
    return _email_budgets(
        unasked,
        subject="Did your support help?",
        opening="You have support paid for from a direct payment. We would like to know whether it "
        "is helping with:",
        stamp="asked_at",
    )


# --- Answering -----------------------------------------------------------------------------


def checks_to_answer(budget):
    """The budget's checks that are due and not answered yet, oldest first."""
    return (
        OutcomeCheck.objects.filter(budget=budget, answered_at__isnull=True)
        .select_related("plan_outcome__outcome", "order__provider", "order__listing")
        .order_by("due_on", "pk")
    )


def answer(
    *,
    check: OutcomeCheck,
    by,
    helped: str,
    connections: str,
    note: str = "",
    note_in_statements: bool = False,
) -> OutcomeCheck:
    """Record the answer to one check (once: an answered check is not changed)."""
    if not can(by, check.budget, REQUEST):
        raise NotPermitted("Only the person, or someone helping them with their requests, can answer this.")
    if helped not in OutcomeCheck.Helped.values or connections not in OutcomeCheck.Connections.values:
        raise ValueError("Choose one answer to each question.")
    with transaction.atomic():
        updated = OutcomeCheck.objects.filter(pk=check.pk, answered_at__isnull=True).update(
            helped=helped,
            connections=connections,
            note=note.strip()[:500],
            # Only the holder chooses who else reads their note.
            note_in_statements=bool(note_in_statements and note.strip() and by.pk == check.budget.holder_id),
            answered_at=timezone.now(),
            answered_by=by,
        )
        if not updated:
            raise NotPermitted("This has already been answered.")
        check.refresh_from_db()
        audit_holder_side(by=by, budget=check.budget, action="answered_did_it_help", obj=check)
    return check


def may_read_note(user, check: OutcomeCheck) -> bool:
    """The free-text note is the holder's and its writer's only."""
    return user.is_authenticated and user.pk in (check.budget.holder_id, check.answered_by_id)


# --- Reading back ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryLine:
    """One answer on a plan outcome's history."""

    answered_on: date
    kind: str
    provider_name: str
    helped: str
    connections: str
    note: str


def history(*, budget, viewer) -> dict[int, list[HistoryLine]]:
    """Answers per plan outcome (by its id), newest first; notes only for those who may read them."""
    if not can(viewer, budget, VIEW):
        raise NotPermitted("You cannot see this budget.")
    lines: dict[int, list[HistoryLine]] = defaultdict(list)
    answered = (
        OutcomeCheck.objects.filter(budget=budget, answered_at__isnull=False)
        .select_related("order__provider", "budget")
        .order_by("-answered_at", "-pk")
    )
    for check in answered:
        lines[check.plan_outcome_id].append(
            HistoryLine(
                answered_on=timezone.localdate(check.answered_at),
                kind=check.get_kind_display(),
                provider_name=check.order.provider.name,
                helped=check.get_helped_display(),
                connections=check.get_connections_display(),
                note=check.note if may_read_note(viewer, check) else "",
            )
        )
    return dict(lines)


def answers_in_period(*, budget, starts_on: date, ends_on: date) -> list[OutcomeCheck]:
    """Answers given in a statement's period (for the statement's "Did it help?" section)."""
    return list(
        OutcomeCheck.objects.filter(
            budget=budget,
            answered_at__date__gte=starts_on,
            answered_at__date__lte=ends_on,
        )
        .select_related("plan_outcome__outcome", "order__provider")
        .order_by("answered_at", "pk")
    )


# --- The coordinators' report -----------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    """Answers for one outcome in one district: counts, or None where too few to show."""

    outcome_label: str
    ascot_domain: str
    district: str
    answers: int | None
    helped_a_lot: int | None
    helped_a_bit: int | None
    not_yet: int | None
    more_people: int | None
    fewer_people: int | None

    @property
    def figures(self) -> tuple:
        """The counts after "answers", in the report's column order."""
        return (self.helped_a_lot, self.helped_a_bit, self.not_yet, self.more_people, self.fewer_people)


def _district(postcode: str) -> str:
    """The postcode district a listing works from ("BL3"), or "Unknown"."""
    try:
        return geo.parse_postcode(postcode).outward
    except geo.InvalidPostcode:
        return "Unknown"


def _shown(count: int, floor: int) -> int | None:
    return count if count >= floor else None


def outcomes_report(*, starts_on: date | None = None, ends_on: date | None = None) -> list[ReportRow]:
    """How often support helped, by broad outcome and by the district the support was given in.

    A group with fewer answers than `report_min_count()` shows none of its figures; within a
    shown group, a figure below the floor is hidden too (None), so no answer can be worked out.
    """
    floor = report_min_count()
    answered = OutcomeCheck.objects.filter(answered_at__isnull=False)
    if starts_on:
        answered = answered.filter(answered_at__date__gte=starts_on)
    if ends_on:
        answered = answered.filter(answered_at__date__lte=ends_on)
    groups: dict[tuple, Counter] = defaultdict(Counter)
    labels = {}
    for check in answered.select_related("plan_outcome__outcome", "order__listing").filter(~Q(helped="")):
        outcome = check.plan_outcome.outcome
        district = _district(check.order.listing.base_postcode)
        key = (outcome.pk, district)
        labels[outcome.pk] = (outcome.label, getattr(outcome, "get_ascot_domain_display", lambda: "")())
        counts = groups[key]
        counts["answers"] += 1
        counts[check.helped] += 1
        counts[check.connections] += 1
    rows = []
    for (outcome_pk, district), counts in sorted(
        groups.items(), key=lambda kv: (labels[kv[0][0]][0], kv[0][1])
    ):
        label, domain = labels[outcome_pk]
        if counts["answers"] < floor:
            rows.append(ReportRow(label, domain, district, None, None, None, None, None, None))
            continue
        rows.append(
            ReportRow(
                outcome_label=label,
                ascot_domain=domain,
                district=district,
                answers=counts["answers"],
                helped_a_lot=_shown(counts[OutcomeCheck.Helped.A_LOT], floor),
                helped_a_bit=_shown(counts[OutcomeCheck.Helped.A_BIT], floor),
                not_yet=_shown(counts[OutcomeCheck.Helped.NOT_YET], floor),
                more_people=_shown(counts[OutcomeCheck.Connections.MORE], floor),
                fewer_people=_shown(counts[OutcomeCheck.Connections.FEWER], floor),
            )
        )
    return rows


# --- Counts for a provider, and for the professionals who signposted people ------------------


@dataclass(frozen=True)
class AnswerCounts:
    """How many answers, and how they went; None where there are too few to show."""

    answers: int
    floor: int
    helped_a_lot: int | None
    helped_a_bit: int | None
    not_yet: int | None
    more_people: int | None
    fewer_people: int | None

    @property
    def enough(self) -> bool:
        """True once there are enough answers to show any figure."""
        return self.answers >= self.floor


def _counts(answered) -> AnswerCounts:
    """Counts over answered checks, each figure hidden below `report_min_count()`, and every
    figure hidden while the total is below it (only "fewer than N" is said then)."""
    floor = report_min_count()
    counts = Counter()
    for helped, connections in answered.values_list("helped", "connections"):
        counts["answers"] += 1
        counts[helped] += 1
        counts[connections] += 1
    total = counts["answers"]

    def shown(key):
        return _shown(counts[key], floor) if total >= floor else None

    return AnswerCounts(
        answers=total,
        floor=floor,
        helped_a_lot=shown(OutcomeCheck.Helped.A_LOT),
        helped_a_bit=shown(OutcomeCheck.Helped.A_BIT),
        not_yet=shown(OutcomeCheck.Helped.NOT_YET),
        more_people=shown(OutcomeCheck.Connections.MORE),
        fewer_people=shown(OutcomeCheck.Connections.FEWER),
    )


def provider_counts(*, provider, viewer) -> AnswerCounts:
    """What people said about `provider`'s paid support, for the provider's own team only.

    Counts only, never who answered or their notes; nothing shows until `report_min_count()`
    answers exist. Never on the public page and never in search.
    """
    from ..acting import is_provider_member

    if not is_provider_member(viewer, provider):
        raise NotPermitted("Only the provider's team can see this.")
    return _counts(OutcomeCheck.objects.filter(answered_at__isnull=False, order__provider=provider))


def signposted_counts(*, introductions) -> AnswerCounts:
    """Answers about support bought after a professional's signposting.

    `introductions` is a list of (person's user id, listing id, since): the person saved a
    shortlist with that listing on it at `since` (signposting knows this; the marketplace does
    not know what a shortlist is). An answer counts when that person's budget bought from that
    listing after `since`. Counts only, with the same floor as every report.
    """
    match = Q(pk__in=[])
    for user_id, listing_id, since in introductions:
        match |= Q(budget__holder_id=user_id, order__listing_id=listing_id, order__created_at__gte=since)
    return _counts(OutcomeCheck.objects.filter(match, answered_at__isnull=False).distinct())
