"""The exact requests the Elasticsearch backend sends, held to golden files.

No cluster runs here, so these tests pin down what would be sent: the index settings and
mapping, and the search body for four kinds of search. After an intended change, regenerate
the files and review their diff:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -p no:logging tests/search/test_elasticsearch_bodies.py

The tests after the golden ones check what matters in those bodies directly, so a regenerated
file cannot quietly hide a regression. The last test reads a canned search response (standing
in for a cluster) into SearchResults.
"""

import json
import math
import os
from datetime import date
from pathlib import Path

import pytest

from directory.fields import slots_to_mask
from directory.prices import ShownPrice
from search.backends.base import FACETS, day_seed, rotation_key
from search.backends.database import DatabaseSearchBackend
from search.backends.elasticsearch import ElasticsearchSearchBackend, es_query_text
from search.query import Location, SearchQuery

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
TODAY = date(2026, 11, 22)
BL3 = Location(latitude=53.5693, longitude=-2.4282, label="BL3", district_code="BL3")

QUERIES = {
    "search_text_place_filters_page2": SearchQuery(
        text="swimming buddy",
        near="BL3",
        location=BL3,
        radius_miles=15,
        outcomes=("get-out-and-about", "see-friends-and-family"),
        max_price_pence=2000,
        sort="relevance",
        page=2,
        today=TODAY,
    ),
    "search_filters_only": SearchQuery(
        categories=("gardening-and-home-help",),
        audiences=("people-living-with-dementia",),
        languages=("ur",),
        access_features=("step-free", "hearing-loop"),
        age=67,
        taking_new=True,
        verified=True,
        meet_first=True,
        trial_session=True,
        today=TODAY,
    ),
    "search_distance_days_times": SearchQuery(
        near="BL3",
        location=BL3,
        radius_miles=20,
        days=("sat", "sun"),
        parts=("morning",),
        sort="distance",
        today=TODAY,
    ),
    "search_text_only": SearchQuery(text="a break for my carer", today=TODAY),
}


@pytest.fixture
def backend():
    """A backend nobody has connected: building requests needs no cluster."""
    return ElasticsearchSearchBackend()


def body(backend, name: str) -> dict:
    """The search body for QUERIES[name], as JSON would carry it."""
    return json.loads(json.dumps(backend.build_search(QUERIES[name]).to_dict()))


def check_golden(name: str, built: dict) -> None:
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(built, indent=2, sort_keys=True) + "\n")
    assert path.exists(), f"{path.name} is missing; run with UPDATE_GOLDEN=1 to write it"
    assert json.loads(path.read_text()) == built


def find(node, key: str) -> list:
    """Every value stored under `key`, anywhere in a nested request body."""
    found = []
    if isinstance(node, dict):
        for k, value in node.items():
            if k == key:
                found.append(value)
            found.extend(find(value, key))
    elif isinstance(node, list):
        for item in node:
            found.extend(find(item, key))
    return found


# --- golden bodies ---------------------------------------------------------------------------


def test_index_settings_and_mapping_match_golden(backend):
    check_golden("index", json.loads(json.dumps(backend.index_body())))


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_search_body_matches_golden(backend, name):
    check_golden(name, body(backend, name))


# --- what the bodies must say ----------------------------------------------------------------


def test_the_price_as_shown_is_returned_with_hits_but_never_searched(backend):
    mapping = backend.index_body()["mappings"]["properties"]
    for name in ("price_pence", "price_unit", "price_unit_minutes", "price_count"):
        assert mapping[name]["index"] is False, name  # so no query can filter or score on it
        assert name in body(backend, "search_text_only")["_source"]
    # The price filter still compares the hourly equivalent.
    assert mapping["price_per_hour_pence"] == {"type": "integer"}


def test_location_is_a_geo_point_and_facets_are_keywords(backend):
    properties = backend.index_body()["mappings"]["properties"]
    assert properties["location"]["type"] == "geo_point"
    for field in ("outcomes", "categories", "audiences", "languages", "districts", "intake"):
        assert properties[field]["type"] == "keyword", field
    assert properties["availability"]["type"] == "integer"
    assert properties["verified_until"]["type"] == properties["last_confirmed_at"]["type"] == "date"


