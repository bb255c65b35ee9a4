"""The request and change forms ask for the quantity in the unit the price uses ("How many
meals?"), keep totals exact to the penny, and name the field when what was typed is wrong."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from directory.models import ListingPrice
from marketplace.models import SupportRequest
from tests import factories
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db


def _date(prefix, day):
    return {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}


def _lunch_club(world, prices=None):
    return factories.make_listing(
        title="Lunch club",
        provider=world.provider,
        prices=prices or [ListingPrice(description="Hot lunch", unit="meal", weekday_pence=650)],
    )


def _typed(world, quantity):
    start = timezone.localdate() + timedelta(days=7)
    return {
        "price_option": "0-weekday",
        "quantity": quantity,
        **_date("starts_on", start),
        **_date("ends_on", start + timedelta(days=14)),
        "plan_outcome": str(world.plan_outcome.public_id),
        "message": "Tuesdays suit me",
    }


def test_a_meal_is_asked_for_in_meals_and_costed_to_the_penny(client):
    world = mf.World()
    lunch = _lunch_club(world)
    client.force_login(world.holder)
    url = reverse("marketplace:request_new", args=[lunch.public_id])

    form = client.get(url).content.decode()
    assert "How many meals?" in form
    assert "How many hours" not in form

    check = client.post(url, _typed(world, "3")).content.decode()
    assert "3 meals at £6.50 per meal" in check
    assert "£19.50" in check


def test_a_quantity_that_is_not_a_number_names_the_field_and_keeps_what_was_typed(client):
    world = mf.World()
    lunch = _lunch_club(world)
    client.force_login(world.holder)
    url = reverse("marketplace:request_new", args=[lunch.public_id])

    page = client.post(url, _typed(world, "three")).content.decode()
    assert "Enter how many meals as a whole number, like 6" in page
    assert 'value="three"' in page
    assert "Tuesdays suit me" in page
    empty = client.post(url, _typed(world, "")).content.decode()
    assert "Enter how many meals you want" in empty
    too_few = client.post(url, _typed(world, "0")).content.decode()
    assert "Enter at least 1 meal" in too_few
    assert not SupportRequest.objects.exists()


def test_a_listing_with_several_units_asks_in_all_of_them(client):
    world = mf.World()
    lunch = _lunch_club(
        world,
        [
            ListingPrice(description="Hot lunch", unit="meal", weekday_pence=650),
            ListingPrice(description="Help at home", unit="hour", weekday_pence=1800),
            ListingPrice(description="Second lunch", unit="meal", weekday_pence=500),
        ],
    )
    client.force_login(world.holder)
    page = client.get(reverse("marketplace:request_new", args=[lunch.public_id])).content.decode()
    assert "How many meals or hours?" in page


def test_the_provider_suggests_a_change_in_meals_and_bad_input_is_kept(client):
    world = mf.World(amount_pence=20_000)
    lunch = _lunch_club(world)
    support_request = mf.make_request(budget=world.budget, listing=lunch)
    client.force_login(world.provider_user)
    url = reverse("marketplace:request_change", args=[support_request.public_id])
    start = support_request.starts_on

    form = client.get(url).content.decode()
    assert "How many meals?" in form and "Price for each meal" in form
    bad = client.post(
        url,
        {"quantity": "lots", "unit_price": "6.505", **_date("starts_on", start), **_date("ends_on", start)},
    ).content.decode()
    assert "Enter how many meals as a whole number, like 6" in bad
    assert "Enter the price for each meal in pounds and pence, like 18.50" in bad
    assert 'value="lots"' in bad and 'value="6.505"' in bad

    client.post(
        url, {"quantity": "7", "unit_price": "6.35", **_date("starts_on", start), **_date("ends_on", start)}
    )
    support_request.refresh_from_db()
    assert support_request.proposed_total_pence == 4445  # 7 x £6.35, exact to the penny
