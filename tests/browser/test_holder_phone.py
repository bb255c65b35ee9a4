"""Every page of a budget holder's own area on a phone (390 px): nothing scrolls sideways and
axe finds nothing. The data is a budget with a plan, spending outside the site, an open request
and a paid order, so the tables have rows in them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace import services
from marketplace.services import payments
from tests import factories
from tests.browser.phone import assert_pages_fit_a_phone
from tests.browser.two_factor import sign_in_to_site
from tests.marketplace import factories as mf

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture
def holder_world(live_url):
    factories.home_page()
    holder = mf.make_holder(email="sam@example.org", first_name="Sam", last_name="Holder")
    world = mf.World(budget=mf.make_budget(holder=holder, starts_on=timezone.localdate() - timedelta(days=3)))
    services.record_outside_spending(
        budget=world.budget,
        by=holder,
        amount_pence=1_240,
        spent_on=timezone.localdate() - timedelta(days=1),
        description="Taxi to the swimming pool and back home again",
        payee="Farnworth Private Hire and Airport Transfers",
        plan_outcome=world.plan_outcome,
    )
    order = world.order()
    payments.record_payment(
        order=order, payment_intent_id="pi_phone_1", amount_pence=order.total_pence, currency="gbp"
    )
    world.open_request = mf.make_request(budget=world.budget, listing=world.listing)
    world.paid_order = order
    return world


def test_a_holders_pages_fit_a_phone(live_url, phone, holder_world):
    sign_in_to_site(phone, live_url, "sam@example.org")
    today = timezone.localdate()
    pages = [
        "/budget/",
        "/budget/plan/",
        "/budget/ledger/",
        "/budget/did-it-help/",
        "/budget/spending/new/",
        f"/requests/{holder_world.open_request.public_id}/",
        f"/orders/{holder_world.paid_order.public_id}/",
        f"/orders/{holder_world.paid_order.public_id}/receipt/",
        f"/budget/statements/?start={(today - timedelta(days=7)).isoformat()}&end={today.isoformat()}",
        "/budget/helpers/",
        "/budget/privacy/",
    ]
    assert_pages_fit_a_phone(phone, live_url, pages)
