"""Signals any app can answer without the sender importing it.

`erasing_personal_data(user=...)` is sent (inside the erasure's transaction, before the
account is anonymised) when a person's personal data is erased; each app deletes or blanks
its own records about them. See docs/privacy.md for what is erased and what is kept.
"""

from django.dispatch import Signal

erasing_personal_data = Signal()

# `account_created(user=..., purpose=..., request=...)` is sent when someone creates an account,
# with what they said they are here for ("holder", "provider", "professional", "looking").
# search uses it to verify a professional with an allow-listed work email at once.
account_created = Signal()

# `demo_users_loaded(users=...)` is sent by the directory's `load_demo` with its demo accounts
# by key ("coordinator", "professional", ...), so other apps can give them their part of the demo.
demo_users_loaded = Signal()

# `signposted_outcome_counts(introductions=[(user id, listing id, since), ...])` is sent by
# signposting for a professional's counts page: each introduction is a person who saved the
# professional's shortlist (at `since`) with that listing on it. The marketplace answers with
# its "did it help?" counts (`marketplace.services.outcome_checks.AnswerCounts`), so neither app
# imports the other.
signposted_outcome_counts = Signal()
