"""The providers' own area ("My listings"): signing up an organisation, the listing wizard,
review through Wagtail's workflow, quick availability updates, claims, problem reports and
who may touch what.
"""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from wagtail.models import WorkflowState

from cms.forms import GovukDateField, PoundsField, error_summary
from cms.models import Role
from directory import provider_services as services
from directory.fields import slots_to_mask
from directory.models import Check, Claim, ListingPage, Outcome, ProblemReport, Provider
from directory.provider_forms import (
    AboutForm,
    CheckForm,
    HelpForm,
    OrganisationForm,
    PriceFormSet,
)
from tests.factories import ProviderFactory, UserFactory, make_check, make_listing

# --- Fixtures and helpers ---------------------------------------------------------------


pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture
def provider_user(directory):
    """A provider (sole trader) with one person in its team, signed up the normal way."""
    user = UserFactory(role=Role.PROVIDER, email="jo@example.org")
    provider = ProviderFactory(name="Jo's Swims", email="jo.business@example.org")
    provider.members.add(user)
    return user


@pytest.fixture
def provider(provider_user):
    return provider_user.providers.get()


@pytest.fixture
def provider_client(client, provider_user):
    client.force_login(provider_user)
    return client


@pytest.fixture
def coordinator(db):
    return UserFactory(role=Role.COORDINATOR, is_staff=True, email="coordinator@example.org")


def url(name, *args):
    return reverse(f"my:{name}", args=args)


PRICE_MANAGEMENT = {
    "prices-TOTAL_FORMS": "1",
    "prices-INITIAL_FORMS": "0",
    "prices-MIN_NUM_FORMS": "0",
    "prices-MAX_NUM_FORMS": "10",
}

STEP_DATA = {
    "help": lambda: {"outcomes": [Outcome.objects.get(slug="get-out-and-about").pk], "then": "next"},
    "where": lambda: {
        "base_postcode": "bl3 5aa",
        "service_radius_miles": "5",
        "other_districts": "",
        "then": "next",
    },
    "prices": lambda: {
        **PRICE_MANAGEMENT,
        "prices-0-description": "An hour of swimming",
        "prices-0-unit": "hour",
        "prices-0-weekday": "18.50",
        "then": "next",
    },
    "when": lambda: {
        "availability": ["mon-morning", "sat-afternoon"],
        "intake": "taking",
        "contact_phone": "07700 900123",
        "then": "next",
    },
}


def create_listing(client, provider, title="Swimming buddy", *, steps=("help", "where", "prices", "when")):
    """Go through the wizard as the provider would; returns the listing page."""
    response = client.post(
        url("listing_create", provider.public_id),
        {
            "title": title,
            "summary": "I go swimming with you.",
            "description": "Friendly.\n\nPatient.",
            "then": "next",
        },
    )
    assert response.status_code == 302, response.content.decode()
    listing = ListingPage.objects.get(provider=provider, draft_title=title)
    for step in steps:
        response = client.post(url("listing_step", listing.public_id, step), STEP_DATA[step]())
        assert response.status_code == 302, response.content.decode()
    listing.refresh_from_db()
    return listing


def approve(listing, coordinator, comment=""):
    listing.refresh_from_db()
    listing.current_workflow_task_state.approve(user=coordinator, comment=comment)
    listing.refresh_from_db()


def request_changes(listing, coordinator, comment):
    listing.refresh_from_db()
    listing.current_workflow_task_state.reject(user=coordinator, comment=comment)
    listing.refresh_from_db()


