"""Forms for helpers (delegates): inviting one, changing what they may do, and choosing whose
budget to work on. GOV.UK Design System markup comes from `GovukFormMixin`."""

from django import forms

from cms.forms import GovukFormMixin

from .acting import ABILITY_WORDS, PAY, REQUEST, STATEMENTS, budgets_for, holder_name
from .models import Delegate

# The levels a holder can add on top of viewing, as tick boxes.
PERMISSION_CHOICES = [
    ("request", f"Ask for support: {ABILITY_WORDS[REQUEST]}"),
    ("pay", f"Pay: {ABILITY_WORDS[PAY]}"),
    ("statements", f"Statements: {ABILITY_WORDS[STATEMENTS]}"),
]
PERMISSION_HELP = (
    "They can always see your budget, support plan, orders and receipts. "
    "Tick nothing if they should only look. Select all that apply."
)


def permission_flags(chosen) -> dict[str, bool]:
    """The tick boxes as the keyword arguments the delegation services take."""
    chosen = set(chosen or ())
    return {
        "can_request": "request" in chosen,
        "can_pay": "pay" in chosen,
        "can_download_statements": "statements" in chosen,
    }


def permission_initial(delegate: Delegate) -> list[str]:
    """The tick boxes for a helper's current permissions."""
    flags = {
        "request": delegate.can_request,
        "pay": delegate.can_pay,
        "statements": delegate.can_download_statements,
    }
    return [name for name, on in flags.items() if on]


def _permissions_field(label: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=PERMISSION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=PERMISSION_HELP,
    )


class InviteDelegateForm(GovukFormMixin, forms.Form):
    """Who to invite, how they know the holder, and what they may do."""

    widths = {"name": "govuk-!-width-two-thirds", "email": "govuk-!-width-two-thirds"}

    name = forms.CharField(
        label="Their name",
        max_length=100,
        error_messages={
            "required": "Enter their name",
            "max_length": "Their name must be 100 characters or fewer",
        },
    )
    email = forms.EmailField(
        label="Their email address",
        help_text="We will email them a link to accept. They sign in with this address.",
        error_messages={
            "required": "Enter their email address",
            "invalid": "Enter an email address in the right format, like name@example.com",
        },
    )
    relationship = forms.ChoiceField(
        label="How do they help you?",
        choices=Delegate.Relationship.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how they help you"},
    )
    permissions = _permissions_field("What may they do?")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "spellcheck": "false"})


class ChangeDelegateForm(GovukFormMixin, forms.Form):
    """What a helper may do, changed by the holder."""

    permissions = _permissions_field("What may they do?")


class SwitchBudgetForm(GovukFormMixin, forms.Form):
    """Whose budget to work on now, for people who can see more than one."""

    budget = forms.ChoiceField(
        label="Whose budget do you want to work on?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whose budget you want to work on"},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for budget in budgets_for(user).select_related("holder").order_by("pk"):
            if budget.holder_id == user.pk:
                choices.insert(0, (str(budget.public_id), f"Your own budget ({holder_name(budget)})"))
            else:
                choices.append((str(budget.public_id), holder_name(budget)))
        self.fields["budget"].choices = choices
