"""One contract, every backend: what a person searching is promised.

Runs against the database backend (SQLite or PostgreSQL, whichever the suite runs on) and,
when ELASTICSEARCH_URL is set, against Elasticsearch.
"""

import datetime as dt
from dataclasses import replace

import pytest
from django.utils import timezone

from directory.models import ListingPrice
from directory.prices import ShownPrice
from tests.factories import make_listing
from tests.search.conftest import make_twin_pair, titles

pytestmark = pytest.mark.django_db


def test_free_text_finds_the_listing(indexed, run):
    assert titles(run("q=swimming&near=BL3"))[0] == "Swimming buddy"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("gardner", "Green Fingers"),
        ("shoping", "Helping Hand errands"),
        ("walks", "Park walking group"),
        ("swimmming", "Swimming buddy"),
    ],
)
def test_typos_and_plurals_still_find_things(indexed, run, typed, expected):
    assert expected in titles(run(f"q={typed}&near=BL3&radius=20"))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("PA", "Your own PA"),
        ("personal assistant", "Your own PA"),
        ("respite", "Evening sitter"),
        ("short break", "Evening sitter"),
        ("a break for my carer", "Evening sitter"),
        ("sitting service", "Urdu-speaking companion"),
    ],
)
def test_care_synonyms_work(indexed, run, typed, expected):
    assert expected in titles(run(f"q={typed}&near=BL3&radius=20"))


def test_search_words_that_match_nothing_find_nothing(indexed, run):
    assert run("q=trampolining&near=BL3").count == 0


def test_radius_limits_results(indexed, run):
    near = titles(run("near=BL3&radius=1"))
    far = titles(run("near=BL3&radius=20"))
    assert "Westhoughton lunch club" not in near
    assert "Westhoughton lunch club" in far
    assert set(near) < set(far)


def test_listing_whose_area_does_not_reach_the_searcher_is_not_shown(indexed, run):
    found = titles(run("q=gardener&near=BL3&radius=50"))
    assert "Bury garden care" not in found  # based 7 miles away, travels 2
    assert "Bury mowing, all of BL3" in found  # far away, but names BL3 as covered


@pytest.mark.parametrize(
    ("querystring", "must", "must_not"),
    [
        ("outcome=eat-well", "Memory Lane lunch club", "Swimming buddy"),
        ("category=gardening-and-home-help", "Green Fingers", "Swimming buddy"),
        ("for=people-living-with-dementia", "Memory Lane lunch club", "Westhoughton lunch club"),
        ("day=thu", "Westhoughton lunch club", "Swimming buddy"),
        ("day=thu&time=afternoon", "Memory Lane lunch club", "Westhoughton lunch club"),
        ("time=evening", "Evening sitter", "Swimming buddy"),
        ("max_price=1500", "Helping Hand errands", "Swimming buddy"),
        ("language=ur", "Urdu-speaking companion", "Swimming buddy"),
        ("taking_new=1", "Swimming buddy", "Green Fingers"),
        ("verified=1", "Your own PA", "Green Fingers"),
        ("access=hearing-loop", "Memory Lane lunch club", "Westhoughton lunch club"),
        ("age=30", "Your own PA", "Memory Lane lunch club"),
    ],
)
def test_every_filter_narrows(indexed, run, querystring, must, must_not):
    found = titles(run(f"near=BL3&radius=20&{querystring}"))
    assert must in found
    assert must_not not in found


def test_facet_counts_match_the_results(indexed, run):
    everything = run("near=BL3&radius=20", per_page=100)
    assert everything.count == len(everything.hits)
    facets = everything.facets
    for slug, count in facets["outcome"].items():
        assert run(f"near=BL3&radius=20&outcome={slug}").count == count, slug
    for slug, count in facets["category"].items():
        assert run(f"near=BL3&radius=20&category={slug}").count == count, slug
    assert facets["day"]["thu"] == run("near=BL3&radius=20&day=thu").count
    assert facets["time"]["evening"] == run("near=BL3&radius=20&time=evening").count
    assert facets["language"]["ur"] == 1
    assert facets["taking_new"]["true"] == run("near=BL3&radius=20&taking_new=1").count
    assert facets["verified"]["true"] == run("near=BL3&radius=20&verified=1").count == 2


