"""Filtering by access needs and age: the query parser, the search page and the JSON API."""

import pytest
from django.http import QueryDict
from django.urls import reverse

from directory.models import AccessFeature
from search.backends import get_search_backend
from search.query import AGE_MESSAGE, QueryError, parse_query
from search.services import vocabularies
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def listings(directory):
    """A step-free lunch club for over-60s with a hearing loop, and a swimming buddy for anyone."""
    features = AccessFeature.objects.filter(slug__in=["step-free", "hearing-loop"])
    lunch = make_listing(
        title="Lunch club",
        outcomes=("eat-well",),
        access_features=list(features),
        min_age=60,
        description="<p>Hot lunches in the hall.</p>",
    )
    swim = make_listing(title="Swimming buddy", description="<p>We go swimming.</p>")
    get_search_backend("database").rebuild()
    return lunch, swim


def parse(querystring):
    return parse_query(QueryDict(querystring), vocabularies=vocabularies())


def test_parser_reads_repeated_access_features_and_an_age():
    query = parse("access=step-free&access=hearing-loop&access=step-free&age=67")
    assert query.access_features == ("step-free", "hearing-loop")
    assert query.age == 67
    assert query.has_filters


@pytest.mark.parametrize("typed", ["abc", "-3", "200", "6.5", "1e2", "121"])
def test_parser_rejects_an_age_that_is_not_whole_years_from_0_to_120(typed):
    with pytest.raises(QueryError) as error:
        parse(f"age={typed}")
    assert error.value.param == "age"
    assert str(error.value) == AGE_MESSAGE == "Enter the person's age in whole years, from 0 to 120, like 67."


def test_parser_accepts_the_age_limits_and_ignores_an_empty_age():
    assert parse("age=0").age == 0
    assert parse("age=120").age == 120
    assert parse("age=&q=swim").age is None


def test_parser_rejects_an_unknown_access_feature():
    with pytest.raises(QueryError) as error:
        parse("access=lift-to-the-moon")
    assert (error.value.param, str(error.value)) == (
        "access",
        "“lift-to-the-moon” is not an access feature we know.",
    )


def test_search_page_filters_by_access_and_age_and_keeps_the_choices(client, listings):
    chosen = {"near": "BL3", "access": ["step-free", "hearing-loop"], "age": "67"}
    response = client.get(reverse("search"), chosen)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Lunch club" in body
    assert "Swimming buddy" not in body
    # The boxes stay ticked and the age stays typed after the search.
    assert 'id="access-step-free" name="access" type="checkbox" value="step-free" checked' in body
    assert 'id="access-hearing-loop" name="access" type="checkbox" value="hearing-loop" checked' in body
    assert 'name="age" type="text" inputmode="numeric" spellcheck="false" value="67"' in body
    assert "Step-free access (1)" in body


def test_search_page_age_outside_every_range_finds_only_open_listings(client, listings):
    body = client.get(reverse("search"), {"near": "BL3", "age": "30"}).content.decode()
    assert "Swimming buddy" in body
    assert "Lunch club" not in body


@pytest.mark.parametrize("typed", ["abc", "-3", "200"])
def test_search_page_explains_a_bad_age_and_keeps_what_was_typed(client, listings, typed):
    response = client.get(reverse("search"), {"q": "lunch", "near": "BL3", "age": typed})
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    shown = AGE_MESSAGE.replace("'", "&#x27;")  # as the template escapes it
    assert f'<a href="#field-age">{shown}</a>' in body
    assert 'id="age-error"' in body and "govuk-input--error" in body
    assert f'value="{typed}"' in body
    assert 'value="lunch"' in body and 'value="BL3"' in body


def test_api_filters_by_access_and_age_and_returns_an_access_facet(client, listings):
    response = client.get(reverse("search_api"), {"near": "BL3", "access": "step-free", "age": "75"})
    data = response.json()
    assert response.status_code == 200
    assert [r["name"] for r in data["results"]] == ["Lunch club"]
    assert data["facets"]["access"] == {"step-free": 1, "hearing-loop": 1}
    everyone = client.get(reverse("search_api"), {"near": "BL3"}).json()
    assert everyone["count"] == 2
    assert everyone["facets"]["access"] == {"step-free": 1, "hearing-loop": 1}


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"near": "BL3", "age": "abc"}, "age", AGE_MESSAGE),
        ({"near": "BL3", "age": "-3"}, "age", AGE_MESSAGE),
        ({"near": "BL3", "access": "wifi"}, "access", "“wifi” is not an access feature we know."),
    ],
)
def test_api_bad_access_or_age_is_a_400_naming_it(client, listings, params, param, message):
    response = client.get(reverse("search_api"), params)
    assert response.status_code == 400
    assert response.json()["error"] == {"param": param, "message": message}
