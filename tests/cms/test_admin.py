"""Coordinators run the directory in the Wagtail admin; nobody else gets in."""

import pytest
from bs4 import BeautifulSoup

from cms.models import Role
from directory.models import Outcome
from tests.factories import UserFactory, make_listing

pytestmark = pytest.mark.django_db


def form_data(html: str, *, containing: str) -> dict[str, list[str]]:
    """What a browser would submit from the page's form that has a field named `containing`.

    Reads every field the way a browser does: ticked boxes only, selected options (or a
    single select's first option), textareas without the newline after the opening tag,
    and nothing inside <template> (the inline panels' blank "add another" forms).
    """
    soup = BeautifulSoup(html, "html.parser")
    field = soup.find(attrs={"name": containing})
    assert field is not None, f"No field named {containing!r} on the page"
    form = field.find_parent("form")
    data: dict[str, list[str]] = {}
    for element in form.find_all(["input", "textarea", "select"]):
        name = element.get("name")
        if not name or element.has_attr("disabled") or element.find_parent("template"):
            continue
        if element.name == "input":
            kind = element.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                continue
            if kind in {"checkbox", "radio"}:
                if element.has_attr("checked"):
                    data.setdefault(name, []).append(element.get("value", "on"))
                continue
            data.setdefault(name, []).append(element.get("value", ""))
        elif element.name == "textarea":
            text = element.string or ""
            data.setdefault(name, []).append(text.removeprefix("\r\n").removeprefix("\n"))
        else:
            options = element.find_all("option")
            chosen = [o.get("value", o.get_text()) for o in options if o.has_attr("selected")]
            if not chosen and not element.has_attr("multiple") and options:
                chosen = [options[0].get("value", options[0].get_text())]
            data.setdefault(name, []).extend(chosen)
    return data


def error_messages(html: str) -> list[str]:
    """The admin's error texts, to explain a form that did not save."""
    soup = BeautifulSoup(html, "html.parser")
    found = soup.select(".error-message, .help-critical, .messages .error, [role=alert]")
    return [" ".join(element.get_text().split()) for element in found]


@pytest.fixture
def coordinator():
    return UserFactory(role=Role.COORDINATOR, is_staff=True)


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


# --- Getting in ----------------------------------------------------------------------------


def test_coordinator_can_open_the_admin(coordinator_client):
    response = coordinator_client.get("/admin/")
    assert response.status_code == 200


def test_coordinators_may_edit_every_page(coordinator):
    from wagtail.models import GroupPagePermission, Page

    root = Page.get_first_root_node()
    granted = set(
        GroupPagePermission.objects.filter(group__name=Role.COORDINATOR.value, page=root).values_list(
            "permission__codename", flat=True
        )
    )
    assert {"add_page", "change_page", "publish_page"} <= granted


def test_coordinators_can_edit_vocabularies_after_the_first_migrate(coordinator):
    # The test database is made by one `migrate`; the role set-up runs for the first app
    # in INSTALLED_APPS, so it must create the later apps' permissions itself.
    assert coordinator.has_perm("directory.change_outcome")
    assert coordinator.has_perm("directory.change_provider")


@pytest.mark.parametrize("role", [Role.BUDGET_HOLDER, Role.PROVIDER])
def test_people_who_are_not_coordinators_are_kept_out_of_the_admin(client, role):
    client.force_login(UserFactory(role=role))
    response = client.get("/admin/")
    assert response.status_code in {302, 403}
    if response.status_code == 302:
        assert response["Location"].startswith("/admin/login/")


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- Editing a listing ---------------------------------------------------------------------


def test_coordinator_edits_a_listing_as_a_draft_until_published(coordinator_client, directory):
    listing = make_listing(title="Swimming buddy", summary="Old summary.")
    edit_url = f"/admin/pages/{listing.pk}/edit/"
    revisions_before = listing.revisions.count()

    page = coordinator_client.get(edit_url)
    assert page.status_code == 200
    data = form_data(page.content.decode(), containing="summary")
    assert data["summary"] == ["Old summary."]
    assert data["prices-TOTAL_FORMS"] == ["1"]
    data["summary"] = ["New summary from the coordinator."]

    response = coordinator_client.post(edit_url, data)

    assert response.status_code == 302, error_messages(response.content.decode())
    listing.refresh_from_db()
    assert listing.revisions.count() == revisions_before + 1
    assert listing.get_latest_revision_as_object().summary == "New summary from the coordinator."
    assert listing.has_unpublished_changes
    # The public still sees the published version.
    public = coordinator_client.get(listing.url).content.decode()
    assert "Old summary." in public
    assert "New summary from the coordinator." not in public
    # Nothing else in the draft was lost by the round trip through the form.
    draft = listing.get_latest_revision_as_object()
    assert [p.weekday_pence for p in draft.prices.all()] == [1800]
    assert [o.slug for o in draft.outcomes.all()] == ["get-out-and-about"]
    assert draft.availability == listing.availability


def test_coordinator_publishes_the_edit(coordinator_client, directory):
    listing = make_listing(title="Swimming buddy", summary="Old summary.")
    edit_url = f"/admin/pages/{listing.pk}/edit/"
    data = form_data(coordinator_client.get(edit_url).content.decode(), containing="summary")
    data["summary"] = ["Published summary."]
    data["action-publish"] = ["action-publish"]

    response = coordinator_client.post(edit_url, data)

    assert response.status_code == 302, error_messages(response.content.decode())
    public = coordinator_client.get(listing.url).content.decode()
    assert "Published summary." in public


# --- Editing the vocabularies --------------------------------------------------------------


def test_coordinator_opens_the_outcomes_list(coordinator_client):
    response = coordinator_client.get("/admin/snippets/directory/outcome/")
    assert response.status_code == 200
    assert "Get out and about" in response.content.decode()


def test_coordinator_edits_an_outcome_label_and_synonyms(coordinator_client):
    outcome = Outcome.objects.get(slug="get-out-and-about")
    edit_url = f"/admin/snippets/directory/outcome/edit/{outcome.pk}/"

    page = coordinator_client.get(edit_url)
    assert page.status_code == 200
    data = form_data(page.content.decode(), containing="label")
    data["label"] = ["Get out and about in my area"]
    data["synonyms"] = ["outings, trips, going out, days out"]

    response = coordinator_client.post(edit_url, data)

    assert response.status_code == 302, error_messages(response.content.decode())
    outcome.refresh_from_db()
    assert outcome.label == "Get out and about in my area"
    assert outcome.synonym_list == ["outings", "trips", "going out", "days out"]
    assert outcome.slug == "get-out-and-about"  # links to it keep working
