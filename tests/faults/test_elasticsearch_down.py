"""Elasticsearch is configured but unreachable: the search page and the JSON API still answer,
from the database backend, and the fallback is logged as a warning.

A closed port on 127.0.0.1 stands in for a cluster that is down (nothing listens there, so
every connection is refused at once). Requests go through Django's full stack.
"""

import json
import logging
import socket
import time

import pytest
from django.urls import reverse

from search.backends import get_search_backend, reset_backends
from tests.factories import make_listing

pytestmark = pytest.mark.django_db

FALLBACK_LOGGER = "search.backends.elasticsearch"


@pytest.fixture
def cluster_down(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_URL = url
    settings.ELASTICSEARCH_INDEX = "faults-listings"
    reset_backends()
    yield url
    reset_backends()


@pytest.fixture
def listings(directory):
    made = [
        make_listing(title="Swimming buddy", base_postcode="BL3"),
        make_listing(
            title="Park walking group",
            base_postcode="BL1",
            radius=0,
            description="<p>Gentle walks in the park every Tuesday.</p>",
        ),
    ]
    get_search_backend("database").rebuild()
    return made


def fallback_warnings(caplog) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == FALLBACK_LOGGER and r.levelno == logging.WARNING
    ]


def test_search_page_shows_results_from_the_database_when_elasticsearch_is_down(
    client, listings, cluster_down, caplog
):
    caplog.set_level(logging.WARNING, logger=FALLBACK_LOGGER)
    started = time.monotonic()

    response = client.get(reverse("search"), {"q": "swimming", "near": "BL3"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Swimming buddy" in page
    assert "Park walking group" not in page
    assert time.monotonic() - started < 5, "an unreachable cluster must fail fast"
    (warning,) = fallback_warnings(caplog)
    assert cluster_down in warning
    assert "using the database backend instead" in warning


def test_search_api_answers_from_the_database_when_elasticsearch_is_down(
    client, listings, cluster_down, caplog
):
    caplog.set_level(logging.WARNING, logger=FALLBACK_LOGGER)

    response = client.get(reverse("search_api"), {"near": "BL3", "radius": "20"})

    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["count"] == 2
    assert {r["name"] for r in body["results"]} == {"Swimming buddy", "Park walking group"}
    assert len(fallback_warnings(caplog)) == 1


def test_each_search_while_it_stays_down_is_answered_and_logged(client, listings, cluster_down, caplog):
    caplog.set_level(logging.WARNING, logger=FALLBACK_LOGGER)

    answers = [
        client.get(reverse("search_api"), {"q": "park", "near": "BL3", "radius": "20"}) for _ in range(3)
    ]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all(json.loads(a.content)["results"][0]["name"] == "Park walking group" for a in answers)
    assert len(fallback_warnings(caplog)) == 3
