"""Money states people understand: "payments not set up" is a configuration state (a system check
warns the operator; holders are told how to pay instead, never to try again later); before a
request is sent the holder learns whether the provider can be paid through the site; a provider
nobody runs on the site is told how to claim and answer; the provider's inbox says who asked, for
which outcome, and whether a place is only held or paid."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from marketplace.checks import check_payments_set_up
from marketplace.models import Order, SupportRequest
from marketplace.services import pooling
from tests import factories
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db

NOT_AVAILABLE = "Paying through this site is not available here"


def _date(prefix, day):
    return {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}


def _request_data(world):
    start = timezone.localdate() + timedelta(days=7)
    return {
        "price_option": "0-weekday",
        "quantity": "3",
        **_date("starts_on", start),
        **_date("ends_on", start + timedelta(days=14)),
        "plan_outcome": str(world.plan_outcome.public_id),
    }


def test_no_stripe_keys_is_a_warning_for_the_operator(settings):
    settings.STRIPE_SECRET_KEY = ""
    assert [w.id for w in check_payments_set_up()] == ["marketplace.W003"]
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    assert check_payments_set_up() == []


def test_without_payments_the_holder_is_told_how_to_pay_instead(client, settings):
    settings.STRIPE_SECRET_KEY = ""
    world = mf.World()
    order = world.order()
    client.force_login(world.holder)

    page = client.get(reverse("marketplace:order_detail", args=[order.public_id])).content.decode()
    assert NOT_AVAILABLE in page
    assert "spending paid outside the site" in page
    assert "Pay £60" not in page

    response = client.post(reverse("marketplace:order_pay", args=[order.public_id]), follow=True)
    page = response.content.decode()
    assert NOT_AVAILABLE in page
    assert "few minutes" not in page
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT and order.checkout_session_id == ""


def test_the_listing_and_check_page_say_the_provider_cannot_be_paid_here_yet(client, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    world = mf.World()
    world.account.delete()  # the provider has not set up payments
    client.force_login(world.holder)

    listing_page = client.get(world.listing.url).content.decode()
    assert "cannot be paid through this site yet" in listing_page
    check = client.post(
        reverse("marketplace:request_new", args=[world.listing.public_id]), _request_data(world)
    ).content.decode()
    assert "Check your request" in check
    assert "we will invite them to set up payments" in check
    assert "record what you pay them" in check


def test_a_ready_provider_can_be_paid_through_the_site(client, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    world = mf.World()
    client.force_login(world.holder)
    assert "You can pay" in client.get(world.listing.url).content.decode()
    check = client.post(
        reverse("marketplace:request_new", args=[world.listing.public_id]), _request_data(world)
    ).content.decode()
    assert "you pay them through this site" in check
    assert "cannot be paid" not in check


def test_a_provider_nobody_runs_here_is_told_how_to_claim_and_answer(
    settings, django_capture_on_commit_callbacks
):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.SITE_URL = "https://support.example.gov.uk"
    provider = factories.ProviderFactory(email="owner@jos-swims.example")
    listing = mf.make_listing(provider)
    budget = mf.make_budget()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        mf.make_request(budget=budget, listing=listing)

    [email] = [m for m in mail.outbox if "owner@jos-swims.example" in m.to]
    claim = f"https://support.example.gov.uk/my/listings/{listing.public_id}/claim/"
    assert claim in email.body
    assert "claim the listing" in email.body
    assert "Set up payments" in email.body


def test_the_inbox_says_who_asked_for_what_and_a_held_place_is_not_agreed(client):
    provider, member = mf.make_provider_member()
    mf.make_ready_account(provider)
    listing = mf.make_listing(provider, title="Swimming group")
    join_by = timezone.localdate() + timedelta(days=7)
    activity = pooling.create_activity(
        provider=provider,
        by=member,
        listing=listing,
        title="Tuesday swimming group",
        when="Tuesdays 10am",
        starts_on=join_by + timedelta(days=3),
        ends_on=join_by + timedelta(days=30),
        unit_price_pence=1_000,
        places=4,
        min_places=2,
        join_by=join_by,
        if_not_filled="hold",
    )
    holder = mf.make_holder(first_name="Margaret", last_name="Okafor")
    budget = mf.make_budget(holder=holder, own_words="Get out of the house")
    share = pooling.join_activity(
        activity=activity, budget=budget, by=holder, plan_outcome=budget.plan.outcomes.first()
    )
    assert share.status == Order.Status.RESERVED
    asker = mf.make_holder(first_name="Dev", last_name="Patel")
    mf.make_request(budget=mf.make_budget(holder=asker), listing=listing)

    client.force_login(member)
    page = client.get(reverse("marketplace:provider_inbox")).content.decode()
    assert "Place held" in page
    assert ">Agreed<" not in page
    assert "Asked by Margaret" in page and "Okafor" not in page
    assert "Asked by Dev" in page
    assert "Get out and about" in page  # the broad outcome, not the person's own words
    assert SupportRequest.objects.count() == 2
