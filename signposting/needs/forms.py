"""Forms for needs and offers, in the GOV.UK style (cms.forms)."""

from django import forms

from cms.forms import GovukFormMixin, PoundsField
from directory.fields import AvailabilityFormField, availability_grid
from directory.models import ListingPrice, Outcome

from ..models import Need
from . import services

NO_PERSONAL_DETAILS = (
    "Do not include names, addresses or health details: everyone can read this. "
    "Say what would help, like “someone to swim with on Tuesday mornings”."
)


class NeedForm(GovukFormMixin, forms.Form):
    """Post a need: what, where (district only), when, how often, budget, sharing, how long."""

    widths = {
        "postcode": "govuk-input--width-10",
        "budget_min": "govuk-input--width-5",
        "budget_max": "govuk-input--width-5",
    }

    posted_for = forms.ChoiceField(
        label="Who is this for?",
        choices=Need.PostedFor.choices,
        widget=forms.RadioSelect,
        initial=Need.PostedFor.SELF,
        help_text="We never show who posted a need, or who it is for.",
        error_messages={"required": "Select who this is for"},
    )
    outcomes = forms.ModelMultipleChoiceField(
        label="What would it help with?",
        queryset=Outcome.objects.order_by("sort_order", "label"),
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick one or more.",
        error_messages={"required": "Select what it would help with"},
    )
    own_words = forms.CharField(
        label="In your own words, what are you looking for?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=NO_PERSONAL_DETAILS,
        error_messages={
            "required": "Say in your own words what you are looking for",
            "max_length": "Use 1,000 characters or fewer",
        },
    )
    postcode = forms.CharField(
        label="Postcode district",
        max_length=10,
        help_text=(
            "The first half of the postcode, like BL3. If you type a full postcode we keep only "
            "the first half."
        ),
        error_messages={"required": "Enter the first half of the postcode, like BL3"},
    )
    availability = AvailabilityFormField(
        required=False,
        label="When would suit?",
        help_text="Tick the times that suit. Leave them all empty if any time suits.",
    )
    frequency = forms.ChoiceField(
        label="How often?",
        choices=Need.Frequency.choices,
        widget=forms.RadioSelect,
        initial=Need.Frequency.WEEKLY,
        error_messages={"required": "Select how often"},
    )
    budget_min = PoundsField(what="the least you would pay", label="From £ (optional)", required=False)
    budget_max = PoundsField(what="the most you would pay", label="Up to £ (optional)", required=False)
    could_share = forms.BooleanField(
        label="It could be shared with other people nearby (for example a small group)", required=False
    )
    expires_in_weeks = forms.TypedChoiceField(
        label="How long should it stay up?",
        coerce=int,
        choices=services.expiry_choices(),
        initial=services.DEFAULT_EXPIRY_WEEKS,
        widget=forms.RadioSelect,
        help_text="You can take it down at any time.",
        error_messages={"required": "Select how long it should stay up"},
    )

    def availability_grid(self):
        return availability_grid(self["availability"])

    def clean_own_words(self):
        words = self.cleaned_data["own_words"]
        try:
            services.check_words(words)
        except services.IdentifyingWords as exc:
            raise forms.ValidationError(str(exc)) from exc
        return words

    def clean_postcode(self):
        try:
            district, cut = services.district_from(self.cleaned_data["postcode"])
        except services.UnknownDistrict as exc:
            raise forms.ValidationError(str(exc)) from exc
        self.postcode_was_cut = cut
        return district

    def clean(self):
        data = super().clean()
        low, high = data.get("budget_min"), data.get("budget_max")
        if low is not None and high is not None and low > high:
            self.add_error("budget_max", "The most you would pay must be the same as or more than the least")
        return data


def _group_size(what: str) -> dict:
    return {
        "required": f"Enter {what}",
        "invalid": f"Enter {what} as a whole number, like 4",
        "min_value": "Enter 2 or more",
        "max_value": "Enter 30 or fewer",
    }