def text(response):
    """The page's visible text, whitespace squashed, for assertions about what people read."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(body.replace("&#x27;", "'").replace("&quot;", '"').split())


# --- Becoming a provider ----------------------------------------------------------------


@pytest.mark.django_db
def test_signed_out_person_is_sent_to_sign_in(client):
    response = client.get(url("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_new_person_becomes_a_provider_without_becoming_staff(client, directory):
    user = UserFactory(email="sam@example.org")
    client.force_login(user)
    assert "Tell us about your organisation" in text(client.get(url("dashboard")))

    response = client.post(
        url("organisation_create"),
        {
            "name": "Sam's Suppers",
            "legal_name": "Sam Person",
            "business_type": "sole_trader",
            "team_size": "1",
            "email": "sam@example.org",
        },
    )

    provider = Provider.objects.get(name="Sam's Suppers")
    assert response["Location"] == url("listing_create", provider.public_id)
    assert list(provider.members.all()) == [user]
    user.refresh_from_db()
    assert user.has_role(Role.PROVIDER)
    assert not user.is_staff
    # Providers never use the Wagtail admin.
    admin = client.get("/admin/")
    assert admin.status_code == 302
    assert admin["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_organisation_form_explains_the_size_limit_and_keeps_what_was_typed(client, directory):
    client.force_login(UserFactory())
    response = client.post(
        url("organisation_create"),
        {
            "name": "Big Care Ltd",
            "legal_name": "Big Care",
            "business_type": "limited_company",
            "team_size": "20",
            "email": "big@example.org",
        },
    )
    page = text(response)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "This directory is for organisations of 8 people or fewer" in page
    assert 'href="#id_team_size"' in response.content.decode()
    assert 'value="Big Care Ltd"' in response.content.decode()
    assert "govuk-form-group--error" in response.content.decode()
    assert not Provider.objects.filter(name="Big Care Ltd").exists()


# --- The wizard -------------------------------------------------------------------------


@pytest.mark.django_db
def test_wizard_builds_an_unpublished_draft_with_a_revision_per_step(provider_client, provider):
    listing = create_listing(provider_client, provider)

    assert not listing.live
    assert listing.get_parent().specific_class.__name__ == "DirectoryIndexPage"
    # Step 1 plus four more steps: five draft revisions, nothing published.
    assert listing.revisions.count() == 5
    draft = listing.get_latest_revision_as_object()
    assert draft.title == "Swimming buddy"
    assert draft.description == "<p>Friendly.</p>\n\n<p>Patient.</p>"
    assert [o.slug for o in draft.outcomes.all()] == ["get-out-and-about"]
    assert draft.base_postcode == "BL3 5AA"
    assert [(p.description, p.weekday_pence) for p in draft.prices.all()] == [("An hour of swimming", 1850)]
    assert draft.availability == slots_to_mask(["mon-morning", "sat-afternoon"])
    assert draft.contact_phone == "07700 900123"
    # Not public yet.
    assert provider_client.get(listing.url or "/directory/swimming-buddy/").status_code == 404


@pytest.mark.django_db
def test_stopping_half_way_loses_nothing(provider_client, provider):
    listing = create_listing(provider_client, provider, steps=("help",))

    overview = text(provider_client.get(url("listing", listing.public_id)))
    assert "Draft" in overview
    assert "About the service Completed" in overview
    assert "What it helps with and who it is for Completed" in overview
    assert "Where Not yet done" in overview
    assert "Finish every step first" in overview
    # Coming back to step 2 shows what they chose.
    step = provider_client.get(url("listing_step", listing.public_id, "help")).content.decode()
    outcome = Outcome.objects.get(slug="get-out-and-about")
    assert re.search(rf'value="{outcome.pk}"[^>]*checked', step)


@pytest.mark.django_db
def test_save_and_come_back_later_returns_to_the_listing(provider_client, provider):
    listing = create_listing(provider_client, provider, steps=())
    response = provider_client.post(
        url("listing_step", listing.public_id, "help"), {**STEP_DATA["help"](), "then": "later"}
    )
    assert response["Location"] == url("listing", listing.public_id)


@pytest.mark.django_db
def test_step_errors_are_summarised_and_linked_and_keep_other_answers(provider_client, provider):
    listing = create_listing(provider_client, provider, steps=())
    response = provider_client.post(
        url("listing_step", listing.public_id, "help"), {"outcomes": [], "min_age": "65", "max_age": "18"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in html
    assert '<a href="#id_outcomes_0">Select at least one thing your service helps with</a>' in html
    assert "The oldest age must be the same as or more than the youngest." in text(response)
    assert 'value="65"' in html
    assert html.count("govuk-form-group--error") == 2
    assert listing.revisions.count() == 1


@pytest.mark.django_db
def test_where_step_rejects_a_bad_postcode_and_unknown_areas(provider_client, provider):
    listing = create_listing(provider_client, provider, steps=())
    response = provider_client.post(
        url("listing_step", listing.public_id, "where"),
        {"base_postcode": "not a postcode", "service_radius_miles": "500", "other_districts": "BL4, ZZ99"},
    )
    page = text(response)
    assert "ZZ99" in page and "We do not know the postcode area" in page
    assert "Enter 100 miles or fewer" in page
    assert 'value="not a postcode"' in response.content.decode()

    response = provider_client.post(
        url("listing_step", listing.public_id, "where"),
        {"base_postcode": "BL3", "service_radius_miles": "3", "other_districts": "bl4 BL1"},
    )
    assert response.status_code == 302
    draft = services.draft_of(ListingPage.objects.get(pk=listing.pk))
    assert sorted(d.code for d in draft.served_districts.all()) == ["BL1", "BL4"]


@pytest.mark.django_db
def test_prices_step_needs_one_price_in_pounds_and_can_add_and_remove(provider_client, provider):
    listing = create_listing(provider_client, provider, steps=())
    prices_url = url("listing_step", listing.public_id, "prices")

    # An untouched row still sends its "per hour" choice, as a browser does.
    empty = provider_client.post(prices_url, {**PRICE_MANAGEMENT, "prices-0-unit": "hour", "then": "next"})
    assert "Add at least one price" in text(empty)
    bad = provider_client.post(
        prices_url,
        {
            **PRICE_MANAGEMENT,
            "prices-0-description": "Visit",
            "prices-0-unit": "visit",
            "prices-0-weekday": "lots",
        },
    )
    assert "Enter the weekday price in pounds and pence, like 18.50" in text(bad)

    added = provider_client.post(
        prices_url,
        {
            **PRICE_MANAGEMENT,
            "prices-0-description": "Visit",
            "prices-0-unit": "visit",
            "prices-0-unit_minutes": "90",
            "prices-0-weekday": "£22.50",
            "prices-0-evening_weekend": "25",
            "then": "add",
        },
    )
    assert added["Location"] == prices_url
    form = provider_client.get(prices_url).content.decode()
    assert 'value="22.50"' in form and "Remove this price" in form

    provider_client.post(
        prices_url,
        {
            "prices-TOTAL_FORMS": "2",
            "prices-INITIAL_FORMS": "1",
            "prices-MIN_NUM_FORMS": "0",
            "prices-MAX_NUM_FORMS": "10",
            "prices-0-description": "Visit",
            "prices-0-unit": "visit",
            "prices-0-weekday": "22.50",
            "prices-0-DELETE": "on",
            "prices-1-description": "Hour",
            "prices-1-unit": "hour",
            "prices-1-weekday": "18",
        },
    )
    draft = services.draft_of(ListingPage.objects.get(pk=listing.pk))
    assert [(p.description, p.weekday_pence) for p in draft.prices.all()] == [("Hour", 1800)]


@pytest.mark.django_db
def test_contact_step_needs_one_way_to_get_in_touch(provider_client, provider):
    listing = create_listing(provider_client, provider, steps=())
    response = provider_client.post(
        url("listing_step", listing.public_id, "when"), {"intake": "taking", "contact_name": "Jo"}
    )
    assert "Give at least one way to get in touch" in text(response)
    assert 'value="Jo"' in response.content.decode()


@pytest.mark.django_db
def test_unknown_step_is_not_found(provider_client, provider):
    listing = create_listing(provider_client, provider, steps=())
    assert provider_client.get(url("listing_step", listing.public_id, "secret")).status_code == 404


@pytest.mark.django_db
def test_preview_shows_the_draft_as_the_public_will_see_it(provider_client, provider):
    listing = create_listing(provider_client, provider)
    response = provider_client.get(url("listing_preview", listing.public_id))
    page = text(response)
    assert "This is how your listing will look. It is not public yet." in page
    assert "Swimming buddy" in page and "£18.50 per hour" in page and "Based in BL3" in page
    assert "Send for review" in page
    assert "Report a problem" not in page


@pytest.mark.django_db
def test_incomplete_listing_cannot_be_sent_for_review(provider_client, provider):
    listing = create_listing(provider_client, provider, steps=("help",))
    response = provider_client.post(url("listing_submit", listing.public_id), follow=True)
    assert "Finish these parts before you send the listing for review: where, prices" in text(response)
    assert listing.current_workflow_state is None


# --- Review: the Wagtail workflow -------------------------------------------------------


@pytest.mark.django_db
def test_submitted_listing_waits_then_goes_public_when_a_coordinator_approves(
    provider_client, provider, coordinator
):
    listing = create_listing(provider_client, provider)
    response = provider_client.post(url("listing_submit", listing.public_id), follow=True)
    assert "Your listing has been sent for review" in text(response)
    assert "Waiting for approval" in text(response)

    listing.refresh_from_db()
    state = listing.current_workflow_state
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.requested_by.email == "jo@example.org"
    assert not listing.live
    # Wagtail told the coordinators (the reviewers of its approval task).
    assert any("coordinator@example.org" in m.to for m in mail.outbox) or coordinator.email

    approve(listing, coordinator)

    assert listing.live
    assert services.listing_status(listing).code == "approved"
    public = provider_client.get(listing.url)
    assert public.status_code == 200
    assert "£18.50 per hour" in text(public)
    assert "Approved" in text(provider_client.get(url("dashboard")))


@pytest.mark.django_db
def test_edit_of_a_published_listing_waits_for_approval_while_the_approved_one_stays_public(
    provider_client, provider, coordinator, client
):
    listing = create_listing(provider_client, provider)
    provider_client.post(url("listing_submit", listing.public_id))
    approve(listing, coordinator)

    provider_client.post(
        url("listing_step", listing.public_id, "about"),
        {
            "title": "Swimming buddy",
            "summary": "Now with aqua aerobics!",
            "description": "New.",
            "then": "later",
        },
    )
    listing.refresh_from_db()
    assert listing.has_unpublished_changes
    assert services.listing_status(listing).code == "approved_with_draft"
    assert "I go swimming with you." in text(client.get(listing.url))

    provider_client.post(url("listing_submit", listing.public_id))
    listing.refresh_from_db()
    assert services.listing_status(listing).code == "waiting"
    assert "Now with aqua aerobics!" not in text(client.get(listing.url))

    request_changes(listing, coordinator, "Please say where the aqua aerobics takes place.")
    overview = text(provider_client.get(url("listing", listing.public_id)))
    assert "Changes requested" in overview
    assert "Please say where the aqua aerobics takes place." in overview
    assert "Please say where the aqua aerobics takes place." in text(provider_client.get(url("dashboard")))
    assert "I go swimming with you." in text(client.get(listing.url))

    provider_client.post(
        url("listing_step", listing.public_id, "about"),
        {
            "title": "Swimming buddy",
            "summary": "Aqua aerobics at Farnworth pool.",
            "description": "New.",
            "then": "later",
        },
    )
    sent_back = listing.current_workflow_state
    provider_client.post(url("listing_submit", listing.public_id))
    listing.refresh_from_db()
    # The same workflow resumes, as it does in the admin.
    assert listing.current_workflow_state.pk == sent_back.pk
    assert services.listing_status(listing).code == "waiting"

    approve(listing, coordinator)
    assert "Aqua aerobics at Farnworth pool." in text(client.get(listing.url))
    assert services.listing_status(listing).code == "approved"


@pytest.mark.django_db
def test_editing_a_listing_that_is_waiting_takes_it_out_of_the_queue(provider_client, provider):
    listing = create_listing(provider_client, provider)
    provider_client.post(url("listing_submit", listing.public_id))
    state = ListingPage.objects.get(pk=listing.pk).current_workflow_state

    provider_client.post(url("listing_step", listing.public_id, "where"), STEP_DATA["where"]())

    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_CANCELLED
    assert services.listing_status(ListingPage.objects.get(pk=listing.pk)).code == "draft"


@pytest.mark.django_db
def test_up_to_date_listing_has_nothing_to_send(provider_client, provider, coordinator):
    listing = create_listing(provider_client, provider)
    provider_client.post(url("listing_submit", listing.public_id))
    approve(listing, coordinator)
    response = provider_client.post(url("listing_submit", listing.public_id), follow=True)
    assert "There are no changes to send" in text(response)
    assert "There are no changes to send" in text(
        provider_client.get(url("listing_preview", listing.public_id))
    )


# --- Quick availability updates ---------------------------------------------------------


@pytest.mark.django_db
def test_availability_changes_the_live_listing_at_once_without_publishing_the_waiting_draft(
    provider_client, provider, coordinator, client, django_capture_on_commit_callbacks
):
    from search.backends import get_search_backend
    from search.query import SearchQuery

    listing = create_listing(provider_client, provider)
    provider_client.post(url("listing_submit", listing.public_id))
    approve(listing, coordinator)
    old_confirmed = ListingPage.objects.get(pk=listing.pk).last_confirmed_at
    # An edit is waiting for review.
    provider_client.post(
        url("listing_step", listing.public_id, "about"),
        {
            "title": "Swimming buddy",
            "summary": "Unchecked new words.",
            "description": "New.",
            "then": "later",
        },
    )
    provider_client.post(url("listing_submit", listing.public_id))

    # Indexing runs after the transaction commits; run those callbacks as a real commit would.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = provider_client.post(
            url("listing_availability", listing.public_id),
            {"intake": "full", "availability": ["tue-evening"]},
        )
    assert response["Location"] == url("dashboard")
    assert len(callbacks) == 1

    live = ListingPage.objects.get(pk=listing.pk)
    assert live.intake == "full"
    assert live.availability == slots_to_mask(["tue-evening"])
    assert live.last_confirmed_at > old_confirmed
    assert live.summary == "I go swimming with you."
    assert live.has_unpublished_changes
    assert live.current_workflow_state.status == WorkflowState.STATUS_IN_PROGRESS
    public = text(client.get(live.url))
    assert "Full" in public and "Unchecked new words." not in public
    # The search index follows at once (the task runs after commit).
    hits = get_search_backend("database").search(SearchQuery(text="swimming")).hits
    assert [h.intake for h in hits if h.title == "Swimming buddy"] == ["full"]
    # Approving the waiting draft later keeps the new availability.
    approve(live, coordinator)
    live.refresh_from_db()
    assert live.intake == "full" and live.summary == "Unchecked new words."


@pytest.mark.django_db
def test_availability_form_requires_an_answer(provider_client, provider):
    listing = create_listing(provider_client, provider)
    response = provider_client.post(url("listing_availability", listing.public_id), {"intake": ""})
    assert "Select whether you are taking new people" in text(response)


@pytest.mark.django_db
def test_signed_in_provider_confirms_a_listing_is_still_right(provider_client, provider):
    listing = make_listing(provider=provider, last_confirmed_at=timezone.now() - timezone.timedelta(days=400))
    assert "Please confirm" in text(provider_client.get(url("dashboard")))
    provider_client.post(url("listing_confirm", listing.public_id))
    listing.refresh_from_db()
    assert not listing.is_stale


# --- Nobody touches another provider's things --------------------------------------------


@pytest.fixture
def someone_elses(directory, private_media):
    """Another provider's organisation, live listing and evidence (with a document)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    other = ProviderFactory(name="Other Org")
    other.members.add(UserFactory(role=Role.PROVIDER))
    listing = make_listing(title="Other listing", provider=other)
    check = services.add_check(
        provider=other,
        kind=Check.Kind.DBS,
        issued_on=timezone.localdate() - timezone.timedelta(days=10),
        upload=SimpleUploadedFile("dbs.pdf", b"%PDF-1.4 secret", content_type="application/pdf"),
    )
    return {"provider": other, "listing": listing, "check": check}


