"""Every link in an email is built from one setting, SITE_URL; in development it defaults to the
address the site runs on (PORT=8111 ./scripts/run, or manage.py runserver 8111)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail

from cms.site import on_site, site_url
from config.settings.dev import _runserver_url
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def _setting(name, **environ):
    """A setting as dev settings compute it in a fresh process with this environment."""
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.dev", **environ}
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    out = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def test_site_url_follows_the_port_the_site_runs_on():
    assert _setting("SITE_URL", PORT="8111") == "http://127.0.0.1:8111"
    assert _setting("WAGTAILADMIN_BASE_URL", PORT="8111") == "http://127.0.0.1:8111"
    assert _setting("SITE_URL", PORT="8111", SITE_URL="https://support.example.gov.uk/") == (
        "https://support.example.gov.uk"
    )


@pytest.mark.parametrize(
    ("argv", "url"),
    [
        (["manage.py", "runserver", "8111"], "http://127.0.0.1:8111"),
        (["manage.py", "runserver", "0.0.0.0:9000"], "http://127.0.0.1:9000"),
        (["manage.py", "runserver", "--noreload", "localhost:8222"], "http://localhost:8222"),
        (["manage.py", "runserver"], "http://127.0.0.1:8000"),
        (["manage.py", "migrate"], ""),
    ],
)
def test_runserver_address(argv, url):
    assert _runserver_url(argv) == url


def test_links_are_moved_onto_site_url(settings):
    settings.SITE_URL = "https://support.example.gov.uk"
    assert site_url("/my/") == "https://support.example.gov.uk/my/"
    assert on_site("http://testserver/accounts/confirm/abc/?x=1#top") == (
        "https://support.example.gov.uk/accounts/confirm/abc/?x=1#top"
    )


@pytest.mark.django_db
def test_password_reset_email_links_to_site_url(client, settings):
    settings.SITE_URL = "https://support.example.gov.uk"
    UserFactory(email="sam@example.org")
    response = client.post("/accounts/password/reset/", {"email": "sam@example.org"})
    assert response.status_code == 302
    [email] = mail.outbox
    links = re.findall(r"https?://\S+", email.body)
    assert links and all(link.startswith("https://support.example.gov.uk/") for link in links), links
    assert "testserver" not in email.body


def test_a_local_site_url_is_a_deployment_warning(settings):
    from django.core.checks import run_checks

    settings.SITE_URL = "http://127.0.0.1:8000"
    assert "cms.W001" in [w.id for w in run_checks(include_deployment_checks=True)]
    settings.SITE_URL = "https://support.example.gov.uk"
    assert "cms.W001" not in [w.id for w in run_checks(include_deployment_checks=True)]