def test_access_features_must_all_be_there(indexed, run):
    # Someone who needs step-free access and a hearing loop needs both, not either.
    assert set(titles(run("near=BL3&radius=20&access=step-free"))) == {
        "Swimming buddy",
        "Memory Lane lunch club",
        "Westhoughton lunch club",
    }
    assert titles(run("near=BL3&radius=20&access=step-free&access=hearing-loop")) == [
        "Memory Lane lunch club"
    ]
    assert run("near=BL3&radius=20&access=bsl").count == 0


@pytest.mark.parametrize(
    ("age", "found", "not_found"),
    [
        # Swimming 18+, Memory Lane 60+, Westhoughton 65+, PA 18 to 64, the walking group any age.
        ("10", {"Park walking group"}, {"Swimming buddy", "Your own PA", "Memory Lane lunch club"}),
        ("18", {"Swimming buddy", "Your own PA"}, {"Memory Lane lunch club"}),
        ("64", {"Your own PA", "Memory Lane lunch club"}, {"Westhoughton lunch club"}),
        ("65", {"Westhoughton lunch club", "Memory Lane lunch club"}, {"Your own PA"}),
        ("100", {"Park walking group", "Swimming buddy", "Westhoughton lunch club"}, {"Your own PA"}),
    ],
)
def test_age_is_inside_the_listings_age_range_and_empty_bounds_are_no_limit(
    indexed, run, age, found, not_found
):
    shown = set(titles(run(f"near=BL3&radius=20&age={age}", per_page=100)))
    assert found <= shown
    assert not (not_found & shown)
    assert "Park walking group" in shown  # no limits at all


def test_access_and_age_together(indexed, run):
    assert set(titles(run("near=BL3&radius=20&access=step-free&age=62"))) == {
        "Swimming buddy",
        "Memory Lane lunch club",
    }
    assert titles(run("near=BL3&radius=20&access=step-free&access=parking&age=12")) == []


def test_access_facet_counts_match_filtering_by_each_feature(indexed, run):
    facets = run("near=BL3&radius=20", per_page=100).facets
    assert facets["access"] == {
        "step-free": 3,
        "accessible-toilet": 2,
        "parking": 1,
        "hearing-loop": 1,
        "quiet-space": 1,
        "home-visits": 3,
        "large-print-easy-read": 1,
    }
    for slug, count in facets["access"].items():
        assert run(f"near=BL3&radius=20&access={slug}").count == count, slug
    # Counts follow the other filters, as every facet does.
    assert run("near=BL3&radius=20&age=70").facets["access"]["step-free"] == 3
    assert run("near=BL3&radius=20&outcome=get-out-and-about&age=70").facets["access"] == {
        "step-free": 1,
        "accessible-toilet": 1,
        "parking": 1,
    }


def test_access_features_and_age_never_change_scores(directory, backend, run):
    # Twins identical in all ranking may use; the second has every access feature and an age
    # range. Having more features must not rank higher, and filtering must not re-score.
    from directory.models import AccessFeature

    _first, second = make_twin_pair(
        access=list(AccessFeature.objects.values_list("slug", flat=True)), min_age=18, max_age=99
    )
    backend.rebuild()
    for querystring in ("q=tandem&near=BL3", "near=BL3"):
        both = run(querystring).hits
        assert len(both) == 2
        assert both[0].score == pytest.approx(both[1].score)
        only = run(f"{querystring}&access=step-free&access=bsl&age=40").hits
        assert [hit.listing_id for hit in only] == [second.pk]
        assert only[0].score == pytest.approx(both[0].score)


def test_meet_first_and_trial_filter_but_never_change_scores(directory, backend, run):
    # Twins identical in all ranking may use; the second likes to meet first and offers a trial
    # session. Saying so must not rank higher, and filtering by it must not re-score.
    _first, second = make_twin_pair(meet_first=True, trial_session=True, trial_price_pence=0)
    backend.rebuild()
    for querystring in ("q=tandem&near=BL3", "near=BL3"):
        both = run(querystring).hits
        assert len(both) == 2
        assert both[0].score == pytest.approx(both[1].score)
        for flag in ("meet_first=1", "trial=1", "meet_first=1&trial=1"):
            only = run(f"{querystring}&{flag}").hits
            assert [hit.listing_id for hit in only] == [second.pk], flag
            assert only[0].score == pytest.approx(both[0].score)


