"""Helpers (delegates): a budget holder invites a family member, broker or advocate by email,
chooses what they may do, changes it or withdraws it at any time.

Each operation is a keyword-only function that raises a `DelegationError` (or a subclass)
whose message can be shown to the person as it is. The invitation token is only ever in the
email: the database keeps its SHA-256, so a copy of the database cannot be used to accept.
Permission checks (`permissions_for`) read the `Delegate` row on every request, so a
change or a withdrawal takes effect on the helper's very next page.
"""

import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cms.mail import send_mail
from cms.models import Role
from cms.site import site_url

from .. import audit
from ..acting import (
    ABILITY_WORDS,
    MANAGE,
    PAY,
    REQUEST,
    STATEMENTS,
    VIEW,
    can,
    holder_name,
)
from ..models import Budget, Delegate
from .common import MarketplaceError, NotPermitted

INVITATION_LIFETIME = timedelta(days=14)


class DelegationError(MarketplaceError):
    """An invitation or a change to a helper cannot be made; `str(error)` says why.

    `field` names the form field the message belongs to ("email"), when there is one.
    """

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class InvitationNotFound(DelegationError):
    """The link does not match any invitation (mistyped, cut short or tampered with)."""


class InvitationUnusable(DelegationError):
    """The invitation exists but can no longer be used: expired, used, withdrawn or turned down."""


class WrongAccount(DelegationError):
    """The person signed in is not the one the invitation was sent to."""


def hash_token(token: str) -> str:
    """The SHA-256 (hex) of an invitation token: what the database keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def abilities(*, can_request: bool, can_pay: bool, can_download_statements: bool) -> list[str]:
    """What a helper with these choices may do, in plain words (viewing is always included)."""
    words = [ABILITY_WORDS[VIEW]]
    if can_request:
        words.append(ABILITY_WORDS[REQUEST])
    if can_pay:
        words.append(ABILITY_WORDS[PAY])
    if can_download_statements:
        words.append(ABILITY_WORDS[STATEMENTS])
    return words


def delegate_abilities(delegate: Delegate) -> list[str]:
    """What this helper may do, in plain words."""
    return abilities(
        can_request=delegate.can_request,
        can_pay=delegate.can_pay,
        can_download_statements=delegate.can_download_statements,
    )


# --- Inviting ----------------------------------------------------------------------------


def _new_token(delegate: Delegate) -> str:
    token = secrets.token_urlsafe(32)
    delegate.invite_token_hash = hash_token(token)
    delegate.invite_expires_at = timezone.now() + INVITATION_LIFETIME
    return token


def accept_path(token: str) -> str:
    """The address (path) of the invitation page for `token`."""
    return reverse("marketplace:delegate_accept", args=[token])


def _email_invitation(delegate: Delegate, token: str, *, by) -> None:
    """Send the invitation once the transaction has committed (never for a rollback)."""
    budget = delegate.budget
    context = {
        "delegate": delegate,
        "inviter": str(by),
        "holder": holder_name(budget),
        "for_someone_else": by.pk != budget.holder_id,
        "abilities": delegate_abilities(delegate),
        "link": site_url(accept_path(token)),
        "expires_at": delegate.invite_expires_at,
    }
    subject = f"{context['inviter']} has asked you to help with their direct payment"
    body = render_to_string("marketplace/emails/delegate_invitation.txt", context)
    recipient = delegate.email
    # Queued and retried (cms.mail); the holder can also resend it from the helpers page.
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient], fail_silently=True))


def invite_delegate(
    *,
    budget: Budget,
    by,
    name: str,
    email: str,
    relationship: str = Delegate.Relationship.FAMILY,
    can_request: bool = False,
    can_pay: bool = False,
    can_download_statements: bool = False,
) -> Delegate:
    """Invite someone to help with `budget`: they get an email with a link valid for 14 days.

    Only the holder may invite. Nobody can invite themselves, nor someone who already helps
    or has an invitation waiting (send that one again instead).
    """
    if not can(by, budget, MANAGE):
        raise NotPermitted("Only the budget holder can invite helpers.")
    name, email = name.strip(), email.strip()
    if not name:
        raise DelegationError("Enter their name", field="name")
    if not email:
        raise DelegationError("Enter their email address", field="email")
    if email.lower() == budget.holder.email.lower():
        raise DelegationError(
            "You cannot invite yourself: enter the email address of the person helping you", field="email"
        )
    current = Delegate.objects.filter(
        budget=budget, status__in=(Delegate.Status.INVITED, Delegate.Status.ACTIVE)
    )
    if current.filter(email__iexact=email).exists() or current.filter(user__email__iexact=email).exists():
        raise DelegationError(
            f"{email} already helps you or has an invitation waiting. "
            "You can change what they may do, or send the invitation again, from your list of helpers.",
            field="email",
        )
    if relationship not in Delegate.Relationship.values:
        raise DelegationError("Select how they help you", field="relationship")
    with transaction.atomic():
        delegate = Delegate(
            budget=budget,
            name=name[:100],
            email=email,
            relationship=relationship,
            can_request=can_request,
            can_pay=can_pay,
            can_download_statements=can_download_statements,
            invited_by=by,
        )
        token = _new_token(delegate)
        delegate.save()
        audit.record(actor=by, action="invited_delegate", budget=budget, obj=delegate)
        _email_invitation(delegate, token, by=by)
    return delegate


def resend_invitation(*, delegate: Delegate, by) -> Delegate:
    """Send a waiting invitation again with a new link (the old link stops working)."""
    if not can(by, delegate.budget, MANAGE):
        raise NotPermitted("Only the budget holder can send invitations.")
    with transaction.atomic():
        delegate = Delegate.objects.select_for_update().select_related("budget__holder").get(pk=delegate.pk)
        if delegate.status != Delegate.Status.INVITED:
            raise InvitationUnusable(
                f"{delegate.name} is no longer waiting for an invitation, so it cannot be sent again."
            )
        token = _new_token(delegate)
        delegate.save(update_fields=["invite_token_hash", "invite_expires_at"])
        audit.record(
            actor=by, action="invited_delegate", budget=delegate.budget, obj=delegate, detail="resent"
        )
        _email_invitation(delegate, token, by=by)
    return delegate


# --- Answering an invitation -------------------------------------------------------------


def invitation_for(token: str) -> Delegate:
    """The invitation a link's token belongs to, whatever its state; `InvitationNotFound` if none."""
    if not token or len(token) > 100:
        raise InvitationNotFound(_NOT_FOUND)
    delegate = (
        Delegate.objects.select_related("budget__holder", "invited_by")
        .filter(invite_token_hash=hash_token(token))
        .first()
    )
    if delegate is None:
        raise InvitationNotFound(_NOT_FOUND)
    return delegate


