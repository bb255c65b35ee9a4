from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    """Providers, listings, the outcomes taxonomy, postcodes and imports."""

    name = "directory"

    def ready(self):
        """Register the provider's landing and links; forget kept figures when a listing changes."""
        from cms.landing import register_landing, register_navigation

        from . import kept, moderation
        from .landing import provider_landing, provider_navigation

        register_landing("directory.provider", provider_landing, order=30)
        register_navigation("directory.provider", provider_navigation, order=30)
        kept.connect()
        moderation.connect()
