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

# `group_activity_created(proposal=..., listing_id=..., activity_id=..., url=..., join_by=...)` is
# sent by the marketplace when a provider sets up a group activity from a group proposal (the
# proposal's public id came to its form by address). signposting records it and tells the people
# who joined the proposal; every value is plain (UUIDs, an absolute address, a date).
group_activity_created = Signal()

# `paid_support_asked(choices=[(ref, user_pk, listing_pk, since)], activities=[activity_uuid])` is
# sent by signposting's report to learn which needs turned into paid support, without importing
# the marketplace. The marketplace answers (the receiver's return value) with the set of `ref`s
# for which `user_pk` asked for, and paid, support from `listing_pk` after `since`, and of the
# activity ids with at least one paid place. No answer (no marketplace) means none is known paid.
paid_support_asked = Signal()
