"""Background tasks that keep the search indexes in step with published listings."""

from django_tasks import task


@task()
def index_listing_task(listing_id: int) -> None:
    """Refresh one listing in every search index (or drop it if it is no longer live)."""
    from .services import index_listing

    index_listing(listing_id=listing_id)


@task()
def index_listings_task(listing_ids: list[int]) -> None:
    """Refresh several listings in every search index at once (see `index_listing_task`)."""
    from .services import index_listings

    index_listings(listing_ids=listing_ids)
