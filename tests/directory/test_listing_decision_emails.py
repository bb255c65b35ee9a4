"""When a coordinator approves a listing or asks for changes, the provider gets the site's own
email (what happened, the coordinator's words, a link into "My listings" on SITE_URL), never
Wagtail's notice with its /admin/ links; coordinators who submit pages keep Wagtail's notices."""

import pytest
from django.core import mail

from cms.models import Role
from directory import provider_services as services
from tests.factories import ProviderFactory, UserFactory, make_listing

SITE = "http://pilot.example:8111"


@pytest.fixture
def world(directory, settings):
    # As config/settings/base.py sets them: Wagtail's base address is SITE_URL.
    settings.SITE_URL = settings.WAGTAILADMIN_BASE_URL = SITE
    jo = UserFactory(role=Role.PROVIDER, email="jo@example.org")
    provider = ProviderFactory(name="Jo's Swims", email="jo.business@example.org")
    provider.members.add(jo)
    listing = make_listing(
        title="Swimming buddy", provider=provider, publish=False, contact_phone="07700 900123"
    )
    coordinator = UserFactory(role=Role.COORDINATOR, is_staff=True, email="coordinator@example.org")
    services.submit_for_review(listing=listing, user=jo)
    listing.refresh_from_db()
    mail.outbox.clear()
    return listing, jo, coordinator


def _to(address):
    return [m for m in mail.outbox if address in m.to]


def test_provider_hears_of_approval_from_the_site_with_a_link_into_my_listings(world):
    listing, jo, coordinator = world
    listing.current_workflow_task_state.approve(user=coordinator, comment="Lovely listing, thank you.")

    [email] = _to(jo.email)
    assert email.subject == "Your listing is approved: Swimming buddy"
    assert "approved your listing" in email.body and "Lovely listing, thank you." in email.body
    assert f"{SITE}/my/listings/{listing.public_id}/" in email.body
    assert "/admin/" not in email.body
    # Wagtail's own notice was not sent to the provider.
    assert len(_to(jo.email)) == 1


def test_provider_hears_what_to_change_with_the_coordinators_comment(world):
    listing, jo, coordinator = world
    listing.current_workflow_task_state.reject(user=coordinator, comment="Please say where you swim.")

    [email] = _to(jo.email)
    assert email.subject == "Changes needed to your listing: Swimming buddy"
    assert "Please say where you swim." in email.body
    assert f"{SITE}/my/listings/{listing.public_id}/" in email.body
    assert "/admin/" not in email.body


def test_a_coordinator_who_submitted_keeps_wagtails_notice(directory, settings):
    settings.SITE_URL = settings.WAGTAILADMIN_BASE_URL = SITE
    editor = UserFactory(role=Role.COORDINATOR, is_staff=True, email="editor@example.org")
    approver = UserFactory(role=Role.COORDINATOR, is_staff=True, email="approver@example.org")
    listing = make_listing(title="Imported lunch club", publish=False)
    listing.get_workflow().start(listing, editor)
    listing.refresh_from_db()
    mail.outbox.clear()
    listing.current_workflow_task_state.approve(user=approver)

    [email] = _to(editor.email)
    assert f"{SITE}/admin/" in email.body  # Wagtail's notice, on the same site address
    assert "Your listing is approved" not in email.subject
