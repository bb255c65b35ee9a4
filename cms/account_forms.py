"""The account forms (allauth's, with the site's labels, GOV.UK classes and plain error messages).

Set in settings as ACCOUNT_FORMS and MFA_FORMS. Every form here can give an error summary
that names the field ("Enter your email address"), in the order the fields appear.
"""

from allauth.account import forms as account_forms
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.totp import forms as totp_forms
from django import forms

from .forms import GovukFormMixin
from .signals import account_created

# The message shown when a field is left empty, by allauth's field name.
REQUIRED_MESSAGES = {
    "login": "Enter your email address",
    "email": "Enter your email address",
    "password": "Enter your password",
    "oldpassword": "Enter your current password",
    "password1": "Enter a password",
    "password2": "Enter the password again",
    "first_name": "Enter your first name",
    "last_name": "Enter your last name",
    "purpose": "Select what you are here for",
    "code": "Enter the 6-digit code",
}
INVALID_EMAIL = "Enter an email address in the correct format, like name@example.com"
# Sentence case, and words people use (allauth says "Email", "Password (again)", "Remember Me").
LABELS = {
    "login": "Email address",
    "email": "Email address",
    "password": "Password",
    "remember": "Keep me signed in on this device",
    "oldpassword": "Current password",
    "password1": "New password",
    "password2": "Type the new password again",
    "code": "Code",
}


class GovukAccountFormMixin(GovukFormMixin):
    """The shared GOV.UK kit (`cms.forms.GovukFormMixin`) with the account pages' words.

    Sentence-case labels, "Enter your email address"-style messages, and no placeholders.
    """

    labels: dict[str, str] = {}
    widths = {"code": "govuk-input--width-10"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            label = self.labels.get(name, LABELS.get(name))
            if label:
                field.label = label
            if name in REQUIRED_MESSAGES:
                field.error_messages["required"] = REQUIRED_MESSAGES[name]
            if isinstance(field, forms.EmailField):
                field.error_messages["invalid"] = INVALID_EMAIL
            # Placeholders vanish as people type and are often mistaken for filled-in values.
            field.widget.attrs.pop("placeholder", None)
        self._decorate()


class LoginForm(GovukAccountFormMixin, account_forms.LoginForm):
    """Sign in with an email address and password."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # allauth puts a "Forgot your password?" link in the help text; the page has its own.
        self.fields["password"].help_text = ""
        self._decorate()


PURPOSE_CHOICES = [
    ("holder", "I hold a direct payment, or help someone who does"),
    ("provider", "I run a small local service"),
    ("professional", "I work for the NHS or a council and signpost people to support"),
    ("looking", "I am just looking"),
]
# Where the adapter keeps the answer until the first redirect after signing up.
PURPOSE_SESSION_KEY = "lsm_signup_purpose"


class SignupForm(GovukAccountFormMixin, account_forms.SignupForm):
    """Create an account: name, what the person is here for, email address and a password."""

    labels = {"password1": "Create a password", "password2": "Type the password again"}

    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    purpose = forms.ChoiceField(
        label="What are you here for?",
        choices=PURPOSE_CHOICES,
        widget=forms.RadioSelect,
        help_text="This decides what you see first. You can do everything else later.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = "We will send you a link to confirm it."
        self.order_fields(["first_name", "last_name", "purpose", "email", "password1", "password2"])
        self._decorate()

    def save(self, request):
        """Create the account, remember what the person came for, and tell the other apps."""
        user = super().save(request)
        purpose = self.cleaned_data["purpose"]
        request.session[PURPOSE_SESSION_KEY] = purpose
        account_created.send(sender=type(self), user=user, purpose=purpose, request=request)
        return user


class ResetPasswordForm(GovukAccountFormMixin, account_forms.ResetPasswordForm):
    """Ask for a link to set a new password."""


class ResetPasswordKeyForm(GovukAccountFormMixin, account_forms.ResetPasswordKeyForm):
    """Choose a new password from the emailed link."""


class ChangePasswordForm(GovukAccountFormMixin, account_forms.ChangePasswordForm):
    """Change the password of a signed-in account."""


class SetPasswordForm(GovukAccountFormMixin, account_forms.SetPasswordForm):
    """Set a password on an account that has none."""

    labels = {"password1": "Password", "password2": "Type the password again"}


class AddEmailForm(GovukAccountFormMixin, account_forms.AddEmailForm):
    """Add another email address to the account."""


class ReauthenticateForm(GovukAccountFormMixin, account_forms.ReauthenticateForm):
    """Enter the password again before a sensitive change."""


class AuthenticateForm(GovukAccountFormMixin, mfa_base_forms.AuthenticateForm):
    """The two-step code (or a recovery code) when signing in."""

    labels = {"code": "Code from your authenticator app, or a recovery code"}


class MFAReauthenticateForm(GovukAccountFormMixin, mfa_base_forms.ReauthenticateForm):
    """The two-step code again before a sensitive change."""


class ActivateTOTPForm(GovukAccountFormMixin, totp_forms.ActivateTOTPForm):
    """Check the first code from a newly added authenticator app."""

    labels = {"code": "Code from your authenticator app"}
