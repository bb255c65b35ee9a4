"""The people and things the authorisation matrix (tests/test_authorisation_matrix.py) visits with.

One world is built per test module: holder A with a budget, plan, open request, a request with a
suggested change, a paid and an unpaid order and a receipt for spending outside the site; delegates
of A at each permission level (and one whose access was withdrawn); holder B with a budget of their
own; provider X (whose listing A ordered from) with evidence of a check and an enquiry; provider Y;
two verified professionals, the first with a shortlist of X's listing; a coordinator. Every URL
argument in the matrix names one of these objects, and they all belong to holder A, provider X or
the first professional, so every other role is trying "someone else's" thing.

Each holder of private data has its own "marker" words, so the matrix can also check that a page
answered to the wrong person does not contain them.
"""

import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from cms.models import ContentPage, Role
from directory import provider_services, reminders
from directory.fields import slots_to_mask
from directory.models import Check, PostcodeDistrict
from directory.oruk import mapping as oruk_mapping
from marketplace import services
from marketplace.models import Delegate, GroupActivity, MeetFirst, SupportRequest
from marketplace.services import delegation, outcome_checks, payments, pooling, statements
from search.models import LowResultSearch
from signposting import services as signposting
from signposting.needs import alerts as demand_alerts
from signposting.needs import groups
from signposting.needs import services as needs
from tests import factories
from tests.marketplace import factories as mf

try:  # the regular-expression parser, to build a sample address for any pattern
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_parse

ANONYMOUS = "anonymous"
ROLES = (
    ANONYMOUS,
    "holder_a",
    "holder_b",
    "delegate_view",
    "delegate_request",
    "delegate_pay",
    "delegate_statements",
    "delegate_withdrawn",
    "provider_x",
    "provider_y",
    "professional",
    "professional_b",
    "coordinator",
)

# Names for sets of roles, usable as keyword arguments in the matrix (see `cells`).
ACTIVE_DELEGATES = ("delegate_view", "delegate_request", "delegate_pay", "delegate_statements")
ROLE_GROUPS = {
    "everyone": ROLES,
    "signed_in": ROLES[1:],
    "delegates": ACTIVE_DELEGATES,
    "a_side": ("holder_a", *ACTIVE_DELEGATES),
    "providers": ("provider_x", "provider_y"),
    "professionals": ("professional", "professional_b"),
}

# Private words, each allowed only to the roles listed: a page shown to anyone else must not
# contain them.
A_SIDE = ROLE_GROUPS["a_side"]
MARKERS = {
    "holder A's surname": ("Lovelock", (*A_SIDE, "provider_x")),
    "holder A's plan, in their own words": ("Swim with my sister Ruth", (*A_SIDE, "provider_x")),
    "holder A's note to the provider": ("side door code 4471", (*A_SIDE, "provider_x")),
    "holder A's spending outside the site": ("Taxi to Ruth's flat", A_SIDE),
    "the professional's private note": ("Mrs P prefers mornings", ("professional",)),
    "the enquiry to provider X": ("Edna Enquirer", ("provider_x",)),
    "holder A's saved search": ("hydrotherapy", ("holder_a",)),
    # Only the person who posted a need reads the offers on it (and the provider who wrote one).
    "provider Y's offer on holder A's need": ("pool lane at Castle Leisure", ("holder_a", "provider_y")),
    # Meeting first: each side's private reason for a "no" is read by that side only.
    "holder A's private reason for no": ("smelt of smoke", A_SIDE),
    "provider X's private reason for no": ("allergic to the cat", ("provider_x",)),
    # Nobody has typed the password, so nobody sees the protected page's words.
    "the password-protected page": ("For the team only", ()),
}

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    """Everyone (`users[role]`) and the objects URL arguments are filled from (`params`)."""

    users: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def _delegate(budget, name, *, status=Delegate.Status.ACTIVE, **permissions):
    user = factories.UserFactory(role=Role.DELEGATE, first_name=name, last_name="Delegate")
    Delegate.objects.create(
        budget=budget,
        user=user,
        name=f"{name} Delegate",
        email=user.email,
        status=status,
        accepted_at=timezone.now(),
        withdrawn_at=timezone.now() if status == Delegate.Status.WITHDRAWN else None,
        **permissions,
    )
    return user


