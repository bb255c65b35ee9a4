"""The ranking formula, written out by hand: a new ranking factor needs a change here.

The golden request bodies (tests/search/golden) are regenerated after an intended change, so an
added boost can slip through a regeneration. This file never regenerates: it states the score
each backend computes as a formula, with its constants, and checks the code against it.

Ranking may use only relevance, distance, fit and freshness (search/backends/base.py):

    score = text share x 0.5 ** (miles / 10) x (0.5 if confirmed over 365 days ago else 1)
            x (0.5 + 0.5 x share of the requested outcomes offered)

where the text share is the listing's text weight over the best text weight among the results,
and a listing's text weight is the sum over query words of idf(word) x the best field weight of
that word's variants (title 3 + description 2 + vocabulary 1, summed over the fields it is in),
with idf = ln(1 + (n - df + 0.5) / (df + 0.5)) over the n matching candidates.
"""

import math
from datetime import date, timedelta

import pytest

from search.backends import base, database
from search.backends.database import COLUMNS, DatabaseSearchBackend
from search.backends.elasticsearch import ElasticsearchSearchBackend
from search.query import Location, SearchQuery

TODAY = date(2026, 11, 22)
BL3 = Location(latitude=53.5693, longitude=-2.4282, label="BL3", district_code="BL3")


def test_the_constants_of_the_formula():
    assert (database.TITLE_WEIGHT, database.BODY_WEIGHT, database.VOCABULARY_WEIGHT) == (3.0, 2.0, 1.0)
    assert base.DISTANCE_HALF_MILES == 10.0
    assert (base.STALE_AFTER_DAYS, base.STALE_FACTOR) == (365, 0.5)


def row(listing_id, **values):
    """A candidate row as the database backend reads it (see database.COLUMNS)."""
    defaults = {
        "listing_id": listing_id,
        "public_id": f"00000000-0000-0000-0000-{listing_id:012d}",
        "title": "Canal tandem rides",
        "latitude": 53.5693,
        "longitude": -2.4282,
        "radius_miles": 5,
        "districts": " ",
        "title_terms": " tandem ",
        "vocabulary_terms": " ",
        "body_terms": " tandem ",
        "outcomes": " get-out-and-about ",
        "categories": " ",
        "audiences": " ",
        "languages": " ",
        "availability": 1,
        "price_per_hour_pence": 1800,
        "intake": "taking",
        "verified_until": None,
        # Read as its day's number (database.CONFIRMED_DAY_SQL).
        "last_confirmed_at": date(2026, 11, 1).toordinal(),
        "access_features": " ",
    }
    defaults.update(values)
    return tuple(defaults.get(column) for column in COLUMNS)


# Everything else a row carries, each set to what a provider or coordinator could make it.
PROVIDER_SET = {
    "verified_until": TODAY + timedelta(days=300),
    "price_per_hour_pence": 500,
    "intake": "waiting_list",
    "access_features": " step-free hearing-loop bsl ",
    "audiences": " older-people carers ",
    "languages": " ur pa ",
    "categories": " exercise-sport-and-swimming ",
    "availability": 2**20 - 1,
    "radius_miles": 20,
    "districts": " BL3 BL4 ",
    "provider_name": "A much bigger company Ltd",
    "summary": "A longer summary " * 10,
}


def expected(matches_per_row, distances, confirmed_days, fit):
    """The formula in the module docstring, computed here from scratch."""
    n = len(matches_per_row)
    words = len(matches_per_row[0])
    idf = []
    for i in range(words):
        df = sum(1 for matches in matches_per_row if matches[i])
        idf.append(math.log(1 + (n - df + 0.5) / (df + 0.5)))
    text = [sum(idf[i] * max(m[i].values(), default=0) for i in range(words)) for m in matches_per_row]
    best = max(text)
    return [
        (t / best) * 0.5 ** (miles / 10) * (0.5 if days > 365 else 1.0) * (0.5 + 0.5 * f)
        for t, miles, days, f in zip(text, distances, confirmed_days, fit, strict=True)
    ]


