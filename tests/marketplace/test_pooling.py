"""Pooled purchases: group activities several holders join, each paying their own share.

Places cannot be overfilled, budgets cannot be overspent by held places, and when a group
does not fill, nobody is charged or everyone is refunded exactly once (through the Stripe
test server, with the order's idempotency key) even when settling runs twice or the
payment service is down for a while.
"""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from marketplace import services
from marketplace.models import (
    AuditEvent,
    Delegate,
    GroupActivity,
    LedgerEntry,
    Order,
    RequestEvent,
    SupportRequest,
)
from marketplace.services import pooling, webhooks
from marketplace.tasks import settle_group_activities_task
from tests import factories
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db

HOLD = GroupActivity.IfNotFilled.NOBODY_CHARGED
REFUND = GroupActivity.IfNotFilled.REFUND_EVERYONE


def _today():
    return timezone.localdate()


class Group:
    """A provider ready for payments, a live listing, and one group activity on it."""

    def __init__(
        self, *, if_not_filled=HOLD, places=4, min_places=2, unit_price_pence=1_000, units=2, stripe=None
    ):
        self.provider, self.provider_user = mf.make_provider_member()
        if stripe is None:
            mf.make_ready_account(self.provider)
        else:
            mf.make_connected_account(self.provider, stripe)
        self.listing = mf.make_listing(self.provider, title="Swimming group")
        self.join_by = _today() + timedelta(days=7)
        self.activity = pooling.create_activity(
            provider=self.provider,
            by=self.provider_user,
            listing=self.listing,
            title="Tuesday swimming group",
            when="Tuesdays 10am to 12 noon",
            starts_on=self.join_by + timedelta(days=3),
            ends_on=self.join_by + timedelta(days=30),
            unit="session",
            units_per_place=units,
            unit_price_pence=unit_price_pence,
            places=places,
            min_places=min_places,
            join_by=self.join_by,
            if_not_filled=if_not_filled,
        )
        self.after_deadline = self.join_by + timedelta(days=1)

    def join(self, budget=None, *, by=None, plan_outcome=None, amount_pence=50_000, own_words=None):
        """A new holder (or the given budget) joins; returns their share."""
        budget = budget or mf.make_budget(amount_pence=amount_pence, own_words=own_words or "Go swimming")
        return pooling.join_activity(
            activity=self.activity,
            budget=budget,
            by=by or budget.holder,
            plan_outcome=plan_outcome or budget.plan.outcomes.first(),
        )

    def refresh(self):
        self.activity.refresh_from_db()
        return self.activity


def _pay(share, stripe_server):
    """The holder pays their share through Checkout on the test server; the webhook records it."""
    services.start_checkout(
        order=share,
        by=share.budget.holder,
        success_url=mf.CHECKOUT_SUCCESS_URL,
        cancel_url=mf.CHECKOUT_CANCEL_URL,
    )
    share.refresh_from_db()
    webhooks._apply_stored(stripe_server.complete_checkout(share.checkout_session_id, deliver=False))
    share.refresh_from_db()
    assert share.status == Order.Status.PAID
    return share


def _statuses(group):
    return sorted(group.activity.shares.values_list("status", flat=True))


# --- Offering an activity -------------------------------------------------------------------


def test_provider_offers_a_group_activity_with_a_price_per_place():
    group = Group(units=3, unit_price_pence=2_000)  # e.g. one assistant for three people: a third each

    assert group.activity.status == GroupActivity.Status.OPEN
    assert group.activity.price_per_place_pence == 6_000
    assert group.activity.created_by == group.provider_user


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"min_places": 5, "places": 4}, "no more than the places"),
        ({"join_by_days": 20}, "on or before the first day"),
        ({"join_by_days": -1}, "today or in the future"),
        ({"unit_price_pence": 0}, "more than £0"),
        ({"places": 0}, "between 1 and"),
        ({"title": "  "}, "Enter a name"),
    ],
)
def test_a_group_activity_with_impossible_terms_is_refused(change, message):
    provider, member = mf.make_provider_member()
    mf.make_ready_account(provider)
    listing = mf.make_listing(provider)
    join_by = _today() + timedelta(days=change.pop("join_by_days", 5))
    terms = {
        "title": "Cooking club",
        "when": "Fridays",
        "starts_on": _today() + timedelta(days=10),
        "ends_on": _today() + timedelta(days=10),
        "unit_price_pence": 1_500,
        "places": 4,
        "min_places": 2,
        "join_by": join_by,
        "if_not_filled": HOLD,
        **change,
    }

    with pytest.raises(services.MarketplaceError, match=message):
        pooling.create_activity(provider=provider, by=member, listing=listing, **terms)
    assert not GroupActivity.objects.exists()


