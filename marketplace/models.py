"""The marketplace: budgets and their periods, support plans, requests for support, orders,
payments, refunds, providers' payment accounts, received webhooks and the budget ledger.

Money is whole pence in integer fields. Nothing here moves money or changes an order's
state: that is `marketplace.services`, the only code that writes orders, payments and
ledger entries. The ledger is append-only (see `LedgerEntry`); every balance is a sum over it.
"""

import calendar
import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from directory.evidence import private_storage
from directory.models import ListingPage, ListingPrice, Outcome, Provider

# How people say a number of units: "3 hours", "1 session".
UNIT_WORDS = {
    "hour": ("hour", "hours"),
    "session": ("session", "sessions"),
    "day": ("day", "days"),
    "visit": ("visit", "visits"),
    "meal": ("meal", "meals"),
    "night": ("night", "nights"),
}


def quantity_words(quantity: int, unit: str) -> str:
    """3, "hour" -> "3 hours"; 1, "session" -> "1 session"."""
    singular, plural = UNIT_WORDS.get(unit, ("unit", "units"))
    return f"{quantity} {singular if quantity == 1 else plural}"


def add_months(day: date, months: int) -> date:
    """`day` moved on by whole calendar months, clamped to the end of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- Budgets -----------------------------------------------------------------------------


class Budget(models.Model):
    """A person's direct payment: what the council pays each period, their own contribution,
    and the council's contingency (how many weeks of budget they may keep unspent).
    """

    class Period(models.TextChoices):
        WEEK = "week", "Every week"
        FOUR_WEEKS = "four_weeks", "Every 4 weeks"
        MONTH = "month", "Every month"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    holder = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="budget")
    amount_pence = models.PositiveIntegerField(help_text="What the council pays in each period, in pence.")
    period = models.CharField(max_length=12, choices=Period.choices, default=Period.FOUR_WEEKS)
    first_period_starts_on = models.DateField()
    client_contribution_pence = models.PositiveIntegerField(
        default=0, help_text="What the person pays in themselves each period, in pence."
    )
    contingency_weeks = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(52)],
        help_text="Weeks of budget the council lets the person keep unspent.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(contingency_weeks__lte=52), name="budget_contingency_at_most_52"
            ),
        ]

    def __str__(self):
        return f"Budget of {self.holder}"

    def period_containing(self, day: date) -> tuple[date, date]:
        """(first day, last day) of the period that `day` falls in (or the first period)."""
        start = self.first_period_starts_on
        if self.period == self.Period.MONTH:
            # Count whole months from the first start (not from a clamped later one), so a
            # budget paid on the 31st keeps its day after a short month.
            months = 0
            if day > start:
                months = (day.year - start.year) * 12 + day.month - start.month
                while months > 0 and add_months(start, months) > day:
                    months -= 1
            return add_months(start, months), add_months(start, months + 1) - timedelta(days=1)
        length = 7 if self.period == self.Period.WEEK else 28
        if day > start:
            start += timedelta(days=((day - start).days // length) * length)
        return start, start + timedelta(days=length - 1)

    @property
    def per_period_pence(self) -> int:
        """Money in each period: the council's payment plus the person's contribution."""
        return self.amount_pence + self.client_contribution_pence

    @property
    def contingency_pence(self) -> int:
        """How much unspent money the council lets the person keep: the contingency weeks
        at the weekly rate of the council's payment (integer arithmetic, rounded down)."""
        if self.period == self.Period.WEEK:
            return self.amount_pence * self.contingency_weeks
        if self.period == self.Period.FOUR_WEEKS:
            return self.amount_pence * self.contingency_weeks // 4
        # A month is 52/12 weeks.
        return self.amount_pence * 12 * self.contingency_weeks // 52