def _meetings(o, budget, holder, listing, provider, text) -> None:
    """Holder A's meetings with provider X at each step (made directly: the service allows one
    open meeting per listing, and the matrix needs every step at once)."""
    now = timezone.now()
    common = {
        "budget": budget,
        "requested_by": holder,
        "listing": listing,
        "provider": provider,
        "kind": "visit",
    }
    o["offered_meet"] = MeetFirst.objects.create(
        **common, status=MeetFirst.Status.OFFERED, time_1=now + timedelta(days=3), where="Library café"
    )
    happened = {"time_1": now - timedelta(hours=2), "chosen_time": now - timedelta(hours=2)}
    # The provider has said no (privately why); the person's side has not answered yet.
    o["booked_meet"] = MeetFirst.objects.create(
        **common,
        **happened,
        status=MeetFirst.Status.BOOKED,
        provider_decision="no",
        provider_private_reason=text["provider X's private reason for no"],
    )
    # The person's side has said no (privately why); the provider has not answered yet.
    o["answered_meet"] = MeetFirst.objects.create(
        **common,
        **happened,
        status=MeetFirst.Status.BOOKED,
        person_decision="no",
        person_private_reason=text["holder A's private reason for no"],
    )
    o["agreed_meet"] = MeetFirst.objects.create(
        **common, **happened, status=MeetFirst.Status.DECIDED, person_decision="yes", provider_decision="yes"
    )


