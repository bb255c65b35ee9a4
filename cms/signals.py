"""Signals any app can answer without the sender importing it.

`erasing_personal_data(user=...)` is sent (inside the erasure's transaction, before the
account is anonymised) when a person's personal data is erased; each app deletes or blanks
its own records about them. See docs/privacy.md for what is erased and what is kept.
"""

from django.dispatch import Signal

erasing_personal_data = Signal()
