"""Importers that fill the directory from files: listings (CSV) and postcodes (ONSPD)."""
