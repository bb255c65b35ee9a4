"""Signals the directory sends for other apps (search listens; directory imports none of them)."""

from django.dispatch import Signal

# A live listing's facts changed without a publish (quick "taking new people"/availability
# updates, one-click confirmation). Sent with `listing`; search reindexes it after commit.
listing_updated_in_place = Signal()
