"""The budget ledger under any sequence of money movements, against an independent model.

A hypothesis state machine drives the real services with council payments (a new period
beginning), requests agreed by the provider, payments through Stripe Checkout (the
completed session's event delivered once or twice, as webhooks can be), refunds made in
Stripe's dashboard and told by Stripe's webhooks in the shape of the pinned API version
(`charge.refunded` carries the charge's refunded total and no list of refunds;
`refund.created` carries the refund), delivered in either order, only one of them, or twice,
and read by the real gateway; refunds that fail later (`refund.updated` and `refund.failed`
with status "failed", each maybe twice), with a stale refunded total from before the
failure delivered after it; and spending outside the site. Payments, refunds, failures and
events are the Stripe test server's (tests/marketplace/stripe_server.py), so when the site
cannot tell which refunds a total is made of it asks that server, through the real SDK,
for the charge's refunds, as it asks Stripe. (A failure heard before the
refund itself is in tests/marketplace/test_refund_failures.py, in every order.) Alongside,
`Oracle` keeps the same budget in plain Python — money in, orders committed, payments,
refunds (and which were heard of, and which failed), outside spending — without calling any
service that computes a figure. After every step the real budget must agree with it to
the penny: balance, committed, left (`left_pence` and the dashboard summary), spent,
refunded net of failures, and taken back (from the ledger entries). An agreement is
allowed exactly when the model says the money is left, so a service that forgets
committed money (an overspend) disagrees.

Also after every step: the balance is the sum of the ledger entries, an agreement never
takes what is left below zero (only recorded outside spending may, as
`services.record_outside_spending` documents), each payment appears in the ledger exactly
once, and no refund is credited or taken back more than once.
"""

import os
from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from marketplace import services
from marketplace.models import LedgerEntry, Order, Payment, Refund
from marketplace.services import webhooks
from tests.marketplace import factories as mf
from tests.marketplace import fixtures as marketplace_fixtures

# The Stripe-compatible test server's fixtures (tests/marketplace/fixtures.py), for this test.
stripe_test_server = marketplace_fixtures.stripe_test_server
stripe_server = marketplace_fixtures.stripe_server

pytestmark = pytest.mark.django_db

PRICE = 2000  # pence an hour
AMOUNT = 50_000  # the council's payment each period


class Oracle:
    """What the budget should hold, in plain Python: no service computes any of it.

    A refund counts once the site has heard of it (its own event, or a refunded total that
    includes it) unless the site has heard it failed; one that failed after it was counted
    is taken back; one heard to have failed first never counts.
    """

    def __init__(self, money_in: int):
        self.money_in = money_in  # council payments and contributions
        self.committed: dict[int, int] = {}  # order pk -> total, agreed and not yet paid
        self.paid: dict[int, int] = {}  # order pk -> total paid
        self.outside = 0  # spending recorded from outside the site
        # payment intent -> its refunds as Stripe holds them: id, amount, status, and whether
        # the site has heard of it (heard, heard_before_failure) and of its failure.
        self.refunds: dict[str, list[dict]] = {}

    def all_refunds(self) -> list[dict]:
        return [r for listed in self.refunds.values() for r in listed]

    @property
    def refunded(self) -> int:
        return sum(r["amount"] for r in self.all_refunds() if r["heard"] and not r["failure_heard"])

    @property
    def taken_back(self) -> int:
        return sum(
            r["amount"] for r in self.all_refunds() if r["heard_before_failure"] and r["failure_heard"]
        )

    @property
    def spent(self) -> int:
        return sum(self.paid.values()) + self.outside

    @property
    def balance(self) -> int:
        return self.money_in - self.spent + self.refunded

    @property
    def committed_total(self) -> int:
        return sum(self.committed.values())

    @property
    def left(self) -> int:
        return self.balance - self.committed_total


def _ledger_sum(budget, *kinds) -> int:
    return sum(
        LedgerEntry.objects.filter(budget=budget, kind__in=kinds).values_list("amount_pence", flat=True)
    )


