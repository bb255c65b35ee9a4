from django.db import migrations, models
from django.db.models import Count


def count_cells(apps, schema_editor):
    SearchDocument = apps.get_model("search", "SearchDocument")
    SearchCellCount = apps.get_model("search", "SearchCellCount")
    rows = SearchDocument.objects.exclude(cell=None).values_list("cell").annotate(n=Count("*")).order_by()
    SearchCellCount.objects.bulk_create(
        [SearchCellCount(cell=cell, listings=n) for cell, n in rows], batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0011_anywhere_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchCellCount",
            fields=[
                ("cell", models.IntegerField(primary_key=True, serialize=False)),
                ("listings", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(count_cells, migrations.RunPython.noop),
    ]
