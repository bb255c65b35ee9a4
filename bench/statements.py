"""Statement benchmark: building, CSV and PDF for a holder with 500 and 5,000 paid orders a year.

Run `python -m bench.statements` (see bench/README.md "Statements"). It builds its own SQLite
file under /tmp (never the site's database): one holder per size, with a year of 4-weekly
council payments and contributions and N orders paid across the year (one request, order,
payment and ledger entry each, bulk-inserted so every row satisfies the model's constraints;
every tenth order is refunded). Then, for each size, it measures:

- `build_statement` (wall time, queries, peak Python memory by tracemalloc);
- baseline: a naive build of the same lines, reading each entry's order, provider, outcome and
  payment one query at a time (N+1), measured in the same run on the same data;
- `statement_csv` and `statement_pdf` (wall time; then peak memory in a second, traced pass,
  because tracemalloc slows WeasyPrint two- to threefold);
- the process's peak resident memory (ru_maxrss) after each step.

Figures go to stdout as `key=value` lines; progress to stderr.
"""

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

from . import _django

SIZES = (500, 5_000)
QUICK_SIZES = (200, 2_000)
FIRST_DAY = date(2025, 4, 1)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_holder(size: int, number: int):
    """A holder with a year of periods and `size` paid orders spread over it (every tenth refunded)."""
    from django.db import transaction
    from django.utils import timezone

    from marketplace.models import (
        Budget,
        BudgetPeriod,
        LedgerEntry,
        Order,
        Payment,
        PlanOutcome,
        Refund,
        SupportPlan,
        SupportRequest,
    )
    from tests import factories
    from tests.marketplace import factories as mf

    holder = factories.UserFactory(email=f"bench-holder-{number}@example.org")
    provider = factories.ProviderFactory(name=f"Bench Provider {number}", legal_name=f"Bench Ltd {number}")
    listing = mf.make_listing(provider, price_pence=1_850, title=f"Bench support {number}")
    budget = Budget.objects.create(
        holder=holder,
        amount_pence=400_000,
        period=Budget.Period.FOUR_WEEKS,
        first_period_starts_on=FIRST_DAY,
        client_contribution_pence=2_000,
        contingency_weeks=4,
    )
    plan = SupportPlan.objects.create(budget=budget)
    outcomes = [
        PlanOutcome.objects.create(plan=plan, own_words=words, outcome=mf.outcome(slug))
        for words, slug in (
            ("Go swimming every week", "get-out-and-about"),
            ("Cook a hot meal", "eat-well"),
            ("See my friends", "see-friends-and-family"),
        )
    ]
    with transaction.atomic():
        periods = []
        start = FIRST_DAY
        while start < FIRST_DAY + timedelta(days=365):
            periods.append(
                BudgetPeriod.objects.create(
                    budget=budget,
                    starts_on=start,
                    ends_on=start + timedelta(days=27),
                    amount_pence=400_000,
                    client_contribution_pence=2_000,
                )
            )
            start += timedelta(days=28)
        entries = []
        for period in periods:
            for kind, amount in (
                (LedgerEntry.Kind.ALLOCATION, 400_000),
                (LedgerEntry.Kind.CONTRIBUTION, 2_000),
            ):
                entries.append(
                    LedgerEntry(
                        budget=budget,
                        period=period,
                        kind=kind,
                        amount_pence=amount,
                        occurred_on=period.starts_on,
                        description="Direct payment from the council",
                    )
                )
        days = [FIRST_DAY + timedelta(days=i * 364 // size) for i in range(size)]
        requests = SupportRequest.objects.bulk_create(
            SupportRequest(
                budget=budget,
                requested_by=holder,
                listing=listing,
                provider=provider,
                service_description="Swimming support",
                unit="hour",
                unit_price_pence=1_850,
                quantity=1 + i % 4,
                starts_on=day,
                ends_on=day + timedelta(days=14),
                plan_outcome=outcomes[i % 3],
                status=SupportRequest.Status.ACCEPTED,
            )
            for i, day in enumerate(days)
        )
        orders = Order.objects.bulk_create(
            Order(
                request=request,
                budget=budget,
                provider=provider,
                listing=listing,
                plan_outcome=request.plan_outcome,
                outcome_id=request.plan_outcome.outcome_id,
                service_description=request.service_description,
                unit="hour",
                quantity=request.quantity,
                unit_price_pence=1_850,
                total_pence=request.quantity * 1_850,
                starts_on=request.starts_on,
                ends_on=request.ends_on,
                status=Order.Status.PAID,
            )
            for request in requests
        )
        if orders[0].pk is None:  # databases that do not return ids from bulk inserts
            orders = list(Order.objects.filter(budget=budget).order_by("pk"))
        payments = Payment.objects.bulk_create(
            Payment(
                order=order,
                payment_intent_id=f"pi_bench_{number}_{i:06d}",
                amount_pence=order.total_pence,
                paid_at=timezone.now(),
            )
            for i, order in enumerate(orders)
        )
        if payments[0].pk is None:
            payments = list(Payment.objects.filter(order__budget=budget).order_by("pk"))
        period_of = {}
        for period in periods:
            for offset in range(28):
                period_of[period.starts_on + timedelta(days=offset)] = period
        for order, payment, day in zip(orders, payments, days, strict=True):
            entries.append(
                LedgerEntry(
                    budget=budget,
                    period=period_of[day],
                    kind=LedgerEntry.Kind.PAYMENT,
                    amount_pence=-order.total_pence,
                    occurred_on=day,
                    description=f"{order.service_description} from {provider.name}",
                    payee=provider.name,
                    plan_outcome_id=order.plan_outcome_id,
                    outcome_id=order.outcome_id,
                    order=order,
                    payment=payment,
                )
            )
        refunded = list(zip(orders, payments, days, strict=True))[::10]
        refunds = Refund.objects.bulk_create(
            Refund(payment=payment, refund_id=f"re_bench_{number}_{i:06d}", amount_pence=payment.amount_pence)
            for i, (_, payment, _) in enumerate(refunded)
        )
        if refunds and refunds[0].pk is None:
            refunds = list(Refund.objects.filter(payment__order__budget=budget).order_by("pk"))
        for (order, payment, day), refund in zip(refunded, refunds, strict=True):
            refund_day = min(day + timedelta(days=3), periods[-1].ends_on)
            entries.append(
                LedgerEntry(
                    budget=budget,
                    period=period_of[refund_day],
                    kind=LedgerEntry.Kind.REFUND,
                    amount_pence=payment.amount_pence,
                    occurred_on=refund_day,
                    description=f"Refund: {order.service_description} from {provider.name}",
                    payee=provider.name,
                    plan_outcome_id=order.plan_outcome_id,
                    outcome_id=order.outcome_id,
                    order=order,
                    payment=payment,
                    refund=refund,
                )
            )
        LedgerEntry.objects.bulk_create(entries, batch_size=1_000)
    return budget, periods[0].starts_on, periods[-1].ends_on


def naive_lines(budget, starts_on, ends_on) -> list[dict]:
    """Baseline: the same facts per line, reading related rows one query at a time (N+1)."""
    from marketplace.models import LedgerEntry

    lines = []
    for entry in LedgerEntry.objects.filter(budget=budget, occurred_on__range=(starts_on, ends_on)):
        line = {"date": entry.occurred_on, "amount": entry.amount_pence, "kind": entry.kind}
        if entry.outcome_id:
            line["outcome"] = entry.outcome.label
            line["own_words"] = entry.plan_outcome.own_words
        if entry.order_id:
            order = entry.order
            line.update(
                provider=order.provider.name,
                legal_name=order.provider.legal_name,
                activity=order.activity.title if order.activity_id else "",
                payment=entry.payment.payment_intent_id,
            )
        lines.append(line)
    return lines


class QueryCounter:
    """Counts the SQL statements run inside it (no cap, unlike Django's query log)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def counted(function):
    """(result, seconds, CPU seconds, queries) for one call."""
    from django.db import connection

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        result, seconds, cpu = timed_cpu(function)
    return result, seconds, cpu, counter.count


def timed_cpu(function):
    """(result, wall seconds, CPU seconds): CPU time is steadier when the machine is shared."""
    started, cpu_started = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - started, time.process_time() - cpu_started


def timed(function, *, trace: bool = False):
    """(result, seconds, peak traced MiB or None)."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - started
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result, seconds, peak


def measure(size: int, number: int, *, trace_pdf: bool) -> dict:
    from marketplace.services import statements

    log(f"size={size}: loading")
    (budget, starts_on, ends_on), load_s, _ = timed(lambda: build_holder(size, number))
    figures = {"size": size, "load_s": f"{load_s:.1f}"}

    def build():
        return statements.build_statement(budget=budget, starts_on=starts_on, ends_on=ends_on)

    build()  # warm the connection and templates
    statement, build_s, build_cpu, build_queries = counted(build)
    _, _, build_peak = timed(build, trace=True)
    _, naive_s, naive_cpu, naive_queries = counted(lambda: naive_lines(budget, starts_on, ends_on))
    figures.update(
        lines=len(statement.lines),
        build_ms=f"{build_s * 1000:.0f}",
        build_cpu_ms=f"{build_cpu * 1000:.0f}",
        build_queries=build_queries,
        build_peak_mb=f"{build_peak:.1f}",
        naive_ms=f"{naive_s * 1000:.0f}",
        naive_cpu_ms=f"{naive_cpu * 1000:.0f}",
        naive_queries=naive_queries,
        ratio_naive_over_build=f"{naive_s / build_s:.1f}",
        rss_after_build_mb=f"{rss_mb():.0f}",
    )
    log(f"size={size}: csv")
    csv_text, csv_s, _ = timed(lambda: statements.statement_csv(statement))
    _, _, csv_peak = timed(lambda: statements.statement_csv(statement), trace=True)
    figures.update(
        csv_ms=f"{csv_s * 1000:.0f}",
        csv_kb=len(csv_text.encode()) // 1024,
        csv_peak_mb=f"{csv_peak:.1f}",
        rss_after_csv_mb=f"{rss_mb():.0f}",
    )
    log(f"size={size}: pdf")
    pdf, pdf_s, pdf_cpu = timed_cpu(lambda: statements.statement_pdf(statement))
    figures.update(
        pdf_s=f"{pdf_s:.1f}",
        pdf_cpu_s=f"{pdf_cpu:.1f}",
        pdf_kb=len(pdf) // 1024,
        pdf_ms_per_line=f"{pdf_s * 1000 / len(statement.lines):.2f}",
        rss_after_pdf_mb=f"{rss_mb():.0f}",
    )
    if trace_pdf:
        log(f"size={size}: pdf again, traced")
        _, _, pdf_peak = timed(lambda: statements.statement_pdf(statement), trace=True)
        figures["pdf_peak_mb"] = f"{pdf_peak:.0f}"
    return figures


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 and 2,000 orders, PDF not traced")
    parser.add_argument("--sizes", help="comma-separated order counts (default 500,5000)")
    parser.add_argument("--no-trace-pdf", action="store_true", help="skip the traced PDF pass (slow)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (QUICK_SIZES if args.quick else SIZES)
    database = Path(os.environ.get("BENCH_DIR") or tempfile.gettempdir()) / "lsm-bench-statements.sqlite3"
    _django.setup(database)
    _django.reset_database(database)
    from importlib import metadata

    print(
        f"env python={platform.python_version()} cores={os.cpu_count()} machine={platform.machine()} "
        f"django={metadata.version('django')} weasyprint={metadata.version('weasyprint')} "
        f"database=sqlite"
    )
    results = []
    for number, size in enumerate(sizes, start=1):
        figures = measure(size, number, trace_pdf=not (args.quick or args.no_trace_pdf))
        results.append(figures)
        print(" ".join(f"{key}={value}" for key, value in figures.items()), flush=True)
    if len(results) > 1:
        small, large = results[0], results[-1]

        def per_line(figures, key, scale=1.0):
            return float(figures[key]) * scale / figures["lines"]

        print(
            f"growth lines={large['lines'] / small['lines']:.1f}x "
            f"build_per_line={per_line(large, 'build_ms') / per_line(small, 'build_ms'):.2f} "
            f"csv_per_line={per_line(large, 'csv_ms') / per_line(small, 'csv_ms'):.2f} "
            f"pdf_per_line={per_line(large, 'pdf_s') / per_line(small, 'pdf_s'):.2f} "
            f"pdf_cpu_per_line={per_line(large, 'pdf_cpu_s') / per_line(small, 'pdf_cpu_s'):.2f} "
            f"loadavg={os.getloadavg()[0]:.1f} peak_rss_mb={rss_mb():.0f}"
        )


if __name__ == "__main__":
    main()
