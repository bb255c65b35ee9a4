"""The "Your account" page: the way into every account page (email, password, two-step)."""

from allauth.account.models import EmailAddress
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .landing import navigation_for
from .security import has_totp, two_factor_required


@require_GET
@login_required
def account_overview(request):
    """Name, email addresses, password, two-step verification, and the person's own places."""
    user = request.user
    return render(
        request,
        "account/overview.html",
        {
            "emails": EmailAddress.objects.filter(user=user).order_by("-primary", "email"),
            "has_totp": has_totp(user),
            "two_factor_required": two_factor_required(user),
            "places": navigation_for(user),
        },
    )
