"""Forms for statements: choosing a period, and making a link to share one with the council."""

from datetime import date

from django import forms

from cms.forms import GovukDateField, GovukFormMixin

from .services import statements
from .services.statements import period_problems

SHARE_DAYS = [(days, f"{days} days") for days in statements.SHARE_DAYS]


def date_boxes(name: str, day: date) -> dict[str, str]:
    """The day, month and year boxes of a date field, filled in (for quick picks and defaults)."""
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


class StatementPeriodForm(GovukFormMixin, forms.Form):
    """The first and last day of a statement: not in the future, in order, at most 7 years."""

    start = GovukDateField(what="the start date", label="From", help_text="For example 1 4 2026.")
    end = GovukDateField(what="the end date", label="To", help_text="For example 31 3 2027.")

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("start"), cleaned.get("end")
        if starts_on and ends_on:
            for field, message in period_problems(starts_on=starts_on, ends_on=ends_on):
                self.add_error(field, message)
        return cleaned


class StatementShareForm(StatementPeriodForm):
    """Who the link is for, the statement's period, and how long the link works."""

    recipient = forms.CharField(
        label="Who is it for?",
        max_length=150,
        help_text="For example Sam Patel, social worker. Only you see this.",
        error_messages={
            "required": "Enter who the link is for",
            "max_length": "Who it is for must be 150 characters or fewer",
        },
    )
    expires_in_days = forms.TypedChoiceField(
        label="How long should the link work?",
        choices=SHARE_DAYS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how long the link should work"},
    )
    widths = {"recipient": "govuk-!-width-two-thirds"}

    field_order = ["recipient", "start", "end", "expires_in_days"]
