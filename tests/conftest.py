"""Fixtures shared by every test package."""

import pytest

from tests import factories, snapshot

# Serialized-rollback tests restore ~3,100 postcode districts: in bulk, not row by row.
snapshot.install()


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
