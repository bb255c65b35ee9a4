"""Forms for the holder's data rights and the coordinators' audit log screens.

The holder's forms use `GovukFormMixin` (GOV.UK classes, hints and errors linked to their
fields); the admin forms are plain Django forms drawn in Wagtail's own markup.
"""

from django import forms

from cms.forms import GovukFormMixin

from . import audit


class ConfirmErasureForm(GovukFormMixin, forms.Form):
    """The holder types their email address to confirm they want their data erased."""

    email = forms.CharField(
        label="Type your email address to confirm",
        help_text="The one you sign in with.",
        max_length=254,
        error_messages={"required": "Enter your email address to confirm you want your data erased"},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    widths = {"email": "govuk-!-width-two-thirds"}

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self):
        typed = self.cleaned_data["email"].strip()
        if typed.lower() != (self.user.email or "").lower():
            raise forms.ValidationError(
                "The email address does not match the one you sign in with: type it again"
            )
        return typed


class AuditFilterForm(forms.Form):
    """Filters for the coordinators' audit log: holder's email, action, and a date range."""

    email = forms.CharField(label="Holder's email address contains", required=False, max_length=254)
    action = forms.ChoiceField(label="What was done", required=False)
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Anything"), *sorted(audit.ACTIONS.items(), key=lambda i: i[1])]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date must be the same as or after the start date")
        return cleaned


class StaffReasonForm(forms.Form):
    """Why a coordinator is opening a holder's record (the holder sees this reason)."""

    reason = forms.CharField(
        label="Why do you need to look at this person's record?",
        help_text=(
            "The person will see this on their 'Who has seen my information' page, for example "
            "'Annual audit of direct payments' or 'They phoned asking about a refund'."
        ),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason you need to look at this record"},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 5:
            raise forms.ValidationError("Say a little more about why: the person will read it")
        return reason


class StaffErasureForm(StaffReasonForm):
    """A coordinator erases a holder's personal data: a reason and a confirmation."""

    reason = forms.CharField(
        label="Why are you erasing this person's data?",
        help_text="For example 'They asked by letter on 3 March'. Kept in the audit log.",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason for erasing this person's data"},
    )
    confirm = forms.BooleanField(
        label="I understand this cannot be undone",
        error_messages={"required": "Confirm that you understand this cannot be undone"},
    )
