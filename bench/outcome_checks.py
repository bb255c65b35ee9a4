"""Did-it-help benchmark: `open_due_checks` (the daily job that makes "did it help?" questions)
at 100,000 paid orders, beside a naive baseline in the same run.

Run `python -m bench.outcome_checks` (see bench/README.md, "Did it help"). It builds its own
SQLite file under /tmp (or $BENCH_DIR), never the site's database: 1,000 holders with a plan
outcome each and 100 paid orders each (`--orders` in all), bulk-inserted with exactly the rows
the services write (request, order), starting across the past year and lasting 7 to 90 days;
the questions that were due before the first measured day are inserted as `open_due_checks`
would have made them (the steady state of a site that runs the job daily). Then, for each of
`--days` consecutive days, it measures:

- baseline: a naive job over the same orders, asking the database for each order's questions
  one order at a time (N+1), run inside a transaction that is rolled back, so it sees exactly
  the state the real job sees;
- `open_due_checks(today=day)`: wall time and queries (it then commits, as the daily job does).

Figures go to stdout as `key=value` lines (p50 and p95 over the days, in milliseconds, and
queries per run); progress to stderr.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from . import _django

SEED_DAY = date(2026, 6, 1)  # the first measured day; orders start in the year before it


class Rollback(Exception):
    """Raised to roll the baseline's writes back."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def build(orders: int, per_holder: int) -> None:
    """Holders, plans and `orders` paid orders, with the questions due before SEED_DAY."""
    from django.db import transaction

    from marketplace.models import (
        Budget,
        Order,
        OutcomeCheck,
        PlanOutcome,
        SupportPlan,
        SupportRequest,
    )
    from marketplace.services.outcome_checks import due_dates
    from tests import factories
    from tests.marketplace import factories as mf

    provider = factories.ProviderFactory(name="Bench Provider")
    listing = mf.make_listing(provider, price_pence=2_000, title="Bench support")
    outcome = mf.outcome("get-out-and-about")
    holders = orders // per_holder
    with transaction.atomic():
        users = [factories.UserFactory.build(email=f"bench-{n}@example.org") for n in range(holders)]
        for user in users:
            user.set_unusable_password()
        users = type(users[0]).objects.bulk_create(users, batch_size=2_000)
        began = SEED_DAY - timedelta(days=400)
        budgets = Budget.objects.bulk_create(
            [Budget(holder=user, amount_pence=100_000, first_period_starts_on=began) for user in users],
            batch_size=2_000,
        )
        plans = SupportPlan.objects.bulk_create([SupportPlan(budget=b) for b in budgets], batch_size=2_000)
        plan_outcomes = PlanOutcome.objects.bulk_create(
            [PlanOutcome(plan=p, own_words="Get out more", outcome=outcome) for p in plans], batch_size=2_000
        )
    log(f"{holders} holders made; making {orders} paid orders")
    for first in range(0, orders, 10_000):
        with transaction.atomic():
            rows = []
            for n in range(first, min(first + 10_000, orders)):
                holder = n % holders
                start = SEED_DAY - timedelta(days=365) + timedelta(days=(n * 7919) % 372)
                rows.append((budgets[holder], plan_outcomes[holder], users[holder], start, 7 + n % 84))
            requests = SupportRequest.objects.bulk_create(
                [
                    SupportRequest(
                        budget=budget,
                        requested_by=user,
                        listing=listing,
                        provider=provider,
                        service_description="Bench support",
                        unit="hour",
                        unit_price_pence=2_000,
                        quantity=1,
                        starts_on=start,
                        ends_on=start + timedelta(days=days),
                        plan_outcome=plan_outcome,
                        status=SupportRequest.Status.ACCEPTED,
                    )
                    for budget, plan_outcome, user, start, days in rows
                ]
            )
            made = Order.objects.bulk_create(
                [
                    Order(
                        request=request,
                        budget_id=request.budget_id,
                        provider=provider,
                        listing=listing,
                        plan_outcome_id=request.plan_outcome_id,
                        outcome=outcome,
                        service_description=request.service_description,
                        unit="hour",
                        quantity=1,
                        unit_price_pence=2_000,
                        total_pence=2_000,
                        starts_on=request.starts_on,
                        ends_on=request.ends_on,
                        status=Order.Status.PAID,
                    )
                    for request in requests
                ]
            )
            OutcomeCheck.objects.bulk_create(
                [
                    OutcomeCheck(
                        order=order,
                        budget_id=order.budget_id,
                        plan_outcome_id=order.plan_outcome_id,
                        kind=kind,
                        due_on=due_on,
                    )
                    for order in made
                    for kind, due_on in due_dates(order).items()
                    if due_on < SEED_DAY
                ]
            )
        log(f"  {min(first + 10_000, orders)} orders")


