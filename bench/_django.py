"""Start Django for a benchmark against its own SQLite file, never the site's database.

DATABASE_URL is read once, when settings load, so it must be set before django.setup(); the
benchmark therefore runs each database in its own process (see bench.search).
"""

import hashlib
import os
import shutil
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def setup(database_path: Path) -> None:
    """Point Django at `database_path` (a SQLite file) with the test settings, and start it."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    # The test settings: tasks run at once, quiet logging, a fixed secret key. Only the
    # database differs: a real file, because an in-memory database would flatter every figure.
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = f"sqlite:///{database_path}"
    import django

    django.setup()


def migrate() -> None:
    """Create every table (and the seeded vocabularies) in the current database."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _migrations_key() -> str:
    """A hash of every migration file and the framework versions: what `migrate` would build."""
    from importlib import metadata

    digest = hashlib.sha256()
    for name in ("django", "wagtail"):
        digest.update(f"{name}={metadata.version(name)}".encode())
    for path in sorted(PROJECT_ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _remove(database_path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{database_path}{suffix}").unlink(missing_ok=True)


def reset_database(database_path: Path) -> None:
    """Replace the file with a freshly migrated database.

    Migrating takes about 15 seconds, so the first migrated database is kept as a template
    (named by a hash of the migrations) and copied for every later one.
    """
    from django.db import connection

    template = database_path.with_name(f"lsm-bench-template-{_migrations_key()}.sqlite3")
    connection.close()
    _remove(database_path)
    if not template.exists():
        migrate()
        connection.close()
        # Templates for older migrations are of no further use.
        for stale in database_path.parent.glob("lsm-bench-template-*.sqlite3"):
            stale.unlink(missing_ok=True)
        # Copy through a temporary name so a half-written template is never picked up.
        partial = template.with_suffix(".partial")
        shutil.copyfile(database_path, partial)
        partial.rename(template)
    else:
        shutil.copyfile(template, database_path)


def read_meta() -> dict[str, str]:
    """The benchmark's marker: what data this database holds (empty when it has none)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        cursor.execute("SELECT key, value FROM bench_meta")
        return dict(cursor.fetchall())


def write_meta(values: dict[str, str]) -> None:
    """Record what data this database holds, so a later run can reuse it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        cursor.executemany(
            "INSERT OR REPLACE INTO bench_meta (key, value) VALUES (%s, %s)",
            [(k, str(v)) for k, v in values.items()],
        )
