"""The site's own address, for links that leave the site (emails, printouts, QR codes)."""

from django.conf import settings


def site_url(path: str) -> str:
    """An absolute address on this site: `SITE_BASE_URL` (or Wagtail's base URL) plus `path`."""
    base = getattr(settings, "SITE_BASE_URL", "") or settings.WAGTAILADMIN_BASE_URL
    return base.rstrip("/") + path
