"""The role groups and what each may do in the Wagtail admin.

Run after every `migrate` (a post_migrate handler), because permissions only exist once
all apps have migrated; it only adds what is missing, so it is safe to repeat.
"""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from .models import Role

# Coordinators edit pages and the directory's vocabularies and providers; nobody else uses
# the admin. Budget holders, delegates, professionals and providers work in the front end.
COORDINATOR_MODEL_PERMISSIONS = {
    "directory": [
        "outcome",
        "category",
        "audience",
        "accessfeature",
        "language",
        "provider",
        "check",
        "claim",
        "problemreport",
        "feed",
    ],
    "signposting": ["need"],
    "cms": ["startsomethinglocalguide"],
    "wagtailimages": ["image"],
    "wagtaildocs": ["document"],
}
COORDINATOR_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]


def ensure_role_groups(**kwargs):
    """Create every role group and give Coordinators their admin permissions."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from wagtail.models import GroupCollectionPermission, GroupPagePermission, Page

    # This runs for the first app in INSTALLED_APPS, before Django has made the later apps'
    # permissions; make them all now so a single `migrate` gives Coordinators everything.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)

    groups = {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}
    coordinators = groups[Role.COORDINATOR]

    wanted = list(Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin"))
    for app_label, models in COORDINATOR_MODEL_PERMISSIONS.items():
        for model in models:
            wanted += Permission.objects.filter(content_type__app_label=app_label, content_type__model=model)
    coordinators.permissions.add(*wanted)

    root = Page.get_first_root_node()
    if root is not None:
        for codename in COORDINATOR_PAGE_PERMISSIONS:
            permission = Permission.objects.filter(
                content_type=ContentType.objects.get_for_model(Page), codename=codename
            ).first()
            if permission:
                GroupPagePermission.objects.get_or_create(
                    group=coordinators, page=root, permission=permission
                )

    from wagtail.models import Collection

    collection = Collection.get_first_root_node()
    if collection is not None:
        for permission in Permission.objects.filter(
            content_type__app_label__in=["wagtailimages", "wagtaildocs"],
            codename__in=[
                "add_image",
                "change_image",
                "choose_image",
                "add_document",
                "change_document",
                "choose_document",
            ],
        ):
            GroupCollectionPermission.objects.get_or_create(
                group=coordinators, collection=collection, permission=permission
            )

    # Coordinators moderate: make them the reviewers of Wagtail's default approval task.
    from wagtail.models import GroupApprovalTask

    for task in GroupApprovalTask.objects.all():
        task.groups.add(coordinators)


def is_coordinator(user) -> bool:
    """True for signed-in, active coordinators and superusers: the staff who moderate, verify
    evidence and professionals, see the demand report and may open a holder's record."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.has_role(Role.COORDINATOR)
