"""Statements: what a budget holder gives the council to account for every penny in a period.

The rule (also in docs/statements.md): a statement is on a **cash basis**. Every ledger entry
(`LedgerEntry`) whose `occurred_on` falls in the period, first and last day included, is one
line, in ledger order; nothing else is. So:

- a payment counts on the day the money left the budget, whatever the support's dates. An
  order whose dates run past the period's last day is listed in full and flagged
  "continues after this period"; it is not split or pro-rated;
- a refund counts on the day the money came back, and names the payment and order it
  refunds, even when that payment was in an earlier period; a lost dispute says so
  ("Disputed payment returned"), and a refund that failed later is a line of its own
  ("Refund failed: £x taken back") on the day its credit was taken back;
- council payments (allocations), the person's own contribution, spending outside the site
  and adjustments are lines too.

Totals: the *opening balance* is the sum of the ledger before the first day; the *closing
balance* the sum up to and including the last day, so
opening + money in + contribution - spent + refunds + adjustments = closing (*refunds*
net of any taken back because they failed).
*Spent* is payments to providers plus spending outside the site. *By outcome* is spending
net of refunds for each plan outcome. The *surplus* is what the closing balance holds above
the council's contingency: max(0, closing - `budget.contingency_pence`); the council may
ask for it back.

`build_statement` reads the period in two queries (one aggregate for the balances, one
joined read of the lines), so it stays flat at thousands of lines. `statement_csv`,
`statement_pdf` and `receipts_zip` turn a statement into the three downloads; receipts
for payments are the HTML receipts the site emails (`marketplace.emails`), one per payment.
"""

import csv
import hashlib
import io
import re
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from directory.evidence import private_storage

from .. import audit
from ..acting import MANAGE, can
from ..emails import render_receipt_html
from ..models import Budget, LedgerEntry, Order, Refund, StatementShare, add_months, quantity_words
from .budgets import SPENDING_KINDS
from .common import MarketplaceError, NotPermitted, pounds
from .outcome_checks import answers_in_period

# What a lost dispute's line says (the ledger's own words for it: `payments._book_refund`).
DISPUTE_RETURNED = "Disputed payment returned"
# Councils keep direct-payment records for seven years; a longer statement is a mistake.
MAX_YEARS = 7
CONTINUES_FLAG = "continues after this period"
# Characters a spreadsheet reads as the start of a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Extensions a stored outside-spending receipt may keep in the zip (the upload form allows these).
# How long a shared link may work, in days.
SHARE_DAYS = (7, 14, 30)
RECEIPT_EXTENSIONS = {"pdf", "png", "jpg", "jpeg", "gif", "webp", "heic", "txt"}


class StatementPeriodError(MarketplaceError):
    """The period asked for cannot make a statement (its end is before its start)."""


@dataclass(frozen=True)
class StatementLine:
    """One ledger entry as the statement shows it. Order fields are empty for other kinds."""

    entry_id: str
    occurred_on: date
    kind: str
    kind_label: str
    details: str
    amount_pence: int
    payee: str = ""
    provider_legal_name: str = ""
    provider_trading_name: str = ""
    service: str = ""
    service_starts_on: date | None = None
    service_ends_on: date | None = None
    continues_after_period: bool = False
    quantity: int | None = None
    unit: str = ""
    unit_price_pence: int | None = None
    order_total_pence: int | None = None
    outcome_label: str = ""
    own_words: str = ""
    payment_reference: str = ""
    order_reference: str = ""
    refund_reference: str = ""
    group_activity: str = ""
    receipt_name: str = ""
    # The order's database id, for fetching its receipt; never shown.
    order_pk: int | None = None

    @property
    def units_words(self) -> str:
        """ "3 hours", or "" when the line is not for an order."""
        return quantity_words(self.quantity, self.unit) if self.quantity else ""


@dataclass(frozen=True)
class OutcomeTotal:
    """Spending net of refunds against one outcome of the plan in the period."""

    outcome_label: str
    own_words: str
    spent_pence: int


@dataclass(frozen=True)
class HelpedAnswer:
    """One "did it help?" answer given in the period (the note only if the holder shared it)."""

    answered_on: date
    outcome_label: str
    own_words: str
    provider_name: str
    helped: str
    connections: str
    note: str


