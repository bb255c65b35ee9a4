"""A listing is stale (marked, and ranked lower) from the 366th day after it was last confirmed.

The database backend reads each candidate's `last_confirmed_at` as its day's number in SQL
(search/backends/database.py, CONFIRMED_DAY_SQL: SQLite's julianday, PostgreSQL's date
arithmetic), not as a timestamp. An off-by-one there moves the line a day; these listings sit
on each side of it, confirmed late in the evening (UTC) so a day taken in the wrong time zone
would show too.
"""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from django.http import QueryDict

from directory.models import PostcodeDistrict
from search.backends.base import STALE_AFTER_DAYS
from search.backends.database import DatabaseSearchBackend
from search.query import Location, parse_query
from search.services import vocabularies
from tests.factories import make_listing

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 4)


def confirmed_days_ago(days: int, title: str):
    day = date.fromordinal(TODAY.toordinal() - days)
    late = datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC)
    return make_listing(title=title, base_postcode="BL3", last_confirmed_at=late)


def test_stale_from_the_day_after_a_year_since_confirmed():
    on_the_line = confirmed_days_ago(STALE_AFTER_DAYS, "Tandem rides, a year ago")
    past_it = confirmed_days_ago(STALE_AFTER_DAYS + 1, "Tandem rides, a year and a day ago")
    recent = confirmed_days_ago(2, "Tandem rides, this week")
    DatabaseSearchBackend().rebuild()
    bolton = PostcodeDistrict.objects.get(code="BL3")
    query = parse_query(QueryDict("q=tandem&radius=5"), vocabularies=vocabularies())
    query = query.with_location(Location(bolton.latitude, bolton.longitude, "Bolton", "BL3"))
    query = replace(query, today=TODAY)

    stale = {hit.listing_id: hit.stale for hit in DatabaseSearchBackend().search(query).hits}

    assert stale == {recent.pk: False, on_the_line.pk: False, past_it.pk: True}