def test_care_synonyms_are_expanded_when_searching(backend):
    index = backend.index_body()
    analysis = index["settings"]["analysis"]
    synonyms = analysis["filter"]["care_synonyms"]
    assert synonyms["type"] == "synonym_graph"
    assert (
        "respite, short break, break for my carer, carer break, replacement care, time off"
        in (synonyms["synonyms"])
    )
    title = index["mappings"]["properties"]["title_text"]
    assert "care_synonyms" in analysis["analyzer"][title["search_analyzer"]]["filter"]
    # Graphs cannot be indexed, so documents are analysed without the synonyms.
    assert "care_synonyms" not in analysis["analyzer"][title["analyzer"]]["filter"]


def test_text_is_analysed_as_english(backend):
    analysis = backend.index_body()["settings"]["analysis"]
    for name in ("care_english", "care_english_search"):
        chain = analysis["analyzer"][name]
        assert chain["tokenizer"] == "standard"
        assert chain["filter"][:2] == ["lowercase", "english_possessive_stemmer"]
        assert chain["filter"][-1] == "english_stemmer"
    assert analysis["filter"]["english_stemmer"] == {"type": "stemmer", "language": "english"}


def test_field_length_does_not_score(backend):
    # With norms, BM25 scores a word in a short field higher, and body_text ends with the
    # provider's name: twins differing only in that name scored 1% apart on a real node.
    properties = backend.index_body()["mappings"]["properties"]
    text_fields = [name for name, field in properties.items() if field["type"] == "text"]
    assert len(text_fields) == 5
    assert all(properties[name]["norms"] is False for name in text_fields)


def test_text_needs_as_many_words_as_the_database_backend_and_tolerates_typos(backend):
    search = body(backend, "search_text_place_filters_page2")
    (matches,) = find(search, "all_text")
    assert matches["minimum_should_match"] == "2<-25%"
    assert matches["fuzziness"] == "AUTO"

    def elasticsearch_requires(clauses: int) -> int:
        # "2<-25%": up to two clauses all required; above that, all but 25% (rounded down).
        return clauses if clauses <= 2 else clauses - math.floor(clauses * 25 / 100)

    for clauses in range(1, 30):
        assert elasticsearch_requires(clauses) == DatabaseSearchBackend.required_matches(clauses)
    (relevance,) = find(search, "multi_match")
    # Same field weights as the database backend, summed across fields as it sums them.
    assert relevance["fields"] == ["title_text^3", "body_text^2", "vocabulary_text^1"]
    assert relevance["type"] == "most_fields"
    assert relevance["fuzziness"] == "AUTO"


def test_stop_words_are_dropped_except_inside_a_synonym_phrase():
    assert es_query_text("Help with shopping for my mum") == "shopping"
    assert es_query_text("a break for my carer") == "break for my carer"
    assert es_query_text("someone to help") == ""


def test_place_limits_by_radius_in_miles_or_the_named_district(backend):
    search = body(backend, "search_text_place_filters_page2")
    (within,) = find(search, "geo_distance")
    assert within == {"distance": "15mi", "location": {"lat": BL3.latitude, "lon": BL3.longitude}}
    clauses = [clause for should in find(search, "should") for clause in should]
    assert {"term": {"districts": "BL3"}} in clauses
    # A service available anywhere (online, by phone) is found from every place.
    assert {"term": {"anywhere": True}} in clauses
    service_area = [s for s in find(search, "script") if "arcDistance" in s.get("source", "")]
    assert service_area[0]["params"]["metres_per_mile"] == 1609.344


def test_score_decays_with_distance_and_staleness_and_rises_with_fit(backend):
    function_score = body(backend, "search_text_place_filters_page2")["query"]["function_score"]
    assert function_score["score_mode"] == function_score["boost_mode"] == "multiply"
    decay, staleness, fit = function_score["functions"]
    assert decay == {
        "exp": {
            "location": {
                "origin": {"lat": BL3.latitude, "lon": BL3.longitude},
                "scale": "10mi",
                "decay": 0.5,
            }
        }
    }
    assert staleness == {"filter": {"range": {"last_confirmed_at": {"lt": "2025-11-22"}}}, "weight": 0.5}
    assert fit["script_score"]["script"]["params"] == {
        "outcomes": ["get-out-and-about", "see-friends-and-family"]
    }


