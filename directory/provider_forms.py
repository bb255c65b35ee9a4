"""Forms for the providers' own area, in the GOV.UK Design System's style.

Every form here uses the shared kit in `cms/forms.py` (`GovukFormMixin`, the date and money
fields), so `includes/govuk/field.html` can draw any field and `{% govuk_error_summary %}`
can list the problems at the top with links to each field. Messages follow the design
system's pattern: say what to do ("Enter the name of your service"), not what went wrong.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils import timezone

from cms.forms import GovukDateField, GovukFormMixin, PoundsField

from . import evidence
from .fields import AvailabilityFormField, availability_grid
from .models import (
    SMALL_PROVIDER_MAX_PEOPLE,
    AccessFeature,
    Audience,
    Category,
    Check,
    Claim,
    Language,
    ListingPage,
    ListingPrice,
    Outcome,
    PostcodeDistrict,
    ProblemReport,
    Provider,
)
from .provider_services import html_to_text

ENGLISH = "en"  # Language.code


# --- Organisation -----------------------------------------------------------------------


class OrganisationForm(GovukFormMixin, forms.ModelForm):
    """Who the provider is. Contact details here are private (coordinators only)."""

    widths = {
        "team_size": "govuk-input--width-2",
        "company_number": "govuk-input--width-10",
        "phone": "govuk-input--width-20",
    }

    class Meta:
        model = Provider
        fields = ["name", "legal_name", "business_type", "company_number", "team_size", "email", "phone"]
        labels = {
            "name": "What is your organisation called?",
            "legal_name": "Your name, or your company's name in law",
            "business_type": "What kind of organisation is it?",
            "company_number": "Company or charity number (if you have one)",
            "team_size": "How many people work in it, including you?",
            "email": "Email address for us to contact you",
            "phone": "Phone number for us to contact you (optional)",
        }
        help_texts = {
            "name": "The name people know you by. This is shown on your listings.",
            "legal_name": "For a sole trader, this is your own name. We do not show it.",
            "team_size": "This directory is for small organisations of 8 people or fewer.",
            "email": "We do not show this. We use it for reminders and to check things with you.",
            "phone": "We do not show this.",
        }
        widgets = {"business_type": forms.RadioSelect}
        error_messages = {
            "name": {"required": "Enter the name of your organisation"},
            "legal_name": {"required": "Enter your name, or your company's name"},
            "business_type": {"required": "Select what kind of organisation it is"},
            "team_size": {
                "required": "Enter how many people work in your organisation",
                "invalid": "Enter the number of people as a whole number, like 3",
                "max_value": "This directory is for organisations of 8 people or fewer",
                "min_value": "Enter at least 1 (you)",
            },
            "email": {
                "required": "Enter an email address",
                "invalid": "Enter an email address like name@example.com",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The model allows "not stated" (for imported organisations); a provider says both, and
        # this directory is for organisations of 8 people or fewer.
        self.fields["business_type"].required = True
        self.fields["business_type"].choices = Provider.BusinessType.choices
        self.fields["team_size"].required = True
        self.fields["team_size"].validators.append(MaxValueValidator(SMALL_PROVIDER_MAX_PEOPLE))

    def save(self, commit=True):
        # The provider has now said how many people work in it.
        self.instance.size_confirmed_by = Provider.SizeConfirmedBy.PROVIDER
        return super().save(commit=commit)


# --- The listing wizard -----------------------------------------------------------------


class AboutForm(GovukFormMixin, forms.Form):
    """Step 1: the name and what the service is."""

    widths = {"title": "govuk-!-width-two-thirds"}

    title = forms.CharField(
        label="What is your service called?",
        max_length=120,
        help_text='For example "Swimming buddy" or "Sunday lunch club".',
        error_messages={
            "required": "Enter the name of your service",
            "max_length": "The name must be 120 characters or fewer",
        },
    )
    summary = forms.CharField(
        label="Describe it in one or two sentences",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="This is shown in search results. Use plain words.",
        error_messages={
            "required": "Enter a short description",
            "max_length": "The short description must be 300 characters or fewer",
        },
    )
    description = forms.CharField(
        label="Tell people more about it",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What you do, what a visit or session is like, and anything people should know. "
        "Leave an empty line between paragraphs.",
        error_messages={
            "required": "Tell people more about your service",
            "max_length": "This must be 5,000 characters or fewer",
        },
    )

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not re.search(r"\w", title):
            raise ValidationError("Enter a name with letters or numbers in it")
        return title

    @classmethod
    def initial_from(cls, draft: ListingPage) -> dict:
        """The form's starting values from a listing draft."""
        return {
            "title": draft.title,
            "summary": draft.summary,
            "description": html_to_text(draft.description),
        }


