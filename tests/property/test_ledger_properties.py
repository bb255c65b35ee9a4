"""The budget ledger under any sequence of money movements.

Random sequences of council payments (a new period beginning), requests agreed by the
provider, payments recorded (and delivered twice, as webhooks can be), refunds through the
`charge.refunded` webhook handler (also delivered twice), and spending outside the site.
After every step:
- the balance is the sum of the ledger entries, and equals money in less money out;
- an agreement never takes what is left below zero (only recorded outside spending may, as
  `services.record_outside_spending` documents);
- each payment and each refund appears in the ledger exactly once.
"""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from marketplace import services
from marketplace.models import LedgerEntry, Order, Payment, Refund
from marketplace.services import payments, webhooks
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db

PRICE = 2000  # pence an hour

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("council")),
        st.tuples(st.just("agree"), st.integers(min_value=1, max_value=40)),
        st.tuples(st.just("pay"), st.integers(min_value=0, max_value=10), st.booleans()),
        st.tuples(
            st.just("refund"),
            st.integers(min_value=0, max_value=10),
            st.integers(min_value=1, max_value=100),
            st.booleans(),
        ),
        st.tuples(st.just("outside"), st.integers(min_value=1, max_value=80_000)),
    ),
    min_size=1,
    max_size=12,
)


class Model:
    """What the ledger should hold, kept by the test alongside the real thing."""

    def __init__(self, budget):
        self.money_in = sum(e.amount_pence for e in LedgerEntry.objects.filter(budget=budget))
        self.money_out = 0
        self.outside_spent = False
        self.refunds: dict[int, list[dict]] = {}  # payment pk -> the refunds Stripe would list


def check(world, model: Model, step) -> None:
    budget = world.budget
    entries = list(LedgerEntry.objects.filter(budget=budget))
    balance = services.balance_pence(budget=budget)
    assert balance == sum(e.amount_pence for e in entries), step
    assert balance == model.money_in - model.money_out, step
    if not model.outside_spent:
        assert services.left_pence(budget=budget) >= 0, step
    for payment in Payment.objects.filter(order__budget=budget):
        assert LedgerEntry.objects.filter(payment=payment, kind="payment").count() == 1, step
    for refund in Refund.objects.filter(payment__order__budget=budget):
        assert LedgerEntry.objects.filter(refund=refund, kind="refund").count() == 1, step


def council(world, model):
    last = world.budget.periods.order_by("-starts_on").first()
    before = services.balance_pence(budget=world.budget)
    services.open_periods(budget=world.budget, today=last.ends_on + timedelta(days=1))
    model.money_in += services.balance_pence(budget=world.budget) - before
    assert services.balance_pence(budget=world.budget) - before == world.budget.amount_pence


def agree(world, model, quantity):
    left = services.left_pence(budget=world.budget)
    try:
        support_request = mf.make_request(budget=world.budget, listing=world.listing, quantity=quantity)
        services.accept_request(support_request=support_request, by=world.provider_user)
    except services.BudgetExceeded:
        assert quantity * PRICE > left
        return
    assert quantity * PRICE <= left


def pay(world, model, index, twice):
    orders = list(Order.objects.filter(budget=world.budget, status=Order.Status.AWAITING_PAYMENT))
    if not orders:
        return
    order = orders[index % len(orders)]
    for _ in range(2 if twice else 1):
        payments.record_payment(
            order=order,
            payment_intent_id=f"pi_{order.public_id.hex}",
            amount_pence=order.total_pence,
            currency="gbp",
        )
    model.money_out += order.total_pence


def refund(world, model, index, percent, twice):
    payments = list(Payment.objects.filter(order__budget=world.budget).order_by("pk"))
    if not payments:
        return
    payment = payments[index % len(payments)]
    listed = model.refunds.setdefault(payment.pk, [])
    refunded = sum(r["amount"] for r in listed)
    amount = min(payment.amount_pence - refunded, max(1, payment.amount_pence * percent // 100))
    if amount <= 0:
        return
    listed.append({"id": f"re_{payment.pk}_{len(listed)}", "amount": amount, "status": "succeeded"})
    event = {
        "type": "charge.refunded",
        "data": {
            "object": {
                "payment_intent": payment.payment_intent_id,
                "amount_refunded": refunded + amount,
                "refunds": {"data": list(listed)},
            }
        },
    }
    for _ in range(2 if twice else 1):
        webhooks._apply_stored(event)
    model.money_in += amount


def outside(world, model, amount):
    services.record_outside_spending(
        budget=world.budget,
        by=world.holder,
        amount_pence=amount,
        spent_on=world.budget.periods.order_by("starts_on").first().starts_on,
        description="Bus pass",
        plan_outcome=world.plan_outcome,
    )
    model.money_out += amount
    model.outside_spent = True


ACTIONS = {"council": council, "agree": agree, "pay": pay, "refund": refund, "outside": outside}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(STEPS)
def test_the_ledger_adds_up_after_any_sequence_of_money_movements(directory, steps):
    world = mf.World(amount_pence=50_000, price_pence=PRICE)
    model = Model(world.budget)
    check(world, model, "start")
    for step in steps:
        ACTIONS[step[0]](world, model, *step[1:])
        check(world, model, step)
    refunds = Refund.objects.filter(payment__order__budget=world.budget).count()
    assert refunds == sum(len(listed) for listed in model.refunds.values())
    # Shown with --hypothesis-show-statistics: how often the interesting paths were reached.
    event(f"payments recorded: {Payment.objects.filter(order__budget=world.budget).exists()}")
    event(f"refunds recorded: {refunds > 0}")
    event(f"overdrawn by outside spending: {services.left_pence(budget=world.budget) < 0}")