_NOT_FOUND = (
    "We cannot find this invitation. Check you copied the whole link from the email, or ask the "
    "person who invited you to send it again."
)


def check_usable(delegate: Delegate) -> None:
    """Raise `InvitationUnusable` (with the reason) unless the invitation can still be answered."""
    holder = holder_name(delegate.budget)
    if delegate.status == Delegate.Status.ACTIVE:
        raise InvitationUnusable("This invitation has already been accepted.")
    if delegate.status == Delegate.Status.DECLINED:
        raise InvitationUnusable(
            f"This invitation was turned down. If you want to help, ask {holder} to invite you again."
        )
    if delegate.status == Delegate.Status.WITHDRAWN:
        raise InvitationUnusable(f"{holder} has withdrawn this invitation.")
    if delegate.invite_expires_at is None or delegate.invite_expires_at <= timezone.now():
        raise InvitationUnusable(
            f"This invitation has expired. Ask {holder} to send you a new one from their list of helpers."
        )


def accept_invitation(*, token: str, user) -> Delegate:
    """The invited person, signed in with the address the invitation went to (verified), accepts it.

    From now on they can see the budget, and do what the holder chose, until access is withdrawn.
    """
    if not getattr(user, "is_authenticated", False):
        raise NotPermitted("Sign in or create an account to accept this invitation.")
    delegate = invitation_for(token)
    with transaction.atomic():
        delegate = Delegate.objects.select_for_update().select_related("budget__holder").get(pk=delegate.pk)
        check_usable(delegate)
        if delegate.budget.holder_id == user.pk:
            raise WrongAccount("This is an invitation to help you: send the link to the person helping you.")
        if user.email.lower() != delegate.email.lower():
            raise WrongAccount(
                f"This invitation was sent to {delegate.email}, but you are signed in as {user.email}. "
                f"Sign out, then sign in (or create an account) with {delegate.email}."
            )
        # The address must be proven to be theirs: an account can be made with any address.
        if not EmailAddress.objects.filter(user=user, email__iexact=delegate.email, verified=True).exists():
            raise WrongAccount(
                f"Please confirm your email address {user.email} first: open the link we emailed you when "
                "you created your account (or ask for a new one on your account's email page), then come "
                "back to this invitation."
            )
        if Delegate.objects.filter(budget=delegate.budget, user=user, status=Delegate.Status.ACTIVE).exists():
            raise InvitationUnusable(f"You already help {holder_name(delegate.budget)}.")
        delegate.user = user
        delegate.status = Delegate.Status.ACTIVE
        delegate.accepted_at = timezone.now()
        try:
            with transaction.atomic():
                delegate.save(update_fields=["user", "status", "accepted_at"])
        except IntegrityError as exc:  # accepted twice at the same moment
            raise InvitationUnusable(f"You already help {holder_name(delegate.budget)}.") from exc
        user.groups.add(Group.objects.get_or_create(name=Role.DELEGATE.value)[0])
        audit.record(actor=user, action="delegate_accepted", budget=delegate.budget, obj=delegate)
    return delegate


