"""The site's own address, for links that leave the site (emails, printouts, QR codes).

Every such link is built here, from the one `SITE_URL` setting, so a link never depends on the
address a request happened to arrive on (a proxy's, a worker's with no request at all).
"""

from urllib.parse import urlsplit

from django.conf import settings


def site_url(path: str) -> str:
    """An absolute address on this site: `SITE_URL` plus `path` (which starts with "/")."""
    return settings.SITE_URL.rstrip("/") + path


def on_site(url: str) -> str:
    """`url` (absolute, or a path) moved onto `SITE_URL`: for links a library built from the request."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return site_url((parts.path or "/") + query + fragment)
