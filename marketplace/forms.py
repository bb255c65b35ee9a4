"""Forms for budgets, plans, requests, orders and spending, in the GOV.UK Design System's style.

They reuse the directory's design-system plumbing (`GovukFormMixin`, the date and pounds
fields), so every marketplace page draws fields, hints and errors the same way as the
providers' area. Messages say what to do ("Enter how many hours"), not what went wrong.
Money is typed in pounds and cleaned to whole pence.
"""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from cms.forms import GovukDateField, GovukFormMixin, PoundsField
from cms.templatetags.money import pounds
from directory import evidence
from directory.models import Outcome

from .models import UNIT_WORDS, Budget, OutcomeCheck, PlanOutcome
from .services import MAX_DAYS_AHEAD, MAX_QUANTITY


class BudgetForm(GovukFormMixin, forms.Form):
    """The holder's direct payment: how much, how often, from when, and the council's rules."""

    widths = {
        "amount": "govuk-input--width-10",
        "client_contribution": "govuk-input--width-10",
        "contingency_weeks": "govuk-input--width-3",
    }

    amount = PoundsField(
        what="how much the council pays",
        label="How much does the council pay into your direct payment each time?",
        help_text="In pounds, for example 450 or 450.50.",
    )
    period = forms.ChoiceField(
        label="How often does the council pay it?",
        choices=Budget.Period.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how often the council pays"},
    )
    first_period_starts_on = GovukDateField(
        what="the date the payments start",
        label="When did (or will) the payments start?",
        help_text="The date of the first payment, for example 6 4 2026.",
    )
    client_contribution = PoundsField(
        what="your contribution",
        required=False,
        label="How much do you pay in yourself each time? (optional)",
        help_text="Your client contribution, if the council asked you to pay one. Leave it empty if not.",
    )
    contingency_weeks = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=52,
        label="How many weeks of money may you keep unspent? (optional)",
        help_text="Your council's contingency. If you are not sure, leave it empty.",
        error_messages={
            "invalid": "Enter the number of weeks as a whole number, like 4",
            "min_value": "Enter 0 weeks or more",
            "max_value": "Enter 52 weeks or fewer",
        },
    )

    def __init__(self, *args, locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.locked = locked
        if locked:
            # Periods have begun: how often and from when cannot change (see set_up_budget).
            for name in ("period", "first_period_starts_on"):
                self.fields[name].disabled = True
                self.fields[name].required = False


class PlanOutcomeForm(GovukFormMixin, forms.Form):
    """One outcome from the support plan, in the person's words, mapped to a broad outcome."""

    widths = {"own_words": "govuk-!-width-two-thirds"}

    own_words = forms.CharField(
        label="What do you want to achieve? Use your own words",
        max_length=300,
        help_text='As your support plan says it, for example "Go swimming every week to stay fit".',
        error_messages={
            "required": "Enter what you want to achieve",
            "max_length": "Use 300 characters or fewer",
        },
    )
    outcome = forms.ChoiceField(
        label="Which of these is it closest to?",
        help_text="The council uses these to check what the money was spent on.",
        error_messages={
            "required": "Select the outcome it is closest to",
            "invalid_choice": "Select an outcome",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list] = {}
        for outcome in Outcome.objects.all():
            groups.setdefault(outcome.get_vocabulary_display(), []).append((outcome.slug, outcome.label))
        self.fields["outcome"].choices = [("", "Choose an outcome"), *groups.items()]

    def clean_outcome(self):
        outcome = Outcome.objects.filter(slug=self.cleaned_data["outcome"]).first()
        if outcome is None:
            raise ValidationError("Select the outcome it is closest to")
        return outcome


def _plan_outcome_choices(budget):
    return [
        (str(po.public_id), f"{po.own_words} ({po.outcome.label})")
        for po in PlanOutcome.objects.filter(plan__budget=budget, archived=False).select_related("outcome")
    ]


def _clean_plan_outcome(budget, value):
    plan_outcome = PlanOutcome.objects.filter(plan__budget=budget, archived=False, public_id=value).first()
    if plan_outcome is None:
        raise ValidationError("Select which outcome in your plan this meets")
    return plan_outcome


class DatesMixin:
    """Start and end dates: today or later, in order, within a year."""

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        today = timezone.localdate()
        if starts_on and starts_on < today:
            self.add_error("starts_on", "The start date must be today or in the future")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "The end date must be the same as or after the start date")
        elif ends_on and ends_on > today + timedelta(days=MAX_DAYS_AHEAD):
            self.add_error("ends_on", "The end date must be within a year from today")
        return cleaned


def _units_words(units) -> str:
    """["meal"] -> "meals"; ["hour", "session", "hour"] -> "hours or sessions" (ListingPrice units)."""
    plurals = list(dict.fromkeys(UNIT_WORDS.get(unit, ("unit", "units"))[1] for unit in units)) or ["hours"]
    return plurals[0] if len(plurals) == 1 else f"{', '.join(plurals[:-1])} or {plurals[-1]}"


def _ask_in_units(field, units, wanting: str) -> None:
    """Ask for the quantity in the price's own unit: "How many meals?", never hours for a meal."""
    words = _units_words(units)
    field.label = f"How many {words}?"
    one = UNIT_WORDS.get(units[0], ("unit", "units"))[0] if len(set(units)) == 1 else ""
    field.error_messages.update(
        {
            "required": f"Enter how many {words} {wanting}",
            "invalid": f"Enter how many {words} as a whole number, like 6",
            "min_value": f"Enter at least 1 {one}".rstrip(),
            "max_value": f"Enter {MAX_QUANTITY} {words} or fewer",
        }
    )


class RequestForm(DatesMixin, GovukFormMixin, forms.Form):
    """Ask a provider for support: which price, how much, when, and which plan outcome it meets."""

    widths = {"quantity": "govuk-input--width-4"}

    price_option = forms.ChoiceField(
        label="Which service?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select which service you want", "invalid_choice": "Select a service"},
    )
    quantity = forms.IntegerField(
        label="How many hours or sessions?",
        min_value=1,
        max_value=MAX_QUANTITY,
        help_text="In total, for the whole time between the dates.",
        error_messages={
            "required": "Enter how many hours or sessions you want",
            "invalid": "Enter a whole number, like 6",
            "min_value": "Enter at least 1",
            "max_value": f"Enter {MAX_QUANTITY} or fewer",
        },
    )
    starts_on = GovukDateField(what="the start date", label="From", help_text="For example 14 9 2026.")
    ends_on = GovukDateField(
        what="the end date", label="Until", help_text="The last day. It can be the same day."
    )
    plan_outcome = forms.ChoiceField(
        label="Which outcome in your support plan does this meet?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select which outcome in your plan this meets",
            "invalid_choice": "Select which outcome in your plan this meets",
        },
    )
    message = forms.CharField(
        label="Message to the provider (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example the days and times that suit you.",
        error_messages={"max_length": "Use 1,000 characters or fewer"},
    )
    top_up = PoundsField(
        what="how much you will pay from your own money",
        required=False,
        label="Pay some of it from your own money? (optional)",
        help_text="If your budget does not cover all of it, or you want to add to it. It is recorded "
        "as your contribution, and your budget pays the rest.",
    )

    def __init__(self, *args, listing, budget, **kwargs):
        self.listing = listing
        self.budget = budget
        self.options = {}
        super().__init__(*args, **kwargs)
        self._price_choices(listing)
        self.fields["plan_outcome"].choices = _plan_outcome_choices(budget)

    def clean_plan_outcome(self):
        return _clean_plan_outcome(self.budget, self.cleaned_data["plan_outcome"])

    def clean(self):
        data = super().clean()
        top_up = data.get("top_up") or 0
        option = self.options.get(data.get("price_option") or "")
        if top_up and option and data.get("quantity"):
            price, rate = option
            unit = price.evening_weekend_pence if rate == "evening" else price.weekday_pence
            if top_up > unit * data["quantity"]:
                self.add_error("top_up", "Your own money towards it cannot be more than it costs")
        return data

    def _price_choices(self, listing):
        choices = []
        _ask_in_units(self.fields["quantity"], [price.unit for price in listing.prices.all()], "you want")
        for index, price in enumerate(listing.prices.all()):
            unit = price.get_unit_display()
            self.options[f"{index}-weekday"] = (price, "weekday")
            weekday = f"{price.description}: {pounds(price.weekday_pence)} {unit}"
            if price.evening_weekend_pence is not None:
                weekday += " (weekdays)"
            choices.append((f"{index}-weekday", weekday))
            if price.evening_weekend_pence is not None:
                self.options[f"{index}-evening"] = (price, "evening")
                choices.append(
                    (
                        f"{index}-evening",
                        f"{price.description}: {pounds(price.evening_weekend_pence)} {unit} "
                        "(evenings and weekends)",
                    )
                )
        self.fields["price_option"].choices = choices
        if len(choices) == 1:
            self.fields["price_option"].initial = choices[0][0]

    def fields_posted(self) -> list[str]:
        """The names this form reads from a POST (dates are three boxes each)."""
        names = []
        for name, field in self.fields.items():
            if isinstance(field, GovukDateField):
                names += [f"{self.add_prefix(name)}_{i}" for i in range(3)]
            else:
                names.append(self.add_prefix(name))
        return names

    @property
    def price_and_rate(self):
        """(ListingPrice, "weekday" or "evening") for the chosen option."""
        return self.options[self.cleaned_data["price_option"]]


