"""Web security the settings alone cannot give: extra headers, the content security policy's
per-request parts, two-factor sign-in for powerful accounts, idle sign-out and friendly
refusals (CSRF, the admins' own login pages).
"""

import time
from urllib.parse import urlsplit

from allauth.mfa.adapter import DefaultMFAAdapter
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .models import Role

# Accounts whose holders must sign in with a second factor: they see other people's details
# (professionals) or change what everyone sees (coordinators, superusers).
TWO_FACTOR_ROLES = (Role.COORDINATOR.value, Role.PROFESSIONAL.value)
TWO_FACTOR_REQUIRED_MESSAGE = (
    "Set up two-factor authentication before you carry on. Coordinators and professionals sign in "
    "with a code from an authenticator app (such as Google Authenticator or Microsoft Authenticator) "
    "as well as their password, because their accounts can see or change other people's information."
)
IDLE_SIGN_OUT_MESSAGE = (
    "You were signed out because you had not used the site for {minutes} minutes. Sign in again to carry on."
)
LAST_SEEN_SESSION_KEY = "lsm_last_seen"


def _request_role_names(request) -> set[str]:
    """The signed-in user's group names, read once per request (two middlewares need them)."""
    names = getattr(request, "_lsm_role_names", None)
    if names is None:
        names = request._lsm_role_names = set(request.user.groups.values_list("name", flat=True))
    return names


def two_factor_required(user, role_names=None) -> bool:
    """True for superusers, coordinators and professionals: they must use an authenticator app."""
    if user.is_superuser:
        return True
    if role_names is None:
        role_names = set(user.groups.values_list("name", flat=True))
    return bool(role_names & set(TWO_FACTOR_ROLES))


def has_totp(user) -> bool:
    """True when the person has set up an authenticator app."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def set_up_totp(user, secret: str) -> None:
    """Give `user` an authenticator app with this base32 secret, replacing any they had.

    For the demo accounts and test factories only: real people scan a new secret's QR code at
    /accounts/2fa/totp/activate/.
    """
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
    TOTP.activate(user, secret)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class MFAAdapter(DefaultMFAAdapter):
    """allauth.mfa with plainer messages, and no switching it off for those who must use it."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": (
            "That code is not right. Enter the 6-digit code your authenticator app shows now "
            "(each code works once, for about 30 seconds)."
        ),
        "cannot_delete_authenticator": (
            "Coordinators and professionals must keep two-factor authentication on. If you have a new "
            "phone, sign in with a recovery code, or ask the site's administrators to reset it."
        ),
    }

    def can_delete_authenticator(self, authenticator) -> bool:
        """Only people who are not required to use an authenticator app may remove theirs."""
        return not two_factor_required(authenticator.user)


class SecurityHeadersMiddleware:
    """Add the headers Django's SecurityMiddleware does not: Permissions-Policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        return response


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, plus the parts of the policy that depend on the request.

    - A Stripe-compatible server set in STRIPE_API_BASE (the tests' stand-in) hosts checkout and
      onboarding pages, so our forms that redirect there need it in form-action. It is read per
      request because tests change the setting while running.
    - A response a view marked `X-Frame-Options: SAMEORIGIN` (Wagtail's preview) may be framed
      by our own pages, so frame-ancestors follows it.
    - The Wagtail admin (/admin/ only) gets ADMIN_CSP_REPLACE: see its comment in settings.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only:
            return parts
        update = dict(parts.update or {})
        replace = dict(parts.replace or {})
        stripe_origin = _origin(getattr(settings, "STRIPE_API_BASE", "") or "")
        if stripe_origin:
            update["form-action"] = [*update.get("form-action", []), stripe_origin]
        if response.get("X-Frame-Options", "").upper() == "SAMEORIGIN":
            replace["frame-ancestors"] = ["'self'"]
        if request.path_info.startswith("/admin/"):
            replace.update(getattr(settings, "ADMIN_CSP_REPLACE", {}))
        parts.update = update or None
        parts.replace = replace or None
        return parts


class RequireTwoFactorMiddleware:
    """Send coordinators, professionals and superusers without an authenticator app to set one up.

    They may still use their account pages (/accounts/: sign out, set up two-factor
    authentication, change password) and static files; everything else waits until they have.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.allowed_prefixes = ("/accounts/", settings.STATIC_URL)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path_info.startswith(self.allowed_prefixes)
            and two_factor_required(user, _request_role_names(request))
            and not has_totp(user)
        ):
            messages.warning(request, TWO_FACTOR_REQUIRED_MESSAGE)
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class StaffIdleTimeoutMiddleware:
    """Sign coordinators, staff and superusers out after STAFF_IDLE_TIMEOUT_SECONDS without a request.

    Their accounts can change the whole directory, and they often work on shared computers.
    """

    # Only rewrite the session when the last request was a while ago, not on every request.
    TOUCH_EVERY_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = getattr(settings, "STAFF_IDLE_TIMEOUT_SECONDS", 0)
        user = getattr(request, "user", None)
        if (
            timeout
            and user is not None
            and user.is_authenticated
            and (user.is_staff or user.is_superuser or Role.COORDINATOR.value in _request_role_names(request))
        ):
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
            if last_seen is not None and now - last_seen > timeout:
                logout(request)
                messages.info(request, IDLE_SIGN_OUT_MESSAGE.format(minutes=timeout // 60))
                return redirect_to_login(request.get_full_path(), login_url=settings.LOGIN_URL)
            if last_seen is None or now - last_seen >= self.TOUCH_EVERY_SECONDS:
                request.session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)


def wagtail_admin_login(request):
    """The Wagtail admin's login page: everyone signs in through allauth instead.

    So a password alone never opens the admin: allauth asks for the two-factor code. Someone
    already signed in who may not use the admin goes to the home page, where Wagtail's
    "You do not have permission" message shows (sending them back to sign in would loop).
    """
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    if not request.user.is_authenticated:
        return redirect_to_login(next_url or reverse("wagtailadmin_home"), login_url=settings.LOGIN_URL)
    if request.user.has_perm("wagtailadmin.access_admin"):
        return redirect(next_url or reverse("wagtailadmin_home"))
    return redirect("/")


def csrf_failure(request, reason=""):
    """A form sent without its security token (often: the page was open too long)."""
    return render(request, "403_csrf.html", status=403)
