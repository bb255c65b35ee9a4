"""Local development: debug on, a throwaway key, emails printed to the console."""

import sys

from .base import *  # noqa: F403
from .base import env


def _runserver_url(argv) -> str:
    """The address `manage.py runserver [addr:]port` serves on, or "" when not running it."""
    if "runserver" not in argv:
        return ""
    args = [a for a in argv[argv.index("runserver") + 1 :] if not a.startswith("-")]
    if not args:
        return "http://127.0.0.1:8000"
    host, _, port = args[0].rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    return f"http://{'127.0.0.1' if host in ('0', '0.0.0.0') else host}:{port}"  # noqa: S104


# Links in emails point at the server you are running, unless SITE_URL says otherwise.
if not env("SITE_URL", ""):
    SITE_URL = _runserver_url(sys.argv) or SITE_URL  # noqa: F405
    WAGTAILADMIN_BASE_URL = SITE_URL

DEBUG = True
SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
ALLOWED_HOSTS = ["*"]
# Demo accounts are usable without clicking an emailed link.
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "optional")
# runserver serves static files from the finders; WhiteNoise is for collected files.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