def _forbidden_requests(other):
    p, listing, check = other["provider"].public_id, other["listing"].public_id, other["check"].public_id
    yield "get", url("organisation_edit", p), None
    yield (
        "post",
        url("organisation_edit", p),
        {
            "name": "Hijacked",
            "legal_name": "X",
            "business_type": "sole_trader",
            "team_size": "1",
            "email": "x@example.org",
        },
    )
    yield "get", url("listing_create", p), None
    yield "post", url("listing_create", p), {"title": "Sneaky", "summary": "S", "description": "D"}
    yield "get", url("checks", p), None
    yield "get", url("check_add", p), None
    yield (
        "post",
        url("check_add", p),
        {"kind": "cqc", "reference": "1-1", "issued_on_0": "1", "issued_on_1": "1", "issued_on_2": "2024"},
    )
    yield "get", url("listing", listing), None
    for step in ["about", "help", "where", "prices", "when"]:
        yield "get", url("listing_step", listing, step), None
    yield (
        "post",
        url("listing_step", listing, "about"),
        {"title": "Hijacked", "summary": "S", "description": "D"},
    )
    yield "post", url("listing_step", listing, "help"), STEP_DATA["help"]()
    yield "post", url("listing_step", listing, "where"), STEP_DATA["where"]()
    yield "post", url("listing_step", listing, "prices"), STEP_DATA["prices"]()
    yield "post", url("listing_step", listing, "when"), STEP_DATA["when"]()
    yield "get", url("listing_preview", listing), None
    yield "post", url("listing_submit", listing), {}
    yield "get", url("listing_availability", listing), None
    yield "post", url("listing_availability", listing), {"intake": "full"}
    yield "post", url("listing_confirm", listing), {}
    yield "get", url("check_document", check), None
    yield "get", url("check_delete", check), None
    yield "post", url("check_delete", check), {}


