"""Demo data for the marketplace, on top of the directory's demo (`manage.py load_demo`).

Margaret Hughes (holder@example.org) gets a budget that began three periods ago, a support
plan in her own words, two receipts of spending outside the site and a request to Shazia's
Kitchen waiting for an answer, and one lunch club session today, agreed, paid and answered
("did it help?": a lot, with more people), so the plan, the statement and the coordinators'
report have an answer to show; her son Paul (delegate@example.org) helps her (he may view,
ask for support and download statements, not pay); Shazia's Kitchen offers a group lunch
club people can join. Everything is made through the services, as the site would.

Shazia's Kitchen gets a stand-in payment account so it can take requests and offer the
group: with no Stripe keys set, paying in the demo says the payment service cannot be
reached. The paid session is recorded by `record_payment`, the service a Stripe webhook calls,
with a payment reference starting `pi_demo_` that no payment service has seen.
Run once: when Margaret already has a budget, nothing changes.
"""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from directory.demo import DEMO_PROVIDER_NAME
from directory.models import Outcome, Provider

from .models import Budget, Delegate, GroupActivity, OutcomeCheck, ProviderPaymentAccount
from .services import outcome_checks, pooling
from .services.agreements import accept_request, request_support
from .services.budgets import add_plan_outcome, open_periods, record_outside_spending, set_up_budget
from .services.payments import record_payment

HOLDER_EMAIL = "holder@example.org"
HELPER_EMAIL = "delegate@example.org"
PLAN = (
    ("Have a hot meal I like every day", "eat-well"),
    ("Get out to the lunch club on Fridays", "get-out-and-about"),
    ("Give Paul a break from cooking for me", "carer-a-break-for-my-carer"),
)


def _outcome(slug: str) -> Outcome:
    return Outcome.objects.filter(slug=slug).first() or Outcome.objects.order_by("pk").first()


@transaction.atomic
def load_marketplace_demo(today=None) -> dict[str, int]:
    """Make the demo budget, plan, spending, request, helper and group; counts of what was made."""
    today = today or timezone.localdate()
    users = get_user_model().objects
    holder = users.filter(email=HOLDER_EMAIL).first()
    helper = users.filter(email=HELPER_EMAIL).first()
    provider = Provider.objects.filter(name=DEMO_PROVIDER_NAME).first()
    if not (holder and helper and provider) or Budget.objects.filter(holder=holder).exists():
        return {"budgets": 0}

    budget = set_up_budget(
        holder=holder,
        amount_pence=45_000,
        period=Budget.Period.FOUR_WEEKS,
        first_period_starts_on=today - timedelta(weeks=12),
        client_contribution_pence=2_000,
        contingency_weeks=8,
    )
    # Set up three periods ago (as if the council's payments began then).
    Budget.objects.filter(pk=budget.pk).update(created_at=timezone.now() - timedelta(weeks=12))
    budget.refresh_from_db()
    open_periods(budget=budget, today=today)
    outcomes = [
        add_plan_outcome(budget=budget, by=holder, own_words=words, outcome=_outcome(slug))
        for words, slug in PLAN
    ]
    for days_ago, pence, description, payee in (
        (40, 1_240, "Taxi to the lunch club and back", "Bolton Cabs"),
        (12, 2_000, "Bus pass top-up", "Bee Network"),
    ):
        record_outside_spending(
            budget=budget,
            by=holder,
            amount_pence=pence,
            spent_on=today - timedelta(days=days_ago),
            description=description,
            payee=payee,
            plan_outcome=outcomes[1],
        )

    Delegate.objects.create(
        budget=budget,
        user=helper,
        name="Paul Hughes",
        email=helper.email,
        relationship=Delegate.Relationship.FAMILY,
        can_request=True,
        can_download_statements=True,
        status=Delegate.Status.ACTIVE,
        invited_by=holder,
        accepted_at=timezone.now(),
    )

    ProviderPaymentAccount.objects.get_or_create(
        provider=provider,
        defaults={
            "account_id": "acct_demo_shazias_kitchen",
            "charges_enabled": True,
            "payouts_enabled": True,
            "details_submitted": True,
        },
    )
    listing = provider.listings.live().first()
    made = {"budgets": 1, "plan_outcomes": len(outcomes), "spending": 2, "helpers": 1}
    if listing is None:
        return made
    price = listing.prices.order_by("sort_order", "pk").first()
    if price and price.weekday_pence:
        request_support(
            budget=budget,
            by=holder,
            listing=listing,
            price=price,
            quantity=5,
            starts_on=today + timedelta(days=7),
            ends_on=today + timedelta(days=11),
            plan_outcome=outcomes[0],
            message="Halal, and not too spicy please. Paul will be in on Mondays to let you in.",
        )
        made["requests"] = 1
    member = provider.members.first()
    if member and price and price.weekday_pence:
        made.update(
            _paid_and_answered(holder=holder, member=member, listing=listing, price=price, today=today)
        )
    if member and not GroupActivity.objects.filter(provider=provider).exists():
        # Six Friday sessions from three weeks on, none on a bank holiday.
        fridays = weekly_sessions(FRIDAY, after=today + timedelta(days=20), count=6)
        pooling.create_activity(
            provider=provider,
            by=member,
            listing=listing,
            title="Friday lunch club: cook and eat together",
            description="Cook a two-course lunch together in a small group, then sit down and eat it.",
            when="Fridays, 11am to 1.30pm (not on bank holidays)",
            starts_on=fridays[0],
            ends_on=fridays[-1],
            unit_price_pence=1_200,
            units_per_place=6,
            places=8,
            min_places=4,
            join_by=fridays[0] - timedelta(days=7),
            if_not_filled=GroupActivity.IfNotFilled.NOBODY_CHARGED,
        )
        made["group_activities"] = 1
    return made