class GroupProposalForm(NeedForm):
    """Propose a group: a need with the smallest and largest group, and how many the proposer
    brings (a professional for several people, with their consent)."""

    widths = {
        **NeedForm.widths,
        "min_people": "govuk-input--width-3",
        "max_people": "govuk-input--width-3",
        "places": "govuk-input--width-3",
    }

    min_people = forms.IntegerField(
        label="Smallest group that could run",
        min_value=2,
        max_value=30,
        initial=4,
        error_messages=_group_size("the smallest group"),
    )
    max_people = forms.IntegerField(
        label="Largest group",
        min_value=2,
        max_value=30,
        initial=8,
        error_messages=_group_size("the largest group"),
    )
    places = forms.IntegerField(
        label="How many people are you joining for?",
        min_value=1,
        max_value=10,
        initial=1,
        help_text="1 for yourself. A professional can join for several people they work with.",
        error_messages={
            "required": "Enter how many people you are joining for",
            "invalid": "Enter how many people you are joining for as a whole number, like 1",
            "min_value": "Enter 1 or more",
            "max_value": "Enter 10 or fewer",
        },
    )
    consent = forms.BooleanField(
        label="Each person I am joining for has agreed to join this group", required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["could_share"]
        self.fields["own_words"].label = "What would the group do, and when?"

    def clean(self):
        data = super().clean()
        low, high, places = data.get("min_people"), data.get("max_people"), data.get("places")
        if low and high and low > high:
            self.add_error("max_people", "The largest group must be the same as or more than the smallest")
        if places and high and places > high:
            self.add_error("places", "You cannot join for more people than the largest group")
        if places and places > 1 and not data.get("consent"):
            self.add_error("consent", "Tick to say each person agreed, or join for 1 person")
        return data


class JoinGroupForm(GovukFormMixin, forms.Form):
    """Join a group proposal for oneself or, with consent, for several people."""

    widths = {"places": "govuk-input--width-3"}

    places = GroupProposalForm.base_fields["places"]
    consent = GroupProposalForm.base_fields["consent"]

    def clean(self):
        data = super().clean()
        if data.get("places") and data["places"] > 1 and not data.get("consent"):
            self.add_error("consent", "Tick to say each person agreed, or join for 1 person")
        return data


class OfferForm(GovukFormMixin, forms.Form):
    """A provider's offer: which listing, the price, and a message to the person."""

    widths = {"price": "govuk-input--width-5"}

    listing = forms.ChoiceField(
        label="Which of your listings?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select which listing you are offering from"},
    )
    price = PoundsField(what="your price", label="Your price, £")
    price_unit = forms.ChoiceField(
        label="For each",
        choices=ListingPrice.Unit.choices,
        initial=ListingPrice.Unit.HOUR,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the price is for"},
    )
    message = forms.CharField(
        label="Message to the person",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=(
            "What you could do, when, and anything they should know. Only the person who posted "
            "the need reads it."
        ),
        error_messages={
            "required": "Write a message to the person",
            "max_length": "Use 1,000 characters or fewer",
        },
    )

    def __init__(self, *args, listings, **kwargs):
        self.listings = {str(listing.public_id): listing for listing in listings}
        super().__init__(*args, **kwargs)
        self.fields["listing"].choices = [(key, listing.title) for key, listing in self.listings.items()]
        if len(self.listings) == 1:
            self.fields["listing"].initial = next(iter(self.listings))

    def clean_listing(self):
        return self.listings[self.cleaned_data["listing"]]


class NeedFilterForm(forms.Form):
    """The public list's filters (a GET form; bad values are ignored)."""

    district = forms.CharField(label="Postcode district", required=False, max_length=10)
    outcome = forms.ChoiceField(label="What it would help with", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [
            ("", "Anything"),
            *Outcome.objects.order_by("sort_order", "label").values_list("slug", "label"),
        ]
        self.fields["district"].widget.attrs["class"] = "govuk-input govuk-input--width-5"
        self.fields["outcome"].widget.attrs["class"] = "govuk-select"


class NewListingOfferForm(GovukFormMixin, forms.Form):
    """An offer from a listing the provider has not made yet: which organisation, the price and
    the message; it is sent once the new listing is live."""

    widths = OfferForm.widths

    provider = forms.ChoiceField(
        label="Which organisation will run it?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select which organisation will run it"},
    )
    price = OfferForm.base_fields["price"]
    price_unit = OfferForm.base_fields["price_unit"]
    message = OfferForm.base_fields["message"]

    def __init__(self, *args, providers, **kwargs):
        self.providers = {str(provider.public_id): provider for provider in providers}
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(key, provider.name) for key, provider in self.providers.items()]
        if len(self.providers) == 1:
            self.fields["provider"].initial = next(iter(self.providers))

    def clean_provider(self):
        return self.providers[self.cleaned_data["provider"]]


class DemandAlertForm(GovukFormMixin, forms.Form):
    """Tell me when demand grows: one outcome in one postcode district."""

    widths = {"postcode": "govuk-input--width-10"}

    outcome = forms.ModelChoiceField(
        label="What could you offer help with?",
        queryset=Outcome.objects.order_by("sort_order", "label"),
        empty_label="Choose one",
        error_messages={"required": "Select what you could offer help with"},
    )
    postcode = forms.CharField(
        label="Postcode district",
        max_length=10,
        help_text="The first half of the postcode, like BL3.",
        error_messages={"required": "Enter the first half of the postcode, like BL3"},
    )

    def clean_postcode(self):
        try:
            district, _ = services.district_from(self.cleaned_data["postcode"])
        except services.UnknownDistrict as exc:
            raise forms.ValidationError(str(exc)) from exc
        return district
