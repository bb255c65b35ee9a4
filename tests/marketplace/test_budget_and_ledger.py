"""Budgets, periods, the append-only ledger and what is left: the money rules, through the services."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace import services
from marketplace.models import Budget, BudgetPeriod, LedgerEntry, Order, SupportRequest
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_setting_up_a_budget_credits_this_periods_money_once():
    budget = mf.make_budget(amount_pence=48_000, contribution_pence=2_500)

    entries = LedgerEntry.objects.filter(budget=budget)
    assert sorted((e.kind, e.amount_pence) for e in entries) == [
        ("allocation", 48_000),
        ("contribution", 2_500),
    ]
    assert services.balance_pence(budget=budget) == 50_500
    # Asking again (every dashboard view does) adds nothing.
    services.open_periods(budget=budget)
    services.budget_summary(budget=budget)
    assert LedgerEntry.objects.filter(budget=budget).count() == 2


def test_each_new_period_adds_its_money_and_the_balance_carries_over():
    start = timezone.localdate()
    budget = mf.make_budget(amount_pence=10_000, starts_on=start, period=Budget.Period.WEEK)

    period = services.open_periods(budget=budget, today=start + timedelta(days=15))

    assert period.starts_on == start + timedelta(days=14)
    assert BudgetPeriod.objects.filter(budget=budget).count() == 3
    assert services.balance_pence(budget=budget) == 30_000
    summary = services.budget_summary(budget=budget, today=start + timedelta(days=15))
    assert summary.period_in_pence == 10_000
    assert summary.carried_over_pence == 20_000


def test_a_new_amount_applies_from_the_next_period_only():
    start = timezone.localdate()
    budget = mf.make_budget(amount_pence=10_000, starts_on=start, period=Budget.Period.WEEK)
    services.set_up_budget(
        holder=budget.holder, amount_pence=12_000, period=Budget.Period.WEEK, first_period_starts_on=start
    )

    services.open_periods(budget=budget, today=start + timedelta(days=7))

    assert services.balance_pence(budget=budget) == 22_000


def test_period_length_cannot_change_once_periods_have_begun():
    budget = mf.make_budget(period=Budget.Period.WEEK)

    with pytest.raises(services.InvalidState, match="cannot change here"):
        services.set_up_budget(
            holder=budget.holder,
            amount_pence=1,
            period=Budget.Period.MONTH,
            first_period_starts_on=budget.first_period_starts_on,
        )


@pytest.mark.parametrize(
    ("period", "start", "day", "expected"),
    [
        (Budget.Period.WEEK, date(2026, 1, 5), date(2026, 1, 18), (date(2026, 1, 12), date(2026, 1, 18))),
        (Budget.Period.FOUR_WEEKS, date(2026, 1, 5), date(2026, 2, 2), (date(2026, 2, 2), date(2026, 3, 1))),
        (Budget.Period.MONTH, date(2026, 1, 31), date(2026, 3, 1), (date(2026, 2, 28), date(2026, 3, 30))),
        (Budget.Period.MONTH, date(2026, 1, 15), date(2026, 1, 14), (date(2026, 1, 15), date(2026, 2, 14))),
    ],
)
def test_periods_follow_the_payment_schedule(period, start, day, expected):
    budget = Budget(period=period, first_period_starts_on=start, amount_pence=0)
    assert budget.period_containing(day) == expected


def test_contingency_is_weeks_of_the_councils_payment_in_whole_pence():
    assert (
        Budget(period=Budget.Period.WEEK, amount_pence=10_000, contingency_weeks=4).contingency_pence
        == 40_000
    )
    assert (
        Budget(period=Budget.Period.FOUR_WEEKS, amount_pence=40_000, contingency_weeks=2).contingency_pence
        == 20_000
    )
    # A month is 52/12 weeks: £433.33 a month is £100 a week, rounded down to the penny.
    assert (
        Budget(period=Budget.Period.MONTH, amount_pence=43_333, contingency_weeks=1).contingency_pence
        == 9_999
    )


def test_the_ledger_is_append_only():
    budget = mf.make_budget()
    entry = LedgerEntry.objects.filter(budget=budget).first()

    entry.amount_pence = 1
    with pytest.raises(TypeError, match="append-only"):
        entry.save()
    with pytest.raises(TypeError, match="append-only"):
        entry.delete()
    with pytest.raises(TypeError, match="append-only"):
        LedgerEntry.objects.filter(budget=budget).update(amount_pence=0)
    with pytest.raises(TypeError, match="append-only"):
        LedgerEntry.objects.filter(budget=budget).delete()
    assert services.balance_pence(budget=budget) == 50_000


def test_the_database_refuses_a_second_allocation_for_a_period_or_a_wrong_sign():
    budget = mf.make_budget()
    period = budget.periods.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            budget=budget,
            period=period,
            kind="allocation",
            amount_pence=1,
            occurred_on=period.starts_on,
            description="again",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            budget=budget,
            period=period,
            kind="outside",
            amount_pence=500,
            occurred_on=period.starts_on,
            description="spending recorded as money in",
        )


def test_request_shows_cost_and_what_would_be_left():
    world = mf.World(amount_pence=10_000, price_pence=1_850)

    preview = services.preview_cost(budget=world.budget, unit_price_pence=1_850, quantity=3)

    assert (preview.total_pence, preview.left_now_pence, preview.left_after_pence) == (5_550, 10_000, 4_450)
    assert preview.affordable
    assert all(
        type(v) is int for v in (preview.total_pence, preview.left_now_pence, preview.left_after_pence)
    )


def test_holder_cannot_request_more_than_is_left():
    world = mf.World(amount_pence=5_000, price_pence=2_000)

    with pytest.raises(services.BudgetExceeded) as error:
        mf.make_request(budget=world.budget, listing=world.listing, quantity=3)

    assert "£60 but you have £50 left" in str(error.value)
    assert not SupportRequest.objects.exists()


def test_accepting_commits_the_money_and_what_is_left_goes_down():
    world = mf.World(amount_pence=10_000, price_pence=2_000)

    order = world.order(quantity=3)

    assert order.status == Order.Status.AWAITING_PAYMENT
    assert order.total_pence == 6_000
    summary = services.budget_summary(budget=world.budget)
    assert (summary.balance_pence, summary.committed_pence, summary.left_pence) == (10_000, 6_000, 4_000)
    assert summary.by_outcome[0].committed_pence == 6_000


def test_holder_cannot_overspend_budget_with_two_requests_that_each_fit():
    world = mf.World(amount_pence=10_000, price_pence=2_000)
    first = mf.make_request(budget=world.budget, listing=world.listing, quantity=3)
    second = mf.make_request(budget=world.budget, listing=world.listing, quantity=3)

    services.accept_request(support_request=first, by=world.provider_user)
    with pytest.raises(services.BudgetExceeded, match="only £40 is left"):
        services.accept_request(support_request=second, by=world.provider_user)

    second.refresh_from_db()
    assert second.status == SupportRequest.Status.REQUESTED
    assert services.left_pence(budget=world.budget) == 4_000


def test_provider_without_payouts_cannot_accept_and_is_told_why():
    world = mf.World()
    world.account.payouts_enabled = False
    world.account.requirements_due = ["external_account", "individual.verification.document"]
    world.account.save()
    support_request = mf.make_request(budget=world.budget, listing=world.listing)

    with pytest.raises(services.ProviderNotReadyForPayments) as error:
        services.accept_request(support_request=support_request, by=world.provider_user)

    reasons = " ".join(error.value.reasons)
    assert "your bank account details" in reasons
    assert "proof of your identity" in reasons
    assert "payouts to your bank account" in reasons
    assert not Order.objects.exists()


def test_provider_with_no_account_is_told_to_set_up_payments():
    assert services.payment_readiness(None) == [
        "You have not set up payments yet. Set them up with Stripe, our payment service."
    ]


def test_provider_suggests_a_change_and_the_holder_accepts_it():
    world = mf.World(amount_pence=20_000, price_pence=2_000)
    support_request = mf.make_request(budget=world.budget, listing=world.listing, quantity=3)
    start = support_request.starts_on + timedelta(days=1)

    services.propose_change(
        support_request=support_request,
        by=world.provider_user,
        quantity=4,
        unit_price_pence=2_200,
        starts_on=start,
        ends_on=start + timedelta(days=7),
        note="I can do four Mondays",
    )
    order = services.accept_change(support_request=support_request, by=world.holder)

    assert (order.quantity, order.unit_price_pence, order.total_pence, order.starts_on) == (
        4,
        2_200,
        8_800,
        start,
    )
    kinds = list(support_request.events.values_list("kind", flat=True))
    assert kinds == ["requested", "change_proposed", "change_accepted"]


def test_a_change_must_change_something():
    world = mf.World()
    sr = mf.make_request(budget=world.budget, listing=world.listing)
    with pytest.raises(services.MarketplaceError, match="Change at least one thing"):
        services.propose_change(
            support_request=sr,
            by=world.provider_user,
            quantity=sr.quantity,
            unit_price_pence=sr.unit_price_pence,
            starts_on=sr.starts_on,
            ends_on=sr.ends_on,
        )


def test_a_request_is_answered_once():
    world = mf.World()
    sr = mf.make_request(budget=world.budget, listing=world.listing)
    services.decline_request(support_request=sr, by=world.provider_user, note="Fully booked")

    with pytest.raises(services.InvalidState):
        services.accept_request(support_request=sr, by=world.provider_user)
    with pytest.raises(services.InvalidState):
        services.withdraw_request(support_request=sr, by=world.holder)
    sr.refresh_from_db()
    assert (sr.status, sr.provider_note) == ("declined", "Fully booked")


def test_only_the_right_side_can_act():
    world = mf.World()
    sr = mf.make_request(budget=world.budget, listing=world.listing)
    stranger = mf.make_holder()

    with pytest.raises(services.NotPermitted):
        services.accept_request(support_request=sr, by=world.holder)
    with pytest.raises(services.NotPermitted):
        services.withdraw_request(support_request=sr, by=world.provider_user)
    with pytest.raises(services.NotPermitted):
        services.withdraw_request(support_request=sr, by=stranger)


def test_a_delegate_can_act_for_the_holder():
    from marketplace.models import Delegate

    world = mf.World()
    carer = mf.make_holder()
    Delegate.objects.create(
        budget=world.budget,
        user=carer,
        name="Carer",
        email=carer.email,
        status=Delegate.Status.ACTIVE,
        can_request=True,
    )

    assert services.acting_budget(carer) == world.budget
    support_request = mf.make_request(budget=world.budget, listing=world.listing, by=carer)
    assert support_request.requested_by == carer


def test_request_needs_an_outcome_from_this_holders_plan():
    world = mf.World()
    other = mf.make_budget()
    with pytest.raises(services.MarketplaceError, match="support plan"):
        mf.make_request(budget=world.budget, listing=world.listing, plan_outcome=other.plan.outcomes.first())


def test_outside_spending_is_recorded_with_its_outcome_and_private_receipt(settings):
    budget = mf.make_budget(amount_pence=30_000)
    plan_outcome = budget.plan.outcomes.first()

    entry = services.record_outside_spending(
        budget=budget,
        by=budget.holder,
        amount_pence=4_250,
        spent_on=timezone.localdate(),
        description="Bus pass for September",
        payee="Bee Network",
        plan_outcome=plan_outcome,
        receipt=SimpleUploadedFile("my bus pass.png", PNG, content_type="image/png"),
    )

    assert entry.amount_pence == -4_250
    assert entry.receipt_name == "my bus pass.png"
    assert entry.receipt.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    summary = services.budget_summary(budget=budget)
    assert (summary.spent_pence, summary.left_pence) == (4_250, 25_750)
    assert summary.by_outcome[0].spent_pence == 4_250


def test_outside_spending_already_made_is_recorded_even_past_the_budget():
    budget = mf.make_budget(amount_pence=1_000)
    services.record_outside_spending(
        budget=budget,
        by=budget.holder,
        amount_pence=1_500,
        spent_on=timezone.localdate(),
        description="Personal assistant",
        plan_outcome=budget.plan.outcomes.first(),
    )
    assert services.left_pence(budget=budget) == -500


def test_removing_a_plan_outcome_that_was_spent_on_keeps_it_on_record():
    world = mf.World()
    world.order()
    unused = mf.add_plan_outcome(world.budget, "See my sister", "see-friends-and-family")

    services.remove_plan_outcome(plan_outcome=world.plan_outcome, by=world.holder)
    services.remove_plan_outcome(plan_outcome=unused, by=world.holder)

    world.plan_outcome.refresh_from_db()
    assert world.plan_outcome.archived
    assert not type(unused).objects.filter(pk=unused.pk).exists()
