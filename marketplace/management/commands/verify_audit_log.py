"""`manage.py verify_audit_log`: recompute the audit log's hash chain; exit 1 if it is broken."""

from django.core.management.base import BaseCommand, CommandError

from marketplace import audit


class Command(BaseCommand):
    help = "Check that no audit event was changed, removed or reordered since it was written."

    def handle(self, *args, **options):
        result = audit.verify()
        if not result.ok:
            raise CommandError(
                f"The audit log is broken at event {result.broken_at}: {result.problem}. "
                f"{result.checked} events before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"The audit log is intact: {result.checked} events checked."))
