"""The marketplace's pages through Django's test client: what each side sees and can do, and
that bad input gets a clear message and keeps what was typed."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from marketplace import services
from marketplace.models import Budget, LedgerEntry, Order, PlanOutcome, SupportRequest
from tests.marketplace import factories as mf
from tests.marketplace.fixtures import post_webhook

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _date(prefix, day):
    return {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}


def _text(response):
    return response.content.decode()


# --- the holder's budget and plan ---------------------------------------------------------


def test_holder_sets_up_a_budget_and_plan(client, home):
    holder = mf.make_holder()
    client.force_login(holder)
    assert "Set up your budget" in _text(client.get(reverse("marketplace:dashboard")))

    response = client.post(
        reverse("marketplace:budget_setup"),
        {
            "amount": "480.50",
            "period": "four_weeks",
            **_date("first_period_starts_on", timezone.localdate()),
            "client_contribution": "25",
            "contingency_weeks": "8",
        },
    )
    assert response.status_code == 302 and response.url == reverse("marketplace:plan")
    budget = Budget.objects.get(holder=holder)
    assert (budget.amount_pence, budget.client_contribution_pence, budget.contingency_weeks) == (
        48_050,
        2_500,
        8,
    )
    assert holder.has_role(Role.BUDGET_HOLDER)

    response = client.post(
        reverse("marketplace:plan"),
        {"own_words": "See my grandchildren", "outcome": "see-friends-and-family"},
        follow=True,
    )
    assert "See my grandchildren" in _text(response)
    dashboard = _text(client.get(reverse("marketplace:dashboard")))
    assert "£505.50" in dashboard  # this period's money: £480.50 + £25
    assert "See my grandchildren" in dashboard


def test_bad_budget_input_is_explained_and_what_was_typed_is_kept(client, home):
    client.force_login(mf.make_holder())

    response = client.post(
        reverse("marketplace:budget_setup"),
        {
            "amount": "lots",
            "period": "",
            "first_period_starts_on_0": "31",
            "first_period_starts_on_1": "2",
            "first_period_starts_on_2": "2026",
            "contingency_weeks": "99",
        },
    )

    page = _text(response)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter how much the council pays in pounds and pence, like 18.50" in page
    assert "Select how often the council pays" in page
    assert "must be a real date" in page
    assert "Enter 52 weeks or fewer" in page
    assert 'value="lots"' in page
    assert 'value="99"' in page


def test_plan_outcome_must_be_chosen_and_words_kept(client):
    budget = mf.make_budget(own_words="")
    client.force_login(budget.holder)

    page = _text(client.post(reverse("marketplace:plan"), {"own_words": "Cook my own tea", "outcome": ""}))

    assert "Select the outcome it is closest to" in page
    assert 'value="Cook my own tea"' in page
    assert not PlanOutcome.objects.exists()


# --- requesting support -------------------------------------------------------------------


def _request_data(world, *, quantity="3", days=7):
    start = timezone.localdate() + timedelta(days=days)
    return {
        "price_option": "0-weekday",
        "quantity": quantity,
        **_date("starts_on", start),
        **_date("ends_on", start + timedelta(days=14)),
        "plan_outcome": str(world.plan_outcome.public_id),
        "message": "Mornings suit me",
    }


def test_holder_sees_cost_and_what_is_left_before_sending(client):
    world = mf.World(amount_pence=10_000, price_pence=1_850)
    client.force_login(world.holder)
    url = reverse("marketplace:request_new", args=[world.listing.public_id])

    form = _text(client.get(url))
    assert "Go swimming every week" in form
    check = _text(client.post(url, _request_data(world)))

    assert "Check your request" in check
    assert "£55.50" in check  # 3 x £18.50
    assert "£100" in check  # left now
    assert "£44.50" in check  # left after
    assert not SupportRequest.objects.exists()  # nothing sent yet

    response = client.post(url, {**_request_data(world), "confirm": "1"})
    support_request = SupportRequest.objects.get()
    assert response.url == reverse("marketplace:request_detail", args=[support_request.public_id])
    assert (support_request.quantity, support_request.total_pence, support_request.message) == (
        3,
        5_550,
        "Mornings suit me",
    )


def test_change_your_answers_goes_back_with_everything_typed(client):
    world = mf.World()
    client.force_login(world.holder)
    url = reverse("marketplace:request_new", args=[world.listing.public_id])

    page = _text(client.post(url, {**_request_data(world, quantity="4"), "change": "1"}))

    assert "Request support from" in page
    assert 'value="4"' in page
    assert "Mornings suit me" in page


def test_request_over_budget_shows_a_warning_and_cannot_be_sent(client):
    world = mf.World(amount_pence=5_000, price_pence=2_000)
    client.force_login(world.holder)
    url = reverse("marketplace:request_new", args=[world.listing.public_id])

    check = _text(client.post(url, _request_data(world)))
    assert "This costs more than is left in your budget" in check
    assert "Send request" not in check

    forced = _text(client.post(url, {**_request_data(world), "confirm": "1"}))
    assert "This would cost £60 but you have £50 left" in forced
    assert not SupportRequest.objects.exists()


def test_request_form_errors_are_clear(client):
    world = mf.World()
    client.force_login(world.holder)
    url = reverse("marketplace:request_new", args=[world.listing.public_id])
    past = timezone.localdate() - timedelta(days=1)

    page = _text(
        client.post(
            url,
            {
                "price_option": "0-weekday",
                "quantity": "0",
                **_date("starts_on", past),
                **_date("ends_on", past - timedelta(days=2)),
                "plan_outcome": "",
            },
        )
    )

    assert "Enter at least 1" in page
    assert "The start date must be today or in the future" in page
    assert "Select which outcome in your plan this meets" in page


def test_request_needs_a_budget_and_plan_first(client, home):
    world = mf.World()
    newcomer = mf.make_holder()
    client.force_login(newcomer)

    page = _text(client.get(reverse("marketplace:request_new", args=[world.listing.public_id])))

    assert "Set up your budget" in page


# --- the provider's side ------------------------------------------------------------------


def test_provider_sees_the_request_and_accepts_it(client):
    world = mf.World()
    support_request = mf.make_request(budget=world.budget, listing=world.listing)
    client.force_login(world.provider_user)

    inbox = _text(client.get(reverse("marketplace:provider_inbox")))
    assert support_request.service_description in inbox
    response = client.post(reverse("marketplace:request_accept", args=[support_request.public_id]))

    order = Order.objects.get()
    assert response.url == reverse("marketplace:order_detail", args=[order.public_id])
    assert order.status == Order.Status.AWAITING_PAYMENT


def test_provider_without_payouts_sees_why_they_cannot_accept(client):
    world = mf.World()
    world.account.delete()
    support_request = mf.make_request(budget=world.budget, listing=world.listing)
    client.force_login(world.provider_user)

    page = _text(client.get(reverse("marketplace:request_detail", args=[support_request.public_id])))
    assert "You cannot accept paid work until your payments are set up" in page
    assert "You have not set up payments yet" in page
    assert "Accept request" not in page

    response = client.post(
        reverse("marketplace:request_accept", args=[support_request.public_id]), follow=True
    )
    assert "You cannot accept paid work until your payments are set up" in _text(response)
    assert not Order.objects.exists()
    payments_page = _text(client.get(reverse("marketplace:provider_payments")))
    assert "Set up payments with Stripe" in payments_page


def test_provider_suggests_a_change_and_the_holder_accepts_it(client):
    world = mf.World(amount_pence=20_000)
    support_request = mf.make_request(budget=world.budget, listing=world.listing)
    client.force_login(world.provider_user)
    url = reverse("marketplace:request_change", args=[support_request.public_id])
    start = support_request.starts_on

    bad = _text(
        client.post(
            url, {"quantity": "5", "unit_price": "-1", **_date("starts_on", start), **_date("ends_on", start)}
        )
    )
    assert "Enter the price for each hour in pounds and pence" in bad
    assert 'value="5"' in bad
    client.post(
        url,
        {
            "quantity": "5",
            "unit_price": "21",
            **_date("starts_on", start),
            **_date("ends_on", start),
            "note": "Five sessions fit better",
        },
    )

    client.force_login(world.holder)
    page = _text(client.get(reverse("marketplace:request_detail", args=[support_request.public_id])))
    assert "The provider suggested a change" in page
    assert "£105" in page
    assert "Five sessions fit better" in page
    response = client.post(reverse("marketplace:request_accept_change", args=[support_request.public_id]))
    order = Order.objects.get()
    assert response.url == reverse("marketplace:order_detail", args=[order.public_id])
    assert (order.quantity, order.total_pence) == (5, 10_500)


def test_provider_declines_with_a_note_the_holder_sees(client):
    world = mf.World()
    support_request = mf.make_request(budget=world.budget, listing=world.listing)
    client.force_login(world.provider_user)
    client.post(
        reverse("marketplace:request_decline", args=[support_request.public_id]), {"note": "Fully booked"}
    )

    client.force_login(world.holder)
    page = _text(client.get(reverse("marketplace:request_detail", args=[support_request.public_id])))
    assert "Declined by the provider" in page
    assert "Fully booked" in page


# --- paying, receipts, cancelling ---------------------------------------------------------


def test_pay_sends_the_holder_to_checkout_and_the_return_page_waits_for_the_webhook(client, stripe_server):
    world = mf.connected_world(stripe_server)
    order = world.order()
    client.force_login(world.holder)

    response = client.post(reverse("marketplace:order_pay", args=[order.public_id]))

    order.refresh_from_db()
    assert response.status_code == 302
    assert response.url == order.checkout_url
    assert response.url.startswith(stripe_server.url + "/pay/cs_test_")
    sent = stripe_server.requests_to("POST", "/v1/checkout/sessions")[0]
    assert sent.params["success_url"] == (
        f"http://testserver/orders/{order.public_id}/paid/?session_id={{CHECKOUT_SESSION_ID}}"
    )
    waiting = _text(client.get(reverse("marketplace:order_return", args=[order.public_id])))
    assert "We are confirming your payment" in waiting

    post_webhook(client, stripe_server.complete_checkout(order.checkout_session_id, deliver=False))

    paid = _text(client.get(reverse("marketplace:order_return", args=[order.public_id])))
    assert "Payment received" in paid
    receipt = _text(client.get(reverse("marketplace:order_receipt", args=[order.public_id])))
    assert world.provider.legal_name in receipt
    assert order.payments.get().payment_intent_id in receipt
    download = client.get(reverse("marketplace:order_receipt_download", args=[order.public_id]))
    assert download["Content-Disposition"] == f'attachment; filename="receipt-{order.reference}.html"'
    assert "Go swimming every week" in download.content.decode()
    cancelled = _text(client.get(reverse("marketplace:order_payment_cancelled", args=[order.public_id])))
    assert "You have not paid" in cancelled


def test_no_receipt_before_payment(client):
    world = mf.World()
    order = world.order()
    client.force_login(world.holder)
    assert client.get(reverse("marketplace:order_receipt", args=[order.public_id])).status_code == 404


def test_holder_cancels_an_unpaid_order_free_and_the_money_is_released(client, stripe_server):
    world = mf.connected_world(stripe_server)
    order = world.order()
    client.force_login(world.holder)
    client.post(reverse("marketplace:order_pay", args=[order.public_id]))
    order.refresh_from_db()

    page = _text(client.get(reverse("marketplace:order_cancel", args=[order.public_id])))
    assert "Nothing has been paid" in page
    response = client.post(
        reverse("marketplace:order_cancel", args=[order.public_id]), {"note": "Not needed"}, follow=True
    )

    assert "Nothing was charged" in _text(response)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert stripe_server.get(order.checkout_session_id)["status"] == "expired"  # it can no longer be paid
    assert services.committed_pence(budget=world.budget) == 0


def _pay(client, stripe_server, world, order):
    services.start_checkout(
        order=order, by=world.holder, success_url="http://testserver/s", cancel_url="http://testserver/c"
    )
    order.refresh_from_db()
    post_webhook(client, stripe_server.complete_checkout(order.checkout_session_id, deliver=False))
    order.refresh_from_db()


def test_holder_gets_a_refund_before_the_first_date_but_not_after(client, stripe_server, time_machine):
    world = mf.connected_world(stripe_server, amount_pence=20_000)
    order = world.order(days_ahead=2)
    later = world.order(days_ahead=2)
    _pay(client, stripe_server, world, order)
    _pay(client, stripe_server, world, later)
    client.force_login(world.holder)

    response = client.post(reverse("marketplace:order_cancel", args=[order.public_id]), {}, follow=True)
    assert "the money is on its way back" in _text(response)
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    receipt = _text(client.get(reverse("marketplace:order_receipt", args=[order.public_id])))
    assert "Refunded" in receipt and "Net paid" in receipt
    ledger = _text(client.get(reverse("marketplace:ledger")))
    assert "Refund" in ledger

    time_machine.move_to(timezone.now() + timedelta(days=3))
    client.force_login(world.holder)  # three days on, the 8-hour session has ended: sign in again
    page = _text(client.get(reverse("marketplace:order_cancel", args=[later.public_id])))
    assert "The support has started, so you cannot cancel it here" in page
    client.post(reverse("marketplace:order_cancel", args=[later.public_id]), {})
    later.refresh_from_db()
    assert later.status == Order.Status.PAID

    # The provider can still cancel it (with a full refund) until its last day.
    client.force_login(world.provider_user)
    client.post(reverse("marketplace:order_cancel", args=[later.public_id]), {"note": "I am ill"})
    later.refresh_from_db()
    assert later.status == Order.Status.REFUNDED
    assert services.balance_pence(budget=world.budget) == 20_000


# --- spending outside the site ------------------------------------------------------------


def _spending(world, **overrides):
    return {
        "amount": "12.40",
        **_date("spent_on", timezone.localdate()),
        "description": "Bus pass",
        "payee": "Bee Network",
        "plan_outcome": str(world.plan_outcome.public_id),
        **overrides,
    }


def test_holder_records_spending_with_a_receipt_only_they_can_download(client):
    world = mf.World()
    client.force_login(world.holder)

    response = client.post(
        reverse("marketplace:spending_new"),
        {**_spending(world), "receipt": SimpleUploadedFile("ticket.png", PNG, "image/png")},
    )

    assert response.url == reverse("marketplace:dashboard")
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.OUTSIDE)
    assert entry.amount_pence == -1_240
    url = reverse("marketplace:spending_receipt", args=[entry.public_id])
    assert url in _text(client.get(reverse("marketplace:ledger")))
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Type"] == "image/png"
    client.force_login(mf.make_holder())
    assert client.get(url).status_code == 404
    client.force_login(world.provider_user)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("ticket.png", b"MZ\x90\x00 this is a program", "image/png"), "is not a real PNG"),
        (SimpleUploadedFile("ticket.exe", b"MZ", "application/octet-stream"), "must be a PDF, JPG or PNG"),
        (
            SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "application/pdf"),
            "smaller than 5MB",
        ),
    ],
)
def test_receipt_uploads_are_checked_by_their_contents_and_size(client, upload, message):
    world = mf.World()
    client.force_login(world.holder)

    page = _text(client.post(reverse("marketplace:spending_new"), {**_spending(world), "receipt": upload}))

    assert message in page
    assert 'value="12.40"' in page  # what was typed is kept
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.OUTSIDE).exists()


def test_spending_past_the_budget_is_saved_with_a_warning(client):
    world = mf.World(amount_pence=1_000)
    client.force_login(world.holder)
    response = client.post(reverse("marketplace:spending_new"), _spending(world, amount="15"), follow=True)
    assert "You have now spent more than your budget" in _text(response)


def test_dashboard_shows_spent_committed_left_by_outcome_and_orders(client, stripe_server):
    world = mf.connected_world(stripe_server, amount_pence=20_000, price_pence=2_000)
    paid = world.order(quantity=2)
    _pay(client, stripe_server, world, paid)
    world.order(quantity=3)
    services.record_outside_spending(
        budget=world.budget,
        by=world.holder,
        amount_pence=1_000,
        spent_on=timezone.localdate(),
        description="PA",
        plan_outcome=world.plan_outcome,
    )
    client.force_login(world.holder)

    page = _text(client.get(reverse("marketplace:dashboard")))

    assert 'id="summary-period-in">£200<' in page
    assert 'id="summary-spent">£50<' in page
    assert 'id="summary-committed">£60<' in page
    assert "£90</strong>" in page  # left: 200 - 50 - 60
    assert "Paid" in page and "Agreed: waiting for payment" in page
