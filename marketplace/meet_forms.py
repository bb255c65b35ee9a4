"""Forms for meeting first (docs/meet-first.md): asking, offering times, choosing one, and
saying afterwards whether to go ahead. GOV.UK Design System markup comes from `GovukFormMixin`;
messages say what to do, and name the field they are about."""

import re
from datetime import datetime, time

from django import forms
from django.utils import timezone

from cms.forms import GovukDateField, GovukFormMixin

from .models import MeetFirst, PlanOutcome
from .services.meet_first import MAX_TIMES

TIME_RE = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$", re.IGNORECASE)
TIME_MESSAGE = "Enter the time like 14:30 or 2:30pm"


def parse_time(text: str) -> time | None:
    """ "14:30", "2.30pm", "9am" -> a time; "" -> None; anything else raises ValueError."""
    text = text.strip().lower().replace(" ", "")
    if not text:
        return None
    match = TIME_RE.match(text)
    if not match:
        raise ValueError(text)
    hour, minute, half = int(match[1]), int(match[2] or 0), match[3]
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError(text)
    return time(hour, minute)


class AskMeetFirstForm(GovukFormMixin, forms.Form):
    """How the person would like to meet, what it is about, and anything the provider should know."""

    kind = forms.ChoiceField(
        label="How would you like to meet?",
        choices=MeetFirst.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how you would like to meet"},
    )
    plan_outcome = forms.ChoiceField(
        label="What would the support help with? (optional)",
        required=False,
        help_text="From the support plan. The provider sees these words.",
    )
    message = forms.CharField(
        label="Anything the provider should know? (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example, the best days, or what you would like to ask them.",
        error_messages={"max_length": "Your message must be 1,000 characters or fewer"},
    )

    def __init__(self, *args, budget, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcomes = {
            str(po.public_id): po for po in PlanOutcome.objects.filter(plan__budget=budget, archived=False)
        }
        self.fields["plan_outcome"].choices = [
            ("", "Not now"),
            *((k, po.own_words) for k, po in self.outcomes.items()),
        ]
        self._decorate()

    def clean_plan_outcome(self):
        value = self.cleaned_data["plan_outcome"]
        return self.outcomes.get(value) if value else None


class OfferTimesForm(GovukFormMixin, forms.Form):
    """One to three times the provider can meet, and where or how."""

    widths = {f"time_{n}_at": "govuk-input--width-5" for n in range(1, MAX_TIMES + 1)} | {
        "where": "govuk-!-width-two-thirds"
    }

    where = forms.CharField(
        label="Where will you meet, or how will you call?",
        max_length=300,
        help_text="For example “Café at Bolton Library”, “I will phone you” or a video call link.",
        error_messages={"required": "Enter where you will meet, or how you will call"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, MAX_TIMES + 1):
            optional = "" if n == 1 else " (optional)"
            self.fields[f"time_{n}_on"] = GovukDateField(
                label=f"Time {n}: day{optional}",
                what=f"the day of time {n}",
                required=n == 1,
                help_text="For example, 27 3 2027",
            )
            self.fields[f"time_{n}_at"] = forms.CharField(
                label=f"Time {n}: time of day{optional}",
                required=n == 1,
                max_length=10,
                help_text="For example, 14:30 or 2:30pm",
                error_messages={"required": f"Enter the time of day of time {n}"},
            )
        self.order_fields(
            [*(f"time_{n}_{p}" for n in range(1, MAX_TIMES + 1) for p in ("on", "at")), "where"]
        )
        self._decorate()

    def clean(self):
        cleaned = super().clean()
        times = []
        for n in range(1, MAX_TIMES + 1):
            day, at = cleaned.get(f"time_{n}_on"), cleaned.get(f"time_{n}_at") or ""
            try:
                clock = parse_time(at)
            except ValueError:
                self.add_error(f"time_{n}_at", TIME_MESSAGE)
                continue
            if day and clock is None and not self.has_error(f"time_{n}_at"):
                self.add_error(f"time_{n}_at", f"Enter the time of day of time {n}")
            elif clock is not None and day is None and not self.has_error(f"time_{n}_on"):
                self.add_error(f"time_{n}_on", f"Enter the day of time {n}")
            elif day and clock is not None:
                times.append(timezone.make_aware(datetime.combine(day, clock)))
        cleaned["times"] = times
        return cleaned


class ChooseTimeForm(GovukFormMixin, forms.Form):
    """Which of the offered times suits the person."""

    chosen = forms.ChoiceField(
        label="Which time suits you?", widget=forms.RadioSelect, error_messages={"required": "Select a time"}
    )

    def __init__(self, *args, meet: MeetFirst, **kwargs):
        super().__init__(*args, **kwargs)
        self.times = {when.isoformat(): when for when in meet.offered_times}
        self.fields["chosen"].choices = [
            (key, f"{timezone.localtime(when):%A %-d %B %Y at %-I:%M%p}") for key, when in self.times.items()
        ]
        self.fields["chosen"].error_messages["invalid_choice"] = "Select one of the times offered"
        self._decorate()

    def clean_chosen(self):
        return self.times[self.cleaned_data["chosen"]]


class DecideForm(GovukFormMixin, forms.Form):
    """After meeting: go ahead or not, a private reason, and a message for the other side."""

    decision = forms.ChoiceField(
        label="Do you want to go ahead?",
        choices=MeetFirst.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes or no"},
    )
    private_reason = forms.CharField(
        label="Why? (optional, private)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only your side sees this. The other side never does.",
        error_messages={"max_length": "Your reason must be 500 characters or fewer"},
    )
    message = forms.CharField(
        label="A message for the other side (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="They will see this, so write it for them.",
        error_messages={"max_length": "Your message must be 500 characters or fewer"},
    )
