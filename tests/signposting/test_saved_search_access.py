"""A saved search keeps its access needs and age, and its description counts them."""

import pytest
from django.http import QueryDict

from search.query import parse_query
from search.services import vocabularies
from signposting.services import clean_querystring, describe_query, parse_saved

pytestmark = pytest.mark.django_db


def test_a_saved_search_keeps_access_and_age_and_says_how_many_more_filters():
    params = QueryDict("q=swimming&access=step-free&access=bsl&age=70&page=2")
    saved = clean_querystring(params)
    query = parse_saved(saved)
    assert (query.access_features, query.age) == (("step-free", "bsl"), 70)
    assert describe_query(query) == "“swimming” · 3 more filters"
    assert describe_query(parse_query(QueryDict("q=swimming"), vocabularies=vocabularies())) == "“swimming”"
