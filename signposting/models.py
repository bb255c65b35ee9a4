"""Signposting: shortlists that professionals hand over, enquiries to providers, saved
searches with their alert emails, and which accounts are verified professionals.

What is kept, and what is not (see docs/signposting.md): a shortlist link is a bearer token,
so it is long, random, revocable and never stored as it works (a random key, signed with the
site's key when the link is drawn); a professional's note stays private unless they mark it
shared; an enquiry's words reach the provider only, and the professional who made the
shortlist sees how many enquiries were sent from it, never who sent them or what they said.
"""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.core import signing
from django.db import models
from django.utils import timezone

from directory.fields import SLOTS, AvailabilityField, mask_to_slots
from directory.models import ListingPrice

# These models lived in `search` until the signposting app was made: each keeps its table
# (`db_table`), so the move changed no data (migrations signposting/0001 and search/0004).


def new_token() -> str:
    """A fresh random key: 32 random bytes, URL-safe (43 characters), unguessable."""
    return secrets.token_urlsafe(32)


SHORTLIST_LINK_SALT = "signposting.shortlist-link"
# "." cannot occur in a key (URL-safe base64), so it parts the key from its signature and tells
# a signed link from one made before links were signed.
SHORTLIST_LINK_SEP = "."
# A signed link token is 43 + 1 + 43 characters; anything longer is not one of ours.
SHORTLIST_TOKEN_MAX_LENGTH = 128


def shortlist_link_signer() -> signing.Signer:
    """Signs a shortlist's random key into the token in its link (and checks one given back)."""
    return signing.Signer(salt=SHORTLIST_LINK_SALT, sep=SHORTLIST_LINK_SEP)


def legacy_token_hash(token: str) -> str:
    """How a link made before links were signed is kept: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Shortlist(models.Model):
    """A named list of listings a professional makes for one person and hands over by link."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shortlists")
    title = models.CharField(max_length=120, help_text='For example "Options for Mrs P: getting out".')
    person_label = models.CharField(
        "who it is for",
        max_length=60,
        blank=True,
        help_text="Initials or a first name only: anyone with the link can see this.",
    )
    # The link is `token` below: this key signed with SECRET_KEY. The key alone opens nothing, so a
    # copy of the database holds no working link; a new key is a new link (the old one stops).
    link_key = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    # A link handed out before links were signed keeps working: only its hash is kept.
    legacy_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    comments_open = models.BooleanField(
        default=False, help_text="Anyone with the link (the person, their family) can add comments."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # How often the link was opened by anyone but its owner: a count, never who or when.
    opened_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        db_table = "search_shortlist"
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    @property
    def token(self) -> str:
        """The token in the shared link (`/s/<token>/`): the random key, signed."""
        return shortlist_link_signer().sign(self.link_key)

    @property
    def is_revoked(self) -> bool:
        """True once the owner has switched the link off."""
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        """True when the link had an end date and it has passed."""
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def link_works(self, now=None) -> bool:
        """True when the shared link opens the shortlist."""
        return not self.is_revoked and not self.is_expired(now)


class ShortlistItem(models.Model):
    """One listing on a shortlist, with the professional's note about it."""

    shortlist = models.ForeignKey(Shortlist, on_delete=models.CASCADE, related_name="items")
    listing = models.ForeignKey("directory.ListingPage", on_delete=models.CASCADE, related_name="+")
    note = models.TextField(blank=True, max_length=500)
    note_shared = models.BooleanField(
        default=False, help_text="Show the note to the person. Otherwise only you see it."
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "search_shortlistitem"
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shortlist", "listing"], name="listing_once_per_shortlist")
        ]

    def __str__(self):
        return f"{self.listing} on {self.shortlist}"

    @property
    def note_for_person(self) -> str:
        """The note as the person (or anyone with the link) may see it: empty unless shared."""
        return self.note if self.note_shared else ""


class ShortlistComment(models.Model):
    """A comment on a shared shortlist by the professional, the person or their family."""

    shortlist = models.ForeignKey(Shortlist, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=60)
    text = models.TextField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "search_shortlistcomment"
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.author_name} on {self.shortlist}"


