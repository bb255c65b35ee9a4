"""Shortlist links become a random key signed with the site's key; links already handed out
keep working through a hash of their token (a copy of the database then holds no working link)."""

import hashlib
import secrets

from django.db import migrations, models


def keep_old_links_as_hashes(apps, schema_editor):
    """Each existing token is kept only as its SHA-256 and replaced by a fresh key."""
    Shortlist = apps.get_model("signposting", "Shortlist")
    for shortlist in Shortlist.objects.only("pk", "link_key"):
        shortlist.legacy_token_hash = hashlib.sha256(shortlist.link_key.encode()).hexdigest()
        shortlist.link_key = secrets.token_urlsafe(32)
        shortlist.save(update_fields=["legacy_token_hash", "link_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("signposting", "0002_unsubscribe_links_signed"),
    ]

    operations = [
        migrations.RenameField(model_name="shortlist", old_name="token", new_name="link_key"),
        migrations.AddField(
            model_name="shortlist",
            name="legacy_token_hash",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        # Going back cannot restore the old tokens (only their hashes are kept): old links stay
        # dead after a rollback, new keys become the tokens.
        migrations.RunPython(keep_old_links_as_hashes, migrations.RunPython.noop),
    ]
