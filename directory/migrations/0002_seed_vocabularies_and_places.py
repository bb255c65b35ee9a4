from django.db import migrations


def seed(apps, schema_editor):
    from directory.seed import seed_places, seed_vocabularies

    seed_vocabularies(
        Outcome=apps.get_model("directory", "Outcome"),
        Category=apps.get_model("directory", "Category"),
        Audience=apps.get_model("directory", "Audience"),
        Language=apps.get_model("directory", "Language"),
    )
    seed_places(
        PostcodeDistrict=apps.get_model("directory", "PostcodeDistrict"),
        Place=apps.get_model("directory", "Place"),
    )


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
