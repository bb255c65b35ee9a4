from django.db import migrations


def seed(apps, schema_editor):
    from directory.seed import seed_vocabularies

    seed_vocabularies(
        Outcome=apps.get_model("directory", "Outcome"),
        Category=apps.get_model("directory", "Category"),
        Audience=apps.get_model("directory", "Audience"),
        Language=apps.get_model("directory", "Language"),
    )
    # Places (every UK postcode district) are loaded by 0004, once their fields exist.


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
