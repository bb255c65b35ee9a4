"""The request page can be opened from a chosen offer on a need (signposting hands over by
URL): `outcome` picks the matching plan outcome and `need` goes into the message, as a plain
value; anything else in those parameters is ignored."""

import re
import uuid

import pytest
from django.urls import reverse

from tests.factories import make_listing
from tests.marketplace.factories import add_plan_outcome, make_budget

pytestmark = pytest.mark.django_db


def test_the_outcome_and_need_from_the_link_are_pre_filled(client, directory):
    budget = make_budget(own_words="")
    add_plan_outcome(budget, "See my friends", slug="see-friends-and-family")
    add_plan_outcome(budget, "Swim every week", slug="get-out-and-about")
    swim = budget.plan.outcomes.get(own_words="Swim every week")
    listing = make_listing()
    need = uuid.uuid4()
    client.force_login(budget.holder)
    url = reverse("marketplace:request_new", args=[listing.public_id])
    body = client.get(f"{url}?outcome=get-out-and-about&need={need}").content.decode()
    tag = re.search(rf'<input[^>]*value="{swim.public_id}"[^>]*>', body).group(0)
    assert "checked" in tag
    assert f"/needs/{need}/" in body


def test_a_bad_need_or_outcome_in_the_link_is_ignored(client, directory):
    budget = make_budget()
    listing = make_listing()
    client.force_login(budget.holder)
    url = reverse("marketplace:request_new", args=[listing.public_id])
    response = client.get(f"{url}?outcome=<script>&need=not-a-uuid")
    body = response.content.decode()
    assert response.status_code == 200 and "About my need" not in body and "<script>" not in body