def test_only_the_providers_team_can_offer_one_on_their_own_listing_once_payments_are_set_up():
    provider, member = mf.make_provider_member()
    listing = mf.make_listing(provider)
    other_provider, other_member = mf.make_provider_member()
    mf.make_ready_account(other_provider)
    terms = {
        "title": "Cooking club",
        "when": "Fridays",
        "starts_on": _today() + timedelta(days=10),
        "ends_on": _today() + timedelta(days=10),
        "unit_price_pence": 1_500,
        "places": 4,
        "min_places": 2,
        "join_by": _today() + timedelta(days=5),
        "if_not_filled": HOLD,
    }

    with pytest.raises(services.ProviderNotReadyForPayments) as not_ready:
        pooling.create_activity(provider=provider, by=member, listing=listing, **terms)
    assert "You have not set up payments yet" in " ".join(not_ready.value.reasons)
    with pytest.raises(services.NotPermitted):
        pooling.create_activity(provider=provider, by=other_member, listing=listing, **terms)
    with pytest.raises(services.MarketplaceError, match="one of your listings"):
        pooling.create_activity(provider=other_provider, by=other_member, listing=listing, **terms)
    assert not GroupActivity.objects.exists()


# --- Joining --------------------------------------------------------------------------------


def test_joining_under_hold_holds_a_place_that_counts_against_the_budget():
    group = Group(if_not_filled=HOLD, min_places=3)
    budget = mf.make_budget(amount_pence=10_000)

    share = group.join(budget)

    assert share.status == Order.Status.RESERVED
    assert share.total_pence == 2_000 and share.activity == group.activity
    assert services.committed_pence(budget=budget) == 2_000
    assert services.left_pence(budget=budget) == 8_000
    assert share.request.status == SupportRequest.Status.ACCEPTED
    assert list(share.request.events.values_list("kind", flat=True)) == ["requested", "accepted"]
    with pytest.raises(services.InvalidState):  # a held place cannot be paid yet
        services.start_checkout(order=share, by=budget.holder, success_url="x", cancel_url="y")
    event = AuditEvent.objects.get(action="joined_group")
    assert (event.actor, event.budget, event.object_id) == (
        budget.holder,
        budget,
        str(group.activity.public_id),
    )


def test_joining_under_refund_is_payable_at_once():
    group = Group(if_not_filled=REFUND, min_places=3)

    share = group.join()

    assert share.status == Order.Status.AWAITING_PAYMENT


def test_places_cannot_be_overfilled():
    group = Group(places=2, min_places=1)
    group.join()
    group.join()

    with pytest.raises(pooling.ActivityFull, match="Every place"):
        group.join()
    assert pooling.places_taken(group.activity) == 2
    assert Order.objects.count() == 2


def test_a_holder_cannot_join_twice():
    group = Group(places=5, min_places=3)
    budget = mf.make_budget()
    group.join(budget)

    with pytest.raises(pooling.AlreadyJoined, match="already joined"):
        group.join(budget)
    assert group.activity.shares.filter(budget=budget).count() == 1


def test_a_view_only_delegate_cannot_join_but_one_allowed_to_request_can():
    group = Group(min_places=3)
    budget = mf.make_budget()
    viewer = factories.UserFactory()
    helper = factories.UserFactory()
    for user, can_request in ((viewer, False), (helper, True)):
        Delegate.objects.create(
            budget=budget,
            user=user,
            name="Helper",
            email=user.email,
            can_request=can_request,
            status=Delegate.Status.ACTIVE,
        )

    with pytest.raises(services.NotPermitted):
        group.join(budget, by=viewer)
    assert not Order.objects.exists()

    share = group.join(budget, by=helper)
    assert share.request.requested_by == helper
    assert AuditEvent.objects.get(action="joined_group").actor_role.startswith("helper")