class ShortlistMember(models.Model):
    """Someone who saved a shortlist to their own account (the person, or family)."""

    shortlist = models.ForeignKey(Shortlist, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_shortlists"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "search_shortlistmember"
        ordering = ["-joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["shortlist", "user"], name="member_once_per_shortlist")
        ]

    def __str__(self):
        return f"{self.user} saved {self.shortlist}"


class Enquiry(models.Model):
    """A message from a person to a provider, sent through the site.

    Only the provider's team reads it. `shortlist` records that it came from a shortlist, so
    the professional can be shown a count, never the enquiry itself.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    listing = models.ForeignKey("directory.ListingPage", on_delete=models.CASCADE, related_name="enquiries")
    shortlist = models.ForeignKey(
        Shortlist, null=True, blank=True, on_delete=models.SET_NULL, related_name="enquiries"
    )
    name = models.CharField(max_length=100)
    reply_to = models.CharField("how to reply", max_length=200, help_text="An email address or phone number.")
    message = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set just before the email to the provider goes, so a task run twice sends it once.
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "search_enquiry"
        ordering = ["-created_at"]
        verbose_name_plural = "enquiries"

    def __str__(self):
        return f"Enquiry to {self.listing} ({self.created_at:%d %b %Y})"

    @property
    def reply_by_email(self) -> bool:
        """True when the person gave an email address to reply to."""
        return "@" in self.reply_to


UNSUBSCRIBE_SALT = "signposting.unsubscribe"


class SavedSearch(models.Model):
    """A search someone keeps, with an email when a new listing matches it."""

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", "As soon as there is a new match"
        WEEKLY = "weekly", "Once a week"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    querystring = models.CharField(max_length=1000)
    description = models.CharField(max_length=300)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "search_savedsearch"
        ordering = ["-created_at"]
        verbose_name_plural = "saved searches"

    def __str__(self):
        return self.description

    @property
    def emails_on(self) -> bool:
        """True while alert emails go out for this search."""
        return self.unsubscribed_at is None

    @property
    def unsubscribe_token(self) -> str:
        """The token in this search's unsubscribe links: its public id, signed with the site's key.

        Nothing of it is stored, so a copy of the database gives nobody a working link (alert
        emails go out again and again, so the link must be rebuilt for each; a random token kept
        only as a hash could not be). Changing SECRET_KEY ends every link, as it ends sign-ins.
        """
        return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(self.public_id))


class AlertSent(models.Model):
    """One listing already emailed about for one saved search: it is never sent twice."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="alerts_sent")
    listing = models.ForeignKey("directory.ListingPage", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "search_alertsent"
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["saved_search", "listing"], name="one_alert_per_search_and_listing"
            )
        ]

    def __str__(self):
        return f"{self.listing} sent for {self.saved_search}"


