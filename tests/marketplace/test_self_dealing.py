"""One person cannot be both sides of a sale (issue 14): a request, agreement or payment where
the person acting for the buyer (the holder, or their helper) is also in the selling
provider's team is refused by the services with a clear message, shown as a message on the
page, and written to the audit log for a coordinator."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from marketplace import services
from marketplace.models import AuditEvent, Delegate, Order, SupportRequest
from marketplace.services.agreements import SelfDealing
from tests import factories
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db


def _helper(budget, user):
    """`user` helps with `budget` and may request and pay."""
    Delegate.objects.create(
        budget=budget,
        user=user,
        name="Sam",
        email=user.email,
        can_request=True,
        can_pay=True,
        status=Delegate.Status.ACTIVE,
    )
    return user


def _refusal_logged(budget, actor):
    line = AuditEvent.objects.get(action="refused_self_dealing")
    assert (line.budget_id, line.actor_id) == (budget.pk, actor.pk)
    assert "both sides" in line.detail
    # A person reads this line ("who has seen my information"): the provider by name, not by number.
    assert re.search(r"team of (?!provider \d)", line.detail), line.detail
    return line


def test_a_provider_member_who_holds_a_budget_cannot_request_from_their_own_provider():
    world = mf.World()
    budget = mf.make_budget(holder=world.provider_user)

    with pytest.raises(SelfDealing, match="both sides of a sale"):
        mf.make_request(budget=budget, listing=world.listing)

    assert not SupportRequest.objects.filter(budget=budget).exists()
    _refusal_logged(budget, world.provider_user)


def test_a_helper_in_the_providers_team_cannot_request_for_the_holder():
    world = mf.World()
    _helper(world.budget, world.provider_user)

    with pytest.raises(SelfDealing):
        mf.make_request(budget=world.budget, listing=world.listing, by=world.provider_user)

    assert not SupportRequest.objects.exists()
    _refusal_logged(world.budget, world.provider_user)


def test_a_provider_member_who_helps_the_holder_cannot_agree_the_holders_request():
    world = mf.World()
    support_request = mf.make_request(budget=world.budget, listing=world.listing)
    _helper(world.budget, world.provider_user)

    with pytest.raises(SelfDealing):
        services.accept_request(support_request=support_request, by=world.provider_user)

    support_request.refresh_from_db()
    assert support_request.status == SupportRequest.Status.REQUESTED
    assert not Order.objects.exists()
    _refusal_logged(world.budget, world.provider_user)


def test_a_helper_in_the_providers_team_cannot_pay_an_order_from_the_holders_money(client):
    world = mf.World()
    order = world.order()
    _helper(world.budget, world.provider_user)

    with pytest.raises(SelfDealing):
        services.start_checkout(
            order=order, by=world.provider_user, success_url="http://x/", cancel_url="http://x/"
        )
    _refusal_logged(world.budget, world.provider_user)

    # Through the page: a message, not an error page, and still unpaid.
    client.force_login(world.provider_user)
    response = client.post(reverse("marketplace:order_pay", args=[order.public_id]))
    assert response.status_code == 302
    assert response.url == reverse("marketplace:order_detail", args=[order.public_id])
    assert any("both sides of a sale" in str(m) for m in get_messages(response.wsgi_request))
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT


def test_the_provider_page_shows_a_message_when_a_helper_member_tries_to_agree(client):
    world = mf.World()
    support_request = mf.make_request(budget=world.budget, listing=world.listing)
    _helper(world.budget, world.provider_user)
    client.force_login(world.provider_user)

    response = client.post(
        reverse("marketplace:request_accept", args=[support_request.public_id]), follow=True
    )

    assert response.status_code == 200
    assert "both sides of a sale" in response.content.decode()
    assert not Order.objects.exists()


def test_a_request_made_by_someone_in_the_providers_team_cannot_be_agreed_by_a_colleague():
    world = mf.World()
    colleague = factories.UserFactory()
    world.provider.members.add(colleague)
    support_request = mf.make_request(budget=world.budget, listing=world.listing)
    # The request was sent before the rule, by a helper who is in the team.
    _helper(world.budget, colleague)
    SupportRequest.objects.filter(pk=support_request.pk).update(requested_by=colleague)
    support_request.refresh_from_db()

    with pytest.raises(SelfDealing):
        services.accept_request(support_request=support_request, by=world.provider_user)
    assert not Order.objects.exists()


def test_an_ordinary_sale_still_goes_through():
    world = mf.World()
    order = world.order()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert not AuditEvent.objects.filter(action="refused_self_dealing").exists()
