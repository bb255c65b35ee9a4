"""System checks for the site's own settings."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning, register

LOCAL_HOSTS = {"127.0.0.1", "localhost", "0.0.0.0", "[::1]"}  # noqa: S104 (names, not a bind)


@register("cms", deploy=True)
def check_site_url(app_configs=None, **kwargs):
    """Warn (manage.py check --deploy) when SITE_URL is missing or still a local address: every
    link in every email would point at the operator's own machine."""
    parts = urlsplit(getattr(settings, "SITE_URL", ""))
    if parts.scheme in ("http", "https") and parts.hostname and parts.hostname not in LOCAL_HOSTS:
        return []
    return [
        Warning(
            f"SITE_URL is {settings.SITE_URL!r}, so links in emails point at this machine.",
            hint="Set SITE_URL to the site's public address, like https://support.example.gov.uk.",
            id="cms.W001",
        )
    ]
