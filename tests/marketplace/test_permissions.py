"""Every marketplace page and action, tried by people who are not party to the budget, request or
order: another holder, a provider who is not the one asked, and each side trying the other's
actions. They get 403 or 404, see nothing of the other person's, and change nothing.
"""

import pytest
from django.urls import reverse

from marketplace import services
from marketplace.models import LedgerEntry, Order, Payment, PlanOutcome, SupportRequest
from tests.marketplace import factories as mf
from tests.marketplace.fixtures import post_webhook

pytestmark = pytest.mark.django_db

SECRET_WORDS = "Visit Auntie Margaret in Horwich"
SECRET_MESSAGE = "Please ring the back door bell"


@pytest.fixture
def victim(stripe_server, client):
    """A holder with a plan, an open request, a paid order, an unpaid order and a receipt upload."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    world = mf.connected_world(stripe_server, amount_pence=50_000)
    world.holder.first_name, world.holder.last_name = "Victoria", "Victimson"
    world.holder.save()
    PlanOutcome.objects.filter(pk=world.plan_outcome.pk).update(own_words=SECRET_WORDS)
    world.open_request = mf.make_request(budget=world.budget, listing=world.listing)
    SupportRequest.objects.filter(pk=world.open_request.pk).update(message=SECRET_MESSAGE)
    world.change_request = mf.make_request(budget=world.budget, listing=world.listing)
    services.propose_change(
        support_request=world.change_request,
        by=world.provider_user,
        quantity=9,
        unit_price_pence=1_000,
        starts_on=world.change_request.starts_on,
        ends_on=world.change_request.ends_on,
    )
    world.unpaid = world.order()
    world.paid = world.order()
    services.start_checkout(
        order=world.paid, by=world.holder, success_url="http://testserver/s", cancel_url="http://testserver/c"
    )
    world.paid.refresh_from_db()
    post_webhook(client, stripe_server.complete_checkout(world.paid.checkout_session_id, deliver=False))
    world.spending = services.record_outside_spending(
        budget=world.budget,
        by=world.holder,
        amount_pence=700,
        spent_on=timezone.localdate(),
        description="Taxi to Auntie Margaret",
        plan_outcome=world.plan_outcome,
        receipt=SimpleUploadedFile("taxi.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png"),
    )
    return world


def _object_urls(world):
    """(name, url, methods) for every page or action about the victim's things."""
    r, c, u, p = (
        world.open_request.public_id,
        world.change_request.public_id,
        world.unpaid.public_id,
        world.paid.public_id,
    )
    provider = world.provider.public_id
    return [
        ("request_detail", reverse("marketplace:request_detail", args=[r]), ["get"]),
        ("request_accept", reverse("marketplace:request_accept", args=[r]), ["post"]),
        ("request_decline", reverse("marketplace:request_decline", args=[r]), ["get", "post"]),
        ("request_change", reverse("marketplace:request_change", args=[r]), ["get", "post"]),
        ("request_accept_change", reverse("marketplace:request_accept_change", args=[c]), ["post"]),
        ("request_withdraw", reverse("marketplace:request_withdraw", args=[r]), ["post"]),
        ("order_detail", reverse("marketplace:order_detail", args=[u]), ["get"]),
        ("order_pay", reverse("marketplace:order_pay", args=[u]), ["post"]),
        ("order_return", reverse("marketplace:order_return", args=[p]), ["get"]),
        ("order_payment_cancelled", reverse("marketplace:order_payment_cancelled", args=[u]), ["get"]),
        ("order_receipt", reverse("marketplace:order_receipt", args=[p]), ["get"]),
        ("order_receipt_download", reverse("marketplace:order_receipt_download", args=[p]), ["get"]),
        ("order_cancel unpaid", reverse("marketplace:order_cancel", args=[u]), ["get", "post"]),
        ("order_cancel paid", reverse("marketplace:order_cancel", args=[p]), ["get", "post"]),
        (
            "plan_outcome_remove",
            reverse("marketplace:plan_outcome_remove", args=[world.plan_outcome.public_id]),
            ["post"],
        ),
        (
            "spending_receipt",
            reverse("marketplace:spending_receipt", args=[world.spending.public_id]),
            ["get"],
        ),
        ("provider_connect", reverse("marketplace:provider_connect", args=[provider]), ["post"]),
        (
            "provider_onboarding_refresh",
            reverse("marketplace:provider_onboarding_refresh", args=[provider]),
            ["get"],
        ),
        (
            "provider_onboarding_return",
            reverse("marketplace:provider_onboarding_return", args=[provider]),
            ["get"],
        ),
    ]


