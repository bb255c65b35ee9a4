"""Words near a place are one full-text lookup on both databases (search/backends/database.py,
_candidates): "these words, in one of these grid cells, or serving the searcher's postcode district,
or available anywhere". Nothing beside it says "near here" any more, so each way of being near
must be in the lookup's place tokens: a listing far away that names the searcher's district as
served, and one available anywhere, are found with words as without.
"""

import pytest
from django.http import QueryDict

from directory.models import PostcodeDistrict
from search.backends.database import DatabaseSearchBackend
from search.query import Location, parse_query
from search.services import vocabularies
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


def test_a_far_listing_serving_the_district_and_one_available_anywhere_are_found_with_words():
    nearby = make_listing(title="Swimming buddy", base_postcode="BL3")
    serving = make_listing(title="Swimming coach who visits", base_postcode="EX1")
    serving.served_districts.add(PostcodeDistrict.objects.get(code="BL3"))
    serving.save_revision().publish()
    anywhere = make_listing(title="Swimming advice line", base_postcode="", available_anywhere=True)
    far = make_listing(title="Swimming lessons", base_postcode="EX1")
    DatabaseSearchBackend().rebuild()
    bolton = PostcodeDistrict.objects.get(code="BL3")
    query = parse_query(QueryDict("q=swimming&radius=5"), vocabularies=vocabularies())
    query = query.with_location(Location(bolton.latitude, bolton.longitude, "Bolton", "BL3"))

    found = {hit.listing_id for hit in DatabaseSearchBackend().search(query).hits}

    assert found == {nearby.pk, serving.pk, anywhere.pk}
    assert far.pk not in found
