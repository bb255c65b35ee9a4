"""Deliver one signed webhook to `marketplace.services.handle_webhook` in a process of its own,
optionally killing that process (SIGKILL, no clean-up) part-way through handling it.

Run by tests/faults/test_webhook_crash.py as `python -m tests.faults.webhook_process` with the
payload on stdin, the signature in FAULTS_SIGNATURE and the database in DATABASE_URL. The kill
point is chosen with FAULTS_KILL_AT; the hooks live here, in the test's own process, so the
site's code carries no fault switch:

- "received": the event is verified and recorded as received, nothing is done about it yet;
- "payment-written": the Payment row is written, the ledger entry and the order are not.
"""

import json
import os
import signal
import sys


def die(*args, **kwargs):
    """Stop dead, as the kernel's OOM killer or a lost machine would: no handlers, no rollback."""
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    import django

    django.setup()
    from django.db.models.signals import post_save

    from marketplace import services
    from marketplace.models import Payment, WebhookEvent
    from marketplace.services import webhooks

    kill_at = os.environ.get("FAULTS_KILL_AT", "")
    if kill_at == "received":
        # handle_webhook looks _dispatch up when it calls it: after the event row is written.
        def dispatch_then_die(received):
            assert WebhookEvent.objects.filter(event_id=received.event_id).exists()
            die()

        webhooks._dispatch = dispatch_then_die
    elif kill_at == "payment-written":
        post_save.connect(die, sender=Payment, weak=False)
    elif kill_at:
        raise SystemExit(f"unknown FAULTS_KILL_AT={kill_at!r}")

    payload = sys.stdin.buffer.read()
    status = services.handle_webhook(payload=payload, signature=os.environ["FAULTS_SIGNATURE"])
    print(json.dumps({"status": status}))


if __name__ == "__main__":
    main()