def naive_open_due_checks(*, today: date) -> int:
    """The same job written plainly: every paid order, then its questions, one order at a time."""
    from marketplace.models import Order, OutcomeCheck
    from marketplace.services.outcome_checks import due_dates

    made = 0
    for order in Order.objects.filter(status=Order.Status.PAID, starts_on__lte=today).exclude(
        plan_outcome__isnull=True
    ):
        have = set(OutcomeCheck.objects.filter(order=order).values_list("kind", flat=True))
        for kind, due_on in due_dates(order).items():
            if kind not in have and due_on <= today:
                OutcomeCheck.objects.create(
                    order=order,
                    budget_id=order.budget_id,
                    plan_outcome_id=order.plan_outcome_id,
                    kind=kind,
                    due_on=due_on,
                )
                made += 1
    return made


def measure(function, today: date, *, rollback: bool) -> tuple[float, int, int]:
    """(milliseconds, queries, questions made) for one run of `function` for `today`."""
    from django.db import connection, transaction

    made, queries = 0, 0

    # Counted with an execute wrapper: Django's own query log keeps only the last 9,000.
    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        try:
            with transaction.atomic():
                result = function(today=today)
                made = result if isinstance(result, int) else len(result)
                elapsed = (time.perf_counter() - started) * 1000
                if rollback:
                    raise Rollback
        except Rollback:
            pass
    return elapsed, queries, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--per-holder", type=int, default=100)
    parser.add_argument("--days", type=int, default=5, help="consecutive days measured (p50/p95 over them)")
    args = parser.parse_args()

    folder = Path(os.environ.get("BENCH_DIR") or tempfile.gettempdir())
    database = folder / f"bench-outcome-checks-{args.orders}.sqlite3"
    _django.setup(database)
    _django.reset_database(database)
    log(f"building {args.orders} paid orders in {database}")
    started = time.perf_counter()
    build(args.orders, args.per_holder)
    log(f"built in {time.perf_counter() - started:.0f} s")

    from django.conf import settings

    from marketplace.services.outcome_checks import open_due_checks

    settings.DEBUG = False
    baseline, current = [], []
    for offset in range(args.days):
        day = SEED_DAY + timedelta(days=offset)
        baseline.append(measure(naive_open_due_checks, day, rollback=True))
        current.append(measure(open_due_checks, day, rollback=False))
        log(f"{day}: baseline {baseline[-1][0]:.0f} ms, open_due_checks {current[-1][0]:.0f} ms")
        assert baseline[-1][2] == current[-1][2], "the baseline and the job made different questions"

    print(f"orders={args.orders}")
    print(f"days_measured={args.days}")
    print(f"questions_made_per_day={statistics.mean(run[2] for run in current):.0f}")
    for name, runs in (("baseline_naive", baseline), ("open_due_checks", current)):
        times = [run[0] for run in runs]
        print(f"{name}_p50_ms={percentile(times, 0.5):.0f}")
        print(f"{name}_p95_ms={percentile(times, 0.95):.0f}")
        print(f"{name}_queries_per_run={statistics.mean(run[1] for run in runs):.0f}")


if __name__ == "__main__":
    main()
