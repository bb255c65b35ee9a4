"""The audit chain's head row exists from the start, so the first two concurrent writers
queue on its lock instead of racing to create it."""

from django.db import migrations


def create_head(apps, schema_editor):
    AuditChainHead = apps.get_model("marketplace", "AuditChainHead")
    AuditChainHead.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_delegates_pooling_statements_audit")]

    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
