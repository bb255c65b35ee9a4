from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    """Providers, listings, the outcomes taxonomy, postcodes and imports."""

    name = "directory"

    def ready(self):
        """Forget kept directory figures when a listing changes (see directory.kept)."""
        from . import kept

        kept.connect()