class ProfessionalVerification(models.Model):
    """A request to be treated as a professional, and once verified, how and by whom.

    Verified either by a coordinator, or automatically for a confirmed email address at an
    allow-listed domain (settings.PROFESSIONAL_EMAIL_DOMAINS).
    """

    class Method(models.TextChoices):
        COORDINATOR = "coordinator", "Checked by a coordinator"
        EMAIL_DOMAIN = "email-domain", "Work email address"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="professional_verification"
    )
    organisation = models.CharField(max_length=120, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(max_length=20, choices=Method.choices, blank=True)

    class Meta:
        db_table = "search_professionalverification"
        ordering = ["verified_at", "-requested_at"]

    def __str__(self):
        state = "verified" if self.verified_at else "waiting"
        return f"{self.user} ({state})"

    @property
    def is_verified(self) -> bool:
        """True once a coordinator or the email domain has verified the account."""
        return self.verified_at is not None


# --- Needs: unmet demand posted by people, answered by providers' offers ---------------------


class NeedQuerySet(models.QuerySet):
    """Needs as the public and providers may see them."""

    def open(self, now=None):
        """Needs still looking for support: not expired, withdrawn, hidden or settled."""
        return self.filter(
            expires_at__gt=now or timezone.now(),
            withdrawn_at__isnull=True,
            hidden=False,
            accepted_at__isnull=True,
        )


class Need(models.Model):
    """Support someone is looking for and nobody offers yet, published without a name.

    What is kept (docs/needs.md): the account that posted it and whether it was for themself or
    for someone they help, never who that person is; the place as a postcode district only;
    the person's own words, which the form refuses when they hold an email address, a phone
    number, a full postcode or a "Mrs Smith".
    """

    class PostedFor(models.TextChoices):
        SELF = "self", "Myself"
        SOMEONE_I_HELP = "helped", "Someone I help or look after"
        CLIENT = "client", "Someone I work with as a professional"

    class Frequency(models.TextChoices):
        ONCE = "once", "Once"
        FEW_TIMES_A_WEEK = "several-weekly", "A few times a week"
        WEEKLY = "weekly", "Every week"
        FORTNIGHTLY = "fortnightly", "Every two weeks"
        MONTHLY = "monthly", "Every month"
        NOW_AND_THEN = "now-and-then", "Now and then"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="needs")
    posted_for = models.CharField(max_length=10, choices=PostedFor.choices, default=PostedFor.SELF)
    outcomes = models.ManyToManyField("directory.Outcome", related_name="needs")
    own_words = models.TextField("in your own words", max_length=1000)
    district = models.ForeignKey("directory.PostcodeDistrict", on_delete=models.PROTECT, related_name="needs")
    availability = AvailabilityField(default=0, blank=True)
    frequency = models.CharField(max_length=20, choices=Frequency.choices, default=Frequency.WEEKLY)
    budget_min_pence = models.PositiveIntegerField(null=True, blank=True)
    budget_max_pence = models.PositiveIntegerField(null=True, blank=True)
    could_share = models.BooleanField("could be shared with others nearby", default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Moderation: a coordinator hides a need (edits are logged by Wagtail's history).
    hidden = models.BooleanField(default=False, help_text="Hidden needs vanish from every public page.")
    coordinator_note = models.TextField(
        blank=True, help_text="Why it was hidden. Only coordinators see this."
    )

    # A group proposal is a need several people share ("swimming on Tuesday mornings near BL3,
    # 4-8 people"): others join it, providers offer a price per place, and once enough have
    # joined the poster chooses an offer and the provider sets up the marketplace's group
    # activity (docs/needs.md, "Group proposals"). Both empty: an ordinary need.
    min_people = models.PositiveSmallIntegerField(null=True, blank=True)
    max_people = models.PositiveSmallIntegerField(null=True, blank=True)
    # The group activity the provider set up from it, as the marketplace announced it
    # (cms.signals.group_activity_created): plain values, signposting never imports marketplace.
    activity_ref = models.UUIDField(null=True, blank=True, unique=True)
    activity_url = models.CharField(max_length=300, blank=True)
    activity_join_by = models.DateField(null=True, blank=True)

    objects = NeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget_min_pence__isnull=True)
                | models.Q(budget_max_pence__isnull=True)
                | models.Q(budget_min_pence__lte=models.F("budget_max_pence")),
                name="need_budget_range_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(min_people__isnull=True, max_people__isnull=True)
                | models.Q(min_people__gte=2, max_people__gte=models.F("min_people")),
                name="group_proposal_sizes_in_order",
            ),
        ]

    def __str__(self):
        return f"Need in {self.district.code} posted {self.created_at:%d %b %Y}"

    @property
    def is_group(self) -> bool:
        """True for a group proposal (people join it), False for one person's need."""
        return self.min_people is not None

    def is_open(self, now=None) -> bool:
        """True while the need is shown publicly and can take offers."""
        now = now or timezone.now()
        return self.expires_at > now and not self.withdrawn_at and not self.hidden and not self.accepted_at

    @property
    def availability_slots(self) -> list[str]:
        """Slot names ("mon-morning", …) the person asked for; none means any time."""
        return mask_to_slots(self.availability)

    @property
    def availability_text(self) -> str:
        """The times asked for in words ("Monday morning, Tuesday evening"), or "Any time"."""
        labels = dict(SLOTS)
        return ", ".join(labels[slot] for slot in self.availability_slots) or "Any time"


