"""Moving the signposting models out of search kept their tables, rows, permissions and history.

The database is migrated back to before the move (search/0003, no signposting app), a
professional's shortlist is made through the models as they were then, and after migrating
forward the same rows are read through `signposting.models`, with the content type (and so
the permissions and admin history that point at it) now labelled `signposting`.
"""

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from signposting.models import ProfessionalVerification, Shortlist, ShortlistItem
from tests import factories

BEFORE_THE_MOVE = [("search", "0003_signposting"), ("signposting", None)]


@pytest.fixture(autouse=True)
def content_types_cached_as_the_snapshot_has_them():
    """After a test here, cache every model's content type again, as the test database has them.

    The first test clears ContentType's cache. A later test with a serialized rollback restores
    rows whose save() asks for a content type; with the cache cold that would create the row
    the snapshot is about to insert, and the restore would fail on a duplicate.
    """
    yield
    ContentType.objects.clear_cache()
    ContentType.objects.get_for_models(*django_apps.get_models(), for_concrete_models=False)


def migrate(targets):
    """Migrate the test database to `targets` and return the executor (its loader has the graph)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


# serialized_rollback: an earlier transactional test flushes the pages migrations made (the site root).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_shortlists_made_before_the_move_are_read_through_the_signposting_models():
    professional = factories.UserFactory(email="asha.khan@nhs.net")
    listing = factories.make_listing(title="Swimming buddy")

    executor = migrate(BEFORE_THE_MOVE)
    old = executor.loader.project_state([("search", "0003_signposting")]).apps
    assert "shortlist" in old.all_models["search"]  # the models as they were in search
    old_type = old.get_model("contenttypes", "ContentType").objects.get(app_label="search", model="shortlist")
    old.get_model("search", "ProfessionalVerification").objects.create(
        user_id=professional.pk, method="email-domain", organisation="NHS Bolton", job_title="GP"
    )
    shortlist = old.get_model("search", "Shortlist").objects.create(
        owner_id=professional.pk, title="Options for Mrs P", person_label="Mrs P"
    )
    old.get_model("search", "ShortlistItem").objects.create(
        shortlist=shortlist, listing_id=listing.pk, note="Ask about Tuesdays", note_shared=True
    )

    migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()

    moved = Shortlist.objects.get(public_id=shortlist.public_id)
    assert (moved.title, moved.person_label, moved.owner) == ("Options for Mrs P", "Mrs P", professional)
    assert [(item.listing.title, item.note) for item in moved.items.all()] == [
        ("Swimming buddy", "Ask about Tuesdays")
    ]
    assert ShortlistItem.objects.get().note_shared is True
    assert ProfessionalVerification.objects.get(user=professional).organisation == "NHS Bolton"
    assert Shortlist._meta.db_table == "search_shortlist"
    # The same content type row, relabelled: permissions and admin history follow it.
    content_type = ContentType.objects.get_for_model(Shortlist)
    assert (content_type.pk, content_type.app_label) == (old_type.pk, "signposting")
    assert not ContentType.objects.filter(app_label="search", model="shortlist").exists()
    assert Permission.objects.get(codename="change_shortlist").content_type == content_type


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_shortlist_link_handed_out_before_signing_still_opens_and_is_no_longer_stored(client):
    """signposting/0003: the old token is kept only as a hash, and a fresh signed link replaces it."""
    from signposting.services import open_shortlist

    professional = factories.UserFactory(email="asha.khan@nhs.net")
    executor = migrate([("signposting", "0002_unsubscribe_links_signed")])
    old = executor.loader.project_state([("signposting", "0002_unsubscribe_links_signed")]).apps
    old_token = "handed-out-before-links-were-signed-0123456789ab"
    before = old.get_model("signposting", "Shortlist").objects.create(
        owner_id=professional.pk, title="Options for Mrs P", token=old_token
    )

    migrate(executor.loader.graph.leaf_nodes())

    shortlist = open_shortlist(token=old_token, count_open=False)
    assert shortlist.public_id == before.public_id
    row = Shortlist.objects.filter(pk=shortlist.pk).values().get()
    assert old_token not in row.values()
    assert open_shortlist(token=shortlist.token, count_open=False) == shortlist