def test_held_places_mean_the_budget_cannot_be_overspent():
    budget = mf.make_budget(amount_pence=3_000)
    first = Group(min_places=3)  # £20 a place, held
    second = Group(min_places=3)
    first.join(budget)

    with pytest.raises(services.BudgetExceeded) as exceeded:
        second.join(budget)
    assert (exceeded.value.needed_pence, exceeded.value.left_pence) == (2_000, 1_000)
    # Nor can an ordinary agreement spend the money the held place set aside.
    provider, member = mf.make_provider_member()
    mf.make_ready_account(provider)
    listing = mf.make_listing(provider, price_pence=1_000)
    request = mf.make_request(budget=budget, listing=listing, quantity=1)  # £10: fits, just
    SupportRequest.objects.filter(pk=request.pk).update(quantity=2)  # as if asked for £20
    request.refresh_from_db()
    with pytest.raises(services.BudgetExceeded):
        services.accept_request(support_request=request, by=member)
    assert services.left_pence(budget=budget) == 1_000


def test_joining_closes_after_the_last_day_to_join():
    group = Group()
    budget = mf.make_budget()

    with pytest.raises(services.InvalidState, match="closed"):
        pooling.join_activity(
            activity=group.activity,
            budget=budget,
            by=budget.holder,
            plan_outcome=budget.plan.outcomes.first(),
            today=group.after_deadline,
        )


def test_reaching_the_minimum_under_hold_makes_every_held_share_payable_and_emails_to_pay(
    django_capture_on_commit_callbacks,
):
    group = Group(if_not_filled=HOLD, min_places=2, places=4)
    first = group.join()
    assert first.status == Order.Status.RESERVED
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        second = group.join()

    first.refresh_from_db()
    assert (first.status, second.status) == (Order.Status.AWAITING_PAYMENT, Order.Status.AWAITING_PAYMENT)
    assert group.refresh().status == GroupActivity.Status.GOING_AHEAD
    to_pay = [m for m in mail.outbox if "you can now pay" in m.body]
    assert sorted(m.to[0] for m in to_pay) == sorted([first.budget.holder.email, second.budget.holder.email])
    assert reverse("marketplace:order_detail", args=[first.public_id]) in next(
        m.body for m in to_pay if m.to[0] == first.budget.holder.email
    )
    # Still joinable while places are left; a later joiner pays straight away.
    assert group.join().status == Order.Status.AWAITING_PAYMENT


# --- Leaving --------------------------------------------------------------------------------


def test_leaving_a_held_place_cancels_it_and_frees_the_place():
    group = Group(min_places=3, places=4)
    share = group.join()
    left_before = services.left_pence(budget=share.budget)

    pooling.leave_activity(order=share, by=share.budget.holder)

    share.refresh_from_db()
    assert share.status == Order.Status.CANCELLED
    assert services.left_pence(budget=share.budget) == left_before + 2_000
    assert pooling.places_taken(group.activity) == 0


def test_leaving_after_the_group_reached_its_minimum_reopens_it():
    group = Group(min_places=2)
    first, second = group.join(), group.join()
    assert group.refresh().status == GroupActivity.Status.GOING_AHEAD

    pooling.leave_activity(order=second, by=second.budget.holder)

    assert group.refresh().status == GroupActivity.Status.OPEN
    first.refresh_from_db()
    assert first.status == Order.Status.AWAITING_PAYMENT  # once payable, it stays payable


def test_leaving_a_paid_place_refunds_it_through_the_normal_refund(stripe_server):
    group = Group(if_not_filled=REFUND, min_places=3, stripe=stripe_server)
    share = _pay(group.join(amount_pence=10_000), stripe_server)

    pooling.leave_activity(order=share, by=share.budget.holder)

    share.refresh_from_db()
    assert share.status == Order.Status.REFUNDED
    (refund,) = stripe_server.requests_to("POST", "/v1/refunds")
    assert refund.idempotency_key == f"order-{share.public_id}-refund-1"
    assert services.balance_pence(budget=share.budget) == 10_000


def test_nobody_can_leave_after_the_last_day_to_join():
    group = Group(min_places=3)
    share = group.join()

    with pytest.raises(services.CancellationNotAllowed, match="last day to leave"):
        pooling.leave_activity(order=share, by=share.budget.holder, today=group.after_deadline)
    share.refresh_from_db()
    assert share.status == Order.Status.RESERVED


# --- Settling -------------------------------------------------------------------------------


def test_nothing_is_settled_before_the_last_day_to_join_has_passed():
    group = Group(min_places=3)
    group.join()

    assert pooling.settle_due_activities(today=group.join_by) == []
    assert pooling.settle_activity(activity=group.activity, today=group.join_by).outcome == "not_due"
    assert group.refresh().status == GroupActivity.Status.OPEN


