"""The GOV.UK date input (day, month, year) as people meet it: one pattern on every public form,
errors that say what to do, only the boxes with the problem drawn in red, the error summary
linking to the first of them, and what was typed kept exactly (even 31 2).
"""

import re
from datetime import date

import pytest
from django import forms
from django.urls import reverse

from cms.forms import GovukDateField, GovukFormMixin
from tests.marketplace import factories as mf
from tests.signposting.test_shortlists import make_professional


class _Form(GovukFormMixin, forms.Form):
    born = GovukDateField(what="your date of birth", label="Date of birth", birthday=True)
    ends = GovukDateField(what="the end date", label="Until", required=False)


def _bound(day, month, year, prefix="born"):
    form = _Form(data={f"{prefix}_0": day, f"{prefix}_1": month, f"{prefix}_2": year})
    form.is_valid()
    return form


def _red_boxes(html):
    """Which of day/month/year carry the error class, read from the drawn boxes."""
    boxes = re.findall(r'<input type="text" name="born_(\d)"[^>]*>', html)
    inputs = re.findall(r'(<input type="text" name="born_\d"[^>]*>)', html)
    return [int(i) for i, tag in zip(boxes, inputs, strict=True) if "govuk-input--error" in tag]


FOUR_NUMBERS = "must include a year with 4 numbers, like 2027"


@pytest.mark.parametrize(
    ("typed", "message", "red", "anchor"),
    [
        (("27", "", "2027"), "Your date of birth must include a month", [1], "id_born_1"),
        (("", "", "2027"), "Your date of birth must include a day and month", [0, 1], "id_born_0"),
        (("31", "2", "2027"), "Your date of birth must be a real date", [0, 1, 2], "id_born_0"),
        (("27", "March", "2027"), "Your date of birth must be a real date", [1], "id_born_1"),
        (("27", "3", "27"), f"Your date of birth {FOUR_NUMBERS}", [2], "id_born_2"),
        (("27", "13", "2027"), "Your date of birth must be a real date", [1], "id_born_1"),
        (("32", "3", "2027"), "Your date of birth must be a real date", [0], "id_born_0"),
    ],
)
def test_bad_date_says_what_to_do_marks_the_right_box_and_keeps_what_was_typed(typed, message, red, anchor):
    form = _bound(*typed)

    assert form.errors["born"] == [message]
    assert form.error_summary() == [(anchor, message)]
    html = str(form["born"])
    assert _red_boxes(html) == red
    for i, part in enumerate(typed):
        kept = f' value="{part}"' if part else ""
        assert re.search(rf'name="born_{i}"{kept}[ >]', html)


def test_a_real_date_is_cleaned_and_an_empty_optional_one_is_none():
    form = _Form(data={"born_0": " 27 ", "born_1": "03", "born_2": "2027"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"born": date(2027, 3, 27), "ends": None}


def test_an_empty_required_date_names_the_field():
    form = _Form(data={})
    assert form.errors["born"] == ["Enter your date of birth"]
    assert form.error_summary() == [("id_born_0", "Enter your date of birth")]


def test_boxes_are_numeric_labelled_and_a_birthday_fills_in_from_the_browser():
    html = str(_Form()["born"])
    assert html.count('inputmode="numeric"') == 3
    assert re.findall(r"<label[^>]*>(\w+)</label>", html) == ["Day", "Month", "Year"]
    assert re.findall(r'autocomplete="(bday-\w+)"', html) == ["bday-day", "bday-month", "bday-year"]
    assert "autocomplete" not in str(_Form()["ends"])


def test_the_hint_gives_an_example_unless_the_form_has_its_own():
    assert _Form().fields["born"].help_text == "For example, 27 3 2027"


def test_one_iso_value_still_works_for_old_links_and_scripts():
    form = _Form(data={"born": "2027-03-27"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["born"] == date(2027, 3, 27)


# --- On real pages -------------------------------------------------------------------------


@pytest.mark.django_db
def test_statement_dates_missing_a_month_mark_only_the_month_and_the_summary_links_to_it(client):
    budget = mf.make_budget()
    client.force_login(budget.holder)

    response = client.get(
        reverse("marketplace:statements"),
        {"start_0": "1", "start_1": "", "start_2": "2026", "end_0": "31", "end_1": "2", "end_2": "2026"},
    )

    html = response.content.decode()
    assert '<a href="#id_start_1">The start date must include a month</a>' in html
    assert '<a href="#id_end_0">The end date must be a real date</a>' in html
    start_boxes = re.findall(r'<input type="text" name="start_\d"[^>]*>', html)
    assert ["govuk-input--error" in tag for tag in start_boxes] == [False, True, False]
    end_boxes = re.findall(r'<input type="text" name="end_\d"[^>]*>', html)
    assert all("govuk-input--error" in tag for tag in end_boxes)
    assert 'name="end_0" value="31"' in html and 'name="end_1" value="2"' in html


@pytest.mark.django_db
def test_shortlist_end_date_is_typed_in_three_boxes_and_bad_input_is_kept(client):
    client.force_login(make_professional())

    page = client.get(reverse("signposting:shortlist_new")).content.decode()
    assert 'name="ends_on_0"' in page and 'type="date"' not in page

    response = client.post(
        reverse("signposting:shortlist_new"),
        {"title": "For Mr K", "ends_on_0": "31", "ends_on_1": "2", "ends_on_2": "2030"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#id_ends_on_0">The last day the link works must be a real date</a>' in html
    assert 'name="ends_on_0" value="31"' in html and 'name="ends_on_1" value="2"' in html


@pytest.mark.django_db
def test_a_far_future_shortlist_end_date_gets_a_message_not_an_error_page(client):
    client.force_login(make_professional())

    response = client.post(
        reverse("signposting:shortlist_new"),
        {"title": "For Mr K", "ends_on_0": "31", "ends_on_1": "12", "ends_on_2": "9999"},
    )

    assert response.status_code == 200
    assert "The end date must be within 10 years" in response.content.decode()
