"""No raw identifiers (UUIDs) in anything a person reads.

Every page of the public site and the signed-in areas is opened by each person the
authorisation matrix lets open it (the same world: holders, helpers, providers, professionals,
a coordinator, with orders, payments, refunds, shares and meetings), and the text a person
reads (the words on the page, its title, and what a screen reader says from alt, aria-label
and title attributes) must hold no UUID. UUIDs in addresses, form values and ids are fine:
nobody reads them. The Wagtail admin and the Open Referral API (for machines) are left out.
"""

import re
from html.parser import HTMLParser

import pytest
from django.db import transaction

from tests.test_authorisation_matrix import _rows, _visit, world  # noqa: F401 (world is a fixture)

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
NOT_FOR_PEOPLE = ("/admin/", "/django-admin/", "/openreferral/")
READ_ALOUD = ("alt", "aria-label", "title", "placeholder")


class _ReadableText(HTMLParser):
    """The words a person sees or hears on a page (not scripts, styles or addresses)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.words.extend(value for name, value in attrs if name in READ_ALOUD and value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.words.append(data)


def readable_text(html: str) -> str:
    parser = _ReadableText()
    parser.feed(html)
    return " ".join(" ".join(parser.words).split())


def test_readable_text_keeps_words_and_drops_addresses():
    uuid = "0b6f6d2c-3f1a-4c55-9a8e-2d1f6a7b8c9d"
    html = f'<a href="/orders/{uuid}/" id="o-{uuid}">Order LSM-4F2A</a><script>let x="{uuid}"</script>'
    assert readable_text(html) == "Order LSM-4F2A"
    assert UUID.search(readable_text(f"<title>Order {uuid}</title>"))
    assert UUID.search(readable_text(f'<img alt="Receipt {uuid}">'))


def test_no_page_a_person_reads_shows_a_raw_uuid(world):  # noqa: F811 (the fixture)
    found = []
    visited = 0
    for key, url, row in _rows(world):
        if url.startswith(NOT_FOR_PEOPLE):
            continue
        for role, expected in row.get.items():
            if expected is None or str(expected) != "200":
                continue
            with transaction.atomic():
                response = _visit(world, role, "get", url)
                transaction.set_rollback(True)
            kind = response.get("Content-Type", "")
            if response.status_code != 200 or getattr(response, "streaming", False):
                continue
            body = response.content.decode("utf-8", "replace")
            if kind.startswith("text/html"):
                text = readable_text(body)
            elif kind.startswith(("text/csv", "text/plain", "text/calendar")):
                text = body
            else:
                continue
            visited += 1
            for match in UUID.finditer(text):
                start = max(match.start() - 60, 0)
                found.append(f"{key} as {role}: …{text[start : match.end() + 20]}…")
    assert visited > 50  # the sweep really opened the site's pages
    assert not found, f"{len(found)} raw UUIDs in text people read:\n" + "\n".join(sorted(set(found)))
