"""Professionals' first minutes: where they land, their header link, and verification at sign-up.

A person who says at sign-up that they work for the NHS or a council, with an email address
at an allow-listed domain (settings.PROFESSIONAL_EMAIL_DOMAINS), is verified as soon as that
address is confirmed (the link allauth emails them). Anyone else is sent to /professional/,
which says how a coordinator checks them.
"""

from allauth.account.signals import email_confirmed
from django.contrib import messages
from django.dispatch import receiver
from django.urls import reverse

from cms.landing import NavLink
from cms.signals import account_created, demo_users_loaded

from . import services
from .models import ProfessionalVerification

PROFESSIONAL = "professional"
HOW_VERIFICATION_WORKS = (
    "Before you can make shortlists, a coordinator checks that you work for the NHS, a council or "
    "a support organisation. Tell us your job title and organisation below; we will email you when "
    "you are verified."
)

VERIFIED_BY_EMAIL = "Your work email is confirmed, so your account is verified. You can now make shortlists."


def professional_landing(user) -> str | None:
    """Verified professionals start at their shortlists."""
    return reverse("signposting:shortlists") if services.is_verified_professional(user) else None


def professional_navigation(user) -> list[NavLink]:
    """A "Shortlists" link for verified professionals."""
    if services.is_verified_professional(user):
        return [NavLink("Shortlists", reverse("signposting:shortlists"))]
    return []


def _verify_if_allowed(user) -> bool:
    if services.can_verify_by_email(user):
        services.verify_professional(user=user, method=ProfessionalVerification.Method.EMAIL_DOMAIN)
        return True
    return False


@receiver(account_created, dispatch_uid="signposting.onboarding.account_created")
def professional_signed_up(sender, *, user, purpose, request=None, **kwargs):
    """Note a professional with an allow-listed email, so confirming it verifies them."""
    if purpose != PROFESSIONAL:
        return
    if services.email_domain_allowed(user.email):
        # Shown to coordinators as waiting until the address is confirmed: true, and harmless.
        ProfessionalVerification.objects.get_or_create(user=user)
        _verify_if_allowed(user)
    elif request is not None:
        messages.info(request, HOW_VERIFICATION_WORKS)


@receiver(email_confirmed, dispatch_uid="signposting.onboarding.email_confirmed")
def professional_email_confirmed(sender, *, request=None, email_address=None, **kwargs):
    """Verify a professional who asked to be one as soon as their allow-listed address is confirmed."""
    user = getattr(email_address, "user", None)
    if user is None:
        return
    waiting = ProfessionalVerification.objects.filter(user=user, verified_at__isnull=True).exists()
    if waiting and _verify_if_allowed(user) and request is not None:
        messages.success(request, VERIFIED_BY_EMAIL)


@receiver(demo_users_loaded, dispatch_uid="signposting.onboarding.demo_users_loaded")
def verify_demo_professional(sender, *, users, **kwargs):
    """The demo's professional is verified by the demo coordinator, so shortlists work at once."""
    professional, coordinator = users.get("professional"), users.get("coordinator")
    if professional is None or coordinator is None:
        return
    services.request_professional_verification(
        user=professional, organisation="Bolton GP Federation", job_title="Social prescribing link worker"
    )
    services.verify_professional(
        user=professional, method=ProfessionalVerification.Method.COORDINATOR, by=coordinator
    )
