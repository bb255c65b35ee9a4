"""Needs: people post support they cannot find, providers nearby are told and offer, and the
"Start something local" page shows would-be providers where support is missing.

`services.py` is the only writer of needs and offers; `matching.py` decides which listings
could meet a need; `demand.py` counts demand by district for the public page. See docs/needs.md.
"""