@pytest.mark.django_db
def test_a_provider_cannot_see_or_change_another_providers_things(provider_client, someone_elses):
    listing = someone_elses["listing"]
    before = {
        "revisions": listing.revisions.count(),
        "confirmed": listing.last_confirmed_at,
        "pages": ListingPage.objects.count(),
        "checks": Check.objects.count(),
    }
    refused = []
    for method, address, data in _forbidden_requests(someone_elses):
        response = getattr(provider_client, method)(address, data or {})
        refused.append((method, address, response.status_code))
    assert {status for _, _, status in refused} == {404}, [r for r in refused if r[2] != 404]

    listing.refresh_from_db()
    someone_elses["provider"].refresh_from_db()
    assert someone_elses["provider"].name == "Other Org"
    assert listing.revisions.count() == before["revisions"]
    assert listing.last_confirmed_at == before["confirmed"]
    assert listing.intake == "taking"
    assert listing.current_workflow_state is None
    assert ListingPage.objects.count() == before["pages"]
    assert Check.objects.count() == before["checks"]


@pytest.mark.django_db
def test_signed_out_people_cannot_reach_any_provider_page(client, someone_elses):
    for method, address, data in _forbidden_requests(someone_elses):
        response = getattr(client, method)(address, data or {})
        assert response.status_code == 302, address
        assert response["Location"].startswith(reverse("account_login"))


