"""A holder is told before money moves on any order their helper started (issue 14): when the
provider agrees an order a helper asked for, the holder gets the order's details by email;
the helper can still pay."""

import pytest
from django.core import mail

from marketplace import services
from marketplace.models import Delegate
from tests import factories
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db


def test_the_holder_gets_the_details_when_a_helpers_order_is_agreed(
    stripe_server, django_capture_on_commit_callbacks
):
    world = mf.connected_world(stripe_server, amount_pence=20_000, price_pence=1_000)
    helper = factories.UserFactory()
    Delegate.objects.create(
        budget=world.budget,
        user=helper,
        name="Robin Helper",
        email=helper.email,
        can_request=True,
        can_pay=True,
        status=Delegate.Status.ACTIVE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        support_request = mf.make_request(budget=world.budget, listing=world.listing, by=helper, quantity=3)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        order = services.accept_request(support_request=support_request, by=world.provider_user)

    told = [m for m in mail.outbox if world.holder.email in m.to]
    assert len(told) == 1
    body = told[0].body
    assert order.reference in told[0].subject
    assert world.provider.name in body
    assert order.service_description in body
    assert "Price: £30 " in body
    assert "Go swimming every week" in body
    assert "Robin Helper" in body
    assert "Nothing has been paid yet" in body
    assert any(m.to == [helper.email] and m.subject == "Your support is agreed" for m in mail.outbox)

    # The helper's "pay" still works.
    url = services.start_checkout(
        order=order, by=helper, success_url=mf.CHECKOUT_SUCCESS_URL, cancel_url=mf.CHECKOUT_CANCEL_URL
    )
    assert url.startswith("http")


def test_the_holders_own_order_sends_one_agreed_email(django_capture_on_commit_callbacks):
    world = mf.World()
    support_request = mf.make_request(budget=world.budget, listing=world.listing)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.accept_request(support_request=support_request, by=world.provider_user)

    assert [m.subject for m in mail.outbox if world.holder.email in m.to] == ["Your support is agreed"]