class Offer(models.Model):
    """A provider's answer to a need, from one of their listings."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the person to choose"
        ACCEPTED = "accepted", "Chosen"
        DECLINED = "declined", "Not chosen"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="offers")
    listing = models.ForeignKey("directory.ListingPage", on_delete=models.CASCADE, related_name="need_offers")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="need_offers"
    )
    price_pence = models.PositiveIntegerField()
    price_unit = models.CharField(
        max_length=10, choices=ListingPrice.Unit.choices, default=ListingPrice.Unit.HOUR
    )
    message = models.TextField(max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["need", "listing"], name="one_offer_per_need_and_listing")
        ]

    def __str__(self):
        return f"Offer from {self.listing} for {self.need}"


class NeedNotified(models.Model):
    """One need already emailed to one provider in a digest: it is never sent twice."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey("directory.Provider", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["need", "provider"], name="need_sent_once_per_provider")
        ]

    def __str__(self):
        return f"{self.need} sent to {self.provider}"


class GroupMember(models.Model):
    """Someone who joined a group proposal, for themself or (a professional, with consent) for
    several people. Never shown to anyone but themself: the public sees only how many."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    places = models.PositiveSmallIntegerField(default=1)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["need", "user"], name="join_a_group_proposal_once")]

    def __str__(self):
        return f"{self.places} place(s) in {self.need}"


class PendingOffer(models.Model):
    """An offer a provider made from a listing they are still starting: it is attached to the
    need (as an `Offer`) when that listing goes live, if the need is still open then."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="pending_offers")
    provider = models.ForeignKey("directory.Provider", on_delete=models.CASCADE, related_name="+")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    price_pence = models.PositiveIntegerField()
    price_unit = models.CharField(
        max_length=10, choices=ListingPrice.Unit.choices, default=ListingPrice.Unit.HOUR
    )
    message = models.TextField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)
    offer = models.OneToOneField(Offer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["need", "provider"], name="one_pending_offer_per_need_and_provider"
            )
        ]

    def __str__(self):
        return f"Pending offer from {self.provider} for {self.need}"


class DemandAlert(models.Model):
    """A would-be provider's "tell me when demand grows here": one outcome in one district.

    `level_sent` is the highest multiple of the threshold already emailed about, so a rise is
    told once: demand has to reach the next multiple before another email goes."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="demand_alerts")
    outcome = models.ForeignKey("directory.Outcome", on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey("directory.PostcodeDistrict", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    level_sent = models.PositiveIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["district__code", "outcome__label"]
        constraints = [
            models.UniqueConstraint(fields=["user", "outcome", "district"], name="one_demand_alert_per_place")
        ]

    def __str__(self):
        return f"Demand alert: {self.outcome} in {self.district.code}"


class ListingStarted(models.Model):
    """A listing that went live for the first time after its provider answered a need or got a
    demand alert: the coordinators' report counts these as new supply."""

    class After(models.TextChoices):
        NEED = "need", "A need"
        ALERT = "alert", "A demand alert"

    listing = models.OneToOneField("directory.ListingPage", on_delete=models.CASCADE, related_name="+")
    after = models.CharField(max_length=5, choices=After.choices)
    outcome = models.ForeignKey("directory.Outcome", null=True, on_delete=models.SET_NULL, related_name="+")
    district = models.ForeignKey(
        "directory.PostcodeDistrict", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    went_live_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.listing} (after {self.get_after_display()})"
