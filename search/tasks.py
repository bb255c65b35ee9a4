"""Background tasks that keep the search indexes in step with published listings."""

from django_tasks import task


@task()
def index_listing_task(listing_id: int) -> None:
    """Refresh one listing in every search index (or drop it if it is no longer live)."""
    from .services import index_listing

    index_listing(listing_id=listing_id)
