"""Payments benchmark: checkout initiations and webhook deliveries per second, and the ledger
balance query for a holder with 5,000 ledger entries.

Run `python -m bench.payments [--orders 200] [--entries 5000]`. It uses its own fresh SQLite
file under /tmp (or $BENCH_DIR), never the site's database, and starts the Stripe-compatible
test server (tests/marketplace/stripe_server.py, built from ../shared/stripe/fixtures3.json)
on 127.0.0.1, so every checkout is a real `stripe` SDK call over HTTP, as in production but
without the internet's latency.

- `checkout_*`: POST /orders/<id>/pay/ through Django's test client (sessions, CSRF-exempt
  test client, the view, the service, the SDK's HTTP round trip to the test server, the
  order update), one holder, sequential. Each is a new order, so each makes a new session.
- `webhook_*`: a signed `checkout.session.completed` for each of those orders, posted to
  /stripe/webhook/: signature check, the event table, the row locks, payment, ledger entry,
  order update and the receipt email (locmem backend, rendered for real).
- `webhook_duplicate_*`: the same events delivered again (the event-id check only).
- `balance_*`: `services.balance_pence` (one SQL SUM over the budget's indexed entries) for
  a holder with `--entries` ledger entries, and `baseline_python_sum_*`: the same balance
  computed the naive way, loading every entry and summing in Python, measured in the same run.
- `summary_*`: the whole dashboard summary (`services.budget_summary`) for that holder.
Each has p50 and p95 latency in ms; the request scenarios also have requests per second.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from . import _django


def log(message: str) -> None:
    """Progress for people watching; figures go to stdout only."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    """(p50, p95) of durations in seconds, in milliseconds."""
    ms = [s * 1000 for s in samples_s]
    if len(ms) < 2:
        return ms[0], ms[0]
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return cuts[49], cuts[94]


def timed(function, repeat: int) -> list[float]:
    """Durations of `repeat` calls of `function`, in seconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def configure_stripe(server) -> None:
    """Point the project's Stripe settings at the test server."""
    from django.conf import settings

    settings.STRIPE_SECRET_KEY = "sk_test_bench"  # noqa: S105 (the local test server's key)
    settings.STRIPE_API_BASE = server.url
    settings.STRIPE_WEBHOOK_SECRET = "whsec_bench"  # noqa: S105
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.PRIVATE_MEDIA_ROOT = Path(tempfile.gettempdir()) / "lsm-bench-private"


def build_world(orders: int):
    """A holder with a budget big enough for every order, a provider ready for payments, a listing."""
    from django.utils import timezone

    from marketplace import services
    from marketplace.gateways import get_payment_gateway
    from marketplace.models import ProviderPaymentAccount
    from tests.marketplace import factories as mf

    world = mf.World(amount_pence=orders * 10_000 + 100_000, price_pence=2_000)
    status = get_payment_gateway().create_account(provider=world.provider)
    ProviderPaymentAccount.objects.filter(pk=world.account.pk).update(account_id=status.account_id)
    log(f"agreeing {orders} orders")
    start = timezone.localdate() + timedelta(days=3)
    made = []
    for _ in range(orders):
        support_request = services.request_support(
            budget=world.budget,
            by=world.holder,
            listing=world.listing,
            price=world.listing.prices.first(),
            quantity=2,
            starts_on=start,
            ends_on=start,
            plan_outcome=world.plan_outcome,
        )
        made.append(services.accept_request(support_request=support_request, by=world.provider_user))
    return world, made, status.account_id


def measure_checkouts(world, orders, server, account_id) -> dict:
    """POST /orders/<id>/pay/ for each order; each makes a Checkout Session over HTTP."""
    from django.test import Client
    from django.urls import reverse

    server.enable_account(account_id, deliver=False)
    client = Client()
    client.force_login(world.holder)
    samples = []
    wall = time.perf_counter()
    for order in orders:
        start = time.perf_counter()
        response = client.post(reverse("marketplace:order_pay", args=[order.public_id]))
        samples.append(time.perf_counter() - start)
        assert response.status_code == 302 and response.url.startswith(server.url), response
    return {"samples": samples, "wall": time.perf_counter() - wall}


def measure_webhooks(orders, server) -> tuple[dict, dict]:
    """Signed checkout.session.completed for each order, then each delivered again."""
    from django.test import Client
    from django.urls import reverse

    from marketplace.models import Order
    from tests.marketplace.stripe_server import sign_payload

    payloads = []
    for order in orders:
        order.refresh_from_db()
        event = server.complete_checkout(order.checkout_session_id, deliver=False)
        payloads.append(json.dumps(event, indent=2))
    client = Client()
    url = reverse("marketplace:stripe_webhook")
    results = {}
    for scenario in ("first", "duplicate"):
        samples = []
        wall = time.perf_counter()
        for payload in payloads:
            signature = sign_payload(payload, "whsec_bench")
            start = time.perf_counter()
            response = client.post(
                url, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
            )
            samples.append(time.perf_counter() - start)
            assert response.status_code == 200, response.content
        results[scenario] = {"samples": samples, "wall": time.perf_counter() - wall}
    paid = Order.objects.filter(pk__in=[o.pk for o in orders], status=Order.Status.PAID).count()
    assert paid == len(orders), f"only {paid} of {len(orders)} orders paid"
    return results["first"], results["duplicate"]