class ListingStepForm(GovukFormMixin, forms.ModelForm):
    """A wizard step that edits some of a listing draft's own fields.

    `instance` is the draft (the latest revision as a page object), never the live row:
    `save(commit=False)` only changes it in memory, and the caller saves a revision.
    """

    def apply(self) -> ListingPage:
        """Copy the answers onto the draft (in memory, including many-to-many choices)."""
        draft = self.save(commit=False)
        for name in self._meta.fields:
            model_field = ListingPage._meta.get_field(name)
            if model_field.many_to_many:
                # A ParentalManyToManyField holds the choice in memory until publish.
                setattr(draft, name, list(self.cleaned_data[name]))
        return draft


class TermsField(forms.ModelMultipleChoiceField):
    """Tick boxes of vocabulary terms; a posted value that cannot be an id is an invalid choice.

    Django looks each value up as given, and a 20-digit number overflows the database
    driver's integer instead of failing as a choice we do not offer.
    """

    def _check_values(self, value):
        for pk in value or ():
            if not (isinstance(pk, str | int) and str(pk).isdigit() and len(str(pk)) <= 18):
                raise ValidationError("Select only the choices shown", code="invalid_choice")
        return super()._check_values(value)


class HelpForm(ListingStepForm):
    """Step 2: what it helps with and who it is for."""

    widths = {"min_age": "govuk-input--width-3", "max_age": "govuk-input--width-3"}

    outcomes = TermsField(
        queryset=Outcome.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        label="What does your service help people to do?",
        help_text="Choose all that apply. People search by these.",
        error_messages={"required": "Select at least one thing your service helps with"},
    )
    categories = TermsField(
        queryset=Category.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="What kind of support is it? (optional)",
    )
    audiences = TermsField(
        queryset=Audience.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Is it especially for any of these people? (optional)",
    )
    # The question says "other than English", so English is not one of its boxes.
    languages = TermsField(
        queryset=Language.objects.exclude(code=ENGLISH),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Which languages can you help people in, other than English? (optional)",
    )

    def clean_languages(self):
        """The languages ticked, plus English if the listing already had it (an import may set it):
        the question cannot offer English, so saving it must not take English away."""
        chosen = list(self.cleaned_data["languages"])
        if self.instance.pk:
            chosen += [language for language in self.instance.languages.all() if language.code == ENGLISH]
        return chosen

    class Meta:
        model = ListingPage
        fields = ["outcomes", "categories", "audiences", "min_age", "max_age", "languages"]
        labels = {"min_age": "Youngest age (optional)", "max_age": "Oldest age (optional)"}
        error_messages = {
            "min_age": {"invalid": "Enter the youngest age as a number, like 18"},
            "max_age": {"invalid": "Enter the oldest age as a number, like 65"},
        }