@dataclass(frozen=True)
class Statement:
    """A budget's statement for a period: its lines and totals (see the module's rule)."""

    budget: Budget
    holder_name: str
    starts_on: date
    ends_on: date
    generated_at: datetime
    lines: tuple[StatementLine, ...]
    opening_balance_pence: int
    money_in_pence: int
    client_contribution_pence: int
    spent_pence: int
    refunds_pence: int
    adjustments_pence: int
    closing_balance_pence: int
    contingency_pence: int
    by_outcome: tuple[OutcomeTotal, ...]
    # "Did it help?" answers given in the period (docs/did-it-help.md).
    helped: tuple[HelpedAnswer, ...] = ()

    @property
    def surplus_pence(self) -> int:
        """What the closing balance holds above the council's contingency (never below 0)."""
        return max(0, self.closing_balance_pence - self.contingency_pence)

    @property
    def period_words(self) -> str:
        """ "1 Apr 2026 to 31 Mar 2027"."""
        return period_words(self.starts_on, self.ends_on)

    @property
    def payment_count(self) -> int:
        """How many payments to providers the period holds."""
        return sum(1 for line in self.lines if line.kind == LedgerEntry.Kind.PAYMENT)


# --- Periods -------------------------------------------------------------------------------


def day_words(day: date) -> str:
    """date(2026, 4, 1) -> "1 Apr 2026"."""
    return f"{day.day} {day:%b %Y}"


def period_words(starts_on: date, ends_on: date) -> str:
    """ "1 Apr 2026 to 31 Mar 2027"."""
    return f"{day_words(starts_on)} to {day_words(ends_on)}"


def period_problems(*, starts_on: date, ends_on: date, today: date | None = None) -> list[tuple[str, str]]:
    """What is wrong with a period someone chose, as (field, message) pairs ("start" or "end").

    A period may not be in the future, end before it starts, or cover more than 7 years.
    """
    today = today or timezone.localdate()
    problems = []
    if starts_on > today:
        problems.append(("start", "The start date must be today or in the past"))
    if ends_on > today:
        problems.append(("end", "The end date must be today or in the past"))
    if ends_on < starts_on:
        problems.append(("end", "The end date must be the same as or after the start date"))
    # A start in the last few years the calendar has (9999-12-31) is in the future anyway; the
    # sum below would pass the year 9999.
    elif starts_on.year <= date.max.year - MAX_YEARS and ends_on >= add_months(starts_on, 12 * MAX_YEARS):
        problems.append(
            ("start", f"A statement can cover up to {MAX_YEARS} years: choose a later start date")
        )
    return problems


def quick_periods(today: date | None = None) -> list[tuple[str, date, date]]:
    """The quick picks: (label, first day, last day), each ending today."""
    today = today or timezone.localdate()
    year_start = date(today.year if today.month >= 4 else today.year - 1, 4, 1)
    return [
        ("Last 6 months", add_months(today, -6) + timedelta(days=1), today),
        (f"This budget year (from {day_words(year_start)})", year_start, today),
        ("Last 12 months", add_months(today, -12) + timedelta(days=1), today),
    ]


# --- Building ------------------------------------------------------------------------------