def build_ledger(entries: int):
    """A holder whose budget has `entries` ledger entries, written in bulk (one row per entry)."""
    from django.utils import timezone

    from marketplace import services
    from marketplace.models import LedgerEntry
    from tests.marketplace import factories as mf

    budget = mf.make_budget(amount_pence=50_000)
    period = services.open_periods(budget=budget)
    plan_outcome = budget.plan.outcomes.first()
    today = timezone.localdate()
    existing = LedgerEntry.objects.filter(budget=budget).count()
    rows = [
        LedgerEntry(
            budget=budget,
            period=period,
            kind=LedgerEntry.Kind.OUTSIDE,
            amount_pence=-(100 + n % 900),
            occurred_on=today,
            description=f"Spending {n}",
            plan_outcome=plan_outcome,
            outcome_id=plan_outcome.outcome_id,
        )
        for n in range(entries - existing)
    ]
    LedgerEntry.objects.bulk_create(rows, batch_size=1000)
    return budget


def main(argv=None) -> None:
    """Measure and print `key=value` figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--orders", type=int, default=200, help="checkouts and webhooks to time (default 200)"
    )
    parser.add_argument("--entries", type=int, default=5_000, help="ledger entries for the balance query")
    parser.add_argument("--repeat", type=int, default=300, help="timed balance queries (default 300)")
    args = parser.parse_args(argv)

    path = Path(os.environ.get("BENCH_DIR") or tempfile.gettempdir()) / "lsm-bench-payments.sqlite3"
    _django.setup(path)
    import logging

    for name in ("wagtail", "django_tasks", "django.request", "marketplace"):
        logging.getLogger(name).setLevel(logging.ERROR)
    log(f"fresh database at {path}")
    _django.reset_database(path)

    from tests.marketplace.stripe_server import FIXTURES_PATH, StripeTestServer

    if not FIXTURES_PATH.exists():
        sys.exit(f"Stripe's fixture objects are not at {FIXTURES_PATH}; the test server needs them.")
    server = StripeTestServer().start()
    try:
        configure_stripe(server)
        world, orders, account_id = build_world(args.orders)
        log("timing checkout initiations")
        checkouts = measure_checkouts(world, orders, server, account_id)
        log("timing webhook deliveries")
        webhooks, duplicates = measure_webhooks(orders, server)
    finally:
        server.stop()

    log(f"writing {args.entries} ledger entries")
    from django.db import connection

    from marketplace import services
    from marketplace.models import LedgerEntry

    budget = build_ledger(args.entries)
    count = LedgerEntry.objects.filter(budget=budget).count()
    expected = services.balance_pence(budget=budget)

    def python_sum():
        # The naive way: load every entry and add them up in Python.
        return sum(e.amount_pence for e in LedgerEntry.objects.filter(budget=budget))

    assert python_sum() == expected
    balance = timed(lambda: services.balance_pence(budget=budget), args.repeat)
    baseline = timed(python_sum, max(20, args.repeat // 10))
    summary = timed(lambda: services.budget_summary(budget=budget), max(20, args.repeat // 10))

    figures = {
        "database": path,
        "database_engine": connection.vendor,
        "client": "django.test.Client (in process, full middleware) + stripe SDK over HTTP to 127.0.0.1",
        "orders": args.orders,
    }
    for name, result in (("checkout", checkouts), ("webhook", webhooks), ("webhook_duplicate", duplicates)):
        p50, p95 = percentiles(result["samples"])
        figures[f"{name}_p50_ms"] = f"{p50:.1f}"
        figures[f"{name}_p95_ms"] = f"{p95:.1f}"
        figures[f"{name}_per_second"] = f"{len(result['samples']) / result['wall']:.1f}"
    figures["ledger_entries"] = count
    for name, samples in (("balance", balance), ("baseline_python_sum", baseline), ("summary", summary)):
        p50, p95 = percentiles(samples)
        figures[f"{name}_p50_ms"] = f"{p50:.2f}"
        figures[f"{name}_p95_ms"] = f"{p95:.2f}"
    figures["balance_speedup_p95"] = f"{percentiles(baseline)[1] / percentiles(balance)[1]:.1f}"
    for key, value in figures.items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main()
