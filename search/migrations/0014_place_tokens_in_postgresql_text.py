"""PostgreSQL: the full-text GIN index also holds each document's place tokens.

As SQLite's FTS5 rows do since 0002 (grid cell "c…", districts served "d…", available anywhere),
so a search with words near a place asks the index for "these words near here" and reads only
those rows; it read every nearby row and looked for the words in each (search_text_place at
100,000 listings: the p95 that grew 1.67x from 10,000). The expression is
search.backends.database.PG_DOCUMENT on the day of this migration (migrations keep their own
copy); a query must spell it exactly so for the index to answer it. SQLite: nothing to do.
"""

from django.db import migrations

OLD = (
    "CREATE INDEX IF NOT EXISTS search_document_terms_fts ON search_searchdocument "
    "USING GIN (to_tsvector('simple', title_terms || ' ' || vocabulary_terms || ' ' || body_terms))"
)
NEW = (
    "CREATE INDEX IF NOT EXISTS search_document_terms_places_fts ON search_searchdocument USING GIN "
    "(to_tsvector('simple', title_terms || ' ' || vocabulary_terms || ' ' || body_terms"
    " || COALESCE(' c' || cell::text, '') || ' ' || regexp_replace(districts, '(\\S+)', 'd\\1', 'g')"
    " || CASE WHEN anywhere THEN ' qqanywhere' ELSE '' END))"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NEW)
        schema_editor.execute("DROP INDEX IF EXISTS search_document_terms_fts")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD)
        schema_editor.execute("DROP INDEX IF EXISTS search_document_terms_places_fts")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0013_cell_reach"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