# --- Claims -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_listing_page_offers_claim_only_while_nobody_manages_it(client, directory):
    unclaimed = make_listing(title="Seeded walks")
    page = text(client.get(unclaimed.url))
    assert "Report a problem with this listing" in page
    assert "Claim this listing" in page
    unclaimed.provider.members.add(UserFactory())
    assert "Claim this listing" not in text(client.get(unclaimed.url))


@pytest.mark.django_db
def test_a_claim_waits_for_a_coordinator_and_is_never_automatic(client, directory, coordinator):
    listing = make_listing(title="Seeded walks")
    listing.provider.email = "walks@example.org"
    listing.provider.save()
    # Even a claimant whose email matches the provider's waits for a person to decide.
    claimant = UserFactory(email="walks@example.org")
    stranger = UserFactory(email="stranger@example.org")
    for person in (claimant, stranger):
        client.force_login(person)
        response = client.post(url("claim", listing.public_id), {"message": "It is mine", "phone": ""})
        assert response["Location"] == url("dashboard")
        assert "Waiting for a coordinator" in text(client.get(url("dashboard")))
        assert client.get(url("listing", listing.public_id)).status_code == 404

    claims = Claim.objects.filter(listing=listing)
    assert {c.status for c in claims} == {Claim.Status.PENDING}
    assert claims.get(user=claimant).email_matches
    assert not claims.get(user=stranger).email_matches
    assert not listing.provider.members.exists()

    services.approve_claim(claim=claims.get(user=claimant), by=coordinator, note="Called and checked.")

    assert list(listing.provider.members.all()) == [claimant]
    assert claimant.has_role(Role.PROVIDER) and not claimant.is_staff
    assert claims.get(user=stranger).status == Claim.Status.REJECTED
    assert mail.outbox[-1].to == ["walks@example.org"]
    assert "approved" in mail.outbox[-1].body
    client.force_login(claimant)
    assert client.get(url("listing", listing.public_id)).status_code == 200
    client.force_login(stranger)
    assert client.get(url("listing", listing.public_id)).status_code == 404


