"""Words people read: an empty required field's message names the field, and times read "8:22pm"."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django import forms

from cms.forms import GovukFormMixin
from cms.templatetags.govuk import govuk_time


class _Form(GovukFormMixin, forms.Form):
    name = forms.CharField(label="Your name")
    how = forms.ChoiceField(label="How should they reply?", choices=[("a", "A")], widget=forms.RadioSelect)
    day = forms.ChoiceField(label="Day", choices=[("mon", "Monday")])
    nhs = forms.CharField(label="NHS number")
    own = forms.CharField(label="Email", error_messages={"required": "Enter your email address"})


def test_every_empty_field_is_named_in_its_message():
    form = _Form(data={})
    assert not form.is_valid()
    assert [message for _, message in form.error_summary()] == [
        "Enter your name",
        "Answer “How should they reply?”",
        "Select day",
        "Enter NHS number",
        "Enter your email address",  # a form's own wording is kept
    ]


def test_times_read_the_gov_uk_way(settings):
    assert govuk_time(time(20, 22)) == "8:22pm"
    assert govuk_time(time(9, 0)) == "9am"
    assert govuk_time(time(12, 0)) == "12pm"
    assert govuk_time(time(0, 5)) == "12:05am"
    # An aware datetime is shown in the site's time zone (London, summer time here).
    settings.TIME_ZONE = "Europe/London"
    assert govuk_time(datetime(2026, 7, 1, 19, 22, tzinfo=ZoneInfo("UTC"))) == "8:22pm"