class BudgetPeriod(models.Model):
    """One period of a budget, with the amounts that applied to it (later edits do not change it)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="periods")
    starts_on = models.DateField()
    ends_on = models.DateField()
    amount_pence = models.PositiveIntegerField()
    client_contribution_pence = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["budget", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "starts_on"], name="one_period_per_start"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="period_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.starts_on:%d %b %Y} to {self.ends_on:%d %b %Y}"


class Delegate(models.Model):
    """Someone acting for a budget holder with their consent: a family carer, a broker or an advocate.

    The holder invites them by email and chooses what they may do. Everyone with a delegation
    may *view* the budget; `can_request`, `can_pay` and `can_download_statements` add to that.
    Withdrawing access takes effect on the delegate's next request (every permission check
    reads this row). What delegates do is recorded in the audit log as theirs.
    """

    class Relationship(models.TextChoices):
        FAMILY = "family", "Family member or friend"
        BROKER = "broker", "Support broker"
        ADVOCATE = "advocate", "Advocate"
        OTHER = "other", "Someone else"

    class Status(models.TextChoices):
        INVITED = "invited", "Invited: not accepted yet"
        ACTIVE = "active", "Active"
        WITHDRAWN = "withdrawn", "Access withdrawn"
        DECLINED = "declined", "Invitation turned down"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="delegates")
    # Empty until the invitation is accepted by a signed-in person.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="delegations"
    )
    name = models.CharField(max_length=100, help_text="What the holder calls them.")
    email = models.EmailField(help_text="Where the invitation was sent.")
    relationship = models.CharField(max_length=10, choices=Relationship.choices, default=Relationship.FAMILY)
    can_request = models.BooleanField(default=False, help_text="May ask providers for support.")
    can_pay = models.BooleanField(default=False, help_text="May pay for agreed support and record spending.")
    can_download_statements = models.BooleanField(default=False, help_text="May download statements.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    # SHA-256 of the invitation token: the token itself is only ever in the email.
    invite_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    invite_expires_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "user"],
                condition=Q(status="active"),
                name="one_active_delegation_per_person",
            ),
        ]

    def __str__(self):
        return f"{self.name} for {self.budget.holder}"

    @property
    def is_active(self) -> bool:
        """True while the delegate has accepted and the holder has not withdrawn access."""
        return self.status == self.Status.ACTIVE


class SupportPlan(models.Model):
    """The person's care and support plan: what matters to them, in their own words."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    budget = models.OneToOneField(Budget, on_delete=models.CASCADE, related_name="plan")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Support plan of {self.budget.holder}"


class PlanOutcome(models.Model):
    """One outcome in a support plan: the person's words, mapped to a broad outcome."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="outcomes")
    own_words = models.CharField(max_length=300)
    outcome = models.ForeignKey(Outcome, on_delete=models.PROTECT, related_name="plan_outcomes")
    # Outcomes that purchases were recorded against are archived, never deleted, so the
    # ledger and old receipts keep saying what each penny was for.
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.own_words


# --- Did it help? -------------------------------------------------------------------------


class OutcomeCheck(models.Model):
    """"Did it help?": the person's (or their helper's) answer about one paid order.

    Asked a set time after the support starts (`EARLY`) and again when it ends (`END`), about
    the plan outcome the order was bought for. The answers are the person's: they show on their
    plan and statement, and in counts (small numbers hidden) in the coordinators' report. They
    are never shown on a provider's public page and nothing in search reads them. The free-text
    note is seen only by the holder and whoever wrote it, and by the holder's social worker in a
    statement the holder shares, if the note says so (`note_in_statements`).
    """

    class Kind(models.TextChoices):
        EARLY = "early", "A few weeks in"
        END = "end", "When it ended"

    class Helped(models.TextChoices):
        A_LOT = "a_lot", "A lot"
        A_BIT = "a_bit", "A bit"
        NOT_YET = "not_yet", "Not yet"

    class Connections(models.TextChoices):
        MORE = "more", "More people"
        SAME = "same", "About the same"
        FEWER = "fewer", "Fewer people"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey("Order", on_delete=models.CASCADE, related_name="outcome_checks")
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="outcome_checks")
    plan_outcome = models.ForeignKey(PlanOutcome, on_delete=models.PROTECT, related_name="checks")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    due_on = models.DateField()
    asked_at = models.DateTimeField(null=True, blank=True)
    # One reminder, `OUTCOME_CHECK_REMIND_AFTER_DAYS` after asking, if still not answered.
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    helped = models.CharField(max_length=8, choices=Helped.choices, blank=True)
    connections = models.CharField(max_length=8, choices=Connections.choices, blank=True)
    note = models.TextField(blank=True, max_length=500)
    # The holder may let their social worker read the note: it then appears in the statements
    # they share (a statement link), and nowhere else.
    note_in_statements = models.BooleanField(default=False)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"], name="one_check_of_each_kind_per_order"),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | (~Q(helped="") & ~Q(connections="")),
                name="an_answered_check_has_both_answers",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.plan_outcome}"

    @property
    def is_answered(self) -> bool:
        """True once the person (or their helper) has answered."""
        return self.answered_at is not None


# --- Providers' payment accounts ---------------------------------------------------------


class ProviderPaymentAccount(models.Model):
    """A provider's connected account at the payment service (Stripe Connect).

    Mirrors what the payment service last told us; `last_event_created` lets an older
    news of the account (`AccountUpdated`) that arrives late be ignored.
    """

    provider = models.OneToOneField(Provider, on_delete=models.PROTECT, related_name="payment_account")
    account_id = models.CharField(max_length=255, unique=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    last_event_created = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.provider}: {self.account_id}"

    @property
    def can_accept_paid_work(self) -> bool:
        """True once the provider can be paid: charges and payouts both enabled."""
        return self.charges_enabled and self.payouts_enabled


# --- Requests and orders -----------------------------------------------------------------


class PaidByMixin:
    """What a request and its order say about who pays: a budget, or a person with their own
    money (`payer`, with what it is for in their own words: `purpose`)."""

    @property
    def is_self_funded(self) -> bool:
        """True when a person pays with their own money, not from a budget."""
        return self.budget_id is None

    @property
    def buyer(self):
        """Who the support is bought for: the budget's holder, or the person paying."""
        return self.payer if self.budget_id is None else self.budget.holder

    @property
    def what_for(self) -> str:
        """What it is for, in the person's words: the plan outcome, or what a payer wrote."""
        return self.plan_outcome.own_words if self.plan_outcome_id else self.purpose


