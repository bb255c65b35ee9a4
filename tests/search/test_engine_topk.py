"""The database backend's top-k plans give exactly the exhaustive plan's pages.

A search with no place (tiers) or a wide radius (rings) is answered without reading and
scoring every match (search/backends/database.py). What a person sees first must not change
for it: on every query of the relevance set (bench/relevance_set.py), and on each of them
without its place, without its words and with a 100-mile radius, pages one and two are
compared hit by hit with the exhaustive plan's. The plans' thresholds are set so that they
run even on this 50-listing fixture (every class walked in small chunks, every radius ringed).
"""

from dataclasses import replace

import pytest
from django.db import transaction
from django.http import QueryDict

from bench.relevance_set import QUERIES, _querystring, build_fixture, query_label
from search.backends.database import DatabaseSearchBackend

pytestmark = pytest.mark.django_db

PER_PAGE = 4  # small pages, so page two and the classes below the first are exercised


class Recording(DatabaseSearchBackend):
    """The backend with the top-k plans forced on, noting which plan answered."""

    ring_from_miles = 0.0
    RING_START_MILES = 0.5
    DIRECT_ROWS = 0
    WALK_CHUNK = 7
    FACET_SAMPLE_ROWS = 5
    FACET_SAMPLE_IDS = 14

    def __init__(self):
        self.plans = []

    def _search_tiers(self, query, groups):
        self.plans.append("tiers")
        return super()._search_tiers(query, groups)

    def _search_rings(self, query, groups):
        found = super()._search_rings(query, groups)
        if found is not None:
            self.plans.append("rings")
        return found


def shapes(query):
    """The query as asked, and the shapes the top-k plans exist for."""
    yield "as asked", query
    yield "no place", replace(query, location=None)
    yield "no text", replace(query, text="")
    yield "radius 100", replace(query, radius_miles=100)
    yield "no text, radius 100", replace(query, text="", radius_miles=100)
    yield "no text, no place", replace(query, text="", location=None)
    if query.location is not None:
        yield "nearest first, radius 100", replace(query, radius_miles=100, sort="distance")


@pytest.fixture(scope="module")
def compared(django_db_setup, django_db_blocker):
    """(label, shape, page, exhaustive ids, top-k ids, exhaustive count, top-k results) for
    every relevance query and shape, pages one and two; built and rolled back once."""
    from directory.models import ListingPage
    from directory.services import locate
    from search.query import Location, parse_query
    from search.services import vocabularies

    rows = []
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_fixture()
        exhaustive = DatabaseSearchBackend()
        exhaustive.exhaustive = True
        exhaustive.rebuild(ListingPage.objects.live().filter(pk__in=[p.pk for p in built.values()]))
        topk = Recording()
        vocab = vocabularies()
        for item in QUERIES:
            query = parse_query(QueryDict(_querystring(item)), vocabularies=vocab)
            found = locate(text=query.near)
            query = query.with_location(
                Location(found.latitude, found.longitude, found.label, found.district_code)
            )
            for shape, shaped in shapes(replace(query, per_page=PER_PAGE)):
                for page in (1, 2):
                    paged = replace(shaped, page=page)
                    expected = exhaustive.search(paged)
                    got = topk.search(paged)
                    rows.append(
                        (
                            query_label(item),
                            shape,
                            page,
                            [h.title for h in expected.hits],
                            [h.title for h in got.hits],
                            expected.count,
                            got,
                        )
                    )
        transaction.set_rollback(True)
    return rows, topk.plans


def test_first_pages_are_the_exhaustive_pages(compared):
    rows, _plans = compared
    different = [
        f"{label!r} ({shape}, page {page}):\n  exhaustive {want}\n  top-k      {got}"
        for label, shape, page, want, got, *_ in rows
        if want != got
    ]
    assert not different, f"{len(different)} of {len(rows)} pages differ:\n" + "\n".join(different)


def test_the_top_k_plans_really_ran(compared):
    rows, plans = compared
    # Without this the comparison above could pass by never leaving the exhaustive plan.
    assert plans.count("tiers") >= len(QUERIES) * 2 * 2
    assert plans.count("rings") >= len(QUERIES)
    assert sum(1 for *_, want, _got, _count, _results in rows if len(want) == PER_PAGE) > len(rows) / 3


def test_counts_are_exact_unless_marked_as_estimates(compared):
    rows, _plans = compared
    wrong = [
        f"{label!r} ({shape}): {results.count} != {count}"
        for label, shape, _page, _want, _got, count, results in rows
        if not results.total_is_estimate and results.count != count
    ]
    assert not wrong, "\n".join(wrong)
    assert any(results.total_is_estimate for *_, results in rows)


@pytest.fixture
def walked_early(monkeypatch):
    """The short walk stops as soon as the page is full (so it reads only some of the ids)."""
    monkeypatch.setattr(DatabaseSearchBackend, "WALK_CHUNK", 1)
    monkeypatch.setattr(DatabaseSearchBackend, "FACET_SAMPLE_ROWS", 1)


def make_many(n):
    from search.backends import get_search_backend
    from tests.factories import make_listing

    listings = [make_listing(title=f"Garden helper {i}", outcomes=("keep-my-home",)) for i in range(n)]
    get_search_backend("database").rebuild()
    return listings


def test_an_estimated_count_says_about_on_the_page_and_in_the_api(client, walked_early, settings):
    settings.SEARCH_BACKEND = "database"
    make_many(23)

    api = client.get("/api/search?outcome=keep-my-home").json()
    page = client.get("/search/?outcome=keep-my-home")

    assert api["count_is_estimate"] is True
    assert api["facets_are_estimates"] is True
    assert len(api["results"]) == 20
    html = page.content.decode()
    assert f"About {api['count']} results" in html
    assert "the numbers beside the filters are estimates" in html