def _line(entry: LedgerEntry, ends_on: date) -> StatementLine:
    order: Order | None = entry.order
    fields = {
        "entry_id": str(entry.public_id),
        "occurred_on": entry.occurred_on,
        "kind": entry.kind,
        "kind_label": entry.get_kind_display(),
        "details": entry.description,
        "amount_pence": entry.amount_pence,
        "payee": entry.payee,
        "outcome_label": entry.outcome.label if entry.outcome_id else "",
        "own_words": entry.plan_outcome.own_words if entry.plan_outcome_id else "",
        "receipt_name": (entry.receipt_name or "receipt") if entry.receipt else "",
    }
    if order is not None:
        provider = order.provider
        fields.update(
            order_pk=order.pk,
            provider_legal_name=provider.legal_name,
            provider_trading_name=provider.name,
            payee=provider.name,
            service=order.service_description,
            service_starts_on=order.starts_on,
            service_ends_on=order.ends_on,
            continues_after_period=order.ends_on > ends_on,
            quantity=order.quantity,
            unit=order.unit,
            unit_price_pence=order.unit_price_pence,
            order_total_pence=order.total_pence,
            order_reference=order.reference,
            payment_reference=entry.payment.payment_intent_id if entry.payment_id else "",
            group_activity=f"Group activity: {order.activity.title} (your share)"
            if order.activity_id
            else "",
            details=order.service_description,
        )
        if entry.kind in (LedgerEntry.Kind.CONTRIBUTION, LedgerEntry.Kind.ADJUSTMENT):
            # A top-up (or its return on a refund) says what it is in its own words.
            fields["details"] = entry.description
        if entry.kind in (LedgerEntry.Kind.REFUND, LedgerEntry.Kind.REFUND_FAILED):
            fields["refund_reference"] = (entry.refund.refund_id or "") if entry.refund_id else ""
            of = f"payment {fields['payment_reference']}, " if fields["payment_reference"] else ""
            of += f"order {order.reference}: {order.service_description}"
            if entry.kind == LedgerEntry.Kind.REFUND_FAILED:
                # The same words as the ledger: the refund failed and its credit was taken back.
                fields["details"] = f"Refund failed: {pounds(-entry.amount_pence)} taken back. Refund of {of}"
            elif entry.refund_id and entry.refund.kind == Refund.Kind.DISPUTE:
                # A lost dispute is not a refund anyone made: say what the ledger says.
                fields["kind_label"] = DISPUTE_RETURNED
                fields["details"] = f"{DISPUTE_RETURNED}: {of}"
            else:
                fields["details"] = f"Refund of {of}"
    return StatementLine(**fields)


def _entries(budget, starts_on: date, ends_on: date) -> Iterator[LedgerEntry]:
    """The period's ledger entries with everything a line shows, in one joined query."""
    return (
        LedgerEntry.objects.filter(budget=budget, occurred_on__gte=starts_on, occurred_on__lte=ends_on)
        .select_related("outcome", "plan_outcome", "order__provider", "order__activity", "payment", "refund")
        .order_by("occurred_on", "recorded_at", "pk")
        .iterator(chunk_size=2000)
    )


def build_statement(*, budget, starts_on: date, ends_on: date) -> Statement:
    """The statement of `budget` for `starts_on`..`ends_on` (both included), on a cash basis.

    Raises `StatementPeriodError` when the period ends before it starts. Other checks on a
    chosen period (future dates, more than 7 years) are `period_problems`, for forms.
    """
    if ends_on < starts_on:
        raise StatementPeriodError("The end date must be the same as or after the start date.")
    balances = LedgerEntry.objects.filter(budget=budget).aggregate(
        opening=Sum("amount_pence", filter=Q(occurred_on__lt=starts_on)),
        closing=Sum("amount_pence", filter=Q(occurred_on__lte=ends_on)),
    )
    totals = dict.fromkeys(LedgerEntry.Kind.values, 0)
    outcome_totals: dict[tuple[str, str], int] = {}
    lines = []
    for entry in _entries(budget, starts_on, ends_on):
        line = _line(entry, ends_on)
        lines.append(line)
        totals[line.kind] += line.amount_pence
        if line.kind in SPENDING_KINDS:
            key = (line.outcome_label, line.own_words)
            outcome_totals[key] = outcome_totals.get(key, 0) - line.amount_pence
    holder = budget.holder
    return Statement(
        budget=budget,
        holder_name=holder.get_full_name() or holder.email,
        starts_on=starts_on,
        ends_on=ends_on,
        generated_at=timezone.now(),
        lines=tuple(lines),
        opening_balance_pence=balances["opening"] or 0,
        money_in_pence=totals[LedgerEntry.Kind.ALLOCATION],
        client_contribution_pence=totals[LedgerEntry.Kind.CONTRIBUTION],
        spent_pence=-(totals[LedgerEntry.Kind.PAYMENT] + totals[LedgerEntry.Kind.OUTSIDE]),
        # Net of refunds that failed later (their credit was taken back).
        refunds_pence=totals[LedgerEntry.Kind.REFUND] + totals[LedgerEntry.Kind.REFUND_FAILED],
        adjustments_pence=totals[LedgerEntry.Kind.ADJUSTMENT],
        closing_balance_pence=balances["closing"] or 0,
        contingency_pence=budget.contingency_pence,
        by_outcome=tuple(
            OutcomeTotal(outcome_label=label, own_words=words, spent_pence=spent)
            for (label, words), spent in sorted(outcome_totals.items())
        ),
        helped=tuple(
            HelpedAnswer(
                answered_on=timezone.localdate(check.answered_at),
                outcome_label=check.plan_outcome.outcome.label,
                own_words=check.plan_outcome.own_words,
                provider_name=check.order.provider.name,
                helped=check.get_helped_display(),
                connections=check.get_connections_display(),
                note=check.note if check.note_in_statements else "",
            )
            for check in answers_in_period(budget=budget, starts_on=starts_on, ends_on=ends_on)
        ),
    )