def test_the_database_score_is_the_formula_and_nothing_else():
    query = SearchQuery(
        text="tandem canal", location=BL3, outcomes=("get-out-and-about", "eat-well"), today=TODAY
    )
    groups = [{"tandem"}, {"canal"}]
    confirmed = [date(2026, 11, 1).toordinal(), date(2025, 1, 1).toordinal(), date(2026, 6, 1).toordinal()]
    rows = [
        row(1, last_confirmed_at=confirmed[0]),
        row(2, last_confirmed_at=confirmed[1], outcomes=" get-out-and-about eat-well "),
        row(3, last_confirmed_at=confirmed[2], outcomes=" see-friends-and-family "),
    ]
    matches = [
        [{"tandem": 6.0}, {"canal": 2.0}],
        [{"tandem": 2.0}, {}],
        [{"tandem": 1.0}, {"canal": 3.0}],
    ]
    distances = [0.4, 3.0, 7.5]
    kept = list(zip(rows, distances, matches, strict=True))
    scores = [s for _, s, _, _ in DatabaseSearchBackend()._score(kept, query, groups)]
    days = [TODAY.toordinal() - c for c in confirmed]
    assert scores == pytest.approx(expected(matches, distances, days, [0.5, 1.0, 0.0]), rel=1e-12)

    # Whatever else a row says (verified, price, intake, access, audiences, ...) changes nothing.
    for column, value in PROVIDER_SET.items():
        changed = [
            (row(1, last_confirmed_at=confirmed[0], **{column: value}), *kept[0][1:]),
            *kept[1:],
        ]
        again = [s for _, s, _, _ in DatabaseSearchBackend()._score(changed, query, groups)]
        assert again == pytest.approx(scores, rel=1e-12), f"{column} changed the score"


def test_without_words_place_or_outcomes_every_score_is_freshness_alone():
    query = SearchQuery(today=TODAY)
    kept = [
        (row(1, **PROVIDER_SET), None, None),
        (row(2), None, None),
        (row(3, last_confirmed_at=date(2024, 1, 1).toordinal()), None, None),
    ]
    scores = [s for _, s, _, _ in DatabaseSearchBackend()._score(kept, query, [])]
    assert scores == [1.0, 1.0, 0.5]


# --- Elasticsearch and OpenSearch: the same formula in the request body -------------------


def test_the_engine_body_scores_with_exactly_these_functions():
    query = SearchQuery(
        text="tandem canal", near="BL3", location=BL3, outcomes=("get-out-and-about",), today=TODAY
    )
    body = ElasticsearchSearchBackend().build_search(query).to_dict()
    function_score = body["query"]["function_score"]
    assert function_score["score_mode"] == "multiply"
    assert function_score["boost_mode"] == "multiply"
    from search.backends._querybody import FIT_SCRIPT

    assert function_score["functions"] == [
        {
            "exp": {
                "location": {
                    "origin": {"lat": 53.5693, "lon": -2.4282},
                    "scale": "10mi",
                    "decay": 0.5,
                }
            }
        },
        {"filter": {"range": {"last_confirmed_at": {"lt": "2025-11-22"}}}, "weight": 0.5},
        {"script_score": {"script": {"source": FIT_SCRIPT, "params": {"outcomes": ["get-out-and-about"]}}}},
    ]
    assert FIT_SCRIPT == (
        "int matched = 0;"
        " for (def slug : params.outcomes) { if (doc['outcomes'].contains(slug)) { matched++; } }"
        " return 0.5 + 0.5 * matched / params.outcomes.size();"
    )
    # Relevance: the words in the listing's own title, description and vocabulary, 3 : 2 : 1.
    (relevance,) = function_score["query"]["bool"]["must"]
    assert relevance == {
        "multi_match": {
            "query": "tandem canal",
            "fields": ["title_text^3", "body_text^2", "vocabulary_text^1"],
            "type": "most_fields",
            "fuzziness": "AUTO",
            "operator": "or",
        }
    }
    # The order: score, then the daily rotation, then the id (no other sort key).
    assert [next(iter(key)) for key in body["sort"]] == ["_score", "_script", "listing_id"]


def test_the_engine_body_scores_nothing_without_words_place_or_outcomes():
    body = ElasticsearchSearchBackend().build_search(SearchQuery(today=TODAY)).to_dict()
    function_score = body["query"]["function_score"]
    assert function_score["functions"] == [
        {"filter": {"range": {"last_confirmed_at": {"lt": "2025-11-22"}}}, "weight": 0.5}
    ]
    assert function_score["query"]["bool"]["must"] == [{"match_all": {}}]
