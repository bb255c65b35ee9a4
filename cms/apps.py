from django.apps import AppConfig


class CmsConfig(AppConfig):
    """The shared kit: accounts, the Wagtail site's pages and settings, templates."""

    name = "cms"
    verbose_name = "Site"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks, landing, notifications  # noqa: F401 (checks registers itself)
        from .roles import ensure_role_groups

        landing.register_landing("cms.coordinator", landing.coordinator_landing, order=10)
        landing.register_navigation("cms.coordinator", landing.coordinator_navigation, order=90)

        notifications.connect()
        # Only once, after the last app: permissions for every app exist by then.
        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="cms.ensure_role_groups")