# --- CSV -----------------------------------------------------------------------------------

CSV_COLUMNS = [
    "Date",
    "Type",
    "Details",
    "Paid to (trading name)",
    "Provider legal name",
    "Service from",
    "Service to",
    "Continues after this period",
    "Units",
    "Unit",
    "Unit price",
    "Order total",
    "Amount",
    "Broad outcome",
    "Own words",
    "Payment reference",
    "Order reference",
    "Refund reference",
    "Group activity",
    "Receipt",
]


def money(pence: int | None) -> str:
    """Pence as pounds with two decimals for a spreadsheet: 1250 -> "12.50", -1250 -> "-12.50"."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}{whole}.{part:02d}"


def safe_text(value: str) -> str:
    """Text that came from people, made inert for spreadsheets: a leading = + - @ tab or CR
    would start a formula, so it gets an apostrophe in front."""
    value = value or ""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def csv_row(line: StatementLine) -> list[str]:
    """One line of the transactions table, in `CSV_COLUMNS` order."""
    return [
        _iso(line.occurred_on),
        line.kind_label,
        safe_text(line.details),
        safe_text(line.payee),
        safe_text(line.provider_legal_name),
        _iso(line.service_starts_on),
        _iso(line.service_ends_on),
        "Yes" if line.continues_after_period else "",
        str(line.quantity) if line.quantity else "",
        line.unit,
        money(line.unit_price_pence),
        money(line.order_total_pence),
        money(line.amount_pence),
        safe_text(line.outcome_label),
        safe_text(line.own_words),
        safe_text(line.payment_reference),
        line.order_reference,
        safe_text(line.refund_reference),
        safe_text(line.group_activity),
        safe_text(line.receipt_name),
    ]


def totals_rows(statement: Statement) -> list[list[str]]:
    """The balances block that follows the transactions table."""
    rows = [
        ["Statement for", safe_text(statement.holder_name)],
        ["From", _iso(statement.starts_on)],
        ["To", _iso(statement.ends_on)],
        ["Opening balance", money(statement.opening_balance_pence)],
        ["Money in from the council", money(statement.money_in_pence)],
        ["Client contribution", money(statement.client_contribution_pence)],
        ["Spent", money(statement.spent_pence)],
        ["Refunds", money(statement.refunds_pence)],
    ]
    if statement.adjustments_pence:
        rows.append(["Adjustments", money(statement.adjustments_pence)])
    rows += [
        ["Closing balance", money(statement.closing_balance_pence)],
        ["Council contingency", money(statement.contingency_pence)],
        ["SURPLUS above the contingency", money(statement.surplus_pence)],
    ]
    rows += [
        [f"Spent on: {safe_text(t.outcome_label)}", money(t.spent_pence), safe_text(t.own_words)]
        for t in statement.by_outcome
    ]
    return rows


def iter_csv(statement: Statement) -> Iterator[str]:
    """The CSV a chunk at a time (BOM first), for streaming; `statement_csv` joins it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff"
    writer.writerow(CSV_COLUMNS)
    for number, line in enumerate(statement.lines, start=1):
        writer.writerow(csv_row(line))
        if number % 500 == 0:
            yield flush()
    writer.writerow([])
    writer.writerows(totals_rows(statement))
    yield flush()


