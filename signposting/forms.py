"""Forms for signposting pages, drawn in the GOV.UK Design System's markup.

Every form keeps what the person typed when it comes back with an error, and names the
field in an error summary that links to it.
"""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from cms.forms import GovukDateField, GovukFormMixin

from .models import SHORTLIST_TOKEN_MAX_LENGTH, SavedSearch, Shortlist

PHONE_DIGITS = re.compile(r"\d")
# How far ahead a shortlist link's end date may be.
LONGEST_LINK_YEARS = 10


class DateInput(forms.DateInput):
    """A native date picker that still accepts typed dates like 31/12/2025."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d %m %Y"]


class ShortlistForm(GovukFormMixin, forms.ModelForm):
    """Name a shortlist, say who it is for, and choose how the link works."""

    ends_on = GovukDateField(
        what="the last day the link works",
        label="Stop the link working after (optional)",
        required=False,
        help_text="Leave empty to keep it working until you switch it off. For example, 31 12 2027.",
    )
    widths = {"person_label": "govuk-input--width-20"}

    class Meta:
        model = Shortlist
        fields = ["title", "person_label", "comments_open"]
        labels = {
            "title": "Name of the shortlist",
            "person_label": "Who it is for (optional)",
            "comments_open": "Let the person and their family add comments",
        }
        help_texts = {
            "title": 'Something the person will recognise, like "Options for Mrs P: getting out".',
            "person_label": "Initials or a first name only. Anyone with the link can see this.",
            "comments_open": "",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.expires_at and not self.is_bound:
            self.initial["ends_on"] = timezone.localtime(self.instance.expires_at).date()
        self._decorate()

    def clean_ends_on(self):
        ends_on = self.cleaned_data.get("ends_on")
        if ends_on and ends_on < timezone.localdate():
            raise ValidationError("The end date must be today or in the future.")
        # A date like 31 12 9999 is real but is "never": it would also overflow the end time.
        if ends_on and ends_on.year > timezone.localdate().year + LONGEST_LINK_YEARS:
            raise ValidationError(
                f"The end date must be within {LONGEST_LINK_YEARS} years. Leave it empty to keep "
                "the link working until you switch it off."
            )
        return ends_on

    @property
    def expires_at(self):
        """The end of the chosen day, local time, or None."""
        ends_on = self.cleaned_data.get("ends_on")
        if not ends_on:
            return None
        end = datetime.datetime.combine(ends_on + datetime.timedelta(days=1), datetime.time.min)
        return timezone.make_aware(end)


class AddToShortlistForm(GovukFormMixin, forms.Form):
    """Choose a shortlist (or start one) and write a note about the listing."""

    NEW = "new"

    shortlist = forms.ChoiceField(label="Which shortlist?")
    new_title = forms.CharField(
        label="Name of the new shortlist",
        max_length=120,
        required=False,
        help_text='Only if you chose a new shortlist. For example "Options for Mrs P: getting out".',
    )
    note = forms.CharField(
        label="Note (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this might suit them, or something to ask. Up to 500 characters.",
    )
    note_shared = forms.BooleanField(label="Show this note to the person", required=False)

    def __init__(self, *args, shortlists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.shortlists = {str(s.public_id): s for s in shortlists}
        self.fields["shortlist"].choices = [
            *((key, s.title) for key, s in self.shortlists.items()),
            (self.NEW, "A new shortlist"),
        ]
        self._decorate()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("shortlist") == self.NEW and not (cleaned.get("new_title") or "").strip():
            self.add_error("new_title", "Enter a name for the new shortlist.")
        return cleaned

    @property
    def chosen_shortlist(self) -> Shortlist | None:
        """The existing shortlist chosen, or None for a new one."""
        return self.shortlists.get(self.cleaned_data.get("shortlist"))


class ItemForm(GovukFormMixin, forms.Form):
    """Change a note on a shortlisted listing."""

    note = forms.CharField(
        label="Note",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Up to 500 characters.",
    )
    note_shared = forms.BooleanField(label="Show this note to the person", required=False)


class EmailShortlistForm(GovukFormMixin, forms.Form):
    """Send the shortlist to the person (or someone helping them)."""

    email = forms.EmailField(
        label="Their email address",
        help_text="We send the link and your shared notes. We do not keep this address.",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    message = forms.CharField(
        label="A short message (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CommentForm(GovukFormMixin, forms.Form):
    """A comment on a shared shortlist."""

    name = forms.CharField(
        label="Your name",
        max_length=60,
        help_text="Everyone with the link sees this. A first name is enough.",
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    text = forms.CharField(label="Comment", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    widths = {"name": "govuk-input--width-20"}


def validate_reply_to(value: str) -> str:
    """An email address, or a UK-style phone number with 10 to 13 digits."""
    value = " ".join(value.split())
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(
                "Enter an email address like name@example.com, or a phone number."
            ) from None
        return value
    digits = PHONE_DIGITS.findall(value)
    if not 10 <= len(digits) <= 13 or re.search(r"[^\d\s()+-]", value):
        raise ValidationError("Enter a phone number like 01204 123456, or an email address.")
    return value


class EnquiryForm(GovukFormMixin, forms.Form):
    """A message to a provider: who it is from, how to reply, and what it is about."""

    listing = forms.UUIDField(widget=forms.HiddenInput)
    shortlist = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=SHORTLIST_TOKEN_MAX_LENGTH
    )
    name = forms.CharField(
        label="Your name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    reply_to = forms.CharField(
        label="How should they reply?",
        max_length=200,
        help_text="Your email address or phone number.",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    message = forms.CharField(
        label="Your message",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Say what you are looking for and when. Do not include medical details. "
        "Up to 2000 characters.",
    )
    widths = {"name": "govuk-input--width-20"}

    def clean_reply_to(self):
        return validate_reply_to(self.cleaned_data["reply_to"])


class SaveSearchForm(GovukFormMixin, forms.Form):
    """How often to email about new matches."""

    frequency = forms.ChoiceField(
        label="How often should we email you?",
        choices=SavedSearch.Frequency.choices,
        initial=SavedSearch.Frequency.WEEKLY,
        widget=forms.RadioSelect,
    )


class VerificationRequestForm(GovukFormMixin, forms.Form):
    """Ask a coordinator to check that someone is a professional."""

    job_title = forms.CharField(label="Your job", max_length=120, help_text="For example GP, social worker.")
    organisation = forms.CharField(
        label="Where you work", max_length=120, help_text="For example Bolton Council adult social care."
    )


class ReportPeriodForm(forms.Form):
    """The period the demand report covers (both days included)."""

    start = forms.DateField(label="From", input_formats=DATE_FORMATS, widget=DateInput())
    end = forms.DateField(label="To", input_formats=DATE_FORMATS, widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be the same as or after the start date.")
        if start and end and (end - start).days > 3 * 366:
            self.add_error("start", "Choose a period of three years or less.")
        return cleaned
