"""Fixtures shared by every test package."""

import pytest

from tests import factories


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
