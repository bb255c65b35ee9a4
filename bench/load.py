"""Load benchmark: the site under gunicorn, driven by wrk, on 10k listings; then 50 concurrent
checkouts against one budget.

Run `python -m bench.load` (see bench/README.md, "Load"). It

1. builds (or reuses) its own database: a SQLite file under /tmp (or $BENCH_DIR), or the
   database DATABASE_URL names. 10,000 live listings are made as bench/oruk.py makes them
   (the first through Wagtail, the rest in bulk with exactly the rows Wagtail writes), so
   listing pages and the Open Referral API have real pages to serve, and the embedded search
   index is rebuilt from them as `rebuild_search_index` does;
2. starts the site under gunicorn (`--workers`, sync) on 127.0.0.1 and the Stripe-compatible
   test server (tests/marketplace/stripe_server.py) in this process;
3. runs wrk, bounded in time (`--duration`) and in requests (`--max-requests`), over a fixed,
   seeded mix of GETs: the home page, the search page (varied words, places and radii), listing
   pages, /api/search and /openreferral/services; first with one connection (the baseline:
   the same mix, no concurrency), then with `--connections`;
4. agrees and pays 50 orders concurrently over HTTP against one budget that covers only some
   of them: `--checkouts` requests of £20 against a £300 budget, all accepted at once by the
   provider, then every agreed order paid at once (Checkout Session on the test server, then
   its signed webhook delivered to the site), and checks that exactly as many as the budget
   covers went through and nothing was overspent.

It prints `key=value` figures on stdout (progress on stderr) and stops every process it started.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import _django

GENERATOR_VERSION = 1
SEED = 2026
WRK_INSTALL = "apt-get install -y wrk"
SEARCH_WORDS = [
    "swimming",
    "meals",
    "garden help",
    "walking group",
    "companion days out",
    "cooking",
    "sitting service break",
    "art club",
    "",
]
RADII = ["3", "5", "10", "20"]
# Share of each kind of request in the mix.
MIX = {"home": 10, "search": 30, "listing": 25, "api_search": 20, "oruk_services": 15}
BUDGET_PENCE = 30_000
PRICE_PENCE = 2_000
WEBHOOK_SECRET = "whsec_bench_load"  # noqa: S105 (the local test server's signing secret)
STRIPE_KEY = "sk_test_bench_load"
# Several gunicorn workers write to one SQLite file: a transaction that reads and then writes
# (an agreement checks the budget, then commits to it) must take the write lock when it starts,
# or two of them deadlock on upgrading their locks and one fails with "database is locked".
# IMMEDIATE makes the second wait (up to `timeout` seconds) instead.
SQLITE_OPTIONS = "?transaction_mode=IMMEDIATE&timeout=20"

# wrk's Lua side: a fixed list of paths (one per line), walked from a different offset in each
# thread; each thread stops after its share of --max-requests; `done` prints the figures as JSON.
WRK_SCRIPT = r"""
local paths, position, answered, limit = {}, 0, 0, 0
local thread_number = 0
function setup(thread)
  thread:set("offset", thread_number * 7919)
  thread_number = thread_number + 1
end
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  limit = tonumber(args[2])
  position = offset or 0
