"""`manage.py load_marketplace_demo` gives the demo holder a budget someone can explore, and
running it again changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from cms.models import User
from marketplace import services
from marketplace.models import (
    Budget,
    Delegate,
    GroupActivity,
    LedgerEntry,
    Order,
    OutcomeCheck,
    SupportRequest,
)

pytestmark = pytest.mark.django_db


def _load(command):
    out = StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def test_the_demo_holder_has_a_budget_a_helper_a_request_and_a_group_to_join(client):
    _load("load_demo")
    assert "Marketplace demo loaded" in _load("load_marketplace_demo")

    holder = User.objects.get(email="holder@example.org")
    budget = Budget.objects.get(holder=holder)
    # Began 12 weeks ago, so today starts its 4th 4-weekly period: 4 x (£450 + £20 contribution),
    # less £12.40 and £20.00 spent outside the site.
    assert budget.periods.count() == 4
    # And a lunch club session today, paid for (through `record_payment`, as a webhook would).
    paid = Order.objects.get(budget=budget, status=Order.Status.PAID)
    assert services.balance_pence(budget=budget) == 184_760 - paid.total_pence
    assert LedgerEntry.objects.filter(budget=budget, kind=LedgerEntry.Kind.OUTSIDE).count() == 2
    assert budget.plan.outcomes.first().own_words == "Have a hot meal I like every day"
    helper = Delegate.objects.get(budget=budget)
    assert (helper.user.email, helper.status, helper.can_request, helper.can_pay) == (
        "delegate@example.org",
        Delegate.Status.ACTIVE,
        True,
        False,
    )
    assert SupportRequest.objects.filter(budget=budget, status=SupportRequest.Status.REQUESTED).count() == 1
    # "Did it help?" is not empty on a fresh install: the session was answered.
    (answer,) = OutcomeCheck.objects.filter(order=paid)
    assert (answer.helped, answer.connections) == (OutcomeCheck.Helped.A_LOT, OutcomeCheck.Connections.MORE)
    assert answer.plan_outcome.outcome.slug == "get-out-and-about"
    group = GroupActivity.objects.get()
    assert (group.status, group.places, group.min_places) == (GroupActivity.Status.OPEN, 8, 4)

    # Paul sees his mother's budget with the banner; Margaret sees her own.
    client.force_login(helper.user)
    page = client.get(reverse("marketplace:dashboard")).content.decode()
    assert "You are acting for Margaret Hughes." in page
    client.force_login(holder)
    assert client.get(reverse("marketplace:statements")).status_code == 200

    snapshot = (LedgerEntry.objects.count(), SupportRequest.objects.count(), Delegate.objects.count())
    assert "nothing changed" in _load("load_marketplace_demo")
    assert (LedgerEntry.objects.count(), SupportRequest.objects.count(), Delegate.objects.count()) == snapshot