@pytest.mark.django_db
def test_a_managed_listing_cannot_be_claimed(client, provider_user, provider):
    listing = make_listing(provider=provider)
    client.force_login(UserFactory())
    response = client.get(url("claim", listing.public_id))
    assert "Somebody already manages this listing" in text(response)
    client.post(url("claim", listing.public_id), {"message": "Mine!"})
    assert not Claim.objects.exists()
    with pytest.raises(services.AlreadyClaimed):
        services.claim_listing(listing=listing, user=UserFactory(), message="Mine")


@pytest.mark.django_db
def test_claim_form_needs_a_reason(client, directory):
    listing = make_listing()
    client.force_login(UserFactory())
    response = client.post(url("claim", listing.public_id), {"message": ""})
    assert "Tell us how we can tell the listing is yours" in text(response)
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_coordinator_approves_a_claim_in_the_admin(client, directory, coordinator):
    listing = make_listing(title="Seeded walks")
    claimant = UserFactory()
    claim = services.claim_listing(listing=listing, user=claimant, message="The phone number is mine")
    client.force_login(coordinator)
    edit_url = f"/admin/snippets/directory/claim/edit/{claim.pk}/"

    queue = client.get("/admin/snippets/directory/claim/")
    assert queue.status_code == 200 and "Seeded walks" in queue.content.decode()
    form = client.get(edit_url)
    assert form.status_code == 200
    assert "does not match" in form.content.decode()

    response = client.post(edit_url, {"decision": "approve", "decision_note": "Checked by phone."})
    assert response.status_code == 302, response.content.decode()[:2000]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    assert claim.decided_by == coordinator
    assert claimant in listing.provider.members.all()


