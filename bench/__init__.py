"""Benchmarks that print figures, with their data generators (see bench/README.md)."""
