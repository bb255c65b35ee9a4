"""Settings shared by every environment: complete and safe on their own.

Everything a deployment changes comes from the environment (see `.env.example`);
`dev.py`, `test.py` and `production.py` override only what differs.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name, default=None):
    """Read a setting from the environment; unset or empty (as in .env.example) means `default`."""
    return os.environ.get(name) or default


def env_bool(name, default=False):
    """Read a yes/no setting; accepts 1/0, true/false, yes/no, on/off."""
    value = os.environ.get(name)
    if not value:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    """Read a comma-separated list setting."""
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Safe by default: a deployment that forgets DEBUG gets production behaviour.
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # Project apps first so their templates override the libraries' ones.
    "cms",
    "directory",
    "search",
    "signposting",
    "marketplace",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Accounts
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    # Tasks
    "django_tasks",
    "django_tasks_db",
    "django_filters",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cms.security.SecurityHeadersMiddleware",
    "cms.security.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "cms.security.StaffIdleTimeoutMiddleware",
    "cms.security.RequireTwoFactorMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "cms.uploads.OversizedUploadMiddleware",
]
# Uploads: a file over the limit is refused while it streams (cms/uploads.py). The reverse proxy
# should refuse bodies a little larger still: nginx `client_max_body_size 21m;` (docs/security.md).
UPLOAD_MAX_BYTES = 5 * 1024 * 1024  # evidence and receipts (directory/evidence.py says 5MB)
# Documents and images uploaded in the Wagtail admin.
ADMIN_UPLOAD_MAX_BYTES = int(env("ADMIN_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
FILE_UPLOAD_HANDLERS = [
    "cms.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "marketplace.context_processors.acting",
                "cms.landing.navigation",
            ],
        },
    },
]

# Database: SQLite file by default; DATABASE_URL (e.g. postgres://…) for anything larger.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: a writing transaction takes the write lock when it begins (BEGIN IMMEDIATE) and
    # waits up to 20 s for it, so concurrent purchases queue instead of failing with
    # "database is locked" when a read lock cannot be upgraded (measured in bench/load.py).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "cms.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# django-allauth: people sign in with their email address, which they must verify.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
# Opening the confirmation link in the browser that signed up signs the person in and takes
# them to their next step (allauth only does this for the session that signed up).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Each role lands in its own place after signing in; the forms have the site's wording.
ACCOUNT_ADAPTER = "cms.adapters.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "cms.account_forms.LoginForm",
    "signup": "cms.account_forms.SignupForm",
    "reset_password": "cms.account_forms.ResetPasswordForm",
    "reset_password_from_key": "cms.account_forms.ResetPasswordKeyForm",
    "change_password": "cms.account_forms.ChangePasswordForm",
    "set_password": "cms.account_forms.SetPasswordForm",
    "add_email": "cms.account_forms.AddEmailForm",
    "reauthenticate": "cms.account_forms.ReauthenticateForm",
}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"
# The admins' own sign-in pages (/admin/login/, /django-admin/login/) send people to allauth's,
# so coordinators are always asked for their second factor (see config/urls.py).

# Two-factor sign-in (allauth.mfa): an authenticator app, with recovery codes for a lost phone.
# Coordinators, professionals and superusers must set it up (cms.security.RequireTwoFactorMiddleware).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "cms.security.MFAAdapter"
MFA_FORMS = {
    "authenticate": "cms.account_forms.AuthenticateForm",
    "reauthenticate": "cms.account_forms.MFAReauthenticateForm",
    "activate_totp": "cms.account_forms.ActivateTOTPForm",
}
MFA_TOTP_ISSUER = "Local Support Marketplace"
# One 30-second step either side, for phones whose clock has drifted; a code works once only.
MFA_TOTP_TOLERANCE = 1


def cache_settings(redis_url: str) -> dict:
    """Django's own Redis cache when REDIS_URL is set, else the database cache (no server needed).

    Rate limits and lockouts are counted here, so every worker process must share it.
    """
    if redis_url:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": env("CACHE_KEY_PREFIX", "lsm"),
            }
        }
    # The table is made by `manage.py createcachetable` (scripts/run does; test databases make it).
    return {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}}


CACHES = cache_settings(env("REDIS_URL", ""))

# Rate limits (allauth; counted in the shared cache above, so they hold across workers). "ip"
# counts per address, "key" per email address signed in as or reset.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # Wrong passwords (and wrong two-factor codes): per address, and per account over 5 minutes.
    "login_failed": "10/m/ip,5/5m/key",
    # Enough for a group signing up together at one library or day centre (one address).
    "signup": "30/h/ip",
    "reset_password": "10/h/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [
    BASE_DIR / "cms" / "static",
    # GOV.UK Frontend, axe-core and Leaflet come from the npm registry (package.json).
    ("vendor/govuk-frontend", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
# Evidence of checks and receipts: never under MEDIA_ROOT, only served by permission-checked views.
PRIVATE_MEDIA_ROOT = Path(env("DJANGO_PRIVATE_MEDIA_ROOT", BASE_DIR / "private-media"))

# Email: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Local Support Marketplace <hello@localhost>")
# A mail server that accepts the connection and then hangs must not hold a worker for ever.
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "10"))
# Emails go through the task queue (cms/mail.py); a failed send is tried again after each of
# these delays in seconds, when the task backend can run a task later (a db_worker is deployed).
EMAIL_RETRY_DELAYS = [int(s) for s in env_list("EMAIL_RETRY_DELAYS", "60,300,1800")]

# Statements with more lines than this get their PDF made by a task (marketplace/statements.py).
STATEMENT_PDF_INLINE_MAX_LINES = int(env("STATEMENT_PDF_INLINE_MAX_LINES", "1500"))

# Tasks (search indexing, emails, reminders): run at once unless a worker is deployed.
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
    }
}

# Search: "database" (embedded, no server), "elasticsearch" (needs ELASTICSEARCH_URL) or
# "opensearch" (needs OPENSEARCH_URL; OPENSEARCH_INDEX names the alias the index lives behind).
SEARCH_BACKEND = env("SEARCH_BACKEND", "database")
ELASTICSEARCH_URL = env("ELASTICSEARCH_URL", "")
ELASTICSEARCH_INDEX = env("ELASTICSEARCH_INDEX", "listings")
OPENSEARCH_URL = env("OPENSEARCH_URL", "")
OPENSEARCH_INDEX = env("OPENSEARCH_INDEX", "listings")
# Seconds a search may take before the database backend answers instead.
OPENSEARCH_TIMEOUT = float(env("OPENSEARCH_TIMEOUT", "2"))
# Map tiles for the results map; the list works without them.
MAP_TILE_URL = env("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")

# "Start something local" shows demand counts below this as "fewer than N", so nobody is identifiable.
DEMAND_MIN_COUNT = int(env("DEMAND_MIN_COUNT", "5"))

# The JSON search API: requests per minute per client address (0 = no limit).
SEARCH_API_RATE_LIMIT_PER_MINUTE = int(env("SEARCH_API_RATE_LIMIT_PER_MINUTE", "60"))

# Open Referral UK API: requests per minute per client (0 = no limit; production needs a shared
# cache for the limit to hold across workers), cache lifetime, and the published profile/spec.
ORUK_RATE_LIMIT_PER_MINUTE = int(env("ORUK_RATE_LIMIT_PER_MINUTE", "120"))
ORUK_CACHE_SECONDS = int(env("ORUK_CACHE_SECONDS", "60"))
ORUK_PROFILE_URL = env(
    "ORUK_PROFILE_URL", "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
)
ORUK_OPENAPI_URL = env("ORUK_OPENAPI_URL", "https://docs.openreferraluk.org/en/latest/openapi30.json")

# Signposting: email domains whose holders are verified as professionals at once (others ask a
# coordinator), enquiries a client may send per hour, and how many enquiries a listing needs
# before its response rate is shown.
PROFESSIONAL_EMAIL_DOMAINS = env_list("PROFESSIONAL_EMAIL_DOMAINS", "nhs.net")
ENQUIRY_RATE_LIMIT_PER_HOUR = int(env("ENQUIRY_RATE_LIMIT_PER_HOUR", "10"))
# Comments on shared shortlists from people other than the owner, per address per hour.
COMMENT_RATE_LIMIT_PER_HOUR = int(env("COMMENT_RATE_LIMIT_PER_HOUR", "10"))
ENQUIRY_STATS_MIN_ENQUIRIES = int(env("ENQUIRY_STATS_MIN_ENQUIRIES", "5"))

# Payments: Stripe Connect. The API base is overridable so tests reach local servers.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = env("STRIPE_API_BASE", "")
# Connect events may come to their own endpoint with its own secret (else the one above).
STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET", "")
STRIPE_TIMEOUT_SECONDS = int(env("STRIPE_TIMEOUT_SECONDS", "20"))
STRIPE_MAX_NETWORK_RETRIES = int(env("STRIPE_MAX_NETWORK_RETRIES", "2"))
STRIPE_WEBHOOK_TOLERANCE = int(env("STRIPE_WEBHOOK_TOLERANCE", "300"))
MARKETPLACE_PAYMENT_GATEWAY = env("MARKETPLACE_PAYMENT_GATEWAY", "marketplace.gateways.stripe.StripeGateway")

# Wagtail
WAGTAIL_SITE_NAME = "Local Support Marketplace"
# The site's own address: every link that leaves the site (emails, shared links, QR codes) is
# built from it (cms.site.site_url). Unset, it is the address scripts/run serves on (HOST, PORT);
# dev settings also read a runserver address given on the command line.
_RUN_HOST = env("HOST", "127.0.0.1")
_RUN_HOST = "127.0.0.1" if _RUN_HOST in ("0", "0.0.0.0") else _RUN_HOST  # noqa: S104 (a link, not a bind)
SITE_URL = env("SITE_URL", "").rstrip("/") or f"http://{_RUN_HOST}:{env('PORT', '8000')}"
# Wagtail's own emails (to coordinators) link to the same address.
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "odt", "txt"]
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_I18N_ENABLED = False

# Security headers that hold in every environment (production.py adds HTTPS-only ones).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page here uses (cms.security.SecurityHeadersMiddleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)

# Sessions: people sign in on shared computers (libraries, GP surgeries), so a session lasts a
# working day and ends when the browser closes; coordinators and superusers, who can change
# the whole directory, are signed out after 30 idle minutes (cms.security.StaffIdleTimeoutMiddleware).
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
STAFF_IDLE_TIMEOUT_SECONDS = 30 * 60
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "cms.security.csrf_failure"


def _origin(url):
    """'https://tile.openstreetmap.org' from 'https://tile.openstreetmap.org/{z}/{x}/{y}.png'."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else ""