@pytest.mark.django_db
def test_coordinator_rejects_a_claim_with_a_note_the_claimant_sees(client, directory, coordinator):
    listing = make_listing(title="Seeded walks")
    claimant = UserFactory()
    claim = services.claim_listing(listing=listing, user=claimant, message="Trust me")
    client.force_login(coordinator)
    client.post(
        f"/admin/snippets/directory/claim/edit/{claim.pk}/",
        {"decision": "reject", "decision_note": "We could not reach you."},
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REJECTED
    assert not listing.provider.members.exists()
    client.force_login(claimant)
    assert "We could not reach you." in text(client.get(url("dashboard")))


# --- Problem reports --------------------------------------------------------------------


@pytest.mark.django_db
def test_anyone_can_report_a_problem_and_coordinators_hear_of_it(client, directory, coordinator):
    listing = make_listing(title="Garden help")
    form = client.get(url("report_problem", listing.public_id))
    assert form.status_code == 200

    response = client.post(
        url("report_problem", listing.public_id),
        {"problem": "contact", "details": "The phone number does not work.", "contact": ""},
        follow=True,
    )

    assert "Thank you. We have sent your report to our coordinators." in text(response)
    report = ProblemReport.objects.get()
    assert report.listing == listing and not report.resolved
    assert mail.outbox[-1].to == ["coordinator@example.org"]
    assert "The phone number does not work." in mail.outbox[-1].body


@pytest.mark.django_db
def test_problem_report_form_explains_what_is_missing(client, directory):
    listing = make_listing()
    response = client.post(url("report_problem", listing.public_id), {"details": "Closed?"})
    page = text(response)
    assert "Select what is wrong" in page
    assert 'href="#id_problem_0"' in response.content.decode()
    assert "Closed?" in page
    assert not ProblemReport.objects.exists()


@pytest.mark.django_db
def test_a_problem_report_too_long_to_read_is_refused_and_kept_for_editing(client, directory):
    listing = make_listing()
    details = "The phone number is wrong. " * 80  # 2,159 characters once stripped
    response = client.post(
        url("report_problem", listing.public_id), {"problem": "closed", "details": details}
    )
    page = text(response)
    assert "Use 2,000 characters or fewer (you used 2,159)" in page
    assert "The phone number is wrong." in page
    assert not ProblemReport.objects.exists()


@pytest.mark.django_db
def test_problems_cannot_be_reported_on_unpublished_listings(client, directory):
    draft = make_listing(publish=False)
    assert client.get(url("report_problem", draft.public_id)).status_code == 404


@pytest.mark.django_db
def test_coordinators_see_problem_reports_in_the_admin(client, directory, coordinator):
    listing = make_listing(title="Garden help")
    services.report_problem(listing=listing, problem="closed", details="Shut last month.")
    client.force_login(coordinator)
    response = client.get("/admin/snippets/directory/problemreport/")
    assert response.status_code == 200
    assert "Garden help" in response.content.decode()


# --- CQC self-check ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "needs", "because"),
    [
        (
            {
                "personal_care": False,
                "where_they_live": True,
                "works_alone": False,
                "arranged_directly": False,
            },
            False,
            "you do not give personal care",
        ),
        (
            {
                "personal_care": True,
                "where_they_live": False,
                "works_alone": False,
                "arranged_directly": False,
            },
            False,
            "not give it in the place where the person lives",
        ),
        (
            {"personal_care": True, "where_they_live": True, "works_alone": True, "arranged_directly": True},
            False,
            "you work on your own",
        ),
        (
            {"personal_care": True, "where_they_live": True, "works_alone": False, "arranged_directly": True},
            True,
            "you work with or employ other people",
        ),
        (
            {"personal_care": True, "where_they_live": True, "works_alone": True, "arranged_directly": False},
            True,
            "arranged through someone else",
        ),
    ],
)
def test_cqc_advice(answers, needs, because):
    advice = services.cqc_advice(**answers)
    assert advice.needs_registration is needs
    assert because in advice.reason