def test_an_exact_count_says_no_about(client, settings):
    settings.SEARCH_BACKEND = "database"
    make_many(3)

    api = client.get("/api/search?outcome=keep-my-home").json()
    page = client.get("/search/?outcome=keep-my-home")

    assert api["count"] == 3
    assert api["count_is_estimate"] is False
    assert api["facets_are_estimates"] is False
    html = page.content.decode()
    assert "3 results" in html
    assert "About " not in html
    assert "are estimates" not in html


def test_a_few_results_among_far_apart_ids_have_exact_filter_numbers(client, settings, monkeypatch):
    """Where listing ids are spread out (deleted listings, a database sequence that moved on: the
    whole PostgreSQL run showed it), the sample walk can stop before it reaches a few results; a
    result count small enough to read whole still gets exact filter numbers, not "estimates"."""
    settings.SEARCH_BACKEND = "database"
    monkeypatch.setattr(DatabaseSearchBackend, "WALK_CHUNK", 1)
    monkeypatch.setattr(DatabaseSearchBackend, "FACET_SAMPLE_IDS", 1)
    from tests.factories import make_listing

    make_many(3)
    for i in range(6):  # more ids in the rotation than the walk may read
        make_listing(title=f"Lunch club {i}", outcomes=("eat-well",))
    from search.backends import get_search_backend

    get_search_backend("database").rebuild()

    api = client.get("/api/search?outcome=keep-my-home").json()

    assert api["count"] == 3
    assert api["facets_are_estimates"] is False
    assert api["facets"]["outcome"]["keep-my-home"] == 3, api["facets"]


def make_neighbours(n):
    """`n` listings that say "neighbours" in their description only, never in a title."""
    from search.backends import get_search_backend
    from tests.factories import make_listing

    listings = [
        make_listing(
            title=f"Garden helper {i}",
            summary="Weeding and mowing.",
            description="<p>Friendly neighbours who keep a garden tidy.</p>",
            outcomes=("keep-my-home",),
        )
        for i in range(n)
    ]
    get_search_backend("database").rebuild()
    return listings


def exhaustive_titles(client, monkeypatch, url):
    monkeypatch.setattr(DatabaseSearchBackend, "exhaustive", True)
    titles = [hit["name"] for hit in client.get(url).json()["results"]]
    monkeypatch.setattr(DatabaseSearchBackend, "exhaustive", False)
    return titles


def test_a_common_word_no_title_holds_is_answered_by_the_short_walk(
    client, walked_early, settings, monkeypatch
):
    """No listing has "neighbours" in its title, so the best any can do is the description: the
    walk stops at the first page of those (about N) instead of counting every match, and the
    page is the exhaustive plan's. Before SearchTermField it assumed a title could hold the
    word, never filled its page, and every match was read."""
    from search.models import SearchTermField

    settings.SEARCH_BACKEND = "database"
    make_neighbours(23)
    assert SearchTermField.objects.get(term="neighbour").fields == SearchTermField.BODY_BIT

    url = "/api/search?q=neighbours"
    api = client.get(url).json()

    assert api["count_is_estimate"] is True
    assert len(api["results"]) == 20
    assert [hit["name"] for hit in api["results"]] == exhaustive_titles(client, monkeypatch, url)


def test_a_word_a_title_once_held_still_gets_the_exhaustive_page(client, walked_early, settings, monkeypatch):
    """Bits are never cleared when a listing changes, so a title that once said the word keeps
    the bound high: the walk cannot stop early and the exact plan answers, with the same page.
    A rebuild makes the bound exact again."""
    from search.backends import get_search_backend
    from search.models import SearchTermField

    settings.SEARCH_BACKEND = "database"
    listings = make_neighbours(23)
    first = listings[0]
    first.title = "Good neighbours garden club"
    first.save_revision().publish()
    get_search_backend("database").index_listing(first)
    assert SearchTermField.objects.get(term="neighbour").fields & SearchTermField.TITLE_BIT
    first.title = "Garden helper 0"
    first.save_revision().publish()
    get_search_backend("database").index_listing(first)

    url = "/api/search?q=neighbours"
    api = client.get(url).json()

    assert api["count"] == 23
    assert api["count_is_estimate"] is False
    assert [hit["name"] for hit in api["results"]] == exhaustive_titles(client, monkeypatch, url)

    get_search_backend("database").rebuild()
    assert SearchTermField.objects.get(term="neighbour").fields == SearchTermField.BODY_BIT
    assert client.get(url).json()["count_is_estimate"] is True


def test_the_migration_fills_the_term_fields_from_an_index_already_there(settings):
    """A site upgrading has an index and no SearchTermField rows: the migration fills them."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from search.models import SearchTermField

    make_neighbours(2)
    written = dict(SearchTermField.objects.values_list("term", "fields"))
    SearchTermField.objects.all().delete()

    migration = importlib.import_module("search.migrations.0010_term_fields")
    # fill() uses only the editor's connection (a schema editor cannot open inside a test's
    # transaction on SQLite).
    migration.fill(apps, SimpleNamespace(connection=connection))

    assert dict(SearchTermField.objects.values_list("term", "fields")) == written
    assert written["neighbour"] == SearchTermField.BODY_BIT
    assert written["garden"] & SearchTermField.TITLE_BIT