def statement_csv(statement: Statement) -> str:
    """The statement as CSV for a spreadsheet: UTF-8 with a BOM (so Excel reads £ and accents),
    ISO dates, pounds with two decimals; the transactions table (one row per ledger line),
    a blank row, then the balances and totals by outcome."""
    return "".join(iter_csv(statement))


# --- PDF -----------------------------------------------------------------------------------


def statement_pdf(statement: Statement) -> bytes:
    """The statement as a tagged PDF (PDF/UA-1: real text in reading order, a title and the
    language en-GB, so a screen reader can read it), rendered by WeasyPrint from a plain table."""
    from weasyprint import HTML

    html = render_to_string("marketplace/statements/statement_pdf.html", {"statement": statement})
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


# --- Large PDFs, made in the background ----------------------------------------------------
#
# WeasyPrint lays out about 150 lines a second (bench/statements.py), so a year of thousands
# of orders would outlast a web request. Above `STATEMENT_PDF_INLINE_MAX_LINES` lines the
# PDF is made by a task and kept in private storage under a name that is a hash of the
# statement's lines, so it is served again only while the ledger says the same thing.

PREPARED_PDF_FOLDER = "statement-pdfs"


def pdf_inline_max_lines() -> int:
    """Statements with more lines than this get their PDF made in the background."""
    return int(getattr(settings, "STATEMENT_PDF_INLINE_MAX_LINES", 1500))


def prepared_pdf_name(statement: Statement) -> str:
    """Where this statement's PDF is kept: its budget's folder, named by a hash of its lines."""
    fingerprint = hashlib.sha256(
        repr((statement.starts_on, statement.ends_on, statement.holder_name, statement.lines)).encode()
    ).hexdigest()[:32]
    return f"{PREPARED_PDF_FOLDER}/{statement.budget.public_id}/{fingerprint}.pdf"


def prepared_pdf(statement: Statement) -> str | None:
    """The stored name of this statement's PDF once it has been made, else None."""
    name = prepared_pdf_name(statement)
    return name if private_storage().exists(name) else None


def prepare_pdf(*, budget_pk: int, starts_on: date, ends_on: date) -> str:
    """Make and keep the PDF of this statement (once); returns its stored name."""
    statement = build_statement(budget=Budget.objects.get(pk=budget_pk), starts_on=starts_on, ends_on=ends_on)
    name = prepared_pdf_name(statement)
    storage = private_storage()
    if not storage.exists(name):
        storage.save(name, ContentFile(statement_pdf(statement)))
    return name


def forget_prepared_pdfs(budget: Budget) -> int:
    """Delete every kept PDF of `budget` (they name the holder); returns how many."""
    storage = private_storage()
    folder = f"{PREPARED_PDF_FOLDER}/{budget.public_id}"
    if not storage.exists(folder):
        return 0
    _, files = storage.listdir(folder)
    for file_name in files:
        storage.delete(f"{folder}/{file_name}")
    return len(files)


# --- Receipts ------------------------------------------------------------------------------


def _safe_name(text: str, fallback: str) -> str:
    return (slugify(text)[:50].strip("-") or fallback).lower()


def _receipt_extension(stored_name: str) -> str:
    extension = stored_name.rsplit(".", 1)[-1].lower() if "." in stored_name else ""
    return extension if extension in RECEIPT_EXTENSIONS else "bin"


