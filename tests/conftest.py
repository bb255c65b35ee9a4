"""Fixtures shared by every test package."""

from pathlib import Path

import pytest

from tests import factories, snapshot

# Serialized-rollback tests restore ~3,100 postcode districts: in bulk, not row by row.
snapshot.install()


@pytest.fixture
def private_media(settings, tmp_path):
    """Private uploads (evidence, receipts) go to a throwaway folder of this test's own.

    Returns the folder. Test modules that upload turn it on for every test with
    `pytestmark = pytest.mark.usefixtures("private_media")`.
    """
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return Path(settings.PRIVATE_MEDIA_ROOT)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: kept figures (directory.kept) from another test's
    rolled-back rows must not show up in this one."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def home(db):
    """The home page, with the default site pointing at it."""
    return factories.home_page()


@pytest.fixture
def directory(home):
    """The directory index page."""
    return factories.directory_page()


@pytest.fixture
def listing(directory):
    """One published listing in BL3."""
    return factories.make_listing()