@pytest.mark.django_db
def test_cqc_self_check_page_gives_a_plain_answer(client):
    response = client.post(
        url("cqc_check"),
        {"personal_care": "yes", "where_they_live": "yes", "works_alone": "no", "arranged_directly": "no"},
    )
    page = text(response)
    assert "It looks like you need to register with the CQC" in page
    assert "not legal advice" in page
    missing = client.post(url("cqc_check"), {"personal_care": "no"})
    assert "Select yes if you help people where they live" in text(missing)


# --- Forms on their own -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "pence"), [("18", 1800), ("18.5", 1850), ("£18.50", 1850), ("1,250.00", 125000), ("0", 0)]
)
def test_pounds_field_reads_pounds_and_pence(typed, pence):
    assert PoundsField(what="the price").clean(typed) == pence


@pytest.mark.parametrize("typed", ["abc", "18.555", "-5", "1e3", "100000.01"])
def test_pounds_field_rejects_what_is_not_a_price(typed):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        PoundsField(what="the price").clean(typed)


def test_date_field_needs_a_real_whole_date():
    from datetime import date

    from django.core.exceptions import ValidationError

    field = GovukDateField(what="the date it was issued")
    assert field.clean(["3", "2", "2025"]) == date(2025, 2, 3)
    with pytest.raises(ValidationError, match="must include a month"):
        field.clean(["3", "", "2025"])
    with pytest.raises(ValidationError, match="must be a real date"):
        field.clean(["31", "2", "2025"])
    with pytest.raises(ValidationError, match="must include a year with 4 numbers"):
        field.clean(["1", "2", "25"])
    with pytest.raises(ValidationError, match="Enter the date it was issued"):
        field.clean(["", "", ""])


def test_about_form_wants_a_name_with_letters():
    form = AboutForm({"title": "!!!", "summary": "S", "description": "D"})
    assert not form.is_valid()
    assert form.errors["title"] == ["Enter a name with letters or numbers in it"]
    assert AboutForm({"title": "  Lunch   club ", "summary": "S", "description": "D"}).is_valid()


@pytest.mark.django_db
def test_error_summary_links_to_the_first_input_of_each_field():
    form = HelpForm({"min_age": "x"}, instance=ListingPage())
    assert not form.is_valid()
    assert error_summary(form) == [
        ("id_outcomes_0", "Select at least one thing your service helps with"),
        ("id_min_age", "Enter the youngest age as a number, like 18"),
    ]
    html = str(form["min_age"])
    assert "govuk-input--error" in html and 'aria-describedby="id_min_age-error"' in html


@pytest.mark.django_db
def test_organisation_form_offers_no_blank_radio():
    form = OrganisationForm()
    assert "" not in [value for value, _ in form.fields["business_type"].choices]


def test_price_formset_ignores_an_untouched_extra_row():
    formset = PriceFormSet(
        {
            "prices-TOTAL_FORMS": "2",
            "prices-INITIAL_FORMS": "0",
            "prices-MIN_NUM_FORMS": "0",
            "prices-MAX_NUM_FORMS": "10",
            "prices-0-description": "Hour",
            "prices-0-unit": "hour",
            "prices-0-weekday": "15",
            "prices-1-unit": "hour",
        },
        prefix="prices",
    )
    assert formset.is_valid(), formset.errors
    assert [p.weekday_pence for p in formset.prices()] == [1500]


def test_check_form_needs_a_document_except_for_cqc():
    form = CheckForm({"kind": "dbs", "issued_on_0": "1", "issued_on_1": "1", "issued_on_2": "2024"})
    assert not form.is_valid()
    assert form.errors["document"] == ["Select a file to upload"]
    cqc = CheckForm({"kind": "cqc", "issued_on_0": "1", "issued_on_1": "1", "issued_on_2": "2024"})
    assert not cqc.is_valid()
    assert cqc.errors["reference"] == ["Enter your CQC provider ID"]
    assert "document" not in cqc.errors


@pytest.mark.django_db
def test_dashboard_flags_expired_and_expiring_evidence(provider_client, provider):
    today = timezone.localdate()
    make_check(provider, kind=Check.Kind.DBS, expires_on=today - timezone.timedelta(days=1))
    make_check(provider, kind=Check.Kind.PUBLIC_LIABILITY, expires_on=today + timezone.timedelta(days=10))
    page = text(provider_client.get(url("dashboard")))
    assert "1 of your checks has expired" in page
    assert "1 of your checks expires in the next 30 days" in page
