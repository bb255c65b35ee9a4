"""A statement period with a date far in the future (9999-12-31) gets a clear message, not a 500."""

import pytest
from django.urls import reverse

from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("start", "end"), [("9999-12-31", "9999-12-31"), ("9995-01-01", "9999-12-31")])
def test_a_far_future_period_is_a_clear_message(client, start, end):
    budget = mf.make_budget()
    client.force_login(budget.holder)
    (sy, sm, sd), (ey, em, ed) = start.split("-"), end.split("-")
    boxes = {"start_0": sd, "start_1": sm, "start_2": sy, "end_0": ed, "end_1": em, "end_2": ey}

    page = client.get(reverse("marketplace:statements"), boxes)
    assert page.status_code == 200
    assert "The start date must be today or in the past" in page.content.decode()

    download = client.get(reverse("marketplace:statement_pdf"), {"start": start, "end": end})
    assert download.status_code == 400
    assert "The end date must be today or in the past" in download.content.decode()