def build_world() -> World:
    """Make every role and object of the matrix (inside the caller's transaction)."""
    text = {label: words for label, (words, _allowed) in MARKERS.items()}
    world = World()
    o = world.objects
    factories.home_page()
    factories.directory_page()

    coordinator = factories.UserFactory(role=Role.COORDINATOR, first_name="Cora", last_name="Ordinator")

    holder_a = mf.make_holder(first_name="Ada", last_name="Lovelock", email="ada.lovelock@example.org")
    budget_a = mf.make_budget(holder=holder_a, own_words=text["holder A's plan, in their own words"])
    plan_outcome = budget_a.plan.outcomes.first()
    o["spare_outcome"] = mf.add_plan_outcome(budget_a, "Learn to cook", slug="get-out-and-about")
    holder_b = mf.make_holder(first_name="Ben", last_name="Brightwater")
    mf.make_budget(holder=holder_b, own_words="Bowls on Fridays")

    provider_x = factories.ProviderFactory(name="Xenia's Swimming Buddies")
    _, provider_x_user = mf.make_provider_member(provider_x, first_name="Xenia", last_name="Provider")
    mf.make_ready_account(provider_x)
    listing_x = mf.make_listing(provider_x, title="Swimming buddy")
    # A complete draft (every step of the wizard done), so X can send it for review.
    o["draft_listing_x"] = factories.make_listing(
        title="Cooking together", provider=provider_x, publish=False, contact_email="cooking@example.org"
    )
    provider_y = factories.ProviderFactory(name="Yusuf's Gardening")
    _, provider_y_user = mf.make_provider_member(provider_y, first_name="Yusuf", last_name="Provider")
    mf.make_ready_account(provider_y)
    o["listing_y"] = mf.make_listing(provider_y, title="Garden helper")
    # A second organisation of X's, with no payment account yet: setting up payments makes one.
    o["provider_x_new"] = factories.ProviderFactory(name="Xenia's New Venture")
    o["provider_x_new"].members.add(provider_x_user)

    # Holder A's requests and orders with provider X.
    open_request = mf.make_request(budget=budget_a, listing=listing_x, plan_outcome=plan_outcome)
    SupportRequest.objects.filter(pk=open_request.pk).update(message=text["holder A's note to the provider"])
    change_request = mf.make_request(budget=budget_a, listing=listing_x, plan_outcome=plan_outcome)
    services.propose_change(
        support_request=change_request,
        by=provider_x_user,
        quantity=2,
        unit_price_pence=1_500,
        starts_on=change_request.starts_on,
        ends_on=change_request.ends_on,
    )
    unpaid_order = mf.make_order(budget=budget_a, listing=listing_x, provider_user=provider_x_user)
    paid_order = mf.make_order(budget=budget_a, listing=listing_x, provider_user=provider_x_user)
    # What the signed checkout webhook does once Stripe has taken the money.
    payments.record_payment(
        order=paid_order,
        payment_intent_id="pi_authz_matrix",
        amount_pence=paid_order.total_pence,
        currency="gbp",
    )
    paid_order.refresh_from_db()
    # "Did it help?" is asked about the paid order once its support has ended.
    [outcome_check] = outcome_checks.open_due_checks(today=paid_order.ends_on)
    spending = services.record_outside_spending(
        budget=budget_a,
        by=holder_a,
        amount_pence=700,
        spent_on=timezone.localdate(),
        description=text["holder A's spending outside the site"],
        payee="Bolton Cabs",
        plan_outcome=plan_outcome,
        receipt=SimpleUploadedFile("taxi.png", PNG, "image/png"),
    )

    check_x = provider_services.add_check(
        provider=provider_x,
        kind=Check.Kind.DBS,
        reference="001234567890",
        issued_on=timezone.localdate() - timedelta(days=100),
        upload=SimpleUploadedFile("dbs.pdf", PDF, "application/pdf"),
    )
    enquiry = signposting.send_enquiry(
        listing=listing_x,
        name=text["the enquiry to provider X"],
        reply_to="edna@example.org",
        message="Could you take my dad swimming on Tuesdays?",
        client_ip="192.0.2.10",
    )
    saved_words = text["holder A's saved search"]
    saved = signposting.save_search(user=holder_a, params=QueryDict(f"q={saved_words}"))
    # Holder A's need, which both providers' listings could meet; provider Y has offered.
    need = needs.post_need(
        by=holder_a,
        outcomes=[plan_outcome.outcome],
        own_words="Someone to swim with on Monday mornings.",
        district=PostcodeDistrict.objects.get(code="BL3"),
        availability=slots_to_mask(["mon-morning"]),
    )
    offer = needs.make_offer(
        need=need,
        listing=o["listing_y"],
        by=provider_y_user,
        price_pence=1800,
        price_unit="hour",
        message=text["provider Y's offer on holder A's need"],
    )
    # Holder A's group proposal, which holder B has joined; holder A's demand alert.
    proposal = groups.propose_group(
        by=holder_a,
        min_people=3,
        max_people=6,
        outcomes=[plan_outcome.outcome],
        own_words="Swimming on Monday mornings, a small group.",
        district=PostcodeDistrict.objects.get(code="BL3"),
        availability=slots_to_mask(["mon-morning"]),
    )
    groups.join_group(need=proposal, by=holder_b)
    alert, _ = demand_alerts.register_alert(
        user=holder_a, outcome=plan_outcome.outcome, district=PostcodeDistrict.objects.get(code="BL3")
    )
    # Since the alert was made, demand there has reached its first level: "Send alerts now" emails.
    for _ in range(settings.DEMAND_MIN_COUNT):
        LowResultSearch.objects.create(outcomes=plan_outcome.outcome.slug, district="BL3", result_count=0)

    professional = factories.UserFactory(role=Role.PROFESSIONAL, first_name="Priya", last_name="Link-Worker")
    professional_b = factories.UserFactory(
        role=Role.PROFESSIONAL, first_name="Paul", last_name="Social-Worker"
    )
    for person in (professional, professional_b):
        signposting.verify_professional(
            user=person, method=signposting.ProfessionalVerification.Method.COORDINATOR, by=coordinator
        )
    shortlist = signposting.create_shortlist(
        owner=professional, title="Options for Mrs P", person_label="Mrs P", comments_open=True
    )
    item = signposting.add_to_shortlist(
        shortlist=shortlist,
        listing=listing_x,
        by=professional,
        note=text["the professional's private note"],
        note_shared=False,
    )

    # Statements, helpers and two group activities (A has a place in the first).
    today = timezone.localdate()
    share, share_token = statements.create_share(
        budget=budget_a,
        by=holder_a,
        recipient="Sam Patel, social worker",
        starts_on=today - timedelta(days=30),
        ends_on=today,
        days=14,
    )
    invited = delegation.invite_delegate(
        budget=budget_a, by=holder_a, name="Ivy Invited", email="ivy@example.org"
    )
    # The token is only ever in the invitation email; make a fresh one the test knows.
    invite_token = delegation._new_token(invited)
    invited.save(update_fields=["invite_token_hash", "invite_expires_at"])
    activity = pooling.create_activity(
        provider=provider_x,
        by=provider_x_user,
        listing=listing_x,
        title="Swimming group",
        when="Tuesdays 10am to 12 noon",
        starts_on=today + timedelta(days=14),
        ends_on=today + timedelta(days=42),
        unit_price_pence=500,
        places=6,
        min_places=2,
        join_by=today + timedelta(days=7),
        if_not_filled=GroupActivity.IfNotFilled.NOBODY_CHARGED,
    )
    pooling.join_activity(activity=activity, budget=budget_a, by=holder_a, plan_outcome=plan_outcome)
    # A second activity of X's that nobody has joined yet, so joining it changes something.
    o["open_activity"] = pooling.create_activity(
        provider=provider_x,
        by=provider_x_user,
        listing=listing_x,
        title="Swimming taster",
        when="Thursdays 2pm to 3pm",
        starts_on=today + timedelta(days=14),
        ends_on=today + timedelta(days=28),
        unit_price_pence=500,
        places=6,
        min_places=2,
        join_by=today + timedelta(days=7),
        if_not_filled=GroupActivity.IfNotFilled.NOBODY_CHARGED,
    )
    _meetings(o, budget_a, holder_a, listing_x, provider_x, text)
    # A broker's listing (provider Y's), from which a holder can invite them as a helper.
    o["broker_listing"] = factories.make_listing(
        title="Bea the support broker",
        provider=provider_y,
        categories=("brokers-and-advocates",),
        contact_name="Bea Broker",
        contact_email="bea.broker@example.org",
    )

    # The CMS: a document anyone may download and a password-protected page.
    from wagtail.documents import get_document_model
    from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

    document = get_document_model().objects.create(
        title="Leaflet", file=ContentFile(b"Local support leaflet\n", name="leaflet.txt")
    )
    team_collection = Collection.get_first_root_node().add_child(name="Team papers")
    collection_restriction = CollectionViewRestriction.objects.create(
        collection=team_collection, restriction_type=CollectionViewRestriction.PASSWORD, password="team"
    )
    secret_page = factories.home_page().add_child(
        instance=ContentPage(title="Team notes", slug="team-notes", body="<p>For the team only.</p>")
    )
    secret_page.save_revision().publish()
    restriction = PageViewRestriction.objects.create(
        page=secret_page, restriction_type=PageViewRestriction.PASSWORD, password="team-password"
    )

    world.users = {
        ANONYMOUS: None,
        "holder_a": holder_a,
        "holder_b": holder_b,
        "delegate_view": _delegate(budget_a, "Val"),
        "delegate_request": _delegate(budget_a, "Rob", can_request=True),
        "delegate_pay": _delegate(budget_a, "Pat", can_pay=True),
        "delegate_statements": _delegate(budget_a, "Stan", can_download_statements=True),
        "delegate_withdrawn": _delegate(
            budget_a, "Wendy", status=Delegate.Status.WITHDRAWN, can_request=True, can_pay=True
        ),
        "provider_x": provider_x_user,
        "provider_y": provider_y_user,
        "professional": professional,
        "professional_b": professional_b,
        "coordinator": coordinator,
    }
    o.update(
        budget_a=budget_a,
        plan_outcome=plan_outcome,
        provider_x=provider_x,
        provider_y=provider_y,
        listing_x=listing_x,
        open_request=open_request,
        change_request=change_request,
        unpaid_order=unpaid_order,
        paid_order=paid_order,
        spending=spending,
        check_x=check_x,
        enquiry=enquiry,
        saved_search=saved,
        shortlist=shortlist,
        item=item,
        document=document,
        secret_page=secret_page,
        restriction=restriction,
        activity=activity,
        invited_delegate=invited,
    )
    world.params = {
        "order_id": paid_order.public_id,
        "outcome_check_id": outcome_check.public_id,
        "unpaid_order_id": unpaid_order.public_id,
        "request_id": open_request.public_id,
        "change_request_id": change_request.public_id,
        "listing_id": listing_x.public_id,
        "listing_y_id": o["listing_y"].public_id,
        "new_provider_id": o["provider_x_new"].public_id,
        "holder_b_id": holder_b.public_id,
        "draft_listing_id": o["draft_listing_x"].public_id,
        "provider_id": provider_x.public_id,
        "check_id": check_x.public_id,
        "entry_id": spending.public_id,
        "outcome_id": o["spare_outcome"].public_id,
        "enquiry_id": enquiry.public_id,
        "saved_id": saved.public_id,
        "need_id": need.public_id,
        "proposal_id": proposal.public_id,
        "alert_id": alert.public_id,
        "offer_id": offer.public_id,
        "shortlist_id": shortlist.public_id,
        "item_id": item.pk,
        "shortlist_token": shortlist.token,
        "confirm_token": reminders.make_confirmation_token(listing_x),
        "unsubscribe_token": saved.unsubscribe_token,
        "step": "about",
        "page_id": secret_page.pk,
        "page_view_restriction_id": restriction.pk,
        "collection_restriction_id": collection_restriction.pk,
        "share_id": share.public_id,
        "share_token": share_token,
        "delegate_id": invited.public_id,
        "invite_token": invite_token,
        "activity_id": activity.public_id,
        "open_activity_id": o["open_activity"].public_id,
        "meet_id": o["offered_meet"].public_id,
        "booked_meet_id": o["booked_meet"].public_id,
        "answered_meet_id": o["answered_meet"].public_id,
        "agreed_meet_id": o["agreed_meet"].public_id,
        "broker_listing_id": o["broker_listing"].public_id,
        "user_id": holder_a.public_id,
        "period_start": (today - timedelta(days=30)).isoformat(),
        "today": today.isoformat(),
        "section": "demand",
        "oruk_service": str(listing_x.public_id),
        "oruk_draft_service": str(o["draft_listing_x"].public_id),
        "oruk_organization": str(provider_x.public_id),
        "oruk_taxonomy": str(oruk_mapping.OUTCOMES_TAXONOMY_ID),
        "oruk_term": str(plan_outcome.outcome.public_id),
        "oruk_service_at_location": str(oruk_mapping.service_at_location_id(listing_x.public_id)),
    }
    return world


