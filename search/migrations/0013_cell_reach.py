from django.db import migrations, models
from django.db.models import Count, Q

# As search.models.REACH_BANDS on the day of this migration (migrations keep their own copy).
REACH_BANDS = {"reach_5": (1, 5), "reach_10": (6, 10), "reach_20": (11, 20), "reach_50": (21, 50), "reach_100": (51, 100)}


def count_cells(apps, schema_editor):
    SearchDocument = apps.get_model("search", "SearchDocument")
    SearchCellCount = apps.get_model("search", "SearchCellCount")
    by_reach = {field: Count("listing_id", filter=Q(radius_miles__range=band)) for field, band in REACH_BANDS.items()}
    rows = SearchDocument.objects.exclude(cell=None).values("cell").annotate(listings=Count("*"), **by_reach)
    SearchCellCount.objects.all().delete()
    SearchCellCount.objects.bulk_create([SearchCellCount(**row) for row in rows.order_by()], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0012_cell_counts"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name="searchcellcount", name=field, field=models.PositiveIntegerField(default=0)
            )
            for field in REACH_BANDS
        ),
        migrations.RunPython(count_cells, migrations.RunPython.noop),
    ]
