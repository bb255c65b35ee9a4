"""The two importers given random and garbled rows: each row is imported whole or reported
with its line (or record id), the import never crashes, and no half-made listing is left."""

import copy
import io
import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from directory.importers.listings import ImportFailed, import_listings_csv
from directory.models import ListingPage
from directory.oruk import importer as oruk_importer
from directory.oruk import mapping
from tests import factories
from tests.directory.test_import_listings import HEADER, csv_text, row

pytestmark = pytest.mark.django_db
DB = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

GARBAGE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "-1",
            "1e309",
            "99999999999999999999",
            "NaN",
            "2026-02-30",
            "a\x00b",
            "<script>alert(1)</script>",
        ]
    ),
    st.sampled_from(["x" * 5000, "' OR 1=1 --", "%_\\", "\u202eevil", "£-3.50", "mon-morning;;", "BL3 5AA"]),
)


@st.composite
def garbled_rows(draw):
    """Good rows with some cells replaced by garbage, each with a title of its own."""
    rows = []
    for n in range(draw(st.integers(min_value=1, max_value=4))):
        values = row(title=f"Row {n} service")
        for column in draw(st.lists(st.sampled_from(HEADER), max_size=4, unique=True)):
            values[column] = draw(GARBAGE)
        rows.append(values)
    return rows


def listing_is_whole(listing: ListingPage) -> None:
    assert listing.title and listing.provider_id
    assert listing.prices.exists(), f"{listing.title} has no price"
    assert listing.outcomes.exists(), f"{listing.title} has no outcome"
    assert "\x00" not in listing.title + listing.summary + listing.description


@DB
@given(garbled_rows(), st.booleans())
def test_each_csv_row_is_imported_whole_or_reported_by_line(directory, rows, publish):
    before = set(ListingPage.objects.values_list("pk", flat=True))
    text = csv_text(rows)
    try:
        report = import_listings_csv(file=io.StringIO(text), publish=publish)
    except ImportFailed as exc:
        assert str(exc)
        assert set(ListingPage.objects.values_list("pk", flat=True)) == before
        return
    lines = range(2, text.count("\n") + 2)
    done = {result.line for result in report.results}
    failed = {error.line for error in report.errors}
    assert all(line in lines for line in done | failed)
    assert not done & failed
    assert len(done) + report.rows_with_errors == report.rows == len(rows)
    new = ListingPage.objects.exclude(pk__in=before)
    assert new.count() == report.created
    for listing in new:
        listing_is_whole(listing)
    event(f"csv rows imported: {bool(done)}; rows refused: {bool(failed)}")
    for error in report.errors:
        assert error.message


@pytest.fixture
def exported_service(directory):
    """A full ORUK service, as our own API publishes it, for a listing then removed."""
    listing = factories.make_listing(title="Swimming buddy", contact_phone="07700 900123")
    listing = ListingPage.objects.get(pk=listing.pk)
    service = json.loads(json.dumps(mapping.service(listing, district=None, full=True), default=str))
    listing.delete()
    return service


def garble(draw, value, depth=0):
    """A copy of a JSON value with some parts replaced by other JSON."""
    if isinstance(value, dict) and value and depth < 3:
        value = dict(value)
        for key in draw(st.lists(st.sampled_from(sorted(value)), max_size=3, unique=True)):
            value[key] = garble(draw, value[key], depth + 1) if draw(st.booleans()) else draw(JSON)
        return value
    if isinstance(value, list) and value and depth < 3:
        return [garble(draw, item, depth + 1) for item in value]
    return draw(JSON) if draw(st.booleans()) else value


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), GARBAGE),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


@DB
@given(st.data(), st.booleans())
def test_each_oruk_record_is_imported_whole_or_reported_by_id(exported_service, data, publish):
    service = garble(data.draw, copy.deepcopy(exported_service))
    before = set(ListingPage.objects.values_list("pk", flat=True))
    try:
        report = oruk_importer.import_feed(data=json.dumps([service]), publish=publish)
    except oruk_importer.FeedError as exc:
        assert str(exc)
        assert set(ListingPage.objects.values_list("pk", flat=True)) == before
        return
    new = ListingPage.objects.exclude(pk__in=before)
    event(f"oruk record imported: {report.created > 0}; refused: {bool(report.errors)}")
    if report.errors:
        assert all(problem.record and problem.message for problem in report.errors)
        assert not new.exists(), "a record reported as not imported left a listing behind"
    else:
        assert new.count() == report.created
        for listing in new:
            assert listing.title and listing.provider_id
            assert "\x00" not in listing.title + listing.summary + listing.description