def log_in(client, user) -> None:
    """Sign `user` in on `client`, with the session marked as having passed a second factor.

    Staff may be required to use an authenticator app; the matrix is about what each person may
    see once properly signed in, so the session records both steps as allauth's login flow does.
    """
    client.force_login(user)
    session = client.session
    now = time.time()
    session["account_authentication_methods"] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


# --- Every URL pattern -------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternInfo:
    """One URL pattern: its qualified name (or None), its full route and how to build an address."""

    name: str | None
    route: str
    pieces: tuple  # the URLPattern/URLResolver patterns from the root down
    lookup: str

    @property
    def key(self) -> str:
        """The matrix key: the qualified name, or the route for an unnamed pattern."""
        return self.name or self.route


def _join(route1: str, route2: str) -> str:
    # As Django's URLResolver joins routes for ResolverMatch.route.
    return route1 + route2.removeprefix("^")


def iter_patterns(patterns=None, prefix="", namespace=None, pieces=()):
    """Every URL pattern of the project, depth first, with namespaces joined."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from iter_patterns(
                entry.url_patterns, _join(prefix, str(entry.pattern)), inner, (*pieces, entry.pattern)
            )
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield PatternInfo(
                name, _join(prefix, str(entry.pattern)), (*pieces, entry.pattern), entry.lookup_str
            )


# Route converters: a value that matches but names nothing (no object has it).
# (a number for str too: some admin choosers fail with a server error on a non-numeric id.)
CONVERTER_SAMPLES = {"int": "987654", "str": "987654", "uuid": "00000000-0000-4000-8000-000000000000"}


def _sample_regex(regex: str) -> str:
    """A short string the regular expression matches (for regex patterns such as allauth's)."""
    return "".join(_sample_items(sre_parse.parse(regex)))


def _sample_items(items):
    c = sre_parse
    for op, av in items:
        if op is c.LITERAL:
            yield chr(av)
        elif op is c.NOT_LITERAL:
            yield "y" if chr(av) == "x" else "x"
        elif op is c.ANY:
            yield "x"
        elif op is c.IN:
            yield _sample_class(av)
        elif op is c.BRANCH:
            yield from _sample_items(av[1][0])
        elif op is c.SUBPATTERN:
            yield from _sample_items(av[-1])
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, high, sub = av
            for _ in range(min(max(low, 1), high)):
                yield from _sample_items(sub)
        # AT (anchors), lookarounds and group references add nothing.


def _sample_class(items) -> str:
    c = sre_parse
    if items and items[0][0] is c.NEGATE:
        excluded = {chr(av) for op, av in items[1:] if op is c.LITERAL}
        return next(ch for ch in "xy1" if ch not in excluded)
    for op, av in items:
        if op is c.RANGE:
            return "1" if av[0] <= ord("1") <= av[1] else chr(av[0])
        if op is c.CATEGORY:
            return "1" if av is c.CATEGORY_DIGIT else "x"
        if op is c.LITERAL and chr(av).isalnum():
            return chr(av)
    return chr(items[0][1])


def _sample_piece(pattern) -> str:
    route = getattr(pattern, "_route", None)
    if route is None:  # a RegexPattern
        return _sample_regex(pattern.regex.pattern)
    return re.sub(
        r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>",
        lambda m: CONVERTER_SAMPLES.get(m.group("converter") or "str", "x"),
        route,
    )


def sample_url(info: PatternInfo) -> str:
    """An address this pattern (and no pattern before it) answers, with made-up arguments."""
    return "/" + "".join(_sample_piece(piece) for piece in info.pieces)


def build_url(info: PatternInfo, values: dict) -> str:
    """The pattern's address with its arguments taken from `values` (by argument name)."""
    from django.urls import reverse

    names = []
    for piece in info.pieces:
        names += list(getattr(piece, "converters", {}) or {}) or list(piece.regex.groupindex)
    kwargs = {name: values[name] for name in names}
    return reverse(info.name, kwargs=kwargs)