def test_sort_by_distance_puts_nearest_first(indexed, run):
    hits = run("near=BL3&radius=20&sort=distance", per_page=100).hits
    distances = [hit.distance_miles for hit in hits]
    assert distances == sorted(distances)
    assert distances[0] < 1


def test_best_match_puts_the_strongest_text_match_first(indexed, run):
    found = titles(run("q=dementia friendly lunch club&near=BL3&radius=20"))
    assert found[0] == "Memory Lane lunch club"


def test_pages_split_the_results_without_gaps_or_repeats(indexed, run):
    everything = titles(run("near=BL3&radius=20", per_page=100))
    pages = [titles(run(f"near=BL3&radius=20&page={n}", per_page=3)) for n in range(1, 6)]
    flattened = [title for page in pages for title in page]
    assert flattened == everything
    assert all(len(page) <= 3 for page in pages)


def test_results_carry_distance_price_outcomes_and_status(indexed, run):
    hit = run("q=swimming&near=BL3").hits[0]
    assert hit.distance_miles is not None and hit.distance_miles < 1
    assert hit.price_per_hour_pence == 1800
    assert ("get-out-and-about", "Get out and about") in hit.outcomes
    assert hit.intake == "taking"
    assert hit.verified is True


def _priced(title, *prices):
    """A listing near BL3 with these (pence, unit, minutes) prices, in this order."""
    rows = [ListingPrice(description=title, unit=u, unit_minutes=m, weekday_pence=p) for p, u, m in prices]
    return make_listing(title=title, description="<p>Tandem outings by the canal.</p>", prices=rows)


def test_a_hit_carries_the_price_as_charged_in_its_own_unit(directory, backend, run):
    _priced("Tandem lunch", (600, "meal", None))
    # The session is the lowest price (£45 for 2 hours = £22.50 an hour); the hourly rate is dearer.
    _priced("Tandem rides", (5000, "hour", None), (4500, "session", 120))
    backend.rebuild()
    hits = {hit.title: hit for hit in run("q=tandem&near=BL3").hits}
    lunch, rides = hits["Tandem lunch"], hits["Tandem rides"]
    assert lunch.price == ShownPrice(pence=600, unit="meal", unit_minutes=None, count=1)
    assert lunch.price_per_hour_pence is None  # a meal has no length: no hourly figure is made up
    assert rides.price == ShownPrice(pence=4500, unit="session", unit_minutes=120, count=2)
    assert rides.price_per_hour_pence == 2250


def test_max_price_compares_hourly_equivalents_and_leaves_out_prices_with_no_length(directory, backend, run):
    _priced("Tandem lunch", (600, "meal", None))
    _priced("Tandem rides", (4500, "session", 120))
    _priced("Tandem tours", (4500, "session", 60))
    backend.rebuild()
    assert titles(run("q=tandem&near=BL3&max_price=2500")) == ["Tandem rides"]
    # Without a maximum, every one of them is found.
    assert sorted(titles(run("q=tandem&near=BL3"))) == ["Tandem lunch", "Tandem rides", "Tandem tours"]


def test_listings_not_confirmed_for_a_year_rank_lower(directory, backend, run):
    fresh, stale = make_twin_pair(stale_second=True)
    backend.rebuild()
    for offset in range(7):  # whatever the day's rotation, freshness wins
        found = run("q=tandem&near=BL3", today=timezone.localdate() + dt.timedelta(days=offset)).hits
        assert [h.listing_id for h in found] == [fresh.pk, stale.pk]
        assert found[1].stale and not found[0].stale


def test_ties_rotate_daily_so_nobody_is_always_first(directory, backend, run):
    first, second = make_twin_pair()
    backend.rebuild()
    leaders = set()
    for day in range(1, 15):
        today = dt.date(2026, 5, day)
        order = [h.listing_id for h in run("q=tandem&near=BL3", today=today).hits]
        assert order == [h.listing_id for h in run("q=tandem&near=BL3", today=today).hits]  # stable in a day
        leaders.add(order[0])
    assert leaders == {first.pk, second.pk}


def test_ranking_ignores_price_provider_size_and_age_of_listing(directory, backend, run):
    # The twins differ in price, provider size and type, name and creation order; ranking may use
    # only relevance, distance, fit and freshness, which are identical — so their scores are too.
    make_twin_pair(intake="waiting_list")
    backend.rebuild()
    hits = run("q=tandem&near=BL3").hits
    assert len(hits) == 2
    assert hits[0].score == pytest.approx(hits[1].score)


