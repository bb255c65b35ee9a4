"""Prices as a person pays them: "£6 a meal", not an hourly figure nobody is charged.

Result cards, the outcome pages' cards and the JSON API all show the listing's lowest weekday
price in its own unit, with "From" when it has other prices too.
"""

import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from cms.templatetags.money import price_words
from directory.models import ListingPrice
from search.backends import get_search_backend
from search.models import SearchDocument
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ((600, "meal", None, False), "£6 a meal"),
        ((650, "meal", None, False), "£6.50 a meal"),
        ((1800, "hour", None, False), "£18 an hour"),
        ((4500, "session", 120, False), "£45 a session (2 hours)"),
        ((250, "session", 90, False), "£2.50 a session (1½ hours)"),
        ((1500, "visit", 45, False), "£15 a visit (45 minutes)"),
        ((7000, "day", 440, False), "£70 a day (7 hours 20 minutes)"),
        ((1200, "hour", None, True), "From £12 an hour"),
        ((9000, "night", None, True), "From £90 a night"),
    ],
)
def test_a_price_reads_in_its_own_unit(price, expected):
    pence, unit, minutes, several = price
    assert price_words(pence, unit, minutes, several=several) == expected


def test_the_hourly_equivalent_is_added_only_where_the_price_has_a_length():
    assert price_words(4500, "session", 120, hourly=True) == "£45 a session (2 hours, £22.50 an hour)"
    assert price_words(600, "meal", None, hourly=True) == "£6 a meal"
    assert price_words(1800, "hour", None, hourly=True) == "£18 an hour"


def _price(pence, unit, minutes=None, evening=None):
    return ListingPrice(
        description="Support",
        unit=unit,
        unit_minutes=minutes,
        weekday_pence=pence,
        evening_weekend_pence=evening,
    )


@pytest.fixture
def priced(directory):
    lunch = make_listing(
        title="Canal lunch club", outcomes=("eat-well",), prices=[_price(600, "meal")], summary="Hot lunch."
    )
    rides = make_listing(
        title="Canal tandem rides",
        outcomes=("eat-well",),
        # The evening rate stays on the listing page; the cheaper weekday session is shown.
        prices=[_price(5000, "hour"), _price(4500, "session", 120, evening=6000)],
        summary="Rides.",
    )
    get_search_backend("database").rebuild()
    return lunch, rides


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_result_cards_show_the_price_as_charged(client, priced):
    page = text_of(client.get(reverse("search"), {"q": "canal", "near": "BL3"}))
    assert "£6 a meal ·" in page
    assert "From £45 a session (2 hours, £22.50 an hour) ·" in page
    # The old hourly figure for a meal, or for the listing, is gone.
    assert "From £50 an hour" not in page and "From £22.50 an hour" not in page


def test_a_price_with_no_length_is_left_out_of_a_maximum_and_the_page_says_why(client, priced):
    page = text_of(client.get(reverse("search"), {"q": "canal", "near": "BL3", "max_price": "2500"}))
    assert "Canal tandem rides" in page
    assert "Canal lunch club" not in page
    assert "Services priced per meal, per night or with no length given are not shown" in page
    assert "Compares prices by the hour." in page  # the filter's own hint
    unfiltered = text_of(client.get(reverse("search"), {"q": "canal", "near": "BL3"}))
    assert "are not shown, because they cannot be compared" not in unfiltered


def test_the_outcome_page_cards_show_the_price_as_charged(client, priced):
    page = text_of(client.get("/directory/outcome/eat-well/"))
    assert "£6 a meal ·" in page
    assert "From £45 a session (2 hours) ·" in page


def test_the_api_gives_the_price_with_its_unit_and_the_hourly_equivalent(client, priced):
    data = client.get(reverse("search_api"), {"q": "canal", "near": "BL3"}).json()
    results = {result["name"]: result for result in data["results"]}
    lunch, rides = results["Canal lunch club"], results["Canal tandem rides"]
    assert lunch["price"] == {
        "pence": 600,
        "unit": "meal",
        "unit_minutes": None,
        "from": False,
        "text": "£6 a meal",
    }
    assert lunch["price_per_hour_pence"] is None
    assert rides["price"] == {
        "pence": 4500,
        "unit": "session",
        "unit_minutes": 120,
        "from": True,
        "text": "From £45 a session (2 hours)",
    }
    assert rides["price_per_hour_pence"] == 2250


def test_a_listing_with_no_price_shows_none(client, directory):
    make_listing(title="Canal chat", prices=[], summary="Free chat.")
    # make_listing's default price is kept when prices is empty, so remove it here.
    ListingPrice.objects.filter(listing__title="Canal chat").delete()
    get_search_backend("database").rebuild()
    data = client.get(reverse("search_api"), {"q": "canal", "near": "BL3"}).json()
    assert data["results"][0]["price"] is None
    page = text_of(client.get(reverse("search"), {"q": "canal", "near": "BL3"}))
    assert " a meal" not in page and "an hour ·" not in page


def test_the_migration_fills_the_price_on_rows_indexed_before_it(priced):
    # The rows as search/0008 left them: no price as shown.
    SearchDocument.objects.update(price_pence=None, price_unit="", price_unit_minutes=None, price_count=0)
    import_module("search.migrations.0009_price_unit").fill_shown_prices(django_apps, None)
    rows = {
        row.title: (row.price_pence, row.price_unit, row.price_unit_minutes, row.price_count)
        for row in SearchDocument.objects.all()
    }
    assert rows == {
        "Canal lunch club": (600, "meal", None, 1),
        "Canal tandem rides": (4500, "session", 120, 2),
    }