def test_called_off_under_hold_charges_nobody(stripe_server):
    group = Group(if_not_filled=HOLD, min_places=3, stripe=stripe_server)
    shares = [group.join(amount_pence=10_000), group.join(amount_pence=10_000)]
    asked_before = len(stripe_server.requests)  # setting up the provider's account

    (settlement,) = pooling.settle_due_activities(today=group.after_deadline)

    assert (settlement.outcome, settlement.cancelled, settlement.refunded) == ("called_off", 2, 0)
    activity = group.refresh()
    assert activity.status == GroupActivity.Status.CALLED_OFF and activity.settled_at is not None
    for share in shares:
        share.refresh_from_db()
        assert share.status == Order.Status.CANCELLED
        assert services.left_pence(budget=share.budget) == 10_000
        assert "not enough people joined" in share.request.events.get(kind=RequestEvent.Kind.CANCELLED).note
    assert not LedgerEntry.objects.filter(kind__in=["payment", "refund"]).exists()
    assert len(stripe_server.requests) == asked_before  # the payment service was not asked anything


def test_called_off_under_refund_refunds_every_paid_share_exactly_once(stripe_server):
    group = Group(if_not_filled=REFUND, min_places=4, stripe=stripe_server)
    paid = [
        _pay(group.join(amount_pence=10_000, own_words=words), stripe_server)
        for words in ("Swim to stay fit", "Meet people at the pool")
    ]
    unpaid = group.join(amount_pence=10_000)
    services.start_checkout(
        order=unpaid,
        by=unpaid.budget.holder,
        success_url=mf.CHECKOUT_SUCCESS_URL,
        cancel_url=mf.CHECKOUT_CANCEL_URL,
    )
    unpaid.refresh_from_db()
    assert [services.balance_pence(budget=s.budget) for s in paid] == [8_000, 8_000]

    (settlement,) = pooling.settle_due_activities(today=group.after_deadline)

    assert (settlement.outcome, settlement.refunded, settlement.cancelled) == ("called_off", 2, 1)
    refunds = stripe_server.requests_to("POST", "/v1/refunds")
    assert sorted(r.idempotency_key for r in refunds) == sorted(f"order-{s.public_id}-refund-1" for s in paid)
    assert {r.params["reverse_transfer"] for r in refunds} == {"true"}
    assert all(t["reversed"] for t in stripe_server.objects_of("transfer"))
    for share in paid:
        share.refresh_from_db()
        assert share.status == Order.Status.REFUNDED
        assert services.balance_pence(budget=share.budget) == 10_000
        (entry,) = LedgerEntry.objects.filter(budget=share.budget, kind=LedgerEntry.Kind.REFUND)
        assert (entry.amount_pence, entry.plan_outcome) == (2_000, share.plan_outcome)
    unpaid.refresh_from_db()
    assert unpaid.status == Order.Status.CANCELLED
    assert stripe_server.get(unpaid.checkout_session_id)["status"] == "expired"  # can no longer be paid
    assert services.left_pence(budget=unpaid.budget) == 10_000

    # A second run does nothing: no activity is due and no money moves.
    requests_before = len(stripe_server.requests)
    assert pooling.settle_due_activities(today=group.after_deadline) == []
    assert pooling.settle_activity(activity=group.activity, today=group.after_deadline).refunded == 0
    assert len(stripe_server.requests) == requests_before
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).count() == 2


def test_a_payment_service_outage_while_settling_leaves_the_share_for_the_next_run(stripe_server, caplog):
    group = Group(if_not_filled=REFUND, min_places=3, stripe=stripe_server)
    share = _pay(group.join(amount_pence=10_000), stripe_server)
    stripe_server.fail_next(10)

    with caplog.at_level(logging.WARNING, logger="marketplace.services.pooling"):
        (settlement,) = pooling.settle_due_activities(today=group.after_deadline)

    assert (settlement.outcome, settlement.left_for_later, settlement.refunded) == ("called_off", 1, 0)
    assert "will try again next run" in caplog.text
    share.refresh_from_db()
    assert share.status == Order.Status.PAID
    assert group.refresh().settled_at is None
    assert services.balance_pence(budget=share.budget) == 8_000

    stripe_server.fail_next(0)
    (settlement,) = pooling.settle_due_activities(today=group.after_deadline + timedelta(days=1))

    assert (settlement.refunded, settlement.left_for_later) == (1, 0)
    share.refresh_from_db()
    assert share.status == Order.Status.REFUNDED
    assert services.balance_pence(budget=share.budget) == 10_000
    assert group.refresh().settled_at is not None
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).count() == 1
    assert pooling.settle_due_activities(today=group.after_deadline + timedelta(days=2)) == []


