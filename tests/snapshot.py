"""Restore the test database's snapshot with the postcode districts in bulk.

A test with a serialized rollback (every browser test, through `live_url`) starts by putting
back the database the migrations made: Django deserializes every row and saves them one by
one. Since migration `directory/0004` loads every UK postcode district (~3,100 rows), that
alone took seconds per test (`python -m bench.places`: snapshot_restore_ms). Here those rows
are inserted with bulk_create instead; every other row is restored by Django as before, in the
same transaction, and the same constraint check runs over all of them.
"""

import json

from django.core import serializers
from django.db.backends.base.creation import BaseDatabaseCreation
from django.db.transaction import atomic

# Plain tables (no multi-table inheritance, no many-to-many) big enough to matter.
BULK_MODELS = {"directory.postcodedistrict"}
_django_restore = BaseDatabaseCreation.deserialize_db_from_string


def _restore(self, data):
    rows = json.loads(data)
    bulk = [row for row in rows if row["model"] in BULK_MODELS]
    if not bulk:
        return _django_restore(self, data)
    rest = json.dumps([row for row in rows if row["model"] not in BULK_MODELS])
    alias = self.connection.alias
    with atomic(using=alias):
        objects = [item.object for item in serializers.deserialize("json", json.dumps(bulk), using=alias)]
        by_model = {}
        for obj in objects:
            by_model.setdefault(type(obj), []).append(obj)
        for model, batch in by_model.items():
            # The rows may still be there: the first such test after ordinary (rolled-back)
            # tests finds the database as the migrations left it, and Django's own restore would
            # update them in place. They are those same rows, so keep them.
            model._base_manager.using(alias).bulk_create(batch, batch_size=500, ignore_conflicts=True)
        _django_restore(self, rest)
        self.connection.check_constraints(table_names=[model._meta.db_table for model in by_model])
    return None


def install():
    """Use the bulk restore for every test database (called once, from tests/conftest.py)."""
    BaseDatabaseCreation.deserialize_db_from_string = _restore
