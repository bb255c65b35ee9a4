"""Importers that fill the directory from files: `listings` (CSV) and `postcodes` (ONSPD)."""


class ImportFailed(Exception):
    """The file as a whole cannot be imported (empty, not CSV, wrong header); `str()` says why."""
