"""Weak matches are not results (issue 15: "search that a person trusts").

A misspelt "gardner" must find the gardeners, not every listing tagged "Gardening and home help"
(the cleaners); "nearest first" orders the listings that are about the words by distance, and
must not put a chair exercise class next door (tagged "Exercise, sport and swimming") above the
swimming buddy down the road. The database backend keeps the weak matches aside and the search
page shows them after the results, under "Other services nearby that may help".
"""

import pytest
from django.http import QueryDict
from django.urls import reverse

from directory.services import locate
from search.backends import get_search_backend
from search.query import Location, parse_query
from search.services import vocabularies
from tests.factories import make_listing
from tests.search.conftest import titles

pytestmark = pytest.mark.django_db


@pytest.fixture
def listings(directory):
    made = {
        "Green Fingers": make_listing(
            title="Green Fingers gardening",
            base_postcode="BL4",
            radius=8,
            categories=["gardening-and-home-help"],
            description="<p>I'm a gardener: lawns, hedges and borders, and the garden kept tidy.</p>",
        ),
        "Sparkle": make_listing(
            title="Sparkle home cleaning",
            base_postcode="BL3",
            categories=["gardening-and-home-help"],
            description="<p>A weekly clean: kitchen, bathroom, hoovering and bins.</p>",
        ),
        "Laundry": make_listing(
            title="Fresh Press ironing",
            base_postcode="BL3",
            categories=["gardening-and-home-help"],
            description="<p>Washing and ironing collected and brought back.</p>",
        ),
        "Swimming buddy": make_listing(
            title="Swimming buddy",
            base_postcode="BL4",
            radius=8,
            categories=["exercise-sport-and-swimming"],
            description="<p>I go swimming with you at the leisure centre.</p>",
        ),
        "Chair exercise": make_listing(
            title="Sit and Be Fit",
            base_postcode="BL3",
            categories=["exercise-sport-and-swimming"],
            description="<p>A seated exercise class with music, for strength and balance.</p>",
        ),
    }
    get_search_backend("database").rebuild()
    return made


def run(querystring):
    """The database backend's answer to a search page query string."""
    query = parse_query(QueryDict(querystring), vocabularies=vocabularies())
    found = locate(text=query.near)
    query = query.with_location(Location(found.latitude, found.longitude, found.label, found.district_code))
    return get_search_backend("database").search(query)


def test_a_typo_finds_the_gardener_and_keeps_the_cleaners_aside(listings):
    for sort in ("relevance", "distance"):
        found = run(f"q=gardner&near=BL3&sort={sort}")
        assert titles(found) == ["Green Fingers gardening"]
        assert found.count == 1
        assert sorted(hit.title for hit in found.others) == ["Fresh Press ironing", "Sparkle home cleaning"]


def test_nearest_first_orders_the_relevant_results_only(listings):
    found = run("q=swimming&near=BL3&sort=distance")
    assert titles(found) == ["Swimming buddy"]
    assert [hit.title for hit in found.others] == ["Sit and Be Fit"]
    # Searching for what the class is about finds it, of course.
    assert titles(run("q=exercise&near=BL3&sort=distance"))[0] == "Sit and Be Fit"


def test_the_page_shows_weak_matches_after_the_results_under_their_own_heading(client, listings):
    body = client.get(reverse("search"), {"q": "gardner", "near": "BL3"}).content.decode()
    assert "1 result within" in body
    results, others = body.split("Other services nearby that may help")
    assert "Green Fingers gardening" in results and "Sparkle home cleaning" not in results
    assert "Sparkle home cleaning" in others and "Fresh Press ironing" in others


def test_the_other_services_come_only_after_the_last_page(client, listings):
    body = client.get(reverse("search"), {"q": "gardner", "near": "BL3", "page": "1"}).content.decode()
    assert "Other services nearby that may help" in body
    # Without any weak match there is no such section.
    body = client.get(reverse("search"), {"q": "ironing", "near": "BL3"}).content.decode()
    assert "Fresh Press ironing" in body
    assert "Other services nearby that may help" not in body


# --- Elasticsearch and OpenSearch: a listing must say a word itself, unless none does --------


def _said_in_own_words(body: dict) -> bool:
    """True when the body requires a query word in the listing's own title or description."""
    text = str(body["query"]["function_score"]["query"]["bool"]["filter"])
    return "'title_text'" in text and "'body_text'" in text


def test_the_engine_body_asks_for_the_words_in_the_listings_own_text():
    from search.backends.elasticsearch import ElasticsearchSearchBackend
    from search.query import SearchQuery

    engine = ElasticsearchSearchBackend()
    assert _said_in_own_words(engine.build_search(SearchQuery(text="gardner")).to_dict())
    assert not _said_in_own_words(engine.build_search(SearchQuery(text="gardner"), own_words=False).to_dict())
    assert not _said_in_own_words(engine.build_search(SearchQuery(outcomes=("eat-well",))).to_dict())


class CannedEngine:
    """Stands in for a search engine node (none runs here): records each request's options and
    answers with the next canned hit count."""

    def __init__(self, totals):
        from search.backends.elasticsearch import ElasticsearchSearchBackend

        self.backend = ElasticsearchSearchBackend()
        self.totals = list(totals)
        self.asked = []
        self.backend._execute = self._execute

    def _execute(self, query, **options):
        self.asked.append(options)
        return {"hits": {"total": {"value": self.totals.pop(0)}, "hits": []}}


@pytest.mark.parametrize(
    ("text", "totals", "asked", "relaxed"),
    [
        ("gardner", [3], [{}], False),
        # Nobody says it: the listings tagged with it are better than nothing.
        ("gardner", [0, 2], [{}, {"own_words": False}], False),
        # Nobody has enough of the words anywhere: then some of them, as before.
        (
            "gardner hedges",
            [0, 0, 4],
            [{}, {"own_words": False}, {"minimum_should_match": "1", "own_words": False}],
            True,
        ),
    ],
)
def test_the_engine_widens_only_when_nothing_matches(text, totals, asked, relaxed):
    from search.query import SearchQuery

    engine = CannedEngine(totals)
    results = engine.backend.search(SearchQuery(text=text))
    assert engine.asked == asked
    assert results.relaxed is relaxed