class SupportRequest(PaidByMixin, models.Model):
    """A holder's request for support from a listing, and the provider's answer.

    Once agreed (the provider accepts, or the holder accepts the provider's change) an
    `Order` holds the agreed terms and the money.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for the provider"
        CHANGE_PROPOSED = "change_proposed", "The provider suggested a change"
        ACCEPTED = "accepted", "Agreed"
        DECLINED = "declined", "Declined by the provider"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN = (Status.REQUESTED, Status.CHANGE_PROPOSED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Paid from a direct payment (`budget`, for a `plan_outcome`), or by a person with their
    # own money (`payer`, no budget or plan): exactly one of the two (a check constraint).
    budget = models.ForeignKey(
        Budget, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="self_paid_requests",
        help_text="The person paying with their own money (no budget).",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_requests"
    )
    listing = models.ForeignKey(ListingPage, on_delete=models.PROTECT, related_name="support_requests")
    # Copied from the listing so the inbox and permission checks do not depend on the page.
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="support_requests")
    service_description = models.CharField(max_length=120)
    unit = models.CharField(max_length=10, choices=ListingPrice.Unit.choices)
    unit_price_pence = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    starts_on = models.DateField()
    ends_on = models.DateField()
    plan_outcome = models.ForeignKey(
        PlanOutcome, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    # What a person paying themselves says it is for, in their own words (optional).
    purpose = models.CharField(max_length=200, blank=True)
    # Of a budget purchase, how much the person pays from their own money (a top-up): it is
    # recorded as their contribution when paid, and the budget covers the rest.
    top_up_pence = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    proposed_quantity = models.PositiveIntegerField(null=True, blank=True)
    proposed_unit_price_pence = models.PositiveIntegerField(null=True, blank=True)
    proposed_starts_on = models.DateField(null=True, blank=True)
    proposed_ends_on = models.DateField(null=True, blank=True)
    provider_note = models.TextField(blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="request_quantity_positive"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="request_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=False, plan_outcome__isnull=False, payer__isnull=True)
                | Q(budget__isnull=True, plan_outcome__isnull=True, payer__isnull=False, top_up_pence=0),
                name="request_paid_by_budget_or_payer",
            ),
        ]

    def __str__(self):
        return f"{self.service_description} x{self.quantity} from {self.provider}"

    @property
    def total_pence(self) -> int:
        """What the request costs as asked: units x price per unit."""
        return self.quantity * self.unit_price_pence

    @property
    def proposed_quantity_words(self) -> str:
        """The provider's suggested quantity with its unit ("4 hours"), or ""."""
        return quantity_words(self.proposed_quantity, self.unit) if self.proposed_quantity else ""

    @property
    def proposed_total_pence(self) -> int | None:
        """What the provider's suggested change would cost, or None without one."""
        if self.proposed_quantity is None or self.proposed_unit_price_pence is None:
            return None
        return self.proposed_quantity * self.proposed_unit_price_pence

    @property
    def unit_label(self) -> str:
        """The unit as the listing says it: "per hour", "per session"…"""
        return ListingPrice.Unit(self.unit).label

    @property
    def quantity_words(self) -> str:
        """The quantity with its unit: "3 hours", "1 session"…"""
        return quantity_words(self.quantity, self.unit)


