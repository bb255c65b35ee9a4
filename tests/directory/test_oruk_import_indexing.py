"""An import indexes what it writes once per page of records: still findable at once, still in step.

The import defers Wagtail's own indexes (the admin's page search and the reference index) to the
end of each page of records and our search index to its commit (directory/indexing.py,
search/signals.py). These tests search straight after an import, without rebuilding any index,
so a batch that was never flushed shows as a listing nobody can find.
"""

import pytest
from django.http import QueryDict
from wagtail.models import ReferenceIndex

from directory.models import ListingPage, Provider
from directory.oruk.importer import import_feed
from search.query import parse_query
from search.services import search_listings, vocabularies

pytestmark = pytest.mark.django_db

ORG = {"id": "6b2e0000-0000-4000-8000-000000000001", "name": "Invented Valley Trust"}


def service(n: int, name: str) -> dict:
    return {
        "id": f"6b2f0000-0000-4000-8000-{n:012d}",
        "name": name,
        "description": "Friendly support from local volunteers.",
        "status": "active",
        "organization": ORG,
        "service_at_locations": [
            {
                "id": f"l{n}",
                "location": {"id": f"loc{n}", "addresses": [{"id": f"a{n}", "postal_code": "BL3 5AA"}]},
            }
        ],
    }


def found_by_search(words: str) -> list[str]:
    """Titles our search finds for `words` (the index as the import left it: no rebuild)."""
    query = parse_query(QueryDict(f"q={words}"), vocabularies=vocabularies())
    return [hit.title for hit in search_listings(query=query).hits]


def found_by_admin_search(words: str) -> list[str]:
    """Titles Wagtail's own page search (the admin's) finds for `words`."""
    return [page.title for page in ListingPage.objects.search(words)]


def imported(records, django_capture_on_commit_callbacks):
    # The import's transaction commits at the end, as it does outside a test.
    with django_capture_on_commit_callbacks(execute=True):
        report = import_feed(data=records, publish=True, source="https://feed.example/services")
    assert not report.errors, report.errors
    return report


def test_every_listing_of_a_page_of_records_is_findable_as_soon_as_the_import_ends(
    directory, django_capture_on_commit_callbacks
):
    names = ["Zephyr knitting circle", "Quillwort walking group", "Marram tea dance"]
    report = imported([service(n, name) for n, name in enumerate(names)], django_capture_on_commit_callbacks)
    assert report.created == 3
    assert found_by_search("zephyr") == ["Zephyr knitting circle"]
    assert found_by_search("quillwort") == ["Quillwort walking group"]
    assert found_by_search("marram") == ["Marram tea dance"]
    for name in names:
        assert found_by_admin_search(name.split()[0]) == [name]
    # Wagtail's reference index: each listing is recorded as using its provider.
    provider = Provider.objects.get(public_id=ORG["id"])
    users = {ref.object_id for ref in ReferenceIndex.get_references_to(provider)}
    assert users == {str(page.pk) for page in ListingPage.objects.all()}


def test_reimporting_a_changed_record_updates_both_searches(directory, django_capture_on_commit_callbacks):
    imported([service(1, "Zephyr knitting circle")], django_capture_on_commit_callbacks)
    report = imported([service(1, "Zephyr crochet circle")], django_capture_on_commit_callbacks)
    assert report.updated == 1
    assert found_by_search("crochet") == ["Zephyr crochet circle"]
    assert found_by_search("knitting") == []
    assert found_by_admin_search("crochet") == ["Zephyr crochet circle"]
    assert found_by_admin_search("knitting") == []


def test_a_withdrawn_service_leaves_our_search_at_once(directory, django_capture_on_commit_callbacks):
    imported(
        [service(1, "Zephyr knitting circle"), service(2, "Marram tea dance")],
        django_capture_on_commit_callbacks,
    )
    withdrawn = {**service(1, "Zephyr knitting circle"), "status": "defunct"}
    report = imported([withdrawn], django_capture_on_commit_callbacks)
    assert report.unpublished == 1
    assert found_by_search("zephyr") == []
    assert found_by_search("marram") == ["Marram tea dance"]
