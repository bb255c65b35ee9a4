from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    """Providers, listings, the outcomes taxonomy, postcodes and imports."""

    name = "directory"
