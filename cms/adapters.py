"""allauth's account adapter: where people go after signing in or creating an account."""

from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import reverse

from .account_forms import PURPOSE_SESSION_KEY
from .landing import landing_url, registered_landing
from .site import on_site

# The next step for each answer to "What are you here for?", by URL name. A new account that
# already has a place of its own (a professional verified by their work email) goes there.
SIGNUP_NEXT_STEP = {
    "holder": "marketplace:dashboard",  # explains direct payments and sets up a budget
    "provider": "my:dashboard",  # "My listings": add the organisation and its first listing
    "professional": "signposting:professional",  # how verification works, and asking for it
    "looking": "search",
}


class SiteAddress:
    """What allauth's email templates read from `current_site`, taken from SITE_URL."""

    def __init__(self):
        self.name = settings.WAGTAIL_SITE_NAME
        self.domain = urlsplit(settings.SITE_URL).netloc


class AccountAdapter(DefaultAccountAdapter):
    """Each role lands in its own place (see cms.landing), unless a `next` address was given
    (allauth checks `next` before asking the adapter)."""

    def get_login_redirect_url(self, request):
        """Where a person goes after signing in: their role's place (coordinators' admin, the
        budget, "My listings", shortlists), or the first step for what they came for."""
        purpose = request.session.pop(PURPOSE_SESSION_KEY, None)
        if purpose in SIGNUP_NEXT_STEP:
            return registered_landing(request.user) or reverse(SIGNUP_NEXT_STEP[purpose])
        return landing_url(request.user)

    def send_mail(self, template_prefix, email, context):
        """allauth's emails (confirm your address, reset your password, …) with every link on
        SITE_URL rather than on whatever address the request came in on."""
        context = {
            key: on_site(value) if key.endswith("_url") and isinstance(value, str) else value
            for key, value in context.items()
        }
        context["current_site"] = SiteAddress()
        return super().send_mail(template_prefix, email, context)

    def get_signup_redirect_url(self, request):
        """After creating an account: the next step for what the person said they are here for."""
        return self.get_login_redirect_url(request)
