from django.apps import AppConfig


class CmsConfig(AppConfig):
    """The shared kit: accounts, the Wagtail site's pages and settings, templates."""

    name = "cms"
    verbose_name = "Site"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .roles import ensure_role_groups

        # Only once, after the last app: permissions for every app exist by then.
        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="cms.ensure_role_groups")