class OwnMoneyRequestForm(RequestForm):
    """Ask a provider for support you pay for with your own money: no budget or plan outcome,
    only (if you like) what it is for, in your own words."""

    purpose = forms.CharField(
        label="What is it for? (optional)",
        required=False,
        max_length=200,
        help_text='In your own words, for example "to get out to the shops each week". Only you and '
        "the provider see it.",
        error_messages={"max_length": "Use 200 characters or fewer"},
    )

    def __init__(self, *args, listing, **kwargs):
        super().__init__(*args, listing=listing, budget=None, **kwargs)
        del self.fields["plan_outcome"]
        del self.fields["top_up"]

    def clean_plan_outcome(self):  # no plan: never asked
        return None


class ProposeChangeForm(DatesMixin, GovukFormMixin, forms.Form):
    """The provider suggests different terms."""

    widths = {"quantity": "govuk-input--width-4", "unit_price": "govuk-input--width-10"}

    quantity = forms.IntegerField(
        label="How many hours or sessions?",
        min_value=1,
        max_value=MAX_QUANTITY,
        error_messages={
            "required": "Enter how many hours or sessions you can offer",
            "invalid": "Enter a whole number, like 6",
            "min_value": "Enter at least 1",
            "max_value": f"Enter {MAX_QUANTITY} or fewer",
        },
    )
    unit_price = PoundsField(
        what="the price for each hour or session", label="Price for each hour or session"
    )
    starts_on = GovukDateField(what="the start date", label="From")
    ends_on = GovukDateField(what="the end date", label="Until")
    note = forms.CharField(
        label="Tell the person why (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Use 1,000 characters or fewer"},
    )

    def __init__(self, *args, unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        if unit:
            # The request's own unit (a ListingPrice.Unit value): "How many meals?", "Price for each meal".
            _ask_in_units(self.fields["quantity"], [unit], "you can offer")
            one = UNIT_WORDS.get(unit, ("unit", "units"))[0]
            price = self.fields["unit_price"]
            price.label = f"Price for each {one}"
            price.what = f"the price for each {one}"
            price.error_messages["required"] = f"Enter {price.what}"

    def clean_unit_price(self):
        value = self.cleaned_data["unit_price"]
        if value is not None and value <= 0:
            raise ValidationError("Enter a price more than £0")
        return value


class NoteForm(GovukFormMixin, forms.Form):
    """An optional note: why a request is declined, or an order cancelled."""

    note = forms.CharField(
        label="Tell the other person why (optional)",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Use 300 characters or fewer"},
    )


class OutsideSpendingForm(GovukFormMixin, forms.Form):
    """Money the holder spent outside the site, with an optional receipt."""

    widths = {"amount": "govuk-input--width-10", "payee": "govuk-!-width-two-thirds"}

    amount = PoundsField(what="how much you spent", label="How much did you spend?")
    spent_on = GovukDateField(
        what="the date you spent it", label="When did you spend it?", help_text="For example 3 9 2026."
    )
    description = forms.CharField(
        label="What was it for?",
        max_length=200,
        help_text='For example "Personal assistant, 4 hours" or "Bus pass for September".',
        error_messages={"required": "Enter what it was for", "max_length": "Use 200 characters or fewer"},
    )
    payee = forms.CharField(
        label="Who did you pay? (optional)",
        required=False,
        max_length=200,
        error_messages={"max_length": "Use 200 characters or fewer"},
    )
    plan_outcome = forms.ChoiceField(
        label="Which outcome in your support plan did it meet?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select which outcome in your plan it met",
            "invalid_choice": "Select which outcome in your plan it met",
        },
    )
    receipt = forms.FileField(
        label="Upload a receipt (optional)",
        required=False,
        help_text=f"A photo or scan: {evidence.ACCEPTED_NAMES}, smaller than 5MB.",
        widget=forms.ClearableFileInput(attrs={"accept": evidence.ACCEPT_ATTRIBUTE}),
    )

    def __init__(self, *args, budget, **kwargs):
        self.budget = budget
        super().__init__(*args, **kwargs)
        self.fields["plan_outcome"].choices = _plan_outcome_choices(budget)

    def clean_amount(self):
        value = self.cleaned_data["amount"]
        if value is not None and value <= 0:
            raise ValidationError("Enter an amount more than £0")
        return value

    def clean_spent_on(self):
        value = self.cleaned_data["spent_on"]
        if value and value > timezone.localdate():
            raise ValidationError("The date must be today or in the past")
        return value

    def clean_plan_outcome(self):
        return _clean_plan_outcome(self.budget, self.cleaned_data["plan_outcome"])

    def clean_receipt(self):
        upload = self.cleaned_data.get("receipt")
        if upload:
            # Size, extension and the file's first bytes (its real type), as for evidence.
            evidence.validate_upload(upload)
        return upload


class DidItHelpForm(GovukFormMixin, forms.Form):
    """"Did it help?" for one plan outcome: two plain questions and a private note."""

    widths = {"note": "govuk-!-width-two-thirds"}

    helped = forms.ChoiceField(
        label="Did it help with this?",
        choices=OutcomeCheck.Helped.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether it helped"},
    )
    connections = forms.ChoiceField(
        label="Because of it, do you see or do things with more people, the same, or fewer?",
        choices=OutcomeCheck.Connections.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you see more people, the same or fewer"},
    )
    note = forms.CharField(
        label="Anything else you want to remember about it (optional)",
        help_text="Only you see this note (and the person who writes it, if someone helps you).",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Use 500 characters or fewer"},
    )
    note_in_statements = forms.BooleanField(
        label="Show this note in statements I share with my social worker",
        required=False,
    )
