"""Full-text indexes for the database backend's text-first path (searches with no place).

SQLite: an FTS5 table mirroring each document's terms (written by the backend).
PostgreSQL: a GIN index over the terms columns, used by to_tsvector('simple', …) queries.
Terms are already stemmed by search.text, so neither database stems them again.
"""

from django.db import migrations


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(terms, tokenize='unicode61')"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS search_document_terms_fts ON search_searchdocument "
            "USING GIN (to_tsvector('simple', title_terms || ' ' || vocabulary_terms || ' ' || body_terms))"
        )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS search_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_document_terms_fts")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
