"""What the marketplace tells cms.landing: budget holders and their helpers start at the budget."""

from django.urls import reverse

from cms.landing import NavLink
from cms.models import Role
from directory.models import Provider

from .models import Budget, Delegate


def _may_have_budget(user) -> bool:
    # Only holders and helpers have the groups; asking them first means nobody else's pages
    # (a professional's, say) ever read a marketplace table.
    return user.groups.filter(name__in=[Role.BUDGET_HOLDER.value, Role.DELEGATE.value]).exists()


def budget_landing(user) -> str | None:
    """Holders start at their budget; a helper at the budget they help with, or at the page
    that asks whose budget to work on when they help more than one person."""
    if not _may_have_budget(user):
        return None
    if Budget.objects.filter(holder=user).exists():
        return reverse("marketplace:dashboard")
    helping = Delegate.objects.filter(user=user, status=Delegate.Status.ACTIVE).count()
    if helping == 1:
        return reverse("marketplace:dashboard")
    if helping > 1:
        return reverse("marketplace:switch_budget")
    return None


def budget_navigation(user) -> list[NavLink]:
    """ "Your budget" for people who hold one or help with one (nobody else has one to see)."""
    if _may_have_budget(user) and (
        Budget.objects.filter(holder=user).exists()
        or Delegate.objects.filter(user=user, status=Delegate.Status.ACTIVE).exists()
    ):
        return [NavLink("Your budget", reverse("marketplace:dashboard"))]
    return []


def provider_navigation(user) -> list[NavLink]:
    """ "Requests" (the provider's inbox) for members of a provider."""
    if Provider.objects.filter(members=user).exists():
        return [NavLink("Requests", reverse("marketplace:provider_inbox"))]
    return []
