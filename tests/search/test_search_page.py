"""The search page and JSON API, as a person and a client program see them."""

import pytest
from django.urls import reverse

from search.backends import get_search_backend
from search.models import LowResultSearch, SearchDocument
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def listings(directory):
    swim = make_listing(title="Swimming buddy", base_postcode="BL3", description="<p>We go swimming.</p>")
    lunch = make_listing(
        title="Lunch club", base_postcode="BL3", outcomes=("eat-well",), description="<p>Hot lunches.</p>"
    )
    get_search_backend("database").rebuild()
    return swim, lunch


def test_search_page_shows_results_with_distance_and_price(client, listings):
    response = client.get(reverse("search"), {"q": "swimming", "near": "BL3"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Swimming buddy" in body
    assert "less than a mile away" in body
    assert "£18 an hour" in body and "From £18" not in body  # one price: no "From"
    assert "Lunch club" not in body


def test_search_keeps_what_the_person_typed_after_an_unknown_postcode(client, listings):
    response = client.get(reverse("search"), {"q": "swimming", "near": "ZZ9 9ZZ"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert "We do not know where ZZ9 9ZZ is" in body
    assert 'value="swimming"' in body and 'value="ZZ9 9ZZ"' in body


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "", "near": ""}, "Tell us what you are looking for"),
        ({"q": "swim", "near": "BL3", "radius": "5000"}, "between 1 and 100 miles"),
        ({"q": "swim", "near": "BL3", "radius": "-1"}, "between 1 and 100 miles"),
        ({"q": "swim", "near": "BL3", "radius": "far"}, "between 1 and 100 miles"),
        ({"q": "swim", "near": "Atlantis"}, "could not find a place called"),
        ({"q": "swim", "outcome": "not-a-thing"}, "is not an outcome we know"),
        ({"q": "x" * 500}, "200 characters or fewer"),
    ],
)
def test_bad_input_gets_a_clear_message_not_an_error_page(client, listings, params, message):
    response = client.get(reverse("search"), {"search": "1", **params})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_api_returns_results_and_facets(client, listings):
    response = client.get(reverse("search_api"), {"q": "swimming", "near": "BL3"})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    result = data["results"][0]
    assert result["name"] == "Swimming buddy"
    assert result["distance_miles"] == 0
    assert result["price_per_hour_pence"] == 1800
    assert result["outcomes"] == [{"slug": "get-out-and-about", "label": "Get out and about"}]
    assert result["id"] == str(listings[0].public_id)
    assert data["facets"]["outcome"] == {"get-out-and-about": 1}


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"near": "BL3", "radius": "0"}, "radius"),
        ({"near": "BL3", "max_price": "cheap"}, "max_price"),
        ({"near": "BL3", "day": "someday"}, "day"),
        ({"near": "BL3", "sort": "price"}, "sort"),
        ({"near": "BL3", "taking_new": "maybe"}, "taking_new"),
        ({"near": "nowhere-at-all"}, "near"),
        ({}, "q"),
    ],
)
def test_api_bad_parameter_is_a_400_naming_it(client, listings, params, param):
    response = client.get(reverse("search_api"), params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_searches_that_find_little_are_logged_without_personal_data(client, listings):
    client.get(
        reverse("search"), {"q": "Mrs Patel needs a podiatrist", "near": "BL3 5AA", "outcome": "eat-well"}
    )
    logged = LowResultSearch.objects.get()
    assert logged.district == "BL3"
    assert logged.outcomes == "eat-well"
    assert logged.result_count < 3
    stored = " ".join(str(v) for v in LowResultSearch.objects.values().get().values())
    assert "Patel" not in stored and "5AA" not in stored


def test_search_that_finds_plenty_is_not_logged(client, directory):
    for n in range(3):
        make_listing(title=f"Swim {n}", slug=f"swim-{n}", base_postcode="BL3")
    get_search_backend("database").rebuild()
    client.get(reverse("search"), {"near": "BL3"})
    assert not LowResultSearch.objects.exists()


def test_publishing_a_listing_indexes_it_after_commit(directory, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        listing = make_listing(title="New walking group", base_postcode="BL1")
    assert SearchDocument.objects.filter(listing_id=listing.pk, title="New walking group").exists()
    with django_capture_on_commit_callbacks(execute=True):
        listing.unpublish()
    assert not SearchDocument.objects.filter(listing_id=listing.pk).exists()


def test_rebuild_command_reports_the_count(directory, listings):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "Indexed 2 listings with the database backend." in out.getvalue()
    assert SearchDocument.objects.count() == 2


def test_nothing_in_the_directory_can_promote_a_provider():
    # The product promise: no field, flag or setting lets anyone promote a provider.
    from django.apps import apps
    from django.conf import settings

    forbidden = ("featured", "promot", "sponsor", "priority", "boost", "preferred", "premium", "pin")
    for model in [
        *apps.get_app_config("directory").get_models(),
        *apps.get_app_config("search").get_models(),
    ]:
        for field in model._meta.get_fields():
            assert not any(word in field.name.lower() for word in forbidden), f"{model.__name__}.{field.name}"
    assert not [name for name in dir(settings) if any(w in name.lower() for w in forbidden[:-1])]


def test_elasticsearch_without_a_url_is_a_system_check_error(settings):
    from search.checks import check_search_backend

    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_URL = ""
    assert [e.id for e in check_search_backend(None)] == ["search.E002"]
    settings.SEARCH_BACKEND = "solr"
    assert [e.id for e in check_search_backend(None)] == ["search.E001"]
    settings.SEARCH_BACKEND = "database"
    assert check_search_backend(None) == []


def test_when_no_listing_has_enough_words_those_with_some_are_shown_and_the_page_says_so(client, listings):
    response = client.get(reverse("search"), {"q": "swimming trampoline unicycle", "near": "BL3"})
    body = response.content.decode()
    assert "Swimming buddy" in body
    assert "No listing matched all of your words" in body
    api = client.get(reverse("search_api"), {"q": "swimming trampoline unicycle", "near": "BL3"}).json()
    assert api["matched_some_words_only"] is True
    assert [r["name"] for r in api["results"]] == ["Swimming buddy"]