def decline_invitation(*, token: str, user=None) -> Delegate:
    """The invited person says no. Having the link is enough: nobody needs an account to decline."""
    delegate = invitation_for(token)
    with transaction.atomic():
        delegate = Delegate.objects.select_for_update().select_related("budget__holder").get(pk=delegate.pk)
        check_usable(delegate)
        delegate.status = Delegate.Status.DECLINED
        delegate.save(update_fields=["status"])
        audit.record(
            actor=user,
            action="declined_delegate",
            budget=delegate.budget,
            obj=delegate,
            role="the person invited to help",
        )
    return delegate


# --- Changing and withdrawing ------------------------------------------------------------


def change_permissions(
    *, delegate: Delegate, by, can_request: bool, can_pay: bool, can_download_statements: bool
) -> Delegate:
    """The holder changes what a helper may do; it applies from the helper's next page."""
    if not can(by, delegate.budget, MANAGE):
        raise NotPermitted("Only the budget holder can change what helpers may do.")
    with transaction.atomic():
        delegate = Delegate.objects.select_for_update().select_related("budget__holder").get(pk=delegate.pk)
        if delegate.status not in (Delegate.Status.INVITED, Delegate.Status.ACTIVE):
            raise InvitationUnusable(f"{delegate.name} no longer has access, so there is nothing to change.")
        delegate.can_request = can_request
        delegate.can_pay = can_pay
        delegate.can_download_statements = can_download_statements
        delegate.save(update_fields=["can_request", "can_pay", "can_download_statements"])
        granted = [
            p
            for p, on in (("request", can_request), ("pay", can_pay), ("statements", can_download_statements))
            if on
        ]
        audit.record(
            actor=by,
            action="changed_delegate",
            budget=delegate.budget,
            obj=delegate,
            detail="may view" + "".join(f", {p}" for p in granted),
        )
    return delegate


def withdraw(*, delegate: Delegate, by) -> Delegate:
    """End a helper's access (or a waiting invitation) at once.

    The holder may withdraw anyone; a helper may step down themselves. Either way the
    holder can see it in their list of helpers, and the helper's next page no longer shows
    the budget.
    """
    by_holder = can(by, delegate.budget, MANAGE)
    by_self = delegate.user_id is not None and delegate.user_id == getattr(by, "pk", None)
    if not (by_holder or by_self):
        raise NotPermitted("You cannot withdraw this helper.")
    with transaction.atomic():
        delegate = Delegate.objects.select_for_update().select_related("budget__holder").get(pk=delegate.pk)
        if delegate.status not in (Delegate.Status.INVITED, Delegate.Status.ACTIVE):
            raise InvitationUnusable(f"{delegate.name} does not have access now.")
        delegate.status = Delegate.Status.WITHDRAWN
        delegate.withdrawn_at = timezone.now()
        delegate.withdrawn_by = by
        delegate.save(update_fields=["status", "withdrawn_at", "withdrawn_by"])
        audit.record(
            actor=by,
            action="withdrew_delegate",
            budget=delegate.budget,
            obj=delegate,
            detail="" if by_holder else "stepped down",
        )
        if not by_holder:
            _email_holder_stepped_down(delegate)
    return delegate


def _email_holder_stepped_down(delegate: Delegate) -> None:
    holder_email = delegate.budget.holder.email
    body = (
        f"{delegate.name} has stopped helping with your direct payment. They can no longer see "
        f"your budget or act for you.\n\nSee who helps you: {site_url(reverse('marketplace:delegates'))}\n"
    )
    transaction.on_commit(
        lambda: send_mail(
            f"{delegate.name} has stopped helping you", body, None, [holder_email], fail_silently=True
        )
    )
