"""Overspending is impossible even when agreements race: parallel requests on PostgreSQL.

SQLite ignores SELECT ... FOR UPDATE and lets one writer in at a time, so the race these
tests provoke cannot happen there; they run when DATABASE_URL points at PostgreSQL (as CI's
second run does) and skip, saying so, on SQLite. Each thread or request uses its own
database connection, as separate web workers would.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from marketplace import services
from marketplace.models import LedgerEntry, Order, Payment, Refund, WebhookEvent
from tests.marketplace import factories as mf
from tests.marketplace.fixtures import point_webhooks_at

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PARALLEL = 10


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite serialises writers and ignores SELECT ... FOR UPDATE, so parallel "
            "agreements cannot race on it (run with DATABASE_URL=postgres://...)"
        )


def _in_parallel(function, items):
    """Run function(item) for every item at once (a barrier lines them up); return the results."""
    barrier = threading.Barrier(len(items))

    def run(item):
        try:
            barrier.wait(timeout=30)
            return function(item)
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(run, items))


def test_parallel_agreements_never_overspend_the_budget():
    world = mf.World(amount_pence=10_000, price_pence=2_000)
    # Ten requests of £20 each against £100: each fits on its own, only five together.
    pending = [
        mf.make_request(budget=world.budget, listing=world.listing, quantity=1) for _ in range(PARALLEL)
    ]

    def accept(support_request):
        try:
            services.accept_request(support_request=support_request, by=world.provider_user)
        except services.BudgetExceeded:
            return "refused"
        return "agreed"

    results = _in_parallel(accept, pending)

    assert results.count("agreed") == 5
    assert results.count("refused") == 5
    assert services.committed_pence(budget=world.budget) == 10_000
    assert services.left_pence(budget=world.budget) == 0


def test_parallel_http_requests_to_accept_never_overspend(live_server):
    world = mf.World(amount_pence=6_000, price_pence=2_000)
    pending = [mf.make_request(budget=world.budget, listing=world.listing, quantity=1) for _ in range(8)]
    browser = Client()
    browser.force_login(world.provider_user)
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, browser.cookies[settings.SESSION_COOKIE_NAME].value)
    # A page with a form sets the CSRF cookie, as it would for a person.
    session.get(live_server.url + reverse("marketplace:request_detail", args=[pending[0].public_id]))
    token = session.cookies[settings.CSRF_COOKIE_NAME]

    def post(support_request):
        url = live_server.url + reverse("marketplace:request_accept", args=[support_request.public_id])
        return session.post(
            url, headers={"X-CSRFToken": token}, allow_redirects=False, timeout=30
        ).status_code

    statuses = _in_parallel(post, pending)

    assert statuses == [302] * 8
    assert Order.objects.filter(budget=world.budget).count() == 3
    assert services.left_pence(budget=world.budget) == 0


def test_parallel_deliveries_of_one_webhook_record_one_payment(live_server, stripe_server):
    point_webhooks_at(stripe_server, live_server.url)
    world = mf.connected_world(stripe_server, amount_pence=20_000, price_pence=2_000)
    order = world.order(quantity=3)
    mf.start_checkout(world, order)
    order.refresh_from_db()
    event = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)

    deliveries = _in_parallel(lambda _: stripe_server.deliver(event), range(6))

    assert {d.status for d in deliveries} == {200}
    assert sorted(d.body for d in deliveries).count('{"status": "processed"}') == 1
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 1
    assert WebhookEvent.objects.get().deliveries == 6
    assert services.balance_pence(budget=world.budget) == 14_000


def test_parallel_deliveries_of_a_dashboard_refund_s_two_events_record_it_once(live_server, stripe_server):
    # `charge.refunded` (whose total the site must ask Stripe about, outside the lock) and
    # `refund.created`, each delivered three times, all at once: one refund, by its id.
    point_webhooks_at(stripe_server, live_server.url)
    world = mf.connected_world(stripe_server, amount_pence=20_000, price_pence=2_000)
    order = world.order(quantity=3)
    mf.start_checkout(world, order)
    order.refresh_from_db()
    completed = stripe_server.complete_checkout(order.checkout_session_id)
    assert completed["type"] == "checkout.session.completed"
    intent = completed["data"]["object"]["payment_intent"]
    total, created = stripe_server.refund_in_dashboard(intent, 2_500, deliver=False)

    deliveries = _in_parallel(stripe_server.deliver, [total, created] * 3)

    assert {d.status for d in deliveries} == {200}
    assert sorted(d.body for d in deliveries).count('{"status": "processed"}') == 2
    assert list(Refund.objects.values_list("refund_id", "amount_pence")) == [
        (created["data"]["object"]["id"], 2_500)
    ]
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).count() == 1
    assert services.balance_pence(budget=world.budget) == 14_000 + 2_500