def test_filters_only_search_without_text_or_place(indexed, run):
    found = run("outcome=keep-my-home")
    assert set(titles(found)) == {"Green Fingers", "Bury garden care", "Bury mowing, all of BL3"}
    assert all(hit.distance_miles is None for hit in found.hits)


def test_text_without_place_searches_everywhere(indexed, run):
    assert "Bury garden care" in titles(run("q=gardener"))


def test_unpublished_listing_leaves_the_index(indexed, backend, run):
    listing = indexed["Swimming buddy"]
    listing.unpublish()
    backend.remove_listing(listing.pk)
    assert "Swimming buddy" not in titles(run("q=swimming&near=BL3"))


def test_reindexing_one_listing_picks_up_its_changes(indexed, backend, run):
    listing = indexed["Green Fingers"]
    listing.intake = "taking"
    listing.save_revision().publish()
    backend.index_listing(type(listing).objects.get(pk=listing.pk))
    assert "Green Fingers" in titles(run("near=BL3&radius=20&taking_new=1"))


def test_query_object_is_not_changed_by_searching(indexed, run):
    results = run("q=swimming&near=BL3")
    assert results.query.text == "swimming"
    assert replace(results.query, page=2).page == 2


# --- council areas, "available anywhere" and "who runs it" (issue 16) ------------------------


def _in_council(run, council, querystring=""):
    """Search with council=<slug>, its districts filled in as search.services does."""
    from directory.services import council_districts

    return run(f"{querystring}&council={council}", area_districts=tuple(council_districts(council)))


def test_council_filter_keeps_listings_based_in_or_serving_the_council_area(indexed, run):
    assert set(titles(_in_council(run, "bury"))) == {"Bury garden care", "Bury mowing, all of BL3"}
    bolton = set(titles(_in_council(run, "bolton", "near=BL3&radius=50")))
    assert "Bury garden care" not in bolton  # based in Bury, serves no Bolton district
    assert "Bury mowing, all of BL3" in bolton  # based in Bury, but serves BL3 in full
    assert {"Swimming buddy", "Westhoughton lunch club", "Park walking group"} <= bolton


def test_council_filter_and_facets_agree(indexed, run):
    results = _in_council(run, "bury")
    assert results.count == 2
    assert sum(results.facets["outcome"].values()) == 2  # both "keep my home"


@pytest.fixture
def anywhere_listing(directory):
    from tests.factories import make_listing

    return make_listing(
        title="Telephone befriending line",
        base_postcode="",
        available_anywhere=True,
        radius=0,
        outcomes=["see-friends-and-family"],
        description="<p>A friendly phone call every week, wherever you live.</p>",
    )


def test_a_service_available_anywhere_is_found_from_every_place(catalogue, anywhere_listing, backend, run):
    backend.rebuild()
    for place in ("near=BL3&radius=1", "near=BS34", "near=Chesham", "q=befriending&near=HP5"):
        results = run(place)
        assert "Telephone befriending line" in titles(results), place
        hit = next(h for h in results.hits if h.title == "Telephone befriending line")
        assert hit.anywhere and hit.distance_miles is None
    assert "Telephone befriending line" in titles(_in_council(run, "bury"))
    # Not a place: the radius and council filters still narrow the listings that have one.
    assert "Swimming buddy" not in titles(run("near=BS34"))


def test_who_runs_it_is_a_filter_and_facet_that_never_changes_a_score(directory, backend, run):
    from directory.models import Provider

    small, other = make_twin_pair()
    small.provider.size_confirmed_by = Provider.SizeConfirmedBy.PROVIDER
    small.provider.team_size = 3
    small.provider.save()
    other.provider.team_size = None
    other.provider.stated_type = "Local authority"
    other.provider.save()
    backend.rebuild()
    both = run("q=tandem&near=BL3")
    assert both.facets["runner"] == {"small": 1, "other": 1}
    assert both.hits[0].score == pytest.approx(both.hits[1].score)
    for runner, expected in (("small", small), ("other", other)):
        only = run(f"q=tandem&near=BL3&runner={runner}").hits
        assert [hit.listing_id for hit in only] == [expected.pk]
        assert only[0].score == pytest.approx(both.hits[0].score)
    assert run("q=tandem&near=BL3&runner=not_stated").count == 0