def test_a_group_that_filled_goes_ahead_once_and_each_share_is_booked_to_its_holders_outcome(stripe_server):
    group = Group(if_not_filled=REFUND, min_places=2, stripe=stripe_server)
    first = _pay(group.join(own_words="Swim to stay fit"), stripe_server)
    second = _pay(group.join(own_words="Meet people at the pool"), stripe_server)

    (settlement,) = pooling.settle_due_activities(today=group.after_deadline)

    assert settlement.outcome == "going_ahead"
    activity = group.refresh()
    assert activity.status == GroupActivity.Status.GOING_AHEAD and activity.settled_at is not None
    payments = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).select_related("plan_outcome")
    assert {(e.budget_id, e.plan_outcome.own_words, e.amount_pence) for e in payments} == {
        (first.budget_id, "Swim to stay fit", -2_000),
        (second.budget_id, "Meet people at the pool", -2_000),
    }
    assert pooling.settle_due_activities(today=group.after_deadline) == []
    assert not stripe_server.requests_to("POST", "/v1/refunds")


def test_the_command_and_the_task_settle_due_activities():
    held = Group(min_places=3)
    held.join()
    filled = Group(min_places=1)
    filled.join()
    day = held.after_deadline.isoformat()

    assert settle_group_activities_task.enqueue(day).return_value == {
        "going_ahead": 1,
        "called_off": 1,
        "cancelled": 1,
        "refunded": 0,
        "left_for_later": 0,
    }
    from io import StringIO

    out = StringIO()
    call_command("settle_group_activities", "--date", day, stdout=out)
    assert "0 group(s) going ahead, 0 called off" in out.getvalue()
    with pytest.raises(CommandError, match="--date must look like"):
        call_command("settle_group_activities", "--date", "tomorrow")


# --- Pages ----------------------------------------------------------------------------------


def _date(prefix, day):
    return {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}