class Order(PaidByMixin, models.Model):
    """Agreed support: the terms both sides accepted, and where the money is.

    An order waiting for payment is *committed*: it counts against the budget until it is
    paid (then the ledger holds it) or cancelled.
    """

    class Status(models.TextChoices):
        RESERVED = "reserved", "Place held: waiting for the group to fill"
        AWAITING_PAYMENT = "awaiting_payment", "Agreed: waiting for payment"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Cancelled and refunded"
        # Cancelled and refunded, but the refund later failed at the card's end: the money
        # was taken back out of the budget and is not with the person (docs/payments.md).
        REFUND_FAILED = "refund_failed", "Cancelled: refund failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.OneToOneField(SupportRequest, on_delete=models.PROTECT, related_name="order")
    # As on the request: a budget purchase for a plan outcome, or a person paying themselves.
    budget = models.ForeignKey(Budget, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="self_paid_orders",
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="orders")
    listing = models.ForeignKey(ListingPage, on_delete=models.PROTECT, related_name="orders")
    plan_outcome = models.ForeignKey(
        PlanOutcome, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    outcome = models.ForeignKey(
        Outcome, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    purpose = models.CharField(max_length=200, blank=True)
    # The part of the total the holder pays from their own money (see SupportRequest).
    top_up_pence = models.PositiveIntegerField(default=0)
    # A share of a pooled purchase: one order per holder, each against their own outcome.
    activity = models.ForeignKey(
        "GroupActivity", null=True, blank=True, on_delete=models.PROTECT, related_name="shares"
    )
    service_description = models.CharField(max_length=120)
    unit = models.CharField(max_length=10, choices=ListingPrice.Unit.choices)
    quantity = models.PositiveIntegerField()
    unit_price_pence = models.PositiveIntegerField()
    total_pence = models.PositiveIntegerField()
    starts_on = models.DateField()
    ends_on = models.DateField()

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_PAYMENT)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(max_length=300, blank=True)

    # Checkout: a new attempt (and so a new idempotency key) only after a session expires.
    checkout_attempt = models.PositiveSmallIntegerField(default=1)
    checkout_session_id = models.CharField(max_length=255, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    destination_account = models.CharField(max_length=255, blank=True)
    last_payment_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_pence=models.F("quantity") * models.F("unit_price_pence")),
                name="order_total_is_units_times_price",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=False, plan_outcome__isnull=False, payer__isnull=True)
                | Q(budget__isnull=True, plan_outcome__isnull=True, payer__isnull=False, top_up_pence=0),
                name="order_paid_by_budget_or_payer",
            ),
            models.CheckConstraint(
                condition=Q(top_up_pence__lte=models.F("total_pence")), name="order_top_up_within_total"
            ),
        ]
        indexes = [models.Index(fields=["budget", "status"])]

    # Orders that hold money back from what is left in the budget until paid or cancelled.
    COMMITTED = (Status.RESERVED, Status.AWAITING_PAYMENT)

    def __str__(self):
        return f"{self.service_description} x{self.quantity} from {self.provider}"

    @property
    def unit_label(self) -> str:
        """The unit as the listing says it: "per hour", "per session"…"""
        return ListingPrice.Unit(self.unit).label

    @property
    def quantity_words(self) -> str:
        """The quantity with its unit: "3 hours", "1 session"…"""
        return quantity_words(self.quantity, self.unit)

    @property
    def from_budget_pence(self) -> int:
        """What the budget pays: the total less any top-up from the person's own money."""
        return self.total_pence - self.top_up_pence

    @property
    def reference(self) -> str:
        """A short reference people can read out on the phone."""
        return str(self.public_id).split("-")[0].upper()

    @property
    def payment(self):
        """The payment for this order, if any."""
        return self.payments.order_by("created_at").first()


