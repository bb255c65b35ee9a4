"""The benchmarks' stand-in listings still index as production indexes.

bench/search_data.py builds search documents through search.documents.build_document from a
stand-in object with a ListingPage's attributes. When build_document came to read five more
attributes, every benchmark that builds documents crashed (AttributeError: 'outward_code'), and
no test noticed until a benchmark was run. This builds a few and writes them as the benchmarks do.
"""

from datetime import date

import pytest

from bench import search_data
from search.backends.database import DatabaseSearchBackend
from search.models import SearchDocument, SearchTermField

pytestmark = pytest.mark.django_db


def test_the_stand_in_listings_build_and_index_like_pages():
    vocab = search_data.load_vocabularies()
    listings = list(search_data.generate(5, 2026, vocab, date(2026, 6, 1)))

    docs = [search_data.document(listing, vocab) for listing in listings]
    DatabaseSearchBackend()._bulk_insert(docs)

    assert SearchDocument.objects.count() == 5
    first = SearchDocument.objects.get(listing_id=listings[0].id)
    assert first.title == listings[0].title
    assert first.district == search_data.district_codes(listings[0].town)[0]
    # The term bounds the top-k plans read are written by the benchmarks' load too.
    assert SearchTermField.objects.filter(fields__gt=0).exists()
