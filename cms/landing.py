"""Where each person lands after signing in, and the header links their roles give them.

cms is the bottom of the dependency graph: it knows accounts and roles, not budgets, listings
or shortlists. So each app that gives people a place of their own registers, from its
AppConfig.ready(), two small functions of the user:

- a *landing*: the URL this person should start from, or None when the app has nothing for
  them ("holds or helps with a budget" → /budget/). The lowest `order` that answers wins.
- *navigation*: the header links the app gives this person (each a `NavLink`).

Orders used: coordinators 10 (cms), budget holders and helpers 20 (marketplace), providers 30
(directory), professionals 40 (search). Someone with no role lands on LOGIN_REDIRECT_URL.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.functional import SimpleLazyObject


@dataclass(frozen=True)
class NavLink:
    """One link in the header's main navigation."""

    label: str
    url: str


# name → (order, function); keyed by name so a repeated ready() replaces rather than adds.
_landings: dict[str, tuple[int, Callable]] = {}
_navigation: dict[str, tuple[int, Callable]] = {}


def register_landing(name: str, func: Callable, *, order: int) -> None:
    """Register `func(user) -> str | None`, a URL for people this app has a place for."""
    _landings[name] = (order, func)


def register_navigation(name: str, func: Callable, *, order: int) -> None:
    """Register `func(user) -> iterable of NavLink`, the header links this app gives `user`."""
    _navigation[name] = (order, func)


def registered_landing(user) -> str | None:
    """The first registered landing that has a place for `user`, or None."""
    for _order, func in sorted(_landings.values(), key=lambda item: item[0]):
        url = func(user)
        if url:
            return url
    return None


def landing_url(user) -> str:
    """The place `user` starts from after signing in (LOGIN_REDIRECT_URL when no app has one)."""
    return registered_landing(user) or resolve_url(settings.LOGIN_REDIRECT_URL)


def navigation_for(user) -> list[NavLink]:
    """Every header link the registered apps give `user`, in registration order."""
    if not getattr(user, "is_authenticated", False):
        return []
    links: list[NavLink] = []
    for _order, func in sorted(_navigation.values(), key=lambda item: item[0]):
        links.extend(_as_list(func(user)))
    return links


def _as_list(links: Iterable[NavLink] | None) -> list[NavLink]:
    return list(links or [])


def navigation(request):
    """Context processor: `role_nav`, the signed-in person's own header links (computed lazily)."""
    return {"role_nav": SimpleLazyObject(lambda: navigation_for(getattr(request, "user", None)))}


# --- cms's own: coordinators ---------------------------------------------------------------


def coordinator_landing(user) -> str | None:
    """Coordinators (and anyone else who may use the Wagtail admin) start at its dashboard."""
    if user.has_perm("wagtailadmin.access_admin"):
        return reverse("wagtailadmin_home")
    return None


def coordinator_navigation(user) -> list[NavLink]:
    """An "Admin" link for people who may use the Wagtail admin."""
    if user.has_perm("wagtailadmin.access_admin"):
        return [NavLink("Admin", reverse("wagtailadmin_home"))]
    return []