def test_without_text_every_result_starts_from_the_same_score(backend):
    query = body(backend, "search_filters_only")["query"]["function_score"]["query"]
    assert query["bool"]["must"] == [{"match_all": {}}]
    assert not find(query, "multi_match")


def test_filters_are_any_of_and_cover_every_filter(backend):
    filters = body(backend, "search_filters_only")["query"]["function_score"]["query"]["bool"]["filter"]
    assert {"terms": {"categories": ["gardening-and-home-help"]}} in filters
    assert {"terms": {"audiences": ["people-living-with-dementia"]}} in filters
    assert {"terms": {"languages": ["ur"]}} in filters
    assert {"term": {"intake": "taking"}} in filters
    assert {"range": {"verified_until": {"gte": "2026-11-22"}}} in filters


def test_access_features_are_all_of_and_age_allows_open_ended_ranges(backend):
    filters = body(backend, "search_filters_only")["query"]["function_score"]["query"]["bool"]["filter"]
    # One term filter per feature: a listing must have every feature chosen.
    assert {"term": {"access_features": "step-free"}} in filters
    assert {"term": {"access_features": "hearing-loop"}} in filters
    assert not any("access_features" in f.get("terms", {}) for f in filters)
    for field, bound in (("min_age", "lte"), ("max_age", "gte")):
        assert {
            "bool": {
                "should": [
                    {"bool": {"must_not": [{"exists": {"field": field}}]}},
                    {"range": {field: {bound: 67}}},
                ],
                "minimum_should_match": 1,
            }
        } in filters


def test_access_features_and_age_never_reach_the_score(backend):
    search = body(backend, "search_filters_only")
    functions = search["query"]["function_score"].get("functions", [])
    assert not find(functions, "access_features")
    assert not find(functions, "min_age")
    assert not find(search["query"]["function_score"]["query"]["bool"].get("must", []), "access_features")
    assert search["aggs"]["access"] == {"terms": {"field": "access_features", "size": 200}}


def test_meet_first_and_trial_are_filters_that_never_reach_the_score(backend):
    search = body(backend, "search_filters_only")
    filters = search["query"]["function_score"]["query"]["bool"]["filter"]
    assert {"term": {"meet_first": True}} in filters
    assert {"term": {"trial_session": True}} in filters
    functions = search["query"]["function_score"].get("functions", [])
    assert not find(functions, "meet_first")
    assert not find(functions, "trial_session")
    assert backend.index_body()["mappings"]["properties"]["meet_first"] == {"type": "boolean"}


def test_days_and_times_use_the_database_backends_slot_mask(backend):
    search = body(backend, "search_distance_days_times")
    masks = [s["params"]["mask"] for s in find(search["query"], "script") if "mask" in s.get("params", {})]
    expected = DatabaseSearchBackend.slot_mask(QUERIES["search_distance_days_times"])
    assert masks == [expected] == [slots_to_mask(["sat-morning", "sun-morning"])]


def test_sorts_end_with_the_daily_rotation(backend):
    by_distance = body(backend, "search_distance_days_times")["sort"]
    by_relevance = body(backend, "search_text_place_filters_page2")["sort"]
    assert by_distance[0]["_geo_distance"]["unit"] == "mi"
    assert by_relevance[0] == {"_score": {"order": "desc"}}
    for sort in (by_distance, by_relevance):
        assert sort[1]["_script"]["script"]["params"] == {"seed": day_seed(TODAY)}


def test_page_two_starts_after_page_one(backend):
    search = body(backend, "search_text_place_filters_page2")
    assert (search["from"], search["size"]) == (20, 20)


def test_aggregations_give_every_facet(backend):
    for name in QUERIES:
        assert set(body(backend, name)["aggs"]) == set(FACETS)


def test_rotation_is_stable_for_a_day_and_reshuffles_across_days():
    ids = range(1, 41)
    monday = sorted(ids, key=lambda i: rotation_key(i, date(2026, 5, 4)))
    assert monday == sorted(ids, key=lambda i: rotation_key(i, date(2026, 5, 4)))
    assert monday != sorted(ids, key=lambda i: rotation_key(i, date(2026, 5, 5)))
    assert all(0 <= rotation_key(i, TODAY) < 2**32 for i in ids)  # exact in the sort's double
    leaders = {min((7, 8), key=lambda i: rotation_key(i, date(2026, 5, d))) for d in range(1, 15)}
    assert leaders == {7, 8}