class WhereForm(ListingStepForm):
    """Step 3: where the service is based and how far it reaches."""

    widths = {
        "base_postcode": "govuk-input--width-10",
        "service_radius_miles": "govuk-input--width-3",
        "other_districts": "govuk-input--width-20",
        "venue_postcode": "govuk-input--width-10",
    }

    other_districts = forms.CharField(
        label="Other postcode areas you cover in full (optional)",
        required=False,
        max_length=300,
        help_text="The first half of the postcode, like BL4 or M26. Separate them with commas.",
    )

    class Meta:
        model = ListingPage
        fields = ["base_postcode", "service_radius_miles", "venue", "venue_postcode"]
        labels = {
            "base_postcode": "Where are you based?",
            "service_radius_miles": "How many miles will you travel to people?",
            "venue": "A public place where you meet people (optional)",
            "venue_postcode": "The venue's postcode (optional)",
        }
        help_texts = {
            # Said plainly, because for many sole traders this is their home.
            "base_postcode": "A full postcode, or just the first half, like BL3. The public sees only the "
            "first half (BL3). Your full postcode is never shown, and distances in searches are "
            "measured from the middle of BL3, so nobody can work out your address from them.",
            "service_radius_miles": "Enter 0 if people come to you.",
            "venue": "Only if you meet people somewhere public, like “St Mark's Church Hall, Cross "
            "Street”. The public sees the venue's name, street and postcode, and distances are "
            "measured from it. Never enter your home here.",
            "venue_postcode": "The venue's full postcode, like BL3 4AB.",
        }
        error_messages = {
            "base_postcode": {"required": "Enter the postcode where you are based"},
            "service_radius_miles": {
                "required": "Enter how many miles you will travel, or 0",
                "invalid": "Enter the miles as a whole number, like 5",
                "max_value": "Enter 100 miles or fewer",
            },
        }

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        if instance is not None and not self.is_bound:
            self.initial["other_districts"] = ", ".join(d.code for d in instance.served_districts.all())

    def clean_other_districts(self):
        codes = [
            c.strip().upper() for c in re.split(r"[,\s]+", self.cleaned_data["other_districts"]) if c.strip()
        ]
        found = {d.code: d for d in PostcodeDistrict.objects.filter(code__in=codes)}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise ValidationError(
                f"We do not know the postcode area {', '.join(unknown)}. "
                "Check it is the first half of a postcode, like BL4, or leave it out."
            )
        return [found[c] for c in dict.fromkeys(codes)]

    def apply(self) -> ListingPage:
        draft = super().apply()
        draft.served_districts = self.cleaned_data["other_districts"]
        return draft


