"""What the directory tells cms.landing: providers start at, and see, "My listings"."""

from django.urls import reverse

from cms.landing import NavLink


def _is_provider(user) -> bool:
    return user.providers.exists()


def provider_landing(user) -> str | None:
    """Members of a provider start at "My listings"."""
    return reverse("my:dashboard") if _is_provider(user) else None


def provider_navigation(user) -> list[NavLink]:
    """A "My listings" link for members of a provider."""
    return [NavLink("My listings", reverse("my:dashboard"))] if _is_provider(user) else []
