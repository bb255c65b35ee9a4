"""Forms for pooled purchases: a provider offering a group activity, a holder joining one.

Drawn with the shared GOV.UK field template through `GovukFormMixin`; money is typed in
pounds and cleaned to whole pence. The services check everything again (`pooling`), so a
form only has to give clear messages for what a person can get wrong while typing.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from cms.forms import GovukDateField, GovukFormMixin, PoundsField
from directory.models import ListingPage, ListingPrice

from .forms import _clean_plan_outcome, _plan_outcome_choices
from .models import GroupActivity
from .services import MAX_QUANTITY
from .services.pooling import MAX_PLACES


def _whole_number(what: str, *, low: int, high: int, example: int) -> dict:
    return {
        "required": f"Enter {what}",
        "invalid": f"Enter {what} as a whole number, like {example}",
        "min_value": f"Enter {low} or more",
        "max_value": f"Enter {high} or fewer",
    }


class GroupActivityForm(GovukFormMixin, forms.Form):
    """A group activity: which listing, what and when, places and price, and the deadline."""

    widths = {
        "title": "govuk-!-width-two-thirds",
        "when": "govuk-!-width-two-thirds",
        "units_per_place": "govuk-input--width-4",
        "unit_price": "govuk-input--width-10",
        "places": "govuk-input--width-4",
        "min_places": "govuk-input--width-4",
    }

    listing = forms.ChoiceField(
        label="Which of your listings is it part of?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select a listing", "invalid_choice": "Select one of your listings"},
    )
    title = forms.CharField(
        label="Name of the activity",
        max_length=120,
        help_text='For example "Tuesday swimming group" or "Shared personal assistant".',
        error_messages={
            "required": "Enter a name for the activity",
            "max_length": "Use 120 characters or fewer",
        },
    )
    description = forms.CharField(
        label="What happens (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Use 2,000 characters or fewer"},
    )
    when = forms.CharField(
        label="When does it happen?",
        max_length=200,
        help_text='For example "Tuesdays 10am to 12 noon".',
        error_messages={"required": "Enter when it happens", "max_length": "Use 200 characters or fewer"},
    )
    starts_on = GovukDateField(what="the first day", label="First day", help_text="For example 14 9 2026.")
    ends_on = GovukDateField(what="the last day", label="Last day", help_text="It can be the same day.")
    unit = forms.ChoiceField(
        label="What is each place counted in?",
        choices=ListingPrice.Unit.choices,
        initial=ListingPrice.Unit.SESSION,
        error_messages={"required": "Select what each place is counted in"},
    )
    units_per_place = forms.IntegerField(
        label="How many of those does each place include?",
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        help_text="For example 6 for a course of 6 sessions.",
        error_messages=_whole_number("how many each place includes", low=1, high=MAX_QUANTITY, example=6),
    )
    unit_price = PoundsField(
        what="the price for one person",
        label="Price for one person, for each of those",
        help_text="To share one service, divide its price by the places: £60 an hour for 3 people is £20.",
    )
    places = forms.IntegerField(
        label="How many places?",
        min_value=1,
        max_value=MAX_PLACES,
        error_messages=_whole_number("how many places", low=1, high=MAX_PLACES, example=8),
    )
    min_places = forms.IntegerField(
        label="How many people must join for it to go ahead?",
        min_value=1,
        max_value=MAX_PLACES,
        error_messages=_whole_number("the smallest group", low=1, high=MAX_PLACES, example=4),
    )
    join_by = GovukDateField(
        what="the last day to join",
        label="Last day to join",
        help_text="On or before the first day. The next day we tell everyone whether it is going ahead.",
    )
    if_not_filled = forms.ChoiceField(
        label="If not enough people join",
        choices=GroupActivity.IfNotFilled.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what happens if not enough people join"},
    )

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.listings = {
            str(listing.public_id): listing
            for listing in ListingPage.objects.live()
            .filter(provider__in=providers)
            .select_related("provider")
            .order_by("title")
        }
        several = len({listing.provider_id for listing in self.listings.values()}) > 1
        self.fields["listing"].choices = [
            (key, f"{listing.title} ({listing.provider.name})" if several else listing.title)
            for key, listing in self.listings.items()
        ]
        if len(self.listings) == 1:
            self.fields["listing"].initial = next(iter(self.listings))

    def clean_listing(self):
        return self.listings[self.cleaned_data["listing"]]

    def clean_unit_price(self):
        value = self.cleaned_data["unit_price"]
        if value is not None and value <= 0:
            raise ValidationError("Enter a price more than £0")
        return value

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on, join_by = (cleaned.get(k) for k in ("starts_on", "ends_on", "join_by"))
        places, min_places = cleaned.get("places"), cleaned.get("min_places")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "The last day must be the same as or after the first day")
        if join_by and join_by < timezone.localdate():
            self.add_error("join_by", "The last day to join must be today or in the future")
        elif join_by and starts_on and join_by > starts_on:
            self.add_error("join_by", "The last day to join must be on or before the first day")
        if places and min_places and min_places > places:
            self.add_error("min_places", "The number needed to go ahead cannot be more than the places")
        return cleaned


class JoinForm(GovukFormMixin, forms.Form):
    """Which outcome in the holder's plan a place in the group meets."""

    plan_outcome = forms.ChoiceField(
        label="Which outcome in your support plan does this meet?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select which outcome in your plan this meets",
            "invalid_choice": "Select which outcome in your plan this meets",
        },
    )

    def __init__(self, *args, budget, **kwargs):
        self.budget = budget
        super().__init__(*args, **kwargs)
        self.fields["plan_outcome"].choices = _plan_outcome_choices(budget)

    def clean_plan_outcome(self):
        return _clean_plan_outcome(self.budget, self.cleaned_data["plan_outcome"])