# --- reading a response ----------------------------------------------------------------------


@pytest.mark.django_db
def test_response_is_read_into_results_like_the_database_backends(backend):
    # A canned response in Elasticsearch's format stands in for a cluster, which cannot run here.
    query = QUERIES["search_text_place_filters_page2"]
    response = {
        "hits": {
            "total": {"value": 23, "relation": "eq"},
            "hits": [
                {
                    "_id": "41",
                    "_score": 2.5,
                    "_source": {
                        "listing_id": 41,
                        "public_id": "5b0c1a52-5c1e-4d8e-9f55-0f2b6a3c9d11",
                        "title": "Swimming buddy",
                        "url": "/directory/swimming-buddy/",
                        "summary": "Swimming buddy in Bolton.",
                        "provider_name": "Helping Hands 1",
                        "location": {"lat": 53.5693, "lon": -2.4282},
                        "outcomes": ["get-out-and-about"],
                        "price_per_hour_pence": 1800,
                        "price_pence": 1800,
                        "price_unit": "hour",
                        "price_count": 2,
                        "intake": "taking",
                        "verified_until": "9999-11-22",
                        "last_confirmed_at": "2026-11-01T09:30:00+00:00",
                    },
                },
                {
                    "_id": "42",
                    "_score": 0.75,
                    "_source": {
                        "listing_id": 42,
                        "public_id": "0e6f3c55-2f0b-4bb4-8d0b-7d2f0c1f7a42",
                        "title": "Bury mowing",
                        "url": "/directory/bury-mowing/",
                        "summary": "Lawns.",
                        "provider_name": "Zed Ltd",
                        "location": {"lat": 53.5933, "lon": -2.2966},
                        "outcomes": ["keep-my-home", "see-friends-and-family"],
                        "intake": "full",
                        "last_confirmed_at": "2025-11-21T23:59:00+00:00",
                    },
                },
            ],
        },
        "aggregations": {
            "outcome": {"buckets": [{"key": "get-out-and-about", "doc_count": 12}]},
            "category": {"buckets": []},
            "for": {"buckets": []},
            "access": {"buckets": [{"key": "step-free", "doc_count": 4}, {"key": "bsl", "doc_count": 0}]},
            "language": {"buckets": [{"key": "ur", "doc_count": 1}]},
            "day": {"buckets": {"mon": {"doc_count": 5}, "tue": {"doc_count": 0}}},
            "time": {"buckets": {"morning": {"doc_count": 9}}},
            "taking_new": {"buckets": {"true": {"doc_count": 20}}},
            "verified": {"buckets": {"true": {"doc_count": 0}}},
        },
    }
    results = backend.results_from_response(query, response)
    assert (results.count, results.num_pages, results.backend) == (23, 2, "elasticsearch")
    near, far = results.hits
    assert (near.title, near.distance_miles, near.verified, near.stale) == (
        "Swimming buddy",
        0,
        True,
        False,
    )
    assert ("get-out-and-about", "Get out and about") in near.outcomes
    assert near.matched_outcomes == ["get-out-and-about"]
    assert (near.price_per_hour_pence, near.score) == (1800, 2.5)
    assert (far.verified, far.stale, far.price_per_hour_pence) == (False, True, None)
    # The price as shown comes back from _source; a listing with no price has none.
    assert near.price == ShownPrice(pence=1800, unit="hour", unit_minutes=None, count=2)
    assert far.price is None
    assert far.distance_miles in (5, 6)  # whole miles
    assert far.matched_outcomes == ["see-friends-and-family"]
    assert results.facets == {
        "outcome": {"get-out-and-about": 12},
        "category": {},
        "for": {},
        "access": {"step-free": 4},
        "day": {"mon": 5},
        "time": {"morning": 9},
        "language": {"ur": 1},
        "taking_new": {"true": 20},
        "verified": {},
        "runner": {},
    }
