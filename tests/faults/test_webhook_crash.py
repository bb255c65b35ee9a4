"""The process handling Stripe's webhook is killed between receiving the event and acting on it;
Stripe delivers the same signed event again: the order is paid exactly once.

Each delivery runs `marketplace.services.handle_webhook` in a separate Python process
(tests/faults/webhook_process.py) that shares this test's database, and the faulty one kills
itself with SIGKILL at a chosen point (no exception handlers, no rollback in Python: only the
database's own recovery). Shared database: on PostgreSQL the test database itself (real
commits); on SQLite the in-memory test database is copied to a file the other processes use,
and copied back to be checked here.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from marketplace import services
from marketplace.models import LedgerEntry, Order, Payment, WebhookEvent
from tests.marketplace import factories as mf
from tests.marketplace.fixtures import SECRET_KEY, WEBHOOK_SECRET
from tests.marketplace.stripe_server import sign_payload

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class SharedDatabase:
    """A DATABASE_URL that other processes can open, holding what this test has written."""

    def __init__(self, tmp_path: Path):
        connection.ensure_connection()
        settings_dict = connection.settings_dict
        self.copy = None
        if connection.vendor == "postgresql":
            user = quote(settings_dict["USER"] or "", safe="")
            password = quote(settings_dict["PASSWORD"] or "", safe="")
            credentials = f"{user}:{password}@" if user else ""
            host, port = settings_dict["HOST"] or "localhost", settings_dict["PORT"] or "5432"
            self.url = f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"
        elif connection.vendor == "sqlite" and connection.is_in_memory_db():
            self.copy = tmp_path / "shared.sqlite3"
            self.url = f"sqlite:///{self.copy}"
        elif connection.vendor == "sqlite":
            self.url = f"sqlite:///{settings_dict['NAME']}"
        else:
            pytest.skip(f"no way to share a {connection.vendor} test database with another process")

    def push(self) -> None:
        """Make what this test wrote visible to the other processes."""
        if self.copy:
            with sqlite3.connect(self.copy) as target:
                connection.connection.backup(target)
            target.close()

    def pull(self) -> None:
        """Make what the other processes wrote visible to this test."""
        if self.copy:
            source = sqlite3.connect(self.copy)
            source.backup(connection.connection)
            source.close()


def deliver(shared: SharedDatabase, payload: str, signature: str, *, kill_at: str = ""):
    """Hand one delivery to a new process; (return code, what it printed)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": shared.url,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "FAULTS_SIGNATURE": signature,
        "FAULTS_KILL_AT": kill_at,
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.webhook_process"],
        input=payload.encode("utf-8"),
        capture_output=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout.decode() + done.stderr.decode()


def paid_state(order):
    order.refresh_from_db()
    return {
        "status": order.status,
        "payments": Payment.objects.filter(order=order).count(),
        "ledger_payments": LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.PAYMENT).count(),
        "events": WebhookEvent.objects.count(),
        "balance": services.balance_pence(budget=order.budget),
    }


@pytest.mark.parametrize("kill_at", ["received", "payment-written"])
def test_a_delivery_killed_mid_handling_leaves_nothing_and_the_redelivery_pays_once(
    stripe_server, tmp_path, kill_at
):
    world = mf.connected_world(stripe_server, amount_pence=20_000, price_pence=2_000)
    order = world.order(quantity=3)
    mf.start_checkout(world, order)
    order.refresh_from_db()
    event = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)
    payload = json.dumps(event, indent=2)
    signature = sign_payload(payload, WEBHOOK_SECRET)
    shared = SharedDatabase(tmp_path)
    shared.push()

    code, output = deliver(shared, payload, signature, kill_at=kill_at)

    assert code == -signal.SIGKILL, output
    shared.pull()
    assert paid_state(order) == {
        "status": Order.Status.AWAITING_PAYMENT,
        "payments": 0,
        "ledger_payments": 0,
        "events": 0,  # not marked as handled: the redelivery is not taken for a duplicate
        "balance": 20_000,
    }

    code, output = deliver(shared, payload, signature)
    assert (code, json.loads(output.splitlines()[-1])) == (0, {"status": "processed"}), output
    code, output = deliver(shared, payload, signature)
    assert (code, json.loads(output.splitlines()[-1])) == (0, {"status": "duplicate"}), output

    shared.pull()
    assert paid_state(order) == {
        "status": Order.Status.PAID,
        "payments": 1,
        "ledger_payments": 1,
        "events": 1,
        "balance": 20_000 - 6_000,
    }
    assert WebhookEvent.objects.get().deliveries == 2
