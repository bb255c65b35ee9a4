"""A new listing published by the writer is what Wagtail's own create-then-publish leaves.

`write_listing(publish=True)` saves a new listing once instead of Wagtail's three saves
(`add_child`, `save_revision`, `publish`); these tests hold it to that sequence, run here on
an identical listing.
"""

import pytest
from wagtail.models import PageLogEntry, ReferenceIndex
from wagtail.signals import page_published

from directory.models import ListingPage, ListingPrice, Outcome
from directory.writer import write_listing
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db

# What differs between any two pages, or is only a timestamp of when it happened.
VOLATILE = {
    "pk",
    "id",
    "path",
    "url_path",
    "slug",
    "title",
    "draft_title",
    "translation_key",
    "public_id",
    "first_published_at",
    "last_published_at",
    "latest_revision_created_at",
    "latest_revision",
    "live_revision",
    "page_ptr",
    "prices",
    "last_confirmed_at",
    "created_at",
}


def fields(title: str) -> dict:
    return {
        "title": title,
        "summary": "Company on walks around the park.",
        "description_text": "We walk together.\n\nEveryone welcome.",
        "base_postcode": "BL3",
        "service_radius_miles": 4,
        "outcomes": list(Outcome.objects.filter(slug="get-out-and-about")),
        "prices": [{"description": "Walk", "unit": ListingPrice.Unit.HOUR, "weekday_pence": 1200}],
    }


def wagtails_own_sequence(parent, provider, title: str) -> ListingPage:
    """Create and publish as the Wagtail admin does: add the page, save a revision, publish it."""
    page = write_listing(parent=parent, provider=provider, publish=False, **fields(title))
    page.get_latest_revision().publish()
    return ListingPage.objects.get(pk=page.pk)


def comparable(page: ListingPage) -> dict:
    data = page.serializable_data()
    return {
        key: value for key, value in data.items() if key not in VOLATILE and not key.startswith("wagtail_")
    }


def test_a_new_published_listing_is_what_wagtails_own_create_and_publish_leaves(directory):
    provider = ProviderFactory()
    heard = []

    def on_publish(sender, instance, revision, **kwargs):
        heard.append((sender, instance.pk, revision.pk))

    page_published.connect(on_publish)
    try:
        ours = write_listing(parent=directory, provider=provider, publish=True, **fields("Walk one"))
        heard_ours, heard[:] = list(heard), []
        theirs = wagtails_own_sequence(directory, provider, "Walk two")
    finally:
        page_published.disconnect(on_publish)
    ours = ListingPage.objects.get(pk=ours.pk)

    assert comparable(ours) == comparable(theirs)
    for page in (ours, theirs):
        assert page.live and not page.has_unpublished_changes
        assert page.revisions.count() == 1
        assert page.live_revision == page.latest_revision == page.revisions.get()
        assert page.first_published_at == page.last_published_at
        assert page.first_published_at >= page.latest_revision_created_at
        assert page.url == f"/directory/{page.slug}/"
    # The revision holds the listing as published: prices, outcomes and text.
    revision_page = ours.latest_revision.as_object()
    assert [p.weekday_pence for p in revision_page.prices.all()] == [1200]
    assert [o.slug for o in revision_page.outcomes.all()] == ["get-out-and-about"]
    # The same history, the same signal (once), the same references.
    assert _history(ours) == _history(theirs) == ["wagtail.create", "wagtail.publish"]
    assert heard_ours == [(ListingPage, ours.pk, ours.latest_revision.pk)]
    assert len(heard) == 1
    assert {ref.object_id for ref in ReferenceIndex.get_references_to(provider)} == {
        str(ours.pk),
        str(theirs.pk),
    }
    assert {p.pk for p in ListingPage.objects.search("walk")} == {ours.pk, theirs.pk}


def test_a_listing_without_a_place_is_still_left_as_a_draft(directory):
    kept = fields("Phone befriending")
    kept["base_postcode"] = ""
    page = write_listing(
        parent=directory, provider=ProviderFactory(), publish=True, draft_without_postcode=True, **kept
    )
    page = ListingPage.objects.get(pk=page.pk)
    assert not page.live and page.has_unpublished_changes and page.live_revision is None
    assert page.revisions.count() == 1


def _history(page) -> list[str]:
    return [entry.action for entry in PageLogEntry.objects.filter(page=page).order_by("timestamp", "pk")]