def receipts_zip(statement: Statement) -> bytes:
    """One zip of the period's receipts, with `index.csv` listing each file.

    - `payments/<date>-order-<reference>.html`: the receipt for every payment in the period
      (the same standalone HTML receipt the site emails, with any refunds so far);
    - `outside-spending/<date>-<what>-<id>.<ext>`: each receipt uploaded with spending
      outside the site (from private storage).

    File names are built from dates, references and slugs only: nothing a person typed is
    used as a path.
    """
    payment_lines = [
        line for line in statement.lines if line.kind == LedgerEntry.Kind.PAYMENT and line.order_pk
    ]
    orders = Order.objects.filter(
        budget=statement.budget, pk__in={line.order_pk for line in payment_lines}
    ).select_related("provider", "plan_outcome", "outcome", "budget__holder")
    by_pk = {order.pk: order for order in orders}
    outside = (
        LedgerEntry.objects.filter(
            budget=statement.budget,
            kind=LedgerEntry.Kind.OUTSIDE,
            occurred_on__gte=statement.starts_on,
            occurred_on__lte=statement.ends_on,
        )
        .exclude(receipt="")
        .order_by("occurred_on", "recorded_at", "pk")
    )
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(["File", "Date", "Type", "Details", "Amount", "Order reference", "Payment reference"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for line in payment_lines:
            order = by_pk[line.order_pk]
            name = f"payments/{_iso(line.occurred_on)}-order-{order.reference}.html"
            archive.writestr(name, render_receipt_html(order))
            writer.writerow(
                [
                    name,
                    _iso(line.occurred_on),
                    line.kind_label,
                    safe_text(line.details),
                    money(line.amount_pence),
                    line.order_reference,
                    safe_text(line.payment_reference),
                ]
            )
        for entry in outside:
            short_id = str(entry.public_id).split("-")[0]
            what = _safe_name(entry.description, "spending")
            name = (
                f"outside-spending/{_iso(entry.occurred_on)}-{what}-{short_id}."
                f"{_receipt_extension(entry.receipt.name)}"
            )
            with entry.receipt.open("rb") as stored:
                archive.writestr(name, stored.read())
            writer.writerow(
                [
                    name,
                    _iso(entry.occurred_on),
                    entry.get_kind_display(),
                    safe_text(entry.description),
                    money(entry.amount_pence),
                    "",
                    "",
                ]
            )
        archive.writestr("index.csv", "\ufeff" + index.getvalue())
    return buffer.getvalue()


def download_name(statement: Statement, extension: str, what: str = "statement") -> str:
    """ "statement-2026-04-01-to-2027-03-31.csv": dates only, safe in any file system."""
    name = f"{what}-{_iso(statement.starts_on)}-to-{_iso(statement.ends_on)}.{extension}"
    return re.sub(r"[^A-Za-z0-9.-]", "-", name)


# --- Sharing a statement with the council --------------------------------------------------

SHARED_LINK_ROLE = "someone with a shared link"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_share(
    *, budget, by, recipient: str, starts_on: date, ends_on: date, days: int
) -> tuple[StatementShare, str]:
    """Make a read-only link to the statement for `starts_on`..`ends_on`, working for `days` days.

    Only the holder may (MANAGE). Returns the share and its token: the token is in the link
    and nowhere else (only its SHA-256 is stored), so it can be shown only this once.
    """
    if not can(by, budget, MANAGE):
        raise NotPermitted("Only the budget holder can share a statement.")
    if days not in SHARE_DAYS:
        raise MarketplaceError("Choose how long the link should work: 7, 14 or 30 days.")
    if ends_on < starts_on:
        raise StatementPeriodError("The end date must be the same as or after the start date.")
    token = secrets.token_urlsafe(32)
    share = StatementShare.objects.create(
        budget=budget,
        created_by=by,
        recipient=recipient.strip()[:150],
        starts_on=starts_on,
        ends_on=ends_on,
        token_hash=_token_hash(token),
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit.record(
        actor=by,
        action="shared_statement",
        budget=budget,
        obj=share,
        detail=f"{period_words(starts_on, ends_on)}, link works for {days} days",
    )
    return share, token


def revoke_share(*, share: StatementShare, by) -> StatementShare:
    """Stop a link working now (only the holder may). Revoking twice changes nothing more."""
    if not can(by, share.budget, MANAGE):
        raise NotPermitted("Only the budget holder can stop a statement link.")
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.save(update_fields=["revoked_at"])
        audit.record(actor=by, action="revoked_share", budget=share.budget, obj=share)
    return share


def find_share(token: str) -> StatementShare | None:
    """The share a link's token belongs to, or None (tokens are compared by their hash)."""
    if not token or len(token) > 100:
        return None
    return (
        StatementShare.objects.select_related("budget__holder").filter(token_hash=_token_hash(token)).first()
    )


def share_state(share: StatementShare, now: datetime | None = None) -> str:
    """ "active", "expired" or "revoked"."""
    if share.revoked_at is not None:
        return "revoked"
    if share.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"