class PriceForm(GovukFormMixin, forms.Form):
    """One price on a listing."""

    widths = {
        "description": "govuk-!-width-two-thirds",
        "unit_minutes": "govuk-input--width-4",
        "weekday": "govuk-input--width-5",
        "evening_weekend": "govuk-input--width-5",
    }

    description = forms.CharField(
        label="What is it for?",
        max_length=120,
        help_text='For example "Swimming trip" or "An hour of help".',
        error_messages={"required": "Enter what the price is for"},
    )
    unit = forms.ChoiceField(
        label="How do you charge for it?",
        choices=ListingPrice.Unit.choices,
        initial=ListingPrice.Unit.HOUR,
        error_messages={"required": "Select how you charge", "invalid_choice": "Select how you charge"},
    )
    unit_minutes = forms.IntegerField(
        label="How many minutes does a session, visit or day last? (optional)",
        required=False,
        min_value=1,
        max_value=24 * 60,
        help_text="This lets people compare your price with hourly ones.",
        error_messages={
            "invalid": "Enter the minutes as a whole number, like 90",
            "min_value": "Enter at least 1 minute",
            "max_value": "Enter 1,440 minutes (a day) or fewer",
        },
    )
    weekday = PoundsField(label="Weekday price, in pounds", what="the weekday price")
    evening_weekend = PoundsField(
        label="Evening and weekend price, in pounds (optional)",
        what="the evening and weekend price",
        required=False,
        help_text="Leave this empty if it is the same.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("unit") == ListingPrice.Unit.HOUR and cleaned.get("unit_minutes"):
            cleaned["unit_minutes"] = None
        return cleaned

    def to_price(self) -> ListingPrice:
        """A price row for the draft (saved when the listing is published)."""
        data = self.cleaned_data
        return ListingPrice(
            description=data["description"],
            unit=data["unit"],
            unit_minutes=data.get("unit_minutes"),
            weekday_pence=data["weekday"],
            evening_weekend_pence=data.get("evening_weekend"),
        )

    @staticmethod
    def initial_from(price: ListingPrice) -> dict:
        return {
            "description": price.description,
            "unit": price.unit,
            "unit_minutes": price.unit_minutes,
            "weekday": price.weekday_pence,
            "evening_weekend": price.evening_weekend_pence,
        }


class BasePriceFormSet(forms.BaseFormSet):
    """The listing's prices: at least one, blank extra rows ignored."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form in self.forms:
            if "DELETE" in form.fields:
                form.fields["DELETE"].label = "Remove this price"
                form._decorate()

    def clean(self):
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not kept:
            raise ValidationError("Add at least one price")

    def prices(self) -> list[ListingPrice]:
        return [f.to_price() for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


PriceFormSet = forms.formset_factory(
    PriceForm, formset=BasePriceFormSet, extra=1, can_delete=True, max_num=10, validate_max=True
)


class WhenContactForm(ListingStepForm):
    """Step 5: when people can have support, and how to get in touch."""

    widths = {
        "contact_name": "govuk-input--width-20",
        "contact_phone": "govuk-input--width-20",
        "contact_email": "govuk-!-width-two-thirds",
        "website": "govuk-!-width-two-thirds",
    }

    # Declared here because AvailabilityField.formfield() ignores the Meta labels.
    availability = AvailabilityFormField(
        required=False,
        label="When can you usually help?",
        help_text="Tick the times you can usually offer support. You can change this at any time.",
    )
    website = forms.URLField(
        label="Website",
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text="For example https://www.example.com",
        error_messages={"invalid": "Enter a website address like https://www.example.com"},
    )
    access_features = TermsField(
        queryset=AccessFeature.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Which of these can you offer? (optional)",
        help_text="Choose all that are true. People who need them can search for them.",
    )
    # Meet first and trial session (docs/meet-first.md): typed in pounds, kept in pence.
    meet_first_price = PoundsField(
        label="What does a meet first cost, in pounds? (optional)",
        what="what a meet first costs",
        required=False,
        help_text="Leave this empty if it is free, as most are.",
    )
    trial_price = PoundsField(
        label="What does a trial session cost, in pounds?",
        what="what a trial session costs",
        required=False,
        help_text="Enter 0 if it is free.",
    )

    field_order = [
        "availability",
        "intake",
        "contact_name",
        "contact_phone",
        "contact_email",
        "website",
        "contact_notes",
        "access_features",
        "accessibility",
        "easy_read",
        "meet_first",
        "meet_first_price",
        "trial_session",
        "trial_price",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The two prices are pence on the listing and pounds here.
        self.initial.setdefault("meet_first_price", self.instance.meet_first_price_pence or None)
        self.initial.setdefault("trial_price", self.instance.trial_price_pence)

    class Meta:
        model = ListingPage
        fields = [
            "availability",
            "intake",
            "contact_name",
            "contact_phone",
            "contact_email",
            "website",
            "contact_notes",
            "access_features",
            "accessibility",
            "easy_read",
            "meet_first",
            "trial_session",
        ]
        labels = {
            "intake": "Are you taking new people?",
            "contact_name": "Name for people to ask for (optional)",
            "contact_phone": "Phone number",
            "contact_email": "Email address",
            "website": "Website",
            "contact_notes": "Anything people should know about getting in touch? (optional)",
            "accessibility": "Anything else about access? (optional)",
            "easy_read": "Easy Read description (optional)",
            "meet_first": "I like to meet first: a short visit, phone or video call before agreeing",
            "trial_session": "A trial session is available",
        }
        help_texts = {
            "contact_phone": "People see this. Give at least one way to get in touch: "
            "phone, email or website.",
            "accessibility": "Anything the choices above do not say, like “The lift is small” "
            "or “Ring the bell by the side door”.",
        }
        widgets = {
            "intake": forms.RadioSelect,
            "accessibility": forms.Textarea(attrs={"rows": 3}),
            "easy_read": forms.Textarea(attrs={"rows": 4}),
        }
        error_messages = {
            "contact_email": {"invalid": "Enter an email address like name@example.com"},
            "intake": {"required": "Select whether you are taking new people"},
        }

    def clean(self):
        cleaned = super().clean()
        no_contact = not (
            cleaned.get("contact_phone") or cleaned.get("contact_email") or cleaned.get("website")
        )
        # A mistyped email or website already has its own message; do not pile another on.
        if no_contact and not self.has_error("contact_email") and not self.has_error("website"):
            self.add_error(
                "contact_phone", "Give at least one way to get in touch: a phone number, email or website"
            )
        if (
            cleaned.get("trial_session")
            and cleaned.get("trial_price") is None
            and not self.has_error("trial_price")
        ):
            self.add_error("trial_price", "Enter what a trial session costs, or 0 if it is free")
        # Set before the model's own checks run, which look at the draft's prices.
        self.instance.meet_first_price_pence = cleaned.get("meet_first_price") or 0
        trial_price = cleaned.get("trial_price") if cleaned.get("trial_session") else None
        if cleaned.get("trial_session") and trial_price is None:
            # The form already says what is missing; keep the model's own check from saying it
            # again about a field this form does not have.
            trial_price = 0
        self.instance.trial_price_pence = trial_price
        return cleaned

    def apply(self) -> ListingPage:
        draft = super().apply()
        draft.meet_first_price_pence = self.cleaned_data.get("meet_first_price") or 0
        draft.trial_price_pence = (
            self.cleaned_data.get("trial_price") if self.cleaned_data.get("trial_session") else None
        )
        return draft

    def availability_grid(self):
        return availability_grid(self["availability"])


class AvailabilityForm(GovukFormMixin, forms.Form):
    """The one-step update from the dashboard: taking new people, and usual availability."""

    intake = forms.ChoiceField(
        label="Are you taking new people?",
        choices=ListingPage.Intake.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you are taking new people"},
    )
    availability = AvailabilityFormField(required=False, label="When can you usually help?")

    def availability_grid(self):
        return availability_grid(self["availability"])


# --- Evidence of checks -----------------------------------------------------------------


class CheckForm(GovukFormMixin, forms.Form):
    """Evidence of one check, with the document (a PDF, JPG or PNG up to 5MB)."""

    widths = {"reference": "govuk-input--width-20"}

    kind = forms.ChoiceField(
        label="What is it?",
        choices=Check.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the evidence is for"},
    )
    reference = forms.CharField(
        label="Policy, certificate or registration number",
        max_length=100,
        required=False,
        help_text="For CQC registration, this is your provider ID, like 1-123456789. It is needed.",
    )
    issued_on = GovukDateField(
        what="the date it was issued", label="When was it issued?", help_text="For example, 27 3 2025"
    )
    expires_on = GovukDateField(
        what="the expiry date",
        label="When does it expire? (optional)",
        required=False,
        help_text="Leave this empty if it does not expire.",
    )
    document = forms.FileField(
        label="Upload the document",
        required=False,
        help_text="A PDF, JPG or PNG, smaller than 5MB. A photo of a certificate is fine.",
        widget=forms.FileInput(attrs={"accept": evidence.ACCEPT_ATTRIBUTE}),
        error_messages={
            "invalid": "The selected file could not be read. Choose it again",
            "empty": "The selected file is empty. Choose a different file",
            "missing": "Select a file to upload",
        },
    )

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if upload:
            evidence.validate_upload(upload)
        return upload

    def clean_issued_on(self):
        issued = self.cleaned_data.get("issued_on")
        if issued and issued > timezone.localdate():
            raise ValidationError("The date it was issued must be today or in the past")
        return issued

    def clean(self):
        cleaned = super().clean()
        issued, expires = cleaned.get("issued_on"), cleaned.get("expires_on")
        if issued and expires and expires <= issued:
            self.add_error("expires_on", "The expiry date must be after the date it was issued")
        kind = cleaned.get("kind")
        if kind == Check.Kind.CQC:
            if not cleaned.get("reference"):
                self.add_error("reference", "Enter your CQC provider ID")
        elif kind and not cleaned.get("document") and not self.has_error("document"):
            self.add_error("document", "Select a file to upload")
        return cleaned


class CqcSelfCheckForm(GovukFormMixin, forms.Form):
    """Four yes/no questions that say whether a service looks like it needs CQC registration."""

    YES_NO = [("yes", "Yes"), ("no", "No")]

    personal_care = forms.ChoiceField(
        label="Do you help people with personal care?",
        help_text="Personal care means physical help, or prompting and supervising, with washing, bathing, "
        "dressing, going to the toilet, eating and drinking, or taking medicines.",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if you help people with personal care"},
    )
    where_they_live = forms.ChoiceField(
        label="Do you give this help in the place where the person lives?",
        help_text="Their own home, or supported living where they have their own tenancy.",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if you help people where they live"},
    )
    works_alone = forms.ChoiceField(
        label="Do you work on your own, with nobody working with you or for you?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if you work on your own"},
    )
    arranged_directly = forms.ChoiceField(
        label="Does the person (or their family) arrange the care with you directly?",
        help_text="For example, they employ you as a personal assistant and pay you from their "
        "direct payment, with no agency in between.",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if the person arranges the care with you directly"},
    )

    def answers(self) -> dict[str, bool]:
        """The answers as booleans, for `provider_services.cqc_advice`."""
        return {name: self.cleaned_data[name] == "yes" for name in self.fields}


# --- Claims and problem reports ---------------------------------------------------------


def _at_most(text: str, limit: int) -> str:
    """`text`, or a clear error when it is longer than `limit` characters (free-text boxes
    whose model field has no length of its own)."""
    if len(text) > limit:
        raise forms.ValidationError(f"Use {limit:,} characters or fewer (you used {len(text):,})")
    return text


class ClaimForm(GovukFormMixin, forms.ModelForm):
    """Ask to manage an existing listing."""

    widths = {"phone": "govuk-input--width-20"}

    class Meta:
        model = Claim
        fields = ["message", "phone"]
        labels = {
            "message": "How can we tell this listing is yours?",
            "phone": "A phone number we can call you on (optional)",
        }
        help_texts = {
            "message": "For example: the phone number or email address on the listing is yours, or your "
            "business name and where you are based. A coordinator will check before you can edit it.",
        }
        widgets = {"message": forms.Textarea(attrs={"rows": 4})}
        error_messages = {"message": {"required": "Tell us how we can tell the listing is yours"}}

    def clean_message(self):
        return _at_most(self.cleaned_data["message"], 2000)


class ProblemReportForm(GovukFormMixin, forms.ModelForm):
    """The public tells us something on a listing is wrong."""

    widths = {"contact": "govuk-!-width-two-thirds"}

    class Meta:
        model = ProblemReport
        fields = ["problem", "details", "contact"]
        labels = {
            "problem": "What is wrong?",
            "details": "Tell us more",
            "contact": "Your email address or phone number (optional)",
        }
        help_texts = {
            "details": "Do not include private details about anyone's health or care.",
            "contact": "Only if you would like us to reply. We will not share it.",
        }
        widgets = {"problem": forms.RadioSelect, "details": forms.Textarea(attrs={"rows": 5})}
        error_messages = {
            "problem": {"required": "Select what is wrong"},
            "details": {"required": "Tell us what is wrong"},
        }

    def clean_details(self):
        return _at_most(self.cleaned_data["details"], 2000)
