"""Which fields of an indexed listing hold each term (search.models.SearchTermField).

The new table is filled from the index already there, so the top-k plans can use it at once
(with nothing in it they fall back to reading every match, exactly as before).
"""

from django.db import migrations, models

# The same bits and upsert as search/backends/database.py (copied: migrations keep their own).
BITS = (("title_terms", 1), ("body_terms", 2), ("vocabulary_terms", 4))
UPSERT = (
    "INSERT INTO search_searchtermfield (term, fields) VALUES (%s, %s) ON CONFLICT (term) "
    "DO UPDATE SET fields = search_searchtermfield.fields | excluded.fields"
)


def fill(apps, schema_editor):
    SearchDocument = apps.get_model("search", "SearchDocument")
    found = {}
    rows = SearchDocument.objects.values_list(*(column for column, _ in BITS))
    for row in rows.iterator(chunk_size=2000):
        for text, (_, bit) in zip(row, BITS, strict=True):
            for term in text.split():
                if len(term) <= 100:
                    found[term] = found.get(term, 0) | bit
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany(UPSERT, list(found.items()))


class Migration(migrations.Migration):
    dependencies = [("search", "0009_price_unit")]

    operations = [
        migrations.CreateModel(
            name="SearchTermField",
            fields=[
                ("term", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("fields", models.PositiveSmallIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