def test_provider_offers_an_activity_through_the_form_and_sees_who_joined(client):
    provider, member = mf.make_provider_member()
    mf.make_ready_account(provider)
    listing = mf.make_listing(provider, title="Swimming group")
    client.force_login(member)
    start = _today() + timedelta(days=14)
    data = {
        "listing": str(listing.public_id),
        "title": "Shared personal assistant",
        "when": "Weekday mornings",
        **_date("starts_on", start),
        **_date("ends_on", start + timedelta(days=27)),
        "unit": "hour",
        "units_per_place": "10",
        "unit_price": "6.00",
        "places": "3",
        "min_places": "4",
        **_date("join_by", start + timedelta(days=1)),
        "if_not_filled": "hold",
    }

    response = client.post(reverse("marketplace:provider_group_new"), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "The number needed to go ahead cannot be more than the places" in page
    assert "The last day to join must be on or before the first day" in page
    assert 'value="Shared personal assistant"' in page  # what was typed is kept
    assert not GroupActivity.objects.exists()

    data.update({"min_places": "3", **_date("join_by", start - timedelta(days=2))})
    response = client.post(reverse("marketplace:provider_group_new"), data)

    activity = GroupActivity.objects.get()
    assert response.url == reverse("marketplace:provider_group_detail", args=[activity.public_id])
    assert activity.price_per_place_pence == 6_000
    budget = mf.make_budget(holder=mf.make_holder(first_name="Ada", last_name="Lovelace"))
    pooling.join_activity(
        activity=activity, budget=budget, by=budget.holder, plan_outcome=budget.plan.outcomes.first()
    )
    listing_page = client.get(reverse("marketplace:provider_groups")).content.decode()
    assert "Shared personal assistant" in listing_page
    detail = client.get(response.url).content.decode()
    assert "Ada Lovelace" in detail and "Place held: waiting for the group to fill" in detail


def test_another_providers_activity_is_not_found(client):
    group = Group()
    _, stranger = mf.make_provider_member()
    client.force_login(stranger)

    response = client.get(reverse("marketplace:provider_group_detail", args=[group.activity.public_id]))

    assert response.status_code == 404


def test_holder_finds_the_activity_on_the_listing_and_joins_for_one_outcome(client):
    group = Group(if_not_filled=HOLD, min_places=3, places=4)
    budget = mf.make_budget(amount_pence=10_000, own_words="Go swimming")
    second_outcome = mf.add_plan_outcome(budget, "Meet new people", slug="get-out-and-about")
    client.force_login(budget.holder)

    listing_page = client.get(group.listing.url).content.decode()
    join_url = reverse("marketplace:group_activity", args=[group.activity.public_id])
    assert "Tuesday swimming group" in listing_page and join_url in listing_page
    assert "4 of 4 places left" in listing_page
    detail = client.get(join_url).content.decode()
    assert "£100" in detail and "£80" in detail  # left now, and after joining
    assert "nobody is charged" in detail

    response = client.post(join_url, {}, follow=True)
    assert "Select which outcome in your plan this meets" in response.content.decode()
    response = client.post(join_url, {"plan_outcome": str(second_outcome.public_id)}, follow=True)

    page = response.content.decode()
    assert "Your place is held" in page and "Place held: waiting for the group to fill" in page
    share = Order.objects.get(budget=budget)
    assert share.plan_outcome == second_outcome
    listing = client.get(reverse("marketplace:group_activities")).content.decode()
    assert "Groups you have joined" in listing

    response = client.post(reverse("marketplace:group_leave", args=[group.activity.public_id]), follow=True)
    assert "You have left the group. Nothing was charged." in response.content.decode()
    share.refresh_from_db()
    assert share.status == Order.Status.CANCELLED


def test_a_view_only_delegate_is_refused_on_the_page(client):
    group = Group(min_places=3)
    budget = mf.make_budget()
    viewer = factories.UserFactory()
    Delegate.objects.create(
        budget=budget, user=viewer, name="Viewer", email=viewer.email, status=Delegate.Status.ACTIVE
    )
    client.force_login(viewer)
    url = reverse("marketplace:group_activity", args=[group.activity.public_id])

    assert "you cannot join group activities" in client.get(url).content.decode()
    response = client.post(url, {"plan_outcome": str(budget.plan.outcomes.first().public_id)})

    assert response.status_code == 403
    assert not Order.objects.exists()


def test_the_list_shows_open_activities_with_places_left_and_price(client):
    group = Group(places=3, min_places=2, units=2, unit_price_pence=750)
    group.join()
    full = Group(places=1, min_places=1)
    full.join()
    budget = mf.make_budget()
    client.force_login(budget.holder)

    page = client.get(reverse("marketplace:group_activities")).content.decode()

    assert "£15" in page and "2 of 3 places left" in page
    assert reverse("marketplace:group_activity", args=[full.activity.public_id]) not in page


# --- Racing joins (PostgreSQL) -----------------------------------------------------------------


def _in_parallel(function, items):
    """Run function(item) for every item at once, each thread on its own connection."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    barrier = threading.Barrier(len(items))

    def run(item):
        try:
            barrier.wait(timeout=30)
            return function(item)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(run, items))


def _needs_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite serialises writers and ignores SELECT ... FOR UPDATE, so parallel "
            "joins cannot race on it (run with DATABASE_URL=postgres://...)"
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_more_holders_than_places_joining_at_once_fill_exactly_the_places():
    _needs_postgresql()
    group = Group(places=5, min_places=3, if_not_filled=HOLD)
    budgets = [mf.make_budget(amount_pence=10_000) for _ in range(10)]

    def join(budget):
        try:
            group.join(budget)
        except pooling.ActivityFull:
            return "full"
        return "joined"

    results = _in_parallel(join, budgets)

    assert (results.count("joined"), results.count("full")) == (5, 5)
    assert pooling.places_taken(group.activity) == 5
    # The third join reached the minimum: every share is payable, none left held.
    assert set(group.activity.shares.values_list("status", flat=True)) == {Order.Status.AWAITING_PAYMENT}
    assert group.refresh().status == GroupActivity.Status.GOING_AHEAD


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_budget_joining_several_groups_at_once_never_overspends():
    _needs_postgresql()
    budget = mf.make_budget(amount_pence=5_000)  # covers two £20 places, not six
    groups = [Group(min_places=2) for _ in range(6)]

    def join(group):
        try:
            group.join(budget)
        except services.BudgetExceeded:
            return "refused"
        return "joined"

    results = _in_parallel(join, groups)

    assert (results.count("joined"), results.count("refused")) == (2, 4)
    assert services.committed_pence(budget=budget) == 4_000
    assert services.left_pence(budget=budget) == 1_000