# The victim's own pages (no id in the address): an outsider sees their own, never the victim's.
OWN_PAGES = [
    "marketplace:dashboard",
    "marketplace:budget_setup",
    "marketplace:plan",
    "marketplace:spending_new",
    "marketplace:ledger",
    "marketplace:provider_inbox",
    "marketplace:provider_payments",
]


def _state(world):
    return (
        list(SupportRequest.objects.order_by("pk").values_list("status", flat=True)),
        list(Order.objects.order_by("pk").values_list("status", "checkout_session_id")),
        Payment.objects.count(),
        LedgerEntry.objects.count(),
        list(PlanOutcome.objects.order_by("pk").values_list("archived", flat=True)),
    )


def _assert_nothing_leaked(response, world):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    for secret in (
        SECRET_WORDS,
        SECRET_MESSAGE,
        "Victimson",
        world.holder.email,
        "Taxi to Auntie Margaret",
        world.paid.payments.get().payment_intent_id,
    ):
        assert secret not in text


@pytest.mark.parametrize("outsider_kind", ["another_holder", "unrelated_provider"])
def test_outsiders_get_404_for_everything_about_someone_elses_budget(client, victim, outsider_kind):
    if outsider_kind == "another_holder":
        outsider = mf.make_budget(own_words="My own words").holder
    else:
        other_provider, outsider = mf.make_provider_member()
        mf.make_ready_account(other_provider)
    client.force_login(outsider)
    before = _state(victim)

    for name, url, methods in _object_urls(victim):
        for method in methods:
            response = getattr(client, method)(url)
            assert response.status_code == 404, (
                f"{outsider_kind} {method.upper()} {name}: {response.status_code}"
            )
            _assert_nothing_leaked(response, victim)
    for name in OWN_PAGES:
        # (Someone without a budget is sent to set one up.)
        response = client.get(reverse(name), follow=True)
        assert response.status_code == 200, name
        _assert_nothing_leaked(response, victim)

    assert _state(victim) == before


def test_the_provider_cannot_do_the_holders_actions(client, victim):
    client.force_login(victim.provider_user)
    before = _state(victim)
    holder_only = [
        ("post", reverse("marketplace:request_accept_change", args=[victim.change_request.public_id])),
        ("post", reverse("marketplace:request_withdraw", args=[victim.open_request.public_id])),
        ("post", reverse("marketplace:order_pay", args=[victim.unpaid.public_id])),
        ("post", reverse("marketplace:plan_outcome_remove", args=[victim.plan_outcome.public_id])),
        ("get", reverse("marketplace:spending_receipt", args=[victim.spending.public_id])),
    ]
    for method, url in holder_only:
        response = getattr(client, method)(url)
        assert response.status_code in (403, 404), url
    # Pages the provider may see show them the order, never the holder's budget.
    for name in ("marketplace:dashboard", "marketplace:ledger", "marketplace:plan"):
        text = client.get(reverse(name), follow=True).content.decode()
        assert "Taxi to Auntie Margaret" not in text
    assert _state(victim) == before


def test_the_holder_cannot_do_the_providers_actions(client, victim):
    client.force_login(victim.holder)
    before = _state(victim)
    provider_only = [
        ("post", reverse("marketplace:request_accept", args=[victim.open_request.public_id])),
        ("get", reverse("marketplace:request_decline", args=[victim.open_request.public_id])),
        ("post", reverse("marketplace:request_decline", args=[victim.open_request.public_id])),
        ("get", reverse("marketplace:request_change", args=[victim.open_request.public_id])),
        ("post", reverse("marketplace:request_change", args=[victim.open_request.public_id])),
        ("post", reverse("marketplace:provider_connect", args=[victim.provider.public_id])),
        ("get", reverse("marketplace:provider_onboarding_return", args=[victim.provider.public_id])),
    ]
    for method, url in provider_only:
        response = getattr(client, method)(url)
        assert response.status_code in (403, 404), url
    assert _state(victim) == before


def test_signed_out_people_are_sent_to_sign_in(client, victim):
    for name, url, methods in _object_urls(victim):
        for method in methods:
            response = getattr(client, method)(url)
            assert response.status_code == 302, name
            assert response.url.startswith(reverse("account_login")), name
    for name in OWN_PAGES:
        assert client.get(reverse(name)).url.startswith(reverse("account_login"))