def _paid_and_answered(*, holder, member, listing, price, today) -> dict[str, int]:
    """One session today, asked for, agreed, paid and answered through the services."""
    budget = holder.budget
    plan_outcome = budget.plan.outcomes.filter(outcome__slug="get-out-and-about").first()
    plan_outcome = plan_outcome or budget.plan.outcomes.first()
    support_request = request_support(
        budget=budget,
        by=holder,
        listing=listing,
        price=price,
        quantity=1,
        starts_on=today,
        ends_on=today,
        plan_outcome=plan_outcome,
        message="A taster session before the lunch club starts.",
    )
    order = accept_request(support_request=support_request, by=member)
    record_payment(
        order=order,
        payment_intent_id=f"pi_demo_{order.public_id.hex[:20]}",
        amount_pence=order.total_pence,
        currency="gbp",
    )
    outcome_checks.open_due_checks(today=today)
    answered = 0
    for check in OutcomeCheck.objects.filter(order=order, answered_at__isnull=True):
        outcome_checks.answer(
            check=check,
            by=holder,
            helped=OutcomeCheck.Helped.A_LOT,
            connections=OutcomeCheck.Connections.MORE,
            note="I chatted with two women from Halliwell and we are meeting again on Friday.",
        )
        answered += 1
    return {"paid_orders": 1, "did_it_help_answers": answered}


FRIDAY = 4  # date.weekday()


def _easter_sunday(year: int) -> date:
    """Easter Day in the Gregorian calendar (the Meeus/Jones/Butcher algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_monday(year: int, month: int, n: int) -> date:
    """The n-th Monday of the month (n = -1: the last)."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def bank_holidays(year: int) -> set[date]:
    """England and Wales bank holidays in `year`, by the usual rules (substitute days when New
    Year, Christmas or Boxing Day fall at a weekend). One-off holidays (a coronation, a funeral)
    are not included: the demo only needs the regular ones."""
    easter = _easter_sunday(year)
    days = {
        easter - timedelta(days=2),  # Good Friday
        easter + timedelta(days=1),  # Easter Monday
        _nth_monday(year, 5, 1),  # early May
        _nth_monday(year, 5, -1),  # spring
        _nth_monday(year, 8, -1),  # summer
    }
    new_year = date(year, 1, 1)
    days.add(new_year + timedelta(days={5: 2, 6: 1}.get(new_year.weekday(), 0)))
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Monday and Tuesday
        days |= {christmas + timedelta(days=2), boxing + timedelta(days=2)}
    elif christmas.weekday() == 6:  # Sunday: Boxing Day, then Tuesday
        days |= {boxing, christmas + timedelta(days=2)}
    elif boxing.weekday() == 5:  # Friday and Saturday: Friday and Monday
        days |= {christmas, boxing + timedelta(days=2)}
    else:
        days |= {christmas, boxing}
    return days


def weekly_sessions(weekday: int, *, after: date, count: int) -> list[date]:
    """The next `count` dates on `weekday` (0 = Monday) after `after`, skipping bank holidays."""
    day = after + timedelta(days=(weekday - after.weekday()) % 7 or 7)
    sessions = []
    while len(sessions) < count:
        if day not in bank_holidays(day.year):
            sessions.append(day)
        day += timedelta(days=7)
    return sessions