# Content security policy (django-csp 4). Scripts only from our own files (or a tag carrying
# the request's nonce: `<script nonce="{{ request.csp_nonce }}">`); never inline handlers.
# cms.security.CSPMiddleware adds the parts that depend on the request (a Stripe-compatible test
# server as a form target, framing for Wagtail's preview, ADMIN_CSP_REPLACE below for /admin/).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # data: for the two-factor set-up QR code (allauth renders it as a data URI).
        "img-src": [SELF, "data:", *filter(None, [_origin(MAP_TILE_URL)])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        # Paying and onboarding post to our views, which redirect to Stripe's hosted pages;
        # browsers check form-action against that redirect too.
        "form-action": [SELF, "https://checkout.stripe.com", "https://connect.stripe.com"],
    },
}
# The Wagtail admin (/admin/, coordinators only, behind two-factor sign-in) still renders inline
# <script> tags from its form widgets (date pickers) and inserts more from JavaScript, and sets
# style attributes; a nonce cannot reach widget markup. So its pages, and only those, allow
# inline scripts and styles (no nonce: a nonce would make browsers ignore 'unsafe-inline'),
# blob: images (upload previews) and same-origin frames (the live preview panel).
# See https://github.com/wagtail/wagtail/issues/1288.
ADMIN_CSP_REPLACE = {
    "script-src": [SELF, "'unsafe-inline'"],
    "style-src": [SELF, "'unsafe-inline'"],
    "img-src": [*CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"], "blob:"],
    "frame-src": [SELF],
}
# Avatars would load from gravatar.com, telling it which coordinators use the admin.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # One line per background task or page save drowns anything useful during imports.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}


def require_secret_key(key):
    """Refuse to start without a secret key outside development and tests."""
    if not key:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (see .env.example).")
    return key