class RequestEvent(models.Model):
    """One step in a request's life (asked, accepted, changed, paid, refunded…), for both sides to see."""

    class Kind(models.TextChoices):
        REQUESTED = "requested", "Request sent"
        ACCEPTED = "accepted", "Accepted by the provider"
        DECLINED = "declined", "Declined by the provider"
        CHANGE_PROPOSED = "change_proposed", "Change suggested by the provider"
        CHANGE_ACCEPTED = "change_accepted", "Change accepted"
        WITHDRAWN = "withdrawn", "Request withdrawn"
        PAYMENT_STARTED = "payment_started", "Payment started"
        PAID = "paid", "Payment received"
        PAYMENT_FAILED = "payment_failed", "Payment did not go through"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"
        REFUND_FAILED = "refund_failed", "Refund failed"
        DISPUTED = "disputed", "Payment disputed with the card issuer"

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.get_kind_display()


# --- Money -------------------------------------------------------------------------------


class Payment(models.Model):
    """Money taken from the holder for an order: a destination charge to the provider's account."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Paid"
        DISPUTED = "disputed", "Disputed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    # The payment service's reference; unique, so a repeated webhook cannot record it twice.
    payment_intent_id = models.CharField(max_length=255, unique=True)
    checkout_session_id = models.CharField(max_length=255, blank=True)
    amount_pence = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="gbp")
    destination_account = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUCCEEDED)
    dispute_reason = models.CharField(max_length=100, blank=True)
    paid_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.payment_intent_id


class RefundQuerySet(models.QuerySet):
    def returned(self):
        """Refunds whose money went back (or is going back) to the card: all but failed ones."""
        return self.exclude(status=Refund.FAILED)


class Refund(models.Model):
    """Money returned to the holder for a payment (the transfer to the provider is reversed).

    A dispute the card holder's bank decided against the payment returns money too: it is
    recorded here as kind `dispute`, with the dispute's reference.

    A refund can fail after it was reported made (the card was closed, say): its status
    becomes `failed`, and the money it credited is taken back out of the budget by a
    `refund_failed` ledger entry (`services.payments.record_refund_failure`).
    """

    FAILED = "failed"

    class Kind(models.TextChoices):
        REFUND = "refund", "Refund"
        DISPUTE = "dispute", "Dispute lost with the card issuer"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REFUND)
    # Null only for refunds we learnt of as a total on a charge, without the refund's id.
    refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    amount_pence = models.PositiveIntegerField()
    status = models.CharField(max_length=20, default="succeeded")
    reason = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the payment service said the refund failed, and its reason ("expired_or_canceled_card").
    failed_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=60, blank=True)

    objects = RefundQuerySet.as_manager()

    def __str__(self):
        return self.refund_id or f"refund {self.public_id}"

    @property
    def failed(self) -> bool:
        return self.status == self.FAILED

    @property
    def failure_words(self) -> str:
        """Why the refund failed, in plain English."""
        return REFUND_FAILURE_WORDS.get(self.failure_reason, REFUND_FAILURE_WORDS["unknown"])


# Stripe's refund failure reasons, as a person would say them.
REFUND_FAILURE_WORDS = {
    "expired_or_canceled_card": "the card has expired or was cancelled",
    "lost_or_stolen_card": "the card was reported lost or stolen",
    "declined": "the card's bank turned it down",
    "merchant_request": "it was stopped before it was sent",
    "canceled": "it was cancelled before it was sent",
    "unknown": "the card's bank did not accept it",
}


def spending_receipt_upload_to(instance, filename: str) -> str:
    """Store under the budget's id with a random name: the uploaded name is not trusted."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"spending-receipts/{instance.budget.public_id}/{uuid.uuid4().hex}.{extension}"