end
function request()
  position = position + 1
  return wrk.format("GET", paths[(position % #paths) + 1])
end
function response(status, headers, body)
  answered = answered + 1
  if answered >= limit then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def log(message: str) -> None:
    """Progress for people watching; figures go to stdout only."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def database_path(size: int) -> Path:
    """The benchmark's own SQLite file."""
    return Path(os.environ.get("BENCH_DIR") or tempfile.gettempdir()) / f"lsm-bench-load-{size}.sqlite3"


def fingerprint() -> str:
    """What decides the stored data: the listing generator and the search index's code."""
    from . import oruk, search

    return f"{GENERATOR_VERSION}-{oruk.fingerprint()}-{search.code_fingerprint('database')}"


def free_port() -> int:
    """A free port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the data -----------------------------------------------------------------------------------


def setup_django(database_url: str) -> None:
    """Start Django with the test settings on the benchmark's database."""
    if str(_django.PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(_django.PROJECT_ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    import logging

    for name in ("wagtail", "django_tasks", "django.request"):
        logging.getLogger(name).setLevel(logging.ERROR)


def build(size: int, sample: int) -> dict[str, str]:
    """Fill the (migrated, empty) database: listings as bench.oruk makes them, then the index."""
    from search.backends import get_search_backend

    from . import oruk

    meta = oruk.build(size, sample)
    log("rebuilding the search index")
    started = time.perf_counter()
    get_search_backend("database").rebuild()
    meta["index_seconds"] = f"{time.perf_counter() - started:.1f}"
    meta["fingerprint"] = fingerprint()
    return meta


def prepare(args) -> tuple[str, bool]:
    """The database URL to use, filled with `args.listings` listings; and whether it was reused."""
    external = os.environ.get("DATABASE_URL", "")
    if external:
        setup_django(external)
        _django.migrate()
        from directory.models import ListingPage

        live = ListingPage.objects.live().count()
        if live >= args.listings:
            return external, True
        if live:
            raise SystemExit(
                f"DATABASE_URL holds {live} listings, not {args.listings}: give it an empty database"
            )
        build(args.listings, args.wagtail_sample)
        return external, False
    path = database_path(args.listings)
    setup_django(f"sqlite:///{path}{SQLITE_OPTIONS}")
    _django.migrate()
    meta = _django.read_meta()
    if not args.fresh and meta.get("fingerprint") == fingerprint() and meta.get("size") == str(args.listings):
        return f"sqlite:///{path}{SQLITE_OPTIONS}", True
    log(f"building {args.listings} listings in {path}")
    _django.reset_database(path)
    _django.write_meta(build(args.listings, args.wagtail_sample))
    return f"sqlite:///{path}{SQLITE_OPTIONS}", False


def request_mix(count: int) -> list[str]:
    """`count` GET paths in the MIX proportions, seeded: the same mix every run."""
    from urllib.parse import urlencode

    from directory.models import ListingPage, PostcodeDistrict

    rng = random.Random(SEED)
    used = set(ListingPage.objects.live().values_list("base_postcode", flat=True))
    places = sorted(PostcodeDistrict.objects.filter(code__in=used).values_list("code", flat=True))[:60]
    listings = [p.url for p in ListingPage.objects.live().order_by("?")[:300]]
    listings = [url for url in listings if url]
    if not places or not listings:
        raise SystemExit("the benchmark database has no listings with places: run with --fresh")

    def search_params() -> str:
        params = {"q": rng.choice(SEARCH_WORDS), "near": rng.choice(places), "radius": rng.choice(RADII)}
        return urlencode({k: v for k, v in params.items() if v})

    makers = {
        "home": lambda: "/",
        "search": lambda: f"/search/?{search_params()}",
        "listing": lambda: rng.choice(listings),
        "api_search": lambda: f"/api/search?{search_params()}",
        "oruk_services": lambda: f"/openreferral/services?page={rng.randint(1, 200)}&per_page=50",
    }
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    return [makers[kind]() for kind in kinds]


# --- processes ------------------------------------------------------------------------------------


class Site:
    """The site under gunicorn, in its own process group so that all of it can be stopped."""

    def __init__(self, database_url: str, workers: int, stripe_url: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url,
            # One client makes thousands of requests: the per-client limit would answer 429.
            "ORUK_RATE_LIMIT_PER_MINUTE": "0",
            "STRIPE_SECRET_KEY": STRIPE_KEY,
            "STRIPE_API_BASE": stripe_url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_MAX_NETWORK_RETRIES": "0",
            "LOG_LEVEL": "ERROR",
        }
        self.process = subprocess.Popen(  # noqa: S603 (this interpreter, the project's own app)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                f"--workers={workers}",
                f"--bind=127.0.0.1:{self.port}",
                "--timeout=60",
                "--log-level=warning",
            ],
            cwd=_django.PROJECT_ROOT,
            env=env,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        """Until the home page answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=10) as response:  # noqa: S310 (127.0.0.1)
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        raise SystemExit("gunicorn did not answer within 90 s")

    def stop(self) -> None:
        """Stop gunicorn and its workers (SIGTERM, then SIGKILL after 20 s)."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def run_wrk(url: str, script: Path, paths: Path, *, threads: int, connections: int, seconds: int, limit: int):
    """One wrk run; its figures as a dict."""
    per_thread = max(1, limit // threads)
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=30s",
        f"--script={script}",
        url,
        "--",
        str(paths),
        str(per_thread),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)  # noqa: S603
    found = re.search(r"^WRK-RESULT (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or not found:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    figures = json.loads(found.group(1))
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    return figures


# --- concurrent checkouts -----------------------------------------------------------------------


def browser_for(site: Site, user, csrf_page: str):
    """A requests session signed in as `user`, with a CSRF token, like a person's browser."""
    import requests
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = requests.Session()
    # One connection per concurrent request, as that many browsers would have.
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=64))
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    session.get(site.url + csrf_page, timeout=30)
    session.headers["X-CSRFToken"] = session.cookies[settings.CSRF_COOKIE_NAME]
    return session


def all_at_once(function, items) -> list:
    """function(item) for every item at the same moment (a barrier lines them up)."""
    barrier = threading.Barrier(len(items))

    def run(item):
        barrier.wait(timeout=60)
        return function(item)

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(run, items))


def checkouts(site: Site, stripe_server, count: int) -> dict:
    """`count` requests against one budget, accepted at once, then the agreed ones paid at once."""
    from django.conf import settings
    from django.db import connections
    from django.urls import reverse

    from marketplace import services
    from marketplace.models import LedgerEntry, Order, Payment
    from tests.marketplace import factories as mf

    settings.STRIPE_SECRET_KEY = STRIPE_KEY
    settings.STRIPE_API_BASE = stripe_server.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_server.set_webhook("platform", site.url + reverse("marketplace:stripe_webhook"), WEBHOOK_SECRET)
    # A reused database holds the people of earlier runs: number this run's after them.
    from tests import factories

    first = int(time.time())
    factories.UserFactory.reset_sequence(first)
    factories.ProviderFactory.reset_sequence(first)
    world = mf.connected_world(stripe_server, amount_pence=BUDGET_PENCE, price_pence=PRICE_PENCE)
    pending = [mf.make_request(budget=world.budget, listing=world.listing, quantity=1) for _ in range(count)]
    connections.close_all()  # SQLite: let the site's workers write

    # A page with a form sets the CSRF cookie, as it would for a person.
    provider = browser_for(
        site, world.provider_user, reverse("marketplace:request_detail", args=[pending[0].public_id])
    )
    started = time.perf_counter()
    accepted = all_at_once(
        lambda r: provider.post(
            site.url + reverse("marketplace:request_accept", args=[r.public_id]),
            allow_redirects=False,
            timeout=60,
        ),
        pending,
    )
    accept_s = time.perf_counter() - started
    orders = list(Order.objects.filter(budget=world.budget))

    holder = browser_for(site, world.holder, reverse("marketplace:order_detail", args=[orders[0].public_id]))
    started = time.perf_counter()
    paid = all_at_once(
        lambda o: holder.post(
            site.url + reverse("marketplace:order_pay", args=[o.public_id]), allow_redirects=False, timeout=60
        ),
        orders,
    )
    sessions = [Order.objects.get(pk=o.pk).checkout_session_id for o in orders]
    all_at_once(stripe_server.complete_checkout, [s for s in sessions if s])  # delivers each webhook
    pay_s = time.perf_counter() - started

    statuses = [r.status_code for r in accepted + paid]
    left = services.left_pence(budget=world.budget)
    balance = services.balance_pence(budget=world.budget)
    covered = BUDGET_PENCE // PRICE_PENCE
    figures = {
        "requests": count,
        "budget_pence": BUDGET_PENCE,
        "price_pence": PRICE_PENCE,
        "budget_covers": covered,
        "agreed": len(orders),
        "refused": count - len(orders),
        "checkout_sessions": len(stripe_server.objects_of("checkout.session")),
        "paid": Order.objects.filter(budget=world.budget, status=Order.Status.PAID).count(),
        "payments": Payment.objects.filter(order__budget=world.budget).count(),
        "ledger_payments": LedgerEntry.objects.filter(
            budget=world.budget, kind=LedgerEntry.Kind.PAYMENT
        ).count(),
        "balance_pence": balance,
        "left_pence": left,
        "http_errors": sum(1 for s in statuses if s >= 400),
        "accept_all_s": f"{accept_s:.2f}",
        "pay_all_s": f"{pay_s:.2f}",
    }
    figures["webhook_errors"] = sum(1 for d in stripe_server.deliveries if d.status != 200)
    figures["webhooks"] = len(stripe_server.deliveries)
    checks = {
        "exactly_covered": figures["agreed"] == covered == figures["paid"] == figures["payments"],
        "no_overspend": balance >= 0 and left >= 0,
        "no_errors": figures["http_errors"] == 0 and figures["webhook_errors"] == 0,
    }
    figures["ok"] = (
        "yes" if all(checks.values()) else "NO(" + ",".join(k for k, v in checks.items() if not v) + ")"
    )
    return figures


# --- main ---------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    """Build or reuse the data, serve it, load it, check the checkouts, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--wagtail-sample", type=int, default=100, help="listings made through Wagtail")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections in the load run")
    parser.add_argument("--duration", type=int, default=20, help="seconds of the load run (at most)")
    parser.add_argument("--baseline-duration", type=int, default=10, help="seconds of the baseline run")
    parser.add_argument("--max-requests", type=int, default=20_000, help="requests per run (at most)")
    parser.add_argument("--checkouts", type=int, default=50)
    parser.add_argument("--fresh", action="store_true", help="rebuild the data even if it is stored")
    args = parser.parse_args(argv)

    if not shutil.which("wrk"):
        print(f"wrk=missing install_with='{WRK_INSTALL}' (Debian's wrk package)")
        return 2

    database_url, reused = prepare(args)
    from django.db import connections

    from tests.marketplace.stripe_server import FIXTURES_PATH, StripeTestServer

    if not FIXTURES_PATH.exists():
        raise SystemExit(f"the Stripe test server needs {FIXTURES_PATH} (or STRIPE_FIXTURES_PATH)")
    paths = request_mix(2_000)
    connections.close_all()

    work = Path(tempfile.mkdtemp(prefix="lsm-bench-load-"))
    stripe_server = StripeTestServer().start()
    site = Site(database_url, args.workers, stripe_server.url)
    try:
        (work / "paths.txt").write_text("\n".join(paths) + "\n")
        (work / "mix.lua").write_text(WRK_SCRIPT)
        site.wait_ready()
        log(f"gunicorn on {site.url} with {args.workers} workers; warming up")
        run_wrk(
            site.url, work / "mix.lua", work / "paths.txt", threads=1, connections=2, seconds=3, limit=300
        )
        log("baseline: one connection")
        base = run_wrk(
            site.url,
            work / "mix.lua",
            work / "paths.txt",
            threads=1,
            connections=1,
            seconds=args.baseline_duration,
            limit=args.max_requests,
        )
        log(f"load: {args.connections} connections")
        load = run_wrk(
            site.url,
            work / "mix.lua",
            work / "paths.txt",
            threads=2,
            connections=args.connections,
            seconds=args.duration,
            limit=args.max_requests,
        )
        log(f"{args.checkouts} concurrent checkouts against one budget")
        checkout = checkouts(site, stripe_server, args.checkouts)
    finally:
        site.stop()
        stripe_server.stop()
        shutil.rmtree(work, ignore_errors=True)

    vendor = database_url.split(":", 1)[0] + (
        " (transaction_mode=IMMEDIATE)" if SQLITE_OPTIONS in database_url else ""
    )
    print(
        f"env cores={os.cpu_count()} workers={args.workers} database={vendor} listings={args.listings} "
        f"reused={'yes' if reused else 'no'} loadavg={os.getloadavg()[0]:.1f} "
        f"mix={','.join(f'{k}:{v}' for k, v in MIX.items())} tool=wrk"
    )
    for name, run, connections_used in (("baseline", base, 1), ("load", load, args.connections)):
        print(
            f"{name} connections={connections_used} requests={run['requests']} "
            f"seconds={run['duration_us'] / 1e6:.1f} rps={run['rps']:.1f} "
            f"p50_ms={run['p50_us'] / 1000:.1f} p95_ms={run['p95_us'] / 1000:.1f} "
            f"p99_ms={run['p99_us'] / 1000:.1f} max_ms={run['max_us'] / 1000:.1f} errors={run['errors']} "
            f"(connect={run['connect']} read={run['read']} write={run['write']} "
            f"status={run['status']} timeout={run['timeout']})"
        )
    print(
        f"ratio rps_load_vs_baseline={load['rps'] / base['rps']:.2f} "
        f"p50_load_vs_baseline={load['p50_us'] / base['p50_us']:.2f} "
        f"p95_load_vs_baseline={load['p95_us'] / base['p95_us']:.2f}"
    )
    print("checkouts " + " ".join(f"{k}={v}" for k, v in checkout.items()))
    ok = base["errors"] == 0 and load["errors"] == 0 and checkout["ok"] == "yes"
    print(f"result {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
