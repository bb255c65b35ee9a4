"""Becoming a verified professional (by a work email domain or a coordinator), and what a
professional can never see: anyone's budget, plan or orders, or who contacted a provider.
"""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from signposting import services as signposting
from signposting.models import Enquiry, ProfessionalVerification, ShortlistMember
from tests.factories import UserFactory, make_listing

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("gp@nhs.net", True),
        ("GP@NHS.NET", True),
        ("nurse@wales.nhs.net", True),
        ("someone@evilnhs.net", False),
        ("someone@nhs.net.example.com", False),
        ("someone@example.org", False),
        ("nhs.net", False),
        ("", False),
    ],
)
def test_allow_listed_domains_and_their_subdomains_only(email, allowed):
    assert signposting.email_domain_allowed(email) is allowed


def test_a_councils_domain_can_be_allowed_in_settings(settings):
    settings.PROFESSIONAL_EMAIL_DOMAINS = ["nhs.net", "bolton.gov.uk"]
    assert signposting.email_domain_allowed("sw@bolton.gov.uk")
    del settings.PROFESSIONAL_EMAIL_DOMAINS
    assert not signposting.email_domain_allowed("sw@bolton.gov.uk")  # default: nhs.net only


def test_gp_with_a_confirmed_nhs_email_verifies_in_one_step(client):
    gp = UserFactory(email="dr.khan@nhs.net", totp=True)  # already has an authenticator app
    client.force_login(gp)
    page = client.get(reverse("signposting:professional")).content.decode()
    assert "Your email address dr.khan@nhs.net is at a work domain we recognise." in page
    response = client.post(reverse("signposting:professional"), {"action": "email"}, follow=True)
    assert "Your account is verified. You can now make shortlists." in response.content.decode()
    record = ProfessionalVerification.objects.get(user=gp)
    assert record.method == "email-domain" and record.verified_at and record.verified_by is None
    assert gp.groups.filter(name=Role.PROFESSIONAL.value).exists()
    assert client.get(reverse("signposting:shortlist_new")).status_code == 200


def test_an_unconfirmed_nhs_email_is_not_enough():
    gp = UserFactory(email="dr.khan@nhs.net", totp=True)  # already has an authenticator app
    EmailAddress.objects.filter(user=gp).update(verified=False)
    assert not signposting.can_verify_by_email(gp)
    with pytest.raises(signposting.CannotVerify, match="Confirm your email address first"):
        signposting.verify_professional(user=gp, method="email-domain")
    assert not signposting.is_verified_professional(gp)


def test_other_domains_ask_a_coordinator_who_verifies_them_in_the_admin(client):
    worker = UserFactory(email="link.worker@example.org")
    client.force_login(worker)
    response = client.post(
        reverse("signposting:professional"),
        {"action": "request", "job_title": "", "organisation": "Bolton CVS"},
    )
    body = response.content.decode()
    assert "There is a problem" in body and 'value="Bolton CVS"' in body
    client.post(
        reverse("signposting:professional"),
        {"action": "request", "job_title": "Link worker", "organisation": "Bolton CVS"},
    )
    assert (
        "A coordinator will check your details and email you."
        in client.get(reverse("signposting:professional")).content.decode()
    )
    assert not signposting.is_verified_professional(worker)

    coordinator = UserFactory(role=Role.COORDINATOR, is_staff=True)
    client.force_login(coordinator)
    queue = client.get(reverse("signposting_professionals")).content.decode()
    assert "link.worker@example.org" in queue and "Bolton CVS" in queue
    client.post(reverse("signposting_professionals"), {"user": str(worker.public_id), "action": "verify"})

    record = ProfessionalVerification.objects.get(user=worker)
    assert record.method == "coordinator" and record.verified_by == coordinator
    (email,) = mail.outbox
    assert email.to == ["link.worker@example.org"]
    assert "You can now make shortlists" in email.subject
    assert signposting.is_verified_professional(type(worker).objects.get(pk=worker.pk))


def test_only_coordinators_verify_professionals(client):
    worker = UserFactory()
    signposting.request_professional_verification(user=worker, organisation="X", job_title="Y")
    with pytest.raises(signposting.NotAllowed):
        signposting.verify_professional(
            user=worker, method="coordinator", by=UserFactory(role=Role.PROFESSIONAL)
        )
    staff = UserFactory(is_staff=True, role=Role.PROFESSIONAL)
    client.force_login(staff)
    client.post(reverse("signposting_professionals"), {"user": str(worker.public_id), "action": "verify"})
    assert not signposting.is_verified_professional(worker)


def test_a_removed_professional_can_no_longer_make_or_open_their_shortlists(client, directory):
    pro = UserFactory(role=Role.PROFESSIONAL)
    signposting.verify_professional(user=pro, method="coordinator", by=UserFactory(is_superuser=True))
    pro = type(pro).objects.get(pk=pro.pk)
    shortlist = signposting.create_shortlist(owner=pro, title="For Mr K")
    signposting.remove_professional(user=pro, by=UserFactory(role=Role.COORDINATOR))
    client.force_login(pro)
    assert client.get(reverse("signposting:shortlist", args=[shortlist.public_id])).status_code == 403
    assert not pro.groups.filter(name=Role.PROFESSIONAL.value).exists()


# --- What a professional never sees -----------------------------------------------------


def test_professional_pages_never_read_budgets_plans_or_orders(client, directory):
    """No signposting page a professional uses touches a marketplace table at all."""
    pro = UserFactory(role=Role.PROFESSIONAL)
    ProfessionalVerification.objects.create(user=pro, verified_at=timezone.now(), method="coordinator")
    listing = make_listing(title="Swimming buddy")
    shortlist = signposting.create_shortlist(owner=pro, title="For Mrs P")
    item = signposting.add_to_shortlist(shortlist=shortlist, listing=listing, by=pro)
    holder = UserFactory(role=Role.BUDGET_HOLDER, email="mrs.p@example.org")
    ShortlistMember.objects.create(shortlist=shortlist, user=holder)
    Enquiry.objects.create(
        listing=listing, shortlist=shortlist, name="Mrs P", reply_to="mrs.p@example.org", message="Hello"
    )

    client.force_login(pro)
    urls = [
        reverse("signposting:shortlists"),
        reverse("signposting:shortlist", args=[shortlist.public_id]),
        reverse("signposting:shortlist_print", args=[shortlist.public_id]),
        reverse("signposting:shortlist_edit", args=[shortlist.public_id]),
        reverse("signposting:item_edit", args=[shortlist.public_id, item.pk]),
        reverse("signposting:shortlist_add") + f"?listing={listing.public_id}",
        reverse("signposting:shortlist_public", args=[shortlist.token]),
        reverse("signposting:enquiries"),
        reverse("signposting:professional"),
    ]
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        # Who saved the shortlist or sent a message is never shown to the professional.
        assert "mrs.p@example.org" not in body, url
        assert "Hello" not in body, url
        touched = [q["sql"] for q in queries.captured_queries if "marketplace_" in q["sql"]]
        assert touched == [], url


def test_professionals_have_no_admin_access_to_budgets():
    """The Professionals group carries no permissions at all: not on marketplace models, not admin."""
    group = Group.objects.get(name=Role.PROFESSIONAL.value)
    assert not group.permissions.exists()
