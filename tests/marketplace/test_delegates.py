"""Helpers (delegates): a holder invites a family member, broker or advocate by email, chooses
what they may do, changes it or withdraws it; the helper accepts with the right account, acts at
their level only, and every action is recorded as theirs. A helper for several people works on
one at a time and sees only that person's data.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from marketplace import services
from marketplace.models import (
    AuditEvent,
    Delegate,
    LedgerEntry,
    Order,
    PlanOutcome,
    RequestEvent,
    SupportRequest,
)
from marketplace.services import delegation
from marketplace.services.delegation import hash_token
from tests import factories
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/budget/helpers/invitation/(?P<token>[\w-]+)/")


def _text(response):
    return response.content.decode()


def _date(prefix, day):
    return {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}


def _holder_world(**kwargs):
    world = mf.World(**kwargs)
    world.holder.first_name, world.holder.last_name = "Sam", "Holder"
    world.holder.save()
    return world


def make_helper_user(email="alex@example.org", first_name="Alex"):
    return factories.UserFactory(email=email, first_name=first_name, last_name="Helper")


def add_helper(budget, user, *, name="Alex", **permissions) -> Delegate:
    """An accepted helper, made through the real invite and accept services.

    The token lives only in the email; here it is replaced by one the test knows, which is
    what the email would have carried.
    """
    delegate = delegation.invite_delegate(
        budget=budget, by=budget.holder, name=name, email=user.email, **permissions
    )
    token = f"known-{delegate.public_id}"
    Delegate.objects.filter(pk=delegate.pk).update(invite_token_hash=hash_token(token))
    return delegation.accept_invitation(token=token, user=user)


def _invitation_token(message) -> str:
    return LINK.search(message.body).group("token")


# --- Inviting and accepting ----------------------------------------------------------------


def test_holder_invites_by_email_and_the_helper_accepts_with_their_account(
    client, django_capture_on_commit_callbacks
):
    world = _holder_world()
    client.force_login(world.holder)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("marketplace:delegates"),
            {
                "name": "Alex",
                "email": "Alex@Example.org",
                "relationship": "family",
                "permissions": ["pay"],
            },
            follow=True,
        )
    assert "We have emailed an invitation to Alex" in _text(response)
    assert "Invited" in _text(response)

    (email,) = mail.outbox
    assert email.to == ["Alex@Example.org"]
    assert "Sam Holder has asked you to help" in email.subject
    assert "pay for agreed support and record spending" in email.body
    assert "ask providers for support" not in email.body  # not granted
    token = _invitation_token(email)
    delegate = Delegate.objects.get()
    assert delegate.invite_token_hash == hash_token(token)
    assert token not in delegate.invite_token_hash  # only the hash is kept
    assert timedelta(days=13) < delegate.invite_expires_at - timezone.now() <= timedelta(days=14)

    helper = make_helper_user("alex@example.org")  # same address, different case
    client.force_login(helper)
    url = reverse("marketplace:delegate_accept", args=[token])
    page = _text(client.get(url))
    assert "Sam Holder has asked you to help" in page
    assert "pay for agreed support and record spending" in page

    response = client.post(url, {"accept": "1"}, follow=True)
    page = _text(response)
    assert "You can now help Sam Holder" in page
    assert "You are acting for Sam Holder" in page
    assert "Budget of Sam Holder" in page
    delegate.refresh_from_db()
    assert delegate.status == Delegate.Status.ACTIVE and delegate.user == helper
    assert helper.has_role(Role.DELEGATE)
    assert AuditEvent.objects.filter(action="delegate_accepted", actor=helper, budget=world.budget).exists()


def test_signed_out_visitor_is_asked_to_sign_in_and_brought_back(client, django_capture_on_commit_callbacks):
    world = _holder_world()
    with django_capture_on_commit_callbacks(execute=True):
        delegation.invite_delegate(
            budget=world.budget, by=world.holder, name="Alex", email="alex@example.org"
        )
    url = reverse("marketplace:delegate_accept", args=[_invitation_token(mail.outbox[0])])

    page = _text(client.get(url))
    assert "Sam Holder has asked you to help" in page
    assert f"/accounts/login/?next={url.replace('/', '%2F')}" in page
    response = client.post(url, {"accept": "1"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert Delegate.objects.get().status == Delegate.Status.INVITED


def test_the_wrong_account_cannot_accept(client):
    world = _holder_world()
    delegate = delegation.invite_delegate(
        budget=world.budget, by=world.holder, name="Alex", email="alex@example.org", can_pay=True
    )
    Delegate.objects.filter(pk=delegate.pk).update(invite_token_hash=hash_token("the-token"))
    someone_else = make_helper_user("someone@example.org", "Someone")

    with pytest.raises(delegation.WrongAccount, match=re.escape("sent to alex@example.org")):
        delegation.accept_invitation(token="the-token", user=someone_else)
    with pytest.raises(delegation.WrongAccount, match="invitation to help you"):
        delegation.accept_invitation(token="the-token", user=world.holder)

    client.force_login(someone_else)
    url = reverse("marketplace:delegate_accept", args=["the-token"])
    page = _text(client.get(url))
    assert "you are signed in as someone@example.org" in page
    assert "Yes, I will help" not in page
    response = client.post(url, {"accept": "1"})
    assert response.status_code == 400
    assert "Sign out, then sign in" in _text(response)
    delegate.refresh_from_db()
    assert delegate.status == Delegate.Status.INVITED and delegate.user is None
    assert world.budget not in services.budgets_for(someone_else)


def test_expired_tampered_used_and_withdrawn_invitations_are_refused_clearly(client, time_machine):
    world = _holder_world()
    helper = make_helper_user()
    delegate = delegation.invite_delegate(
        budget=world.budget, by=world.holder, name="Alex", email=helper.email
    )
    Delegate.objects.filter(pk=delegate.pk).update(invite_token_hash=hash_token("good-token"))
    client.force_login(helper)

    tampered = reverse("marketplace:delegate_accept", args=["good-tokeX"])
    response = client.get(tampered)
    assert response.status_code == 404
    assert "We cannot find this invitation" in _text(response)
    with pytest.raises(delegation.InvitationNotFound):
        delegation.accept_invitation(token="good-tokeX", user=helper)

    time_machine.move_to(timezone.now() + timedelta(days=15))
    client.force_login(helper)  # (the earlier session has expired too)
    response = client.get(reverse("marketplace:delegate_accept", args=["good-token"]))
    assert response.status_code == 410
    assert "This invitation has expired. Ask Sam Holder to send you a new one" in _text(response)
    with pytest.raises(delegation.InvitationUnusable, match="expired"):
        delegation.accept_invitation(token="good-token", user=helper)

    # Sent again: a new link that works, and the old one no longer does.
    delegation.resend_invitation(delegate=delegate, by=world.holder)
    delegate.refresh_from_db()
    assert delegate.invite_token_hash != hash_token("good-token")
    Delegate.objects.filter(pk=delegate.pk).update(invite_token_hash=hash_token("new-token"))
    delegation.accept_invitation(token="new-token", user=helper)
    with pytest.raises(delegation.InvitationUnusable, match="already been accepted"):
        delegation.accept_invitation(token="new-token", user=helper)

    other = _holder_world().budget
    withdrawn = delegation.invite_delegate(budget=other, by=other.holder, name="Alex", email=helper.email)
    Delegate.objects.filter(pk=withdrawn.pk).update(invite_token_hash=hash_token("withdrawn-token"))
    delegation.withdraw(delegate=withdrawn, by=other.holder)
    response = client.get(reverse("marketplace:delegate_accept", args=["withdrawn-token"]))
    assert response.status_code == 410
    assert "has withdrawn this invitation" in _text(response)


def test_an_invitation_can_be_turned_down_without_an_account(client):
    world = _holder_world()
    delegate = delegation.invite_delegate(
        budget=world.budget, by=world.holder, name="Alex", email="a@example.org"
    )
    Delegate.objects.filter(pk=delegate.pk).update(invite_token_hash=hash_token("t"))

    response = client.post(reverse("marketplace:delegate_accept", args=["t"]), {"decline": "1"})

    assert "You said no" in _text(response)
    delegate.refresh_from_db()
    assert delegate.status == Delegate.Status.DECLINED
    with pytest.raises(delegation.InvitationUnusable, match="turned down"):
        delegation.accept_invitation(token="t", user=make_helper_user("a@example.org"))


def test_holder_cannot_invite_themselves_or_the_same_person_twice(client):
    world = _holder_world()
    client.force_login(world.holder)
    url = reverse("marketplace:delegates")
    data = {"name": "Me", "email": world.holder.email.upper(), "relationship": "family"}

    page = _text(client.post(url, data))
    assert "You cannot invite yourself" in page
    assert 'value="Me"' in page  # what was typed is kept

    client.post(url, {**data, "name": "Alex", "email": "alex@example.org"})
    page = _text(client.post(url, {**data, "name": "Alex again", "email": "ALEX@example.org"}))
    assert "already helps you or has an invitation waiting" in page
    assert Delegate.objects.count() == 1

    page = _text(client.post(url, {"name": "", "email": "not-an-email"}))
    assert "Enter their name" in page
    assert "Enter an email address in the right format" in page
    assert "Select how they help you" in page


def test_only_the_holder_manages_helpers():
    world = _holder_world()
    helper = make_helper_user()
    delegate = add_helper(world.budget, helper, can_request=True, can_pay=True, can_download_statements=True)
    stranger = make_helper_user("stranger@example.org")

    with pytest.raises(services.NotPermitted):
        delegation.invite_delegate(budget=world.budget, by=helper, name="X", email="x@example.org")
    with pytest.raises(services.NotPermitted):
        delegation.change_permissions(
            delegate=delegate, by=helper, can_request=True, can_pay=True, can_download_statements=True
        )
    with pytest.raises(services.NotPermitted):
        delegation.withdraw(delegate=delegate, by=stranger)


def test_helpers_pages_are_for_the_holder_only(client):
    world = _holder_world()
    helper = make_helper_user()
    delegate = add_helper(world.budget, helper, can_request=True, can_pay=True)
    client.force_login(helper)

    assert client.get(reverse("marketplace:delegates")).status_code == 403
    assert client.post(reverse("marketplace:delegates"), {"name": "X"}).status_code == 403
    change = reverse("marketplace:delegate_change", args=[delegate.public_id])
    assert client.post(change, {"permissions": ["statements"]}).status_code == 403
    delegate.refresh_from_db()
    assert not delegate.can_download_statements

    client.force_login(make_helper_user("stranger@example.org"))
    assert client.get(change).status_code == 404


# --- What each level may do ----------------------------------------------------------------


@pytest.fixture
def world_with_order(stripe_server):
    world = mf.connected_world(stripe_server)
    world.holder.first_name, world.holder.last_name = "Sam", "Holder"
    world.holder.save()
    world.unpaid = world.order()
    world.open_request = mf.make_request(budget=world.budget, listing=world.listing)
    return world


def _state():
    return (
        SupportRequest.objects.count(),
        list(Order.objects.order_by("pk").values_list("status", "checkout_session_id")),
        LedgerEntry.objects.count(),
        PlanOutcome.objects.filter(archived=False).count(),
    )


def _request_data(world):
    start = timezone.localdate() + timedelta(days=7)
    return {
        "price_option": "0-weekday",
        "quantity": "2",
        **_date("starts_on", start),
        **_date("ends_on", start + timedelta(days=14)),
        "plan_outcome": str(world.plan_outcome.public_id),
        "confirm": "1",
    }


def _spending_data(world):
    return {
        "amount": "7",
        **_date("spent_on", timezone.localdate()),
        "description": "Taxi",
        "plan_outcome": str(world.plan_outcome.public_id),
    }


def _service_attempts(world, helper):
    """Each money or plan action, tried through the services; name -> NotPermitted raised?"""
    attempts = {
        "request": lambda: mf.make_request(budget=world.budget, listing=world.listing, by=helper),
        "pay": lambda: services.start_checkout(
            order=world.unpaid, by=helper, success_url="http://testserver/s", cancel_url="http://testserver/c"
        ),
        "spend": lambda: services.record_outside_spending(
            budget=world.budget,
            by=helper,
            amount_pence=700,
            spent_on=timezone.localdate(),
            description="Taxi",
            plan_outcome=world.plan_outcome,
        ),
        "plan": lambda: services.add_plan_outcome(
            budget=world.budget, by=helper, own_words="New", outcome=world.plan_outcome.outcome
        ),
    }
    refused = {}
    for name, attempt in attempts.items():
        try:
            attempt()
        except services.NotPermitted:
            refused[name] = True
        else:
            refused[name] = False
    return refused


def test_view_only_helper_sees_everything_but_can_change_nothing(client, world_with_order):
    world = world_with_order
    helper = make_helper_user()
    add_helper(world.budget, helper)
    before = _state()

    assert _service_attempts(world, helper) == {"request": True, "pay": True, "spend": True, "plan": True}
    assert _state() == before

    client.force_login(helper)
    dashboard = _text(client.get(reverse("marketplace:dashboard")))
    assert "Budget of Sam Holder" in dashboard
    assert "What you can do: see the budget, support plan, orders and receipts." in dashboard
    assert "Record spending" not in dashboard
    for name in ("marketplace:ledger", "marketplace:plan"):
        assert client.get(reverse(name)).status_code == 200
    order_page = _text(client.get(reverse("marketplace:order_detail", args=[world.unpaid.public_id])))
    assert world.unpaid.service_description in order_page
    assert "Pay £" not in order_page
    assert "Cancel this order" not in order_page
    assert "Add to plan" not in _text(client.get(reverse("marketplace:plan")))

    forbidden = [
        ("get", reverse("marketplace:request_new", args=[world.listing.public_id]), None),
        ("post", reverse("marketplace:request_new", args=[world.listing.public_id]), _request_data(world)),
        ("post", reverse("marketplace:order_pay", args=[world.unpaid.public_id]), {}),
        ("get", reverse("marketplace:order_cancel", args=[world.unpaid.public_id]), None),
        ("post", reverse("marketplace:order_cancel", args=[world.unpaid.public_id]), {}),
        ("get", reverse("marketplace:spending_new"), None),
        ("post", reverse("marketplace:spending_new"), _spending_data(world)),
        ("post", reverse("marketplace:plan"), {"own_words": "New", "outcome": world.plan_outcome.outcome_id}),
        ("post", reverse("marketplace:plan_outcome_remove", args=[world.plan_outcome.public_id]), {}),
        ("post", reverse("marketplace:request_withdraw", args=[world.open_request.public_id]), {}),
    ]
    for method, url, data in forbidden:
        response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
        assert response.status_code == 403, f"{method} {url}"
    assert _state() == before


def test_request_level_helper_can_request_but_not_pay(client, world_with_order):
    world = world_with_order
    helper = make_helper_user()
    add_helper(world.budget, helper, can_request=True)
    client.force_login(helper)

    response = client.post(
        reverse("marketplace:request_new", args=[world.listing.public_id]), _request_data(world)
    )
    assert response.status_code == 302
    sent = SupportRequest.objects.latest("created_at")
    assert sent.requested_by == helper and sent.budget == world.budget

    assert client.post(reverse("marketplace:order_pay", args=[world.unpaid.public_id])).status_code == 403
    assert client.get(reverse("marketplace:spending_new")).status_code == 403
    world.unpaid.refresh_from_db()
    assert world.unpaid.checkout_session_id == ""
    refused = _service_attempts(world, helper)
    assert refused["pay"] and refused["spend"] and not refused["request"] and not refused["plan"]


def test_pay_level_helper_can_pay_but_not_request(client, world_with_order, stripe_server):
    world = world_with_order
    helper = make_helper_user()
    add_helper(world.budget, helper, name="Alex", can_pay=True)
    client.force_login(helper)

    order_page = _text(client.get(reverse("marketplace:order_detail", args=[world.unpaid.public_id])))
    assert "Pay £60" in order_page
    response = client.post(reverse("marketplace:order_pay", args=[world.unpaid.public_id]))
    world.unpaid.refresh_from_db()
    assert response.status_code == 302
    assert response.url == world.unpaid.checkout_url
    assert response.url.startswith(stripe_server.url + "/pay/cs_test_")
    started = RequestEvent.objects.get(request=world.unpaid.request, kind=RequestEvent.Kind.PAYMENT_STARTED)
    assert started.actor == helper

    assert client.get(reverse("marketplace:request_new", args=[world.listing.public_id])).status_code == 403
    assert client.get(reverse("marketplace:spending_new")).status_code == 200

    # The holder sees who started the payment, and for whom.
    client.force_login(world.holder)
    page = _text(client.get(reverse("marketplace:order_detail", args=[world.unpaid.public_id])))
    assert "Payment started</strong> by Alex (helping Sam Holder)" in page


def test_statements_permission_does_not_let_a_helper_request_or_pay(client, world_with_order):
    world = world_with_order
    helper = make_helper_user()
    add_helper(world.budget, helper, can_download_statements=True)

    assert services.can(helper, world.budget, services.STATEMENTS)
    refused = _service_attempts(world, helper)
    assert refused == {"request": True, "pay": True, "spend": True, "plan": True}
    client.force_login(helper)
    assert client.get(reverse("marketplace:request_new", args=[world.listing.public_id])).status_code == 403
    assert client.post(reverse("marketplace:order_pay", args=[world.unpaid.public_id])).status_code == 403


def test_changed_permissions_apply_on_the_next_request(client, world_with_order):
    world = world_with_order
    helper = make_helper_user()
    delegate = add_helper(world.budget, helper)
    client.force_login(helper)
    assert client.get(reverse("marketplace:spending_new")).status_code == 403

    holder = client.__class__()
    holder.force_login(world.holder)
    response = holder.post(
        reverse("marketplace:delegate_change", args=[delegate.public_id]),
        {"permissions": ["pay"]},
        follow=True,
    )
    assert "Saved" in _text(response)

    assert client.get(reverse("marketplace:spending_new")).status_code == 200
    assert AuditEvent.objects.filter(action="changed_delegate", actor=world.holder).exists()


# --- Withdrawing ---------------------------------------------------------------------------


def test_withdrawal_takes_effect_on_the_very_next_request(client, world_with_order):
    world = world_with_order
    helper = make_helper_user()
    delegate = add_helper(world.budget, helper, can_request=True, can_pay=True)
    client.force_login(helper)
    assert "Go swimming every week" in _text(client.get(reverse("marketplace:dashboard")))
    order_url = reverse("marketplace:order_detail", args=[world.unpaid.public_id])
    assert client.get(order_url).status_code == 200

    holder = client.__class__()
    holder.force_login(world.holder)
    confirm = _text(holder.get(reverse("marketplace:delegate_withdraw", args=[delegate.public_id])))
    assert "Withdraw access for Alex?" in confirm
    holder.post(reverse("marketplace:delegate_withdraw", args=[delegate.public_id]))

    dashboard = _text(client.get(reverse("marketplace:dashboard")))
    assert "Go swimming every week" not in dashboard
    assert "Set up your budget" in dashboard
    assert client.get(order_url).status_code == 404
    assert client.post(reverse("marketplace:order_pay", args=[world.unpaid.public_id])).status_code == 404
    delegate.refresh_from_db()
    assert delegate.status == Delegate.Status.WITHDRAWN and delegate.withdrawn_by == world.holder
    assert AuditEvent.objects.filter(action="withdrew_delegate", actor=world.holder).exists()


def test_a_helper_can_step_down_and_the_holder_is_told(client, django_capture_on_commit_callbacks):
    world = _holder_world()
    helper = make_helper_user()
    delegate = add_helper(world.budget, helper)
    client.force_login(helper)
    url = reverse("marketplace:delegate_withdraw", args=[delegate.public_id])

    assert f'href="{url}">Stop helping Sam Holder</a>' in _text(client.get(reverse("marketplace:dashboard")))
    assert "Stop helping Sam Holder?" in _text(client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)

    assert "You no longer help Sam Holder" in _text(response)
    assert world.budget not in services.budgets_for(helper)
    assert mail.outbox[-1].to == [world.holder.email]
    assert "Alex has stopped helping you" in mail.outbox[-1].subject


# --- Several people, and the chosen one -----------------------------------------------------


def test_a_helper_for_two_people_switches_and_sees_only_the_chosen_one(client):
    first = mf.make_budget(own_words="Swim on Mondays")
    second = mf.make_budget(own_words="Cook with Dad on Fridays")
    for budget, last in ((first, "First"), (second, "Second")):
        budget.holder.first_name, budget.holder.last_name = "Pat", last
        budget.holder.save()
    helper = make_helper_user()
    add_helper(first, helper)
    add_helper(second, helper)
    client.force_login(helper)

    response = client.get(reverse("marketplace:ledger"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("marketplace:switch_budget"))
    switch = _text(client.get(response.url))
    assert "Pat First" in switch and "Pat Second" in switch

    client.post(reverse("marketplace:switch_budget"), {"budget": str(second.public_id)})
    dashboard = _text(client.get(reverse("marketplace:dashboard")))
    assert "You are acting for Pat Second" in dashboard
    plan = _text(client.get(reverse("marketplace:plan")))
    assert "Cook with Dad on Fridays" in plan and "Swim on Mondays" not in plan

    response = client.post(
        reverse("marketplace:switch_budget"), {"budget": str(first.public_id), "next": "/budget/plan/"}
    )
    assert response.url == "/budget/plan/"
    plan = _text(client.get(reverse("marketplace:plan")))
    assert "Swim on Mondays" in plan and "Cook with Dad on Fridays" not in plan
    assert "Switch person" in plan

    # A budget they cannot see is not a choice.
    stranger = mf.make_budget(own_words="Private")
    response = client.post(reverse("marketplace:switch_budget"), {"budget": str(stranger.public_id)})
    assert response.status_code == 200
    assert "Select a valid choice" in _text(response)


@pytest.mark.parametrize("stale", ["someone_elses", "withdrawn", "not_a_uuid"])
def test_a_session_holding_a_budget_they_cannot_see_falls_back_safely(client, stale):
    mine = mf.make_budget(own_words="Swim on Mondays")
    helper = make_helper_user()
    mine_delegate = add_helper(mine, helper)
    others = mf.make_budget(own_words="Someone else's secret plan")
    if stale == "withdrawn":
        delegate = add_helper(others, helper)
        delegation.withdraw(delegate=delegate, by=others.holder)
    client.force_login(helper)
    session = client.session
    session["acting_budget"] = "nonsense" if stale == "not_a_uuid" else str(others.public_id)
    session.save()

    dashboard = _text(client.get(reverse("marketplace:dashboard")))
    plan = _text(client.get(reverse("marketplace:plan")))

    assert "Someone else's secret plan" not in dashboard + plan
    assert "Swim on Mondays" in plan
    assert "acting_budget" not in client.session  # forgotten, not kept for later
    delegation.withdraw(delegate=mine_delegate, by=mine.holder)
    assert "Swim on Mondays" not in _text(client.get(reverse("marketplace:dashboard")))


# --- The record of what helpers did ---------------------------------------------------------


def test_audit_records_the_helper_as_the_actor(client, world_with_order):
    world = world_with_order
    helper = make_helper_user()
    add_helper(world.budget, helper, name="Alex", can_request=True, can_pay=True)
    client.force_login(helper)

    client.get(reverse("marketplace:dashboard"))
    client.get(reverse("marketplace:ledger"))
    client.get(reverse("marketplace:order_detail", args=[world.unpaid.public_id]))
    client.post(reverse("marketplace:order_pay", args=[world.unpaid.public_id]))
    client.post(reverse("marketplace:spending_new"), _spending_data(world))

    events = AuditEvent.objects.filter(actor=helper, budget=world.budget)
    assert set(events.values_list("action", flat=True)) >= {
        "delegate_accepted",
        "viewed_budget",
        "viewed_ledger",
        "viewed_order",
        "paid",
        "recorded_spending",
    }
    assert {e.actor_role for e in events} == {"helper (family member or friend)"}
    assert all(e.subject_id == world.holder.pk for e in events)
    assert not AuditEvent.objects.filter(
        actor=world.holder, action__in=["paid", "recorded_spending"]
    ).exists()

    # The holder sees it on their helpers page.
    client.force_login(world.holder)
    page = _text(client.get(reverse("marketplace:delegates")))
    assert "What your helpers have done" in page
    assert "Alex</strong>: started a payment" in page


def test_the_provider_looking_at_an_order_is_not_audited(client, world_with_order):
    world = world_with_order
    client.force_login(world.provider_user)
    assert client.get(reverse("marketplace:order_detail", args=[world.unpaid.public_id])).status_code == 200
    assert not AuditEvent.objects.filter(actor=world.provider_user).exists()