class Ledger(RuleBasedStateMachine):
    """One budget, one provider, and the model beside them; each example is rolled back."""

    world = None  # built once by the test; each example runs in a savepoint rolled back after it
    stripe = None  # the Stripe test server: its charges and refunds are what the site asks about

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.budget = self.world.budget
        # The set-up credits the first period; count it by what the set-up promised, not the ledger.
        periods = self.budget.periods.count()
        self.oracle = Oracle(periods * (self.budget.amount_pence + self.budget.client_contribution_pence))
        self.overdrawn_outside = False
        self.intents: dict[int, str] = {}  # order pk -> its PaymentIntent on the Stripe test server

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    @initialize(quantity=st.integers(min_value=1, max_value=10))
    def a_paid_order(self, quantity):
        """Start with one order paid, so refunds (and their failures) come within a few steps."""
        self.agree(quantity)
        self.pay(0, False)

    @rule()
    def council(self):
        last = self.budget.periods.order_by("-starts_on").first()
        services.open_periods(budget=self.budget, today=last.ends_on + timedelta(days=1))
        self.oracle.money_in += AMOUNT + self.budget.client_contribution_pence

    @rule(quantity=st.integers(min_value=1, max_value=40))
    def agree(self, quantity):
        total = quantity * PRICE
        try:  # asking for more than is left is refused already when the holder asks
            support_request = mf.make_request(
                budget=self.budget, listing=self.world.listing, quantity=quantity
            )
            services.accept_request(support_request=support_request, by=self.world.provider_user)
        except services.BudgetExceeded:
            assert total > self.oracle.left, f"refused £{total / 100} with {self.oracle.left}p left"
            return
        assert total <= self.oracle.left, f"agreed {total}p with only {self.oracle.left}p left"
        order = Order.objects.get(request=support_request)
        assert order.total_pence == total
        self.oracle.committed[order.pk] = total

    @rule(index=st.integers(min_value=0, max_value=10), twice=st.booleans())
    def pay(self, index, twice):
        """The holder pays on Stripe's Checkout page; `checkout.session.completed` (maybe twice)."""
        if not self.oracle.committed:
            return
        pks = sorted(self.oracle.committed)
        pk = pks[index % len(pks)]
        order = Order.objects.get(pk=pk)
        mf.start_checkout(self.world, order)
        order.refresh_from_db()
        self._deliver(self.stripe.complete_checkout(order.checkout_session_id, deliver=False), twice)
        self.oracle.paid[pk] = self.oracle.committed.pop(pk)
        self.intents[pk] = Payment.objects.get(order=order).payment_intent_id

    def _deliver(self, event: dict, twice: bool) -> None:
        for _ in range(2 if twice else 1):
            webhooks._apply_stored(event)

    @staticmethod
    def _hear(refund: dict) -> None:
        refund["heard"] = refund["heard_before_failure"] = True

    @rule(
        index=st.integers(min_value=0, max_value=10),
        percent=st.integers(min_value=1, max_value=100),
        told=st.sampled_from(["total, then refund", "refund, then total", "refund only", "total only"]),
        twice=st.booleans(),
    )
    def refund(self, index, percent, told, twice):
        """Someone refunds (part of) a payment in Stripe's dashboard; Stripe sends
        `charge.refunded` (the new refunded total) and `refund.created`, and the site hears
        both in either order, or only one of them (its endpoint may not have the other),
        maybe each twice. A total the site cannot attribute makes it ask the test server for
        the charge's refunds."""
        if not self.oracle.paid:
            return
        pks = sorted(self.oracle.paid)
        pk = pks[index % len(pks)]
        paid = self.oracle.paid[pk]
        intent = self.intents[pk]
        listed = self.oracle.refunds.setdefault(intent, [])
        refunded = sum(r["amount"] for r in listed if r["status"] != "failed")
        amount = min(paid - refunded, max(1, paid * percent // 100))
        if amount <= 0:
            return
        # What Stripe does with a failed refund's transfer reversal is not modelled by the test
        # server (docs/payments.md "Not done yet"), so after a failure the money comes from the
        # platform's balance (Stripe's default for a destination charge; the ledger is the same).
        reverse = not any(r["status"] == "failed" for r in listed)
        total, created = self.stripe.refund_in_dashboard(
            intent, amount, deliver=False, reverse_transfer=reverse
        )
        assert (total["type"], created["type"]) == ("charge.refunded", "refund.created")
        refund = {"id": created["data"]["object"]["id"], "amount": amount, "status": "succeeded"}
        refund.update(heard=False, failure_heard=False, heard_before_failure=False)
        listed.append(refund)
        events = {
            "total, then refund": [total, created],
            "refund, then total": [created, total],
            "total only": [total],
            "refund only": [created],
        }[told]
        for event in events:
            self._deliver(event, twice)
        self._hear(refund)

    @rule(index=st.integers(min_value=0, max_value=20), twice=st.booleans(), stale_total=st.booleans())
    def refund_fails(self, index, twice, stale_total):
        """A refund Stripe reported made fails at the card's end (`refund.updated` and
        `refund.failed`, maybe each twice), and maybe a refunded total from before the
        failure arrives after it (out of order)."""
        standing = [
            (intent, r)
            for intent, listed in sorted(self.oracle.refunds.items())
            for r in listed
            if r["status"] != "failed"
        ]
        if not standing:
            return
        intent, refund = standing[index % len(standing)]
        stale = self.stripe.charge_refunded_event(intent)  # the total as it was before the failure
        refund["status"] = "failed"
        for event in self.stripe.fail_refund(refund["id"]):
            self._deliver(event, twice)
        refund["failure_heard"] = True
        if stale_total:
            self._deliver(stale, twice)  # it still counts the failed refund: it credits nothing

    @rule(amount=st.integers(min_value=1, max_value=80_000))
    def outside(self, amount):
        services.record_outside_spending(
            budget=self.budget,
            by=self.world.holder,
            amount_pence=amount,
            spent_on=self.budget.periods.order_by("starts_on").first().starts_on,
            description="Bus pass",
            plan_outcome=self.world.plan_outcome,
        )
        self.oracle.outside += amount
        self.overdrawn_outside = True

    @invariant()
    def agrees_with_the_oracle(self):
        budget, oracle = self.budget, self.oracle
        entries = list(LedgerEntry.objects.filter(budget=budget).values_list("amount_pence", flat=True))
        real = {
            "balance": services.balance_pence(budget=budget),
            "ledger total": sum(entries),
            "committed": services.committed_pence(budget=budget),
            "left": services.left_pence(budget=budget),
            "spent": -_ledger_sum(budget, LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.OUTSIDE),
            "refunded": _ledger_sum(budget, LedgerEntry.Kind.REFUND, LedgerEntry.Kind.REFUND_FAILED),
            "taken back": -_ledger_sum(budget, LedgerEntry.Kind.REFUND_FAILED),
            "money in": _ledger_sum(budget, LedgerEntry.Kind.ALLOCATION, LedgerEntry.Kind.CONTRIBUTION),
        }
        summary = services.budget_summary(
            budget=budget, today=budget.periods.order_by("-starts_on")[0].starts_on
        )
        real["summary balance"] = summary.balance_pence
        real["summary committed"] = summary.committed_pence
        real["summary left"] = summary.left_pence
        expected = {
            "balance": oracle.balance,
            "ledger total": oracle.balance,
            "committed": oracle.committed_total,
            "left": oracle.left,
            "spent": oracle.spent,
            "refunded": oracle.refunded,
            "taken back": oracle.taken_back,
            "money in": oracle.money_in,
            "summary balance": oracle.balance,
            "summary committed": oracle.committed_total,
            "summary left": oracle.left,
        }
        wrong = {name: (real[name], expected[name]) for name in expected if real[name] != expected[name]}
        assert not wrong, f"real vs oracle (pence): {wrong}"
        if not self.overdrawn_outside:
            assert real["left"] >= 0

    @invariant()
    def each_payment_and_refund_is_in_the_ledger_once(self):
        assert Payment.objects.filter(order__budget=self.budget).count() == len(self.oracle.paid)
        for payment in Payment.objects.filter(order__budget=self.budget):
            assert LedgerEntry.objects.filter(payment=payment, kind="payment").count() == 1
        for refund in Refund.objects.filter(payment__order__budget=self.budget):
            assert LedgerEntry.objects.filter(refund=refund, kind="refund").count() <= 1
            assert LedgerEntry.objects.filter(refund=refund, kind="refund_failed").count() <= 1
        failed = {r["id"] for r in self.oracle.all_refunds() if r["failure_heard"]}
        assert (
            set(
                Refund.objects.filter(payment__order__budget=self.budget, status="failed").values_list(
                    "refund_id", flat=True
                )
            )
            == failed
        )


def test_the_ledger_agrees_with_a_plain_model_after_any_sequence_of_money_movements(
    directory, stripe_server
):
    Ledger.world = mf.connected_world(stripe_server, amount_pence=AMOUNT, price_pence=PRICE)
    Ledger.stripe = stripe_server
    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=int(os.environ.get("LEDGER_EXAMPLES", "15")),
            stateful_step_count=10,
            deadline=None,
            # The same sequences on every run, so CI is repeatable; LEDGER_RANDOM=1 explores anew
            # (it finds rare sequences: those it found are replayed as fixed regressions in
            # tests/marketplace/test_refunds_outside.py).
            derandomize=not os.environ.get("LEDGER_RANDOM"),
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
