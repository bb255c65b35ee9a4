"""The chosen filters above the search results: each tag's link takes away only its own filter and
goes back to the first page; "Clear all filters" keeps the words, place, distance and order."""

from urllib.parse import parse_qs

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def _tags(client, query):
    response = client.get("/search/?" + query)
    assert response.status_code == 200
    return response.context["chosen_filters"], response.context["clear_filters_url"]


def test_each_tag_removes_only_its_own_filter(client):
    factories.make_listing(title="Swimming buddy", base_postcode="BL3", outcomes=("eat-well", "keep-my-home"))
    query = "q=swim&near=BL3&outcome=eat-well&outcome=keep-my-home&max_price=2000&taking_new=1&page=2"
    tags, clear = _tags(client, query)
    by_label = {tag["label"]: parse_qs(tag["url"][1:]) for tag in tags}
    assert set(by_label) == {"Eat well", "Keep my home", "Up to £20 an hour", "Taking new people"}
    assert by_label["Eat well"]["outcome"] == ["keep-my-home"]
    assert by_label["Eat well"]["max_price"] == ["2000"] and "page" not in by_label["Eat well"]
    assert "max_price" not in by_label["Up to £20 an hour"]
    assert parse_qs(clear[1:]) == {"q": ["swim"], "near": ["BL3"]}


def test_a_mistyped_age_is_a_tag_and_opens_the_filters(client):
    response = client.get("/search/?near=BL3&age=sixty")
    assert response.context["filters_open"] is True
    assert [tag["label"] for tag in response.context["chosen_filters"]] == ["Aged sixty"]
    assert 'class="govuk-details lsm-filters" open' in response.content.decode()


def test_without_filters_there_are_no_tags_and_the_list_is_folded(client):
    response = client.get("/search/?q=swim&near=BL3")
    assert response.context["chosen_filters"] == []
    assert "Clear all filters" not in response.content.decode()
    assert 'class="govuk-details lsm-filters">' in response.content.decode()
