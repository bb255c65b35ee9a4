"""Wagtail's moderation notices go only to people who can open the Wagtail admin.

Wagtail emails the person who submitted a page when it is approved or sent back, with links into
`/admin/`. Providers submit their listings from "My listings" (`/my/`) and cannot open the admin,
so those notices would lead them nowhere: they get the site's own emails instead
(`directory.moderation`). Coordinators and editors keep Wagtail's.
"""

from wagtail.admin.mail import WorkflowStateApprovalEmailNotifier, WorkflowStateRejectionEmailNotifier
from wagtail.models import WorkflowState
from wagtail.signals import workflow_approved, workflow_rejected


def can_open_admin(user) -> bool:
    """True for people Wagtail lets into /admin/ (coordinators, editors, superusers)."""
    return bool(user and user.is_active and user.has_perm("wagtailadmin.access_admin"))


class _AdminUsersOnly:
    def get_recipient_users(self, instance, **kwargs):
        return {user for user in super().get_recipient_users(instance, **kwargs) if can_open_admin(user)}


class AdminApprovalNotifier(_AdminUsersOnly, WorkflowStateApprovalEmailNotifier):
    """Wagtail's "approved" notice, to admin users only."""


class AdminRejectionNotifier(_AdminUsersOnly, WorkflowStateRejectionEmailNotifier):
    """Wagtail's "changes requested" notice, to admin users only."""


# Wagtail connects its notifiers under these ids (wagtail/admin/signal_handlers.py). Connecting
# ours under the same ids replaces them, whichever app's ready() runs first: a second connect with
# a known id is ignored, and ours disconnects Wagtail's if it came first.
_NOTIFIERS = (
    (workflow_approved, AdminApprovalNotifier(), "workflow_state_approved_email_notification"),
    (workflow_rejected, AdminRejectionNotifier(), "workflow_state_rejected_email_notification"),
)


def connect() -> None:
    """Put the admin-only notifiers in place of Wagtail's."""
    for signal, notifier, uid in _NOTIFIERS:
        signal.disconnect(sender=WorkflowState, dispatch_uid=uid)
        signal.connect(notifier, sender=WorkflowState, dispatch_uid=uid)
