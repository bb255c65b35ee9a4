"""The statement's words: "Your contribution" is said once on the holder's own statement, and the
statement shared with the council speaks about the person ("Their contribution"), not to them."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from marketplace.services import statements
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db


def _lines_text(response) -> str:
    html = response.content.decode()
    table = re.search(r'<table class="govuk-table" id="statement-lines">.*?</table>', html, re.S).group(0)
    return " ".join(strip_tags(table).split())


@pytest.fixture
def budget():
    return mf.make_budget(amount_pence=40_000, contribution_pence=2_000)


def test_holders_own_statement_says_your_contribution_once(client, budget):
    client.force_login(budget.holder)
    today = timezone.localdate()

    page = client.get(
        reverse("marketplace:statements"), {"start": today.isoformat(), "end": today.isoformat()}
    )

    lines = _lines_text(page)
    assert lines.count("Your contribution") == 1
    assert "Your contribution: Your contribution" not in lines


def test_shared_statement_speaks_about_the_person_not_to_them(client, budget):
    today = timezone.localdate()
    _, token = statements.create_share(
        budget=budget,
        by=budget.holder,
        recipient="Social worker",
        starts_on=today - timedelta(days=7),
        ends_on=today,
        days=14,
    )

    page = client.get(reverse("marketplace:shared_statement", args=[token]))

    lines = _lines_text(page)
    assert "Their contribution £20" in lines
    assert not re.search(r"\byour\b", lines, re.I)