class LedgerQuerySet(models.QuerySet):
    """Ledger rows can be added, never changed or removed in bulk either."""

    def update(self, **kwargs):
        raise TypeError("The ledger is append-only: add a correcting entry instead of updating.")

    def delete(self):
        raise TypeError("The ledger is append-only: add a correcting entry instead of deleting.")


class LedgerEntry(models.Model):
    """One movement of money in or out of a budget. Append-only: balances are sums of these.

    Money in is positive (the council's payment, the person's contribution, refunds);
    money out is negative (payments to providers, spending outside the site).
    """

    class Kind(models.TextChoices):
        ALLOCATION = "allocation", "Council payment"
        CONTRIBUTION = "contribution", "Your contribution"
        PAYMENT = "payment", "Payment to a provider"
        REFUND = "refund", "Refund"
        OUTSIDE = "outside", "Spending outside this site"
        ADJUSTMENT = "adjustment", "Adjustment"
        # A refund credited earlier that then failed: the same money taken back out.
        REFUND_FAILED = "refund_failed", "Refund failed"

    MONEY_IN = (Kind.ALLOCATION, Kind.CONTRIBUTION, Kind.REFUND)
    MONEY_OUT = (Kind.PAYMENT, Kind.OUTSIDE, Kind.REFUND_FAILED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="ledger")
    period = models.ForeignKey(BudgetPeriod, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount_pence = models.BigIntegerField(help_text="Positive for money in, negative for money out.")
    occurred_on = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    description = models.CharField(max_length=200)
    payee = models.CharField(max_length=200, blank=True)
    plan_outcome = models.ForeignKey(
        PlanOutcome, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    # The broad outcome at the time, kept even if the plan is reworded later.
    outcome = models.ForeignKey(Outcome, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    refund = models.ForeignKey(Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    receipt = models.FileField(
        upload_to=spending_receipt_upload_to, storage=private_storage, blank=True, max_length=300
    )
    receipt_name = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_on", "recorded_at", "pk"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["budget", "period"]), models.Index(fields=["budget", "kind"])]
        constraints = [
            # One entry per payment, per refund and per period's allocation: a repeated webhook
            # or a retried request cannot write the same money twice.
            models.UniqueConstraint(
                fields=["payment"], condition=Q(kind="payment"), name="one_ledger_entry_per_payment"
            ),
            models.UniqueConstraint(
                fields=["refund"], condition=Q(kind="refund"), name="one_ledger_entry_per_refund"
            ),
            # A failed refund is taken back once, however often the service says it failed.
            models.UniqueConstraint(
                fields=["refund"], condition=Q(kind="refund_failed"), name="one_reversal_per_refund"
            ),
            models.UniqueConstraint(
                fields=["period", "kind"],
                condition=Q(kind__in=["allocation", "contribution"], order__isnull=True),
                name="one_allocation_per_period",
            ),
            # A top-up from the person's own money is a contribution tied to one payment.
            models.UniqueConstraint(
                fields=["payment"], condition=Q(kind="contribution"), name="one_top_up_per_payment"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["allocation", "contribution", "refund"], amount_pence__gte=0)
                    | Q(kind__in=["payment", "outside", "refund_failed"], amount_pence__lt=0)
                    | Q(kind="adjustment")
                ),
                name="ledger_sign_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.amount_pence}p on {self.occurred_on}"

    def save(self, *args, **kwargs):
        # Append-only: a saved entry is never rewritten (a mistake is put right by a new one).
        if not self._state.adding:
            raise TypeError("The ledger is append-only: ledger entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The ledger is append-only: ledger entries cannot be deleted.")


# --- Pooled purchases ---------------------------------------------------------------------


class GroupActivity(models.Model):
    """Support several holders buy together: a group activity with places, or one service shared.

    Each holder who joins gets their own `Order` (a *share*) against their own plan outcome
    and pays it from their own budget. The group goes ahead when `min_places` have joined by
    the deadline; if it does not, nobody is charged or everyone is refunded, as the provider
    chose in `if_not_filled`.
    """

    class IfNotFilled(models.TextChoices):
        NOBODY_CHARGED = "hold", "Hold places and take payment only once the group is on"
        REFUND_EVERYONE = (
            "refund",
            "Take payment when people join, and refund everyone if it does not go ahead",
        )

    class Status(models.TextChoices):
        OPEN = "open", "Open for people to join"
        GOING_AHEAD = "going_ahead", "Going ahead"
        CALLED_OFF = "called_off", "Called off: not enough people joined"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="group_activities")
    listing = models.ForeignKey(ListingPage, on_delete=models.PROTECT, related_name="group_activities")
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    when = models.CharField(max_length=200, help_text='For example "Tuesdays 10am to 12 noon".')
    starts_on = models.DateField()
    ends_on = models.DateField()
    unit = models.CharField(
        max_length=10, choices=ListingPrice.Unit.choices, default=ListingPrice.Unit.SESSION
    )
    units_per_place = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="How many sessions each place includes."
    )
    unit_price_pence = models.PositiveIntegerField(help_text="Price per session for one place, in pence.")
    places = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(500)])
    min_places = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)], help_text="The group goes ahead once this many have joined."
    )
    join_by = models.DateField(help_text="The last day to join. The group is settled the day after.")
    if_not_filled = models.CharField(max_length=10, choices=IfNotFilled.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_on", "pk"]
        verbose_name_plural = "group activities"
        constraints = [
            models.CheckConstraint(
                condition=Q(min_places__lte=models.F("places")), name="group_min_within_places"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="group_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(join_by__lte=models.F("starts_on")), name="group_join_before_start"
            ),
            models.CheckConstraint(condition=Q(unit_price_pence__gt=0), name="group_price_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def price_per_place_pence(self) -> int:
        """What one place costs in all: sessions per place x price per session."""
        return self.units_per_place * self.unit_price_pence


# --- Sharing a statement -----------------------------------------------------------------


class StatementShare(models.Model):
    """A read-only link to one statement, made by the holder for their social worker or council.

    Only a hash of the link's token is stored; the link stops working when it expires or the
    holder revokes it, and every opening is written to the audit log.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="statement_shares")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.CharField(max_length=150, help_text='Who it is for, e.g. "Sam Patel, social worker".')
    starts_on = models.DateField()
    ends_on = models.DateField()
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="share_dates_ordered"
            ),
        ]

    def __str__(self):
        return f"Statement {self.starts_on} to {self.ends_on} for {self.recipient}"


# --- The audit log -----------------------------------------------------------------------


class AuditQuerySet(models.QuerySet):
    """Audit rows can be added, never changed or removed in bulk either."""

    def update(self, **kwargs):
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")


class AuditChainHead(models.Model):
    """The one row every audit write locks: where the chain ends (sequence and hash)."""

    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self):
        return f"Audit chain at event {self.last_sequence}"


class AuditEvent(models.Model):
    """Someone saw or changed a holder's personal data: who, when, what, and why (for staff).

    Append-only and hash-chained: each row's `hash` covers its fields and the previous row's
    hash, so changing, removing or reordering a row breaks the chain, which
    `manage.py verify_audit_log` reports. Rows hold ids and fixed wording, not personal
    data, so erasing a person (which anonymises their account) leaves the chain intact.
    See `marketplace.audit`.
    """

    sequence = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # How the actor relates to the holder: "the holder", "delegate (broker)", "coordinator",
    # "shared link"; never a name.
    actor_role = models.CharField(max_length=60)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    budget = models.ForeignKey(Budget, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["subject", "occurred_at"])]

    def __str__(self):
        return f"#{self.sequence} {self.action} by {self.actor_role}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("The audit log is append-only: audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only: audit events cannot be deleted.")


# --- Webhooks ----------------------------------------------------------------------------


class WebhookEvent(models.Model):
    """An event the payment service sent us, stored by its id so a repeat delivery does nothing.

    An event that arrives before what it refers to (a refund before the payment) is kept as
    `deferred` and handled when the payment is recorded.
    """

    class Status(models.TextChoices):
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        DEFERRED = "deferred", "Waiting for an earlier event"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    endpoint = models.CharField(max_length=20, default="platform")
    created = models.BigIntegerField(help_text="When the payment service created the event (Unix time).")
    status = models.CharField(max_length=12, choices=Status.choices)
    related_object = models.CharField(max_length=255, blank=True, db_index=True)
    payload = models.JSONField()
    deliveries = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.event_id}"


# --- Meet first ------------------------------------------------------------------------------


class MeetFirst(models.Model):
    """A short visit, phone call or video call between a person and a provider before any request.

    The person (or a helper who may ask for support) asks; the provider offers one to three
    times; the person picks one; afterwards both sides say whether they want to go ahead. The
    request step opens only when both said yes (`both_agreed`). Each side may give a private
    reason, which only their own side reads, and a message the other side reads
    (`services/meet_first.py` decides who sees what; docs/meet-first.md).
    """

    class Kind(models.TextChoices):
        VISIT = "visit", "A short visit"
        CALL = "call", "A phone call"
        VIDEO = "video", "A video call"

    class Status(models.TextChoices):
        ASKED = "asked", "Waiting for the provider to offer times"
        OFFERED = "offered", "Times offered: choose one"
        BOOKED = "booked", "Time agreed"
        DECIDED = "decided", "Both sides have answered"
        CANCELLED = "cancelled", "Called off"

    class Decision(models.TextChoices):
        YES = "yes", "Yes, I want to go ahead"
        NO = "no", "No, I do not want to go ahead"

    OPEN = (Status.ASKED, Status.OFFERED, Status.BOOKED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="meets")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    listing = models.ForeignKey(ListingPage, on_delete=models.PROTECT, related_name="meets")
    # Copied from the listing so the provider's list and permission checks do not depend on the page.
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="meets")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The plan outcome the person hopes the support helps with (pre-fills the request), if any.
    plan_outcome = models.ForeignKey(
        PlanOutcome, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True, max_length=1000)
    # What the listing said a meet first costs when it was asked for (0 = free).
    price_pence = models.PositiveIntegerField(default=0)

    # The provider's offer: one to three start times, and where or how to join.
    time_1 = models.DateTimeField(null=True, blank=True)
    time_2 = models.DateTimeField(null=True, blank=True)
    time_3 = models.DateTimeField(null=True, blank=True)
    where = models.CharField(max_length=300, blank=True)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_time = models.DateTimeField(null=True, blank=True)

    # Emails sent by the daily `remind_meet_first` (each once).
    reminded_at = models.DateTimeField(null=True, blank=True)
    decision_asked_at = models.DateTimeField(null=True, blank=True)

    # The person's side.
    person_decision = models.CharField(max_length=3, choices=Decision.choices, blank=True)
    person_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person_decided_at = models.DateTimeField(null=True, blank=True)
    person_private_reason = models.TextField(blank=True, max_length=500)
    person_message = models.TextField(blank=True, max_length=500)
    # The provider's side.
    provider_decision = models.CharField(max_length=3, choices=Decision.choices, blank=True)
    provider_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider_decided_at = models.DateTimeField(null=True, blank=True)
    provider_private_reason = models.TextField(blank=True, max_length=500)
    provider_message = models.TextField(blank=True, max_length=500)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ASKED)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=("asked", "cancelled")) | Q(time_1__isnull=False),
                name="meet_first_offer_has_a_time",
            ),
            models.CheckConstraint(
                condition=Q(status__in=("asked", "offered", "cancelled")) | Q(chosen_time__isnull=False),
                name="meet_first_booked_has_a_time",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} with {self.provider}"

    @property
    def offered_times(self) -> list:
        """The start times the provider offered, earliest first."""
        return sorted(t for t in (self.time_1, self.time_2, self.time_3) if t is not None)

    @property
    def both_agreed(self) -> bool:
        """True when the person's side and the provider both said yes: the request step is open."""
        return self.person_decision == self.Decision.YES and self.provider_decision == self.Decision.YES

    @property
    def is_open(self) -> bool:
        """True until both sides have answered or it was called off."""
        return self.status in self.OPEN
