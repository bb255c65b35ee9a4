"""The authorisation matrix: every URL pattern of the project, visited as every kind of person.

The patterns are read from Django's resolver at test time, so a new page cannot slip in without a
decision about who may see it: a pattern with no entry in MATRIX (and outside the groups below)
fails `test_every_url_pattern_is_in_the_matrix` with its name, and so does an entry for a pattern
that no longer exists.

Roles (tests/authz_world.py builds them once per module, with real objects): anonymous; holder A;
holder B; delegates of A who may only view, may request, may pay, may download statements, and one
whose access A withdrew; provider X (A ordered from X's listing) and provider Y; two verified
professionals, the first owning a shortlist; a coordinator. Every URL argument is one of A's, X's
or the first professional's things, so each other role is trying someone else's.

Each cell is a GET (and, for actions that change something, a POST column for the people who must
be refused), run in a savepoint that is rolled back, so cells cannot affect each other. A refused
POST must also leave everything as it was. Pages answered to someone must not contain another
person's private words (see authz_world.MARKERS).

Groups, instead of one row per pattern (explicit MATRIX rows win over a group). Everyone
without admin access meets the same check at the door, so group patterns are visited by one
person of each kind (GROUP_ROLES: anonymous, a holder, a helper, a provider, a professional and
the coordinator) rather than all thirteen:
- `admin/` (the Wagtail admin, ~300 patterns, including the directory snippets): anonymous is sent
  to the admin sign-in; holders, delegates, providers and professionals have no admin access (sent
  to sign in, or 403); a coordinator gets 200 on a sample of list pages that need no arguments
  (COORDINATOR_ADMIN_PAGES), is turned away from the user, group, site, redirect and workflow
  screens (COORDINATOR_REFUSED), and elsewhere (made-up ids) must not get a server error.
- `django-admin/`: nobody in these roles is staff, so everyone is sent to its sign-in page.
- `accounts/` (allauth, and MFA when installed): pages about one's own account need a sign-in;
  the rest (sign in, sign up, password reset) are public. No cell may be a server error.
Stripe calls go to a closed local port, so nothing here can move money even if a check failed.
"""

import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from tests import authz_world
from tests.authz_world import ANONYMOUS, MARKERS, ROLE_GROUPS, ROLES
from tests.marketplace.fixtures import (  # noqa: F401 (stripe_test_server is a fixture)
    CONNECT_WEBHOOK_SECRET,
    SECRET_KEY,
    WEBHOOK_SECRET,
    stripe_test_server,
)
from tests.marketplace.stripe_server import sign_payload

pytestmark = pytest.mark.django_db


# --- What a cell may answer ------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """An expected answer: a label for the failure table and a test of the response."""

    label: str
    test: Callable = field(compare=False)

    def __str__(self):
        return self.label


def status(code: int) -> Expect:
    return Expect(str(code), lambda r: r.status_code == code)


def redirect_to(name: str, label: str | None = None) -> Expect:
    """A 302 to the page called `name` (any query string)."""

    def test(response):
        return response.status_code == 302 and urlsplit(response["Location"]).path == reverse(name)

    return Expect(label or f"302 to {name}", test)


def one_of(*options: Expect) -> Expect:
    return Expect(" or ".join(map(str, options)), lambda r: any(o.test(r) for o in options))


LOGIN = redirect_to("account_login", "302 to sign in")
ADMIN_LOGIN = redirect_to("wagtailadmin_login", "302 to admin sign in")
ADMIN_HOME = redirect_to("wagtailadmin_home", "302 to admin home")
DJANGO_ADMIN_LOGIN = redirect_to("admin:login", "302 to django-admin sign in")
NO_ADMIN = one_of(ADMIN_LOGIN, ADMIN_HOME, status(403))
REDIRECT = Expect("302", lambda r: r.status_code == 302)
NOT_5XX = Expect("not 5xx", lambda r: r.status_code < 500)
SETUP = redirect_to("marketplace:budget_setup", "302 to budget setup")
HOME = Expect("302 to /", lambda r: r.status_code == 302 and urlsplit(r["Location"]).path == "/")


def as_expect(value):
    return status(value) if isinstance(value, int) else value


def cells(default=None, **given) -> dict:
    """Expectations for every role: `default`, then groups (`a_side=200`), then single roles.

    None means the cell is not tried (for a POST, the people who may do it: it would change things).
    """
    out = dict.fromkeys(ROLES, as_expect(default))
    for key in sorted(given, key=lambda k: k not in ROLE_GROUPS):
        for role in ROLE_GROUPS.get(key, (key,)):
            assert role in out, f"unknown role {role!r}"
            out[role] = as_expect(given[key])
    return out


@dataclass(frozen=True)
class Row:
    """One pattern's cells. URL arguments come from world.params by name (`params` renames them)."""

    get: dict
    post: dict | None = None
    data: Callable | dict = field(default_factory=dict)  # POST body, or world -> body
    params: dict = field(default_factory=dict)  # URL argument -> key in world.params
    query: str = ""  # formatted with world.params
    url: Callable | None = None  # world -> address, for patterns reverse() cannot build
    shows: tuple = ()  # private words this page shows by design to whoever may open it
    # A raw body (a webhook's JSON) instead of a form: data is then the body string, and
    # headers(body) gives the extra request headers (the Stripe-Signature).
    content_type: str = ""
    headers: Callable | None = None
    # Who makes the allowed POST in test_an_allowed_post_changes_something (default: the first
    # allowed role), when the first cannot change anything with this data (A has unpaid orders,
    # which stop erasure).
    post_as: str = ""


# Shorthands for the common shapes.
PUBLIC = cells(200)
SIGNED_IN = cells(200, anonymous=LOGIN)
GET_NOT_ALLOWED = cells(405, anonymous=LOGIN)  # POST-only behind login_required
A_AND_X = cells(404, anonymous=LOGIN, a_side=200, provider_x=200)
ONLY_X = cells(404, anonymous=LOGIN, provider_x=200)
X_MAY = cells(404, anonymous=LOGIN, provider_x=None)
OWN_SHORTLIST = cells(403, anonymous=LOGIN, professional=200, professional_b=404)
SHORTLIST_OWNER_MAY = cells(403, anonymous=LOGIN, professional=None, professional_b=404)
ADMIN_SCREEN = cells(NO_ADMIN, anonymous=ADMIN_LOGIN, coordinator=200)
DASHBOARD = redirect_to("marketplace:dashboard", "302 to budget")
# Statements: the acting budget's, for the holder and helpers allowed to download them.
STATEMENTS = cells(
    DASHBOARD, anonymous=LOGIN, holder_a=200, holder_b=200, delegate_statements=200, delegates=403
)
PERIOD = "start={period_start}&end={today}"
HOLDERS_ONLY = cells(403, anonymous=LOGIN, holder_a=200, holder_b=200)
A_PRIVATE = (
    "holder A's surname",
    "holder A's plan, in their own words",
    "holder A's note to the provider",
    "holder A's spending outside the site",
)
ADMIN_ACTION = cells(NO_ADMIN, anonymous=ADMIN_LOGIN, coordinator=None)


def _date_parts(prefix, day):
    return {f"{prefix}_0": day.day, f"{prefix}_1": day.month, f"{prefix}_2": day.year}


def _request_form(w):
    start = timezone.localdate() + timedelta(days=10)
    return {
        "price_option": "0-weekday",
        "quantity": "2",
        **_date_parts("starts_on", start),
        **_date_parts("ends_on", start),
        "plan_outcome": str(w.plan_outcome.public_id),
        "confirm": "Send",
    }


def _own_money_form(w):
    start = timezone.localdate() + timedelta(days=10)
    return {
        "price_option": "0-weekday",
        "quantity": "2",
        **_date_parts("starts_on", start),
        **_date_parts("ends_on", start),
        "purpose": "Asked for by whoever is signed in",
        "confirm": "Send",
    }


def _spending_form(w):
    return {
        "amount": "5.00",
        **_date_parts("spent_on", timezone.localdate()),
        "description": "Recorded by someone who may not",
        "plan_outcome": str(w.plan_outcome.public_id),
    }


def _webhook_event(w, endpoint) -> str:
    """A well-formed Stripe event that would change something if it were believed."""
    if endpoint == "connect":
        account = w.provider_x.payment_account.account_id
        obj = {
            "id": account,
            "object": "account",
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
        }
        return json.dumps(
            {
                "id": "evt_authz_connect",
                "object": "event",
                "type": "account.updated",
                "account": account,
                "created": int(time.time()),
                "data": {"object": obj},
            }
        )
    order = w.unpaid_order
    obj = {
        "id": "cs_authz_matrix",
        "object": "checkout.session",
        "client_reference_id": str(order.public_id),
        "metadata": {"order": str(order.public_id)},
        "payment_intent": "pi_authz_forged",
        "payment_status": "paid",
        "status": "complete",
        "amount_total": order.total_pence,
        "currency": "gbp",
    }
    return json.dumps(
        {
            "id": "evt_authz_platform",
            "object": "event",
            "type": "checkout.session.completed",
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )


def _webhook(endpoint, *, signed_with):
    """Row fields for a webhook POST: a real JSON event, unsigned or signed with `signed_with`."""

    def headers(body):
        if signed_with is None:
            return {}
        return {"HTTP_STRIPE_SIGNATURE": sign_payload(body, signed_with)}

    return {
        "data": lambda w: _webhook_event(w, endpoint),
        "content_type": "application/json",
        "headers": headers,
    }


M = "marketplace:"
MATRIX: dict[str, Row] = {
    # --- The holder's budget (marketplace/views.py) ---
    M + "dashboard": Row(SIGNED_IN),
    M + "budget_setup": Row(SIGNED_IN),
    M + "plan": Row(
        cells(SETUP, anonymous=LOGIN, a_side=200, holder_b=200),
        post=cells(SETUP, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": None, "holder_b": None, "delegate_request": None},
        data={"own_words": "Added by someone who may not", "outcome": "get-out-and-about"},
    ),
    M + "plan_outcome_remove": Row(
        GET_NOT_ALLOWED,
        post=cells(404, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": None, "delegate_request": None},
    ),
    M + "spending_new": Row(
        cells(SETUP, anonymous=LOGIN, a_side=403, holder_a=200, holder_b=200, delegate_pay=200),
        post=cells(SETUP, anonymous=LOGIN, delegate_view=403, delegate_request=403, delegate_statements=403)
        | {"holder_a": None, "holder_b": None, "delegate_pay": None},
        data=_spending_form,
    ),
    M + "spending_receipt": Row(cells(404, anonymous=LOGIN, a_side=200)),
    M + "ledger": Row(cells(SETUP, anonymous=LOGIN, a_side=200, holder_b=200)),
    M + "did_it_help": Row(cells(SETUP, anonymous=LOGIN, a_side=200, holder_b=200)),
    M + "did_it_help_answer": Row(
        cells(404, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": as_expect(200), "delegate_request": as_expect(200)},
        post=cells(404, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": None, "delegate_request": None},
        data={"helped": "a_lot", "connections": "more", "note": "Answered by someone who may not"},
    ),
    # --- Requests ---
    M + "request_new": Row(
        cells(200, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403),
        # Everyone without a budget of their own is shown "set up a budget first" (200).
        post=cells(200, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": None, "holder_b": None, "delegate_request": None},
        data=_request_form,
    ),
    # Anyone signed in may ask with their own money (no budget); provider X is refused its own
    # listing (self-dealing: the form again with the reason, nothing sent).
    M + "request_new_own_money": Row(
        cells(200, anonymous=LOGIN),
        post=cells(None, anonymous=LOGIN, provider_x=200),
        data=_own_money_form,
    ),
    M + "request_detail": Row(A_AND_X),
    M + "request_accept": Row(GET_NOT_ALLOWED, post=cells(404, anonymous=LOGIN, a_side=403, provider_x=None)),
    M + "request_decline": Row(
        cells(404, anonymous=LOGIN, a_side=403, provider_x=200),
        post=cells(404, anonymous=LOGIN, a_side=403, provider_x=None),
        data={"note": "Declined by someone who may not"},
    ),
    M + "request_change": Row(
        cells(404, anonymous=LOGIN, a_side=403, provider_x=200),
        post=cells(404, anonymous=LOGIN, a_side=403, provider_x=None),
        data=lambda w: {
            "quantity": "3",
            "unit_price": "21.00",
            **_date_parts("starts_on", timezone.localdate() + timedelta(days=20)),
            **_date_parts("ends_on", timezone.localdate() + timedelta(days=40)),
            "note": "Changed by someone who may not",
        },
    ),
    M + "request_accept_change": Row(
        GET_NOT_ALLOWED,
        post=cells(404, anonymous=LOGIN, a_side=403, provider_x=403)
        | {"holder_a": None, "delegate_request": None},
        params={"request_id": "change_request_id"},
    ),
    M + "request_withdraw": Row(
        GET_NOT_ALLOWED,
        post=cells(404, anonymous=LOGIN, a_side=403, provider_x=403)
        | {"holder_a": None, "delegate_request": None},
    ),
    # --- Orders (the paid order, except paying and cancelling, which use the unpaid one) ---
    M + "order_detail": Row(A_AND_X),
    M + "order_pay": Row(
        GET_NOT_ALLOWED,
        post=cells(404, anonymous=LOGIN, a_side=403, provider_x=403)
        | {"holder_a": None, "delegate_pay": None},
        params={"order_id": "unpaid_order_id"},
    ),
    M + "order_return": Row(A_AND_X),
    M + "order_payment_cancelled": Row(A_AND_X),
    M + "order_receipt": Row(A_AND_X),
    M + "order_receipt_download": Row(A_AND_X),
    M + "order_cancel": Row(
        cells(404, anonymous=LOGIN, a_side=403, holder_a=200, delegate_request=200, provider_x=200),
        # Seeing the order is not permission to cancel it: the documented answer is 403.
        post=cells(404, anonymous=LOGIN, a_side=403)
        | {"holder_a": None, "delegate_request": None, "provider_x": None},
        params={"order_id": "unpaid_order_id"},
        data={"note": "Cancelled by someone who may not"},
    ),
    # --- Providers' side ---
    M + "provider_inbox": Row(SIGNED_IN),
    M + "provider_payments": Row(SIGNED_IN),
    # X's second organisation has no payment account yet: starting onboarding makes one.
    M + "provider_connect": Row(GET_NOT_ALLOWED, post=X_MAY, params={"provider_id": "new_provider_id"}),
    # Stripe is unreachable here, so provider X is sent back to the payments page with a message.
    M + "provider_onboarding_refresh": Row(cells(404, anonymous=LOGIN, provider_x=REDIRECT)),
    M + "provider_onboarding_return": Row(ONLY_X),
    # The signature is the authentication: a real JSON event, unsigned or signed with the wrong
    # secret, is refused whoever sends it (a form body would be refused by the JSON parsing).
    M + "stripe_webhook": Row(cells(405), post=cells(400), **_webhook("platform", signed_with=None)),
    M + "stripe_webhook#wrong secret": Row(
        cells(405), post=cells(400), **_webhook("platform", signed_with=CONNECT_WEBHOOK_SECRET)
    ),
    M + "stripe_connect_webhook": Row(cells(405), post=cells(400), **_webhook("connect", signed_with=None)),
    M + "stripe_connect_webhook#wrong secret": Row(
        cells(405), post=cells(400), **_webhook("connect", signed_with=WEBHOOK_SECRET)
    ),
    # --- Statements and statement links (marketplace/statement_views.py) ---
    M + "statements": Row(STATEMENTS),
    M + "statement_csv": Row(STATEMENTS, query=PERIOD),
    M + "statement_pdf": Row(STATEMENTS, query=PERIOD),
    M + "statement_pdf_status": Row(STATEMENTS, query=PERIOD),
    M + "statement_receipts": Row(STATEMENTS, query=PERIOD),
    M + "statement_shares": Row(
        cells(DASHBOARD, anonymous=LOGIN, holder_a=200, holder_b=200, delegates=403),
        post=cells(DASHBOARD, anonymous=LOGIN, delegates=403) | {"holder_a": None, "holder_b": None},
        data=lambda w: {
            "recipient": "Someone the holder did not choose",
            **_date_parts("start", timezone.localdate() - timedelta(days=7)),
            **_date_parts("end", timezone.localdate()),
            "expires_in_days": "14",
        },
    ),
    M + "statement_share_revoke": Row(
        GET_NOT_ALLOWED, post=cells(404, anonymous=LOGIN, delegates=403, holder_a=None)
    ),
    # The council opens these from the link the holder gave them: the token is the key.
    M + "shared_statement": Row(PUBLIC, params={"token": "share_token"}, shows=A_PRIVATE),
    M + "shared_statement_csv": Row(PUBLIC, params={"token": "share_token"}, shows=A_PRIVATE),
    M + "shared_statement_pdf": Row(PUBLIC, params={"token": "share_token"}, shows=A_PRIVATE),
    M + "shared_statement_pdf_status": Row(PUBLIC, params={"token": "share_token"}),
    # --- Helpers (marketplace/delegate_views.py); the helper in the address is A's invitation ---
    M + "delegates": Row(
        cells(DASHBOARD, anonymous=LOGIN, holder_a=200, holder_b=200, delegates=403),
        post=cells(DASHBOARD, anonymous=LOGIN, delegates=403) | {"holder_a": None, "holder_b": None},
        data={"name": "Planted Helper", "email": "planted@example.org", "relationship": "family"},
    ),
    M + "delegate_change": Row(
        cells(404, anonymous=LOGIN, holder_a=200),
        post=cells(404, anonymous=LOGIN, holder_a=None),
        data={"permissions": ["request", "pay", "statements"]},
    ),
    M + "delegate_withdraw": Row(
        cells(404, anonymous=LOGIN, holder_a=200), post=cells(404, anonymous=LOGIN, holder_a=None)
    ),
    M + "delegate_resend": Row(GET_NOT_ALLOWED, post=cells(404, anonymous=LOGIN, holder_a=None)),
    # The invitation link: whoever holds it sees who is asking (signed in as someone else, they
    # are told to sign in as the person invited).
    M + "delegate_accept": Row(PUBLIC, params={"token": "invite_token"}, shows=("holder A's surname",)),
    M + "switch_budget": Row(cells(DASHBOARD, anonymous=LOGIN)),  # nobody here helps two people
    # --- Group activities (marketplace/group_views.py); A has a place in X's group ---
    M + "provider_groups": Row(SIGNED_IN),
    M + "provider_group_new": Row(cells(403, anonymous=LOGIN, providers=200)),
    # Setting up payments on the way to the pre-filled group form: X's second organisation has no
    # payment account yet, so starting onboarding makes one (a GET is Stripe's "link expired"
    # return; Stripe is unreachable in the GET cells, so X goes back to the form).
    M + "provider_group_payments": Row(
        cells(404, anonymous=LOGIN, provider_x=REDIRECT),
        post=X_MAY,
        params={"provider_id": "new_provider_id"},
    ),
    M + "provider_group_payments_return": Row(cells(404, anonymous=LOGIN, provider_x=REDIRECT)),
    M + "provider_group_detail": Row(ONLY_X),
    M + "group_activities": Row(SIGNED_IN),
    # The activity nobody has joined yet, so that joining it (as A) takes a place.
    M + "group_activity": Row(
        SIGNED_IN,
        post=cells(SETUP, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": None, "holder_b": None, "delegate_request": None},
        data=lambda w: {"plan_outcome": str(w.objects["spare_outcome"].public_id)},
        params={"activity_id": "open_activity_id"},
    ),
    M + "group_leave": Row(
        GET_NOT_ALLOWED,
        # Without a place of their own, people are sent back to the activity with a message.
        post=cells(
            REDIRECT,
            anonymous=LOGIN,
            delegate_view=403,
            delegate_pay=403,
            delegate_statements=403,
        )
        | {"holder_a": None, "delegate_request": None},
    ),
    # --- The holder's data rights (marketplace/privacy_views.py): the holder's own budget only ---
    M + "privacy": Row(HOLDERS_ONLY),
    M + "privacy_export": Row(HOLDERS_ONLY, post=HOLDERS_ONLY | {"holder_a": None, "holder_b": None}),
    M + "privacy_erase": Row(HOLDERS_ONLY),
    M + "privacy_erase_confirm": Row(
        HOLDERS_ONLY,
        post=HOLDERS_ONLY | {"holder_a": None, "holder_b": None},
        data=lambda w: {"email": w.users["holder_b"].email},
        post_as="holder_b",
    ),
    M + "privacy_erased": Row(PUBLIC),
    # --- Meeting first (marketplace/meet_views.py): A's meetings with provider X ---
    M + "meet_first_list": Row(cells(SETUP, anonymous=LOGIN, a_side=200, holder_b=200)),
    M + "meet_first_new": Row(
        cells(SETUP, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": as_expect(200), "holder_b": as_expect(200), "delegate_request": as_expect(200)},
        post=cells(SETUP, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": None, "holder_b": None, "delegate_request": None},
        # Provider Y's listing: A already has open meetings with X's.
        params={"listing_id": "broker_listing_id"},
        data={"kind": "visit", "message": "Asked by someone who may not"},
    ),
    M + "meet_first_detail": Row(cells(404, anonymous=LOGIN, a_side=200)),
    M + "meet_first_detail#provider said no": Row(
        cells(404, anonymous=LOGIN, a_side=200), params={"meet_id": "booked_meet_id"}
    ),
    M + "meet_first_choose": Row(
        GET_NOT_ALLOWED,
        post=cells(404, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": None, "delegate_request": None},
        data=lambda w: {"chosen": w.offered_meet.offered_times[0].isoformat()},
    ),
    M + "meet_first_answer": Row(
        cells(404, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": as_expect(200), "delegate_request": as_expect(200)},
        post=cells(404, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": None, "delegate_request": None},
        params={"meet_id": "booked_meet_id"},
        data={"decision": "yes", "private_reason": "Answered by someone who may not"},
    ),
    M + "meet_first_cancel": Row(
        cells(404, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": as_expect(200), "delegate_request": as_expect(200)},
        post=cells(404, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": None, "delegate_request": None},
    ),
    # Both said yes: the request step sends the person's side on to the request form.
    M + "meet_first_request": Row(
        cells(404, anonymous=LOGIN, delegate_view=403, delegate_pay=403, delegate_statements=403)
        | {"holder_a": REDIRECT, "delegate_request": REDIRECT},
        params={"meet_id": "agreed_meet_id"},
    ),
    M + "provider_meet_first_list": Row(SIGNED_IN),
    M + "provider_meet_first_detail": Row(
        ONLY_X,
        post=X_MAY,
        data=lambda w: {
            **_date_parts("time_1_on", timezone.localdate() + timedelta(days=5)),
            "time_1_at": "10:30",
            "where": "Offered by someone who may not",
        },
    ),
    M + "provider_meet_first_detail#person said no": Row(ONLY_X, params={"meet_id": "answered_meet_id"}),
    M + "provider_meet_first_answer": Row(
        ONLY_X,
        post=X_MAY,
        params={"meet_id": "answered_meet_id"},
        data={"decision": "yes", "private_reason": "Answered by someone who may not"},
    ),
    M + "provider_meet_first_cancel": Row(ONLY_X, post=X_MAY),
    # A broker's listing: the holder checks the filled-in invitation before it is sent.
    M + "delegate_from_listing": Row(
        cells(DASHBOARD, anonymous=LOGIN, holder_a=200, holder_b=200, delegates=403),
        post=cells(DASHBOARD, anonymous=LOGIN, delegates=403) | {"holder_a": None, "holder_b": None},
        params={"listing_id": "broker_listing_id"},
        data={"name": "Bea Broker", "email": "bea.broker@example.org", "relationship": "broker"},
    ),
    # --- Providers' area (directory/provider_views.py) ---
    "my:dashboard": Row(SIGNED_IN),
    "my:organisation_create": Row(SIGNED_IN),
    "my:organisation_edit": Row(
        ONLY_X,
        post=X_MAY,
        data={
            "name": "Taken over",
            "legal_name": "Taken Over Ltd",
            "business_type": "limited_company",
            "team_size": "3",
            "email": "taken.over@example.org",
        },
    ),
    "my:listing_create": Row(
        ONLY_X,
        post=X_MAY,
        data={
            "title": "Planted listing",
            "summary": "Planted by someone who may not.",
            "description": "Planted by someone who may not.",
        },
    ),
    "my:checks": Row(ONLY_X),
    "my:check_add": Row(
        ONLY_X,
        post=X_MAY,
        data=lambda w: {
            "kind": "dbs",
            "reference": "PLANTED-1",
            **_date_parts("issued_on", timezone.localdate() - timedelta(days=30)),
            "document": SimpleUploadedFile("dbs.pdf", authz_world.PDF, content_type="application/pdf"),
        },
    ),
    "my:check_document": Row(cells(404, anonymous=LOGIN, provider_x=200, coordinator=200)),
    "my:check_delete": Row(ONLY_X, post=X_MAY),
    "my:listing": Row(ONLY_X),
    "my:listing_step": Row(
        ONLY_X,
        post=X_MAY,
        data={
            "title": "Renamed by someone else",
            "summary": "Changed by someone who may not.",
            "description": "Changed by someone who may not.",
        },
    ),
    "my:listing_preview": Row(ONLY_X),
    # X's complete draft: the live listing has no changes to send for review.
    "my:listing_submit": Row(
        cells(404, anonymous=LOGIN, provider_x=REDIRECT),
        post=X_MAY,
        params={"listing_id": "draft_listing_id"},
    ),
    "my:listing_availability": Row(ONLY_X, post=X_MAY, data={"intake": "full"}),
    "my:listing_confirm": Row(GET_NOT_ALLOWED, post=X_MAY),
    # Anyone signed in may ask to manage a listing; X's listing is already claimed, so they are told so.
    "my:claim": Row(cells(200, anonymous=LOGIN, provider_x=REDIRECT)),
    "my:cqc_check": Row(PUBLIC),
    "my:report_problem": Row(PUBLIC),
    "my:confirm_by_link": Row(PUBLIC, params={"token": "confirm_token"}),  # the signed token is the key
    # --- Search and signposting ---
    "search": Row(PUBLIC),
    "search_api": Row(PUBLIC, query="q=swimming"),
    "signposting:shortlists": Row(SIGNED_IN),
    "signposting:shortlist_new": Row(cells(403, anonymous=LOGIN, professionals=200)),
    "signposting:signposted_outcomes": Row(cells(403, anonymous=LOGIN, professionals=200)),
    "signposting:shortlist_add": Row(
        cells(403, anonymous=LOGIN, professionals=200),
        # Another professional cannot put anything on the first one's shortlist.
        post=cells(403, anonymous=LOGIN, professional=None, professional_b=200),
        # Y's listing: X's is on the shortlist already.
        query="listing={listing_y_id}",
        data=lambda w: {"listing": str(w.listing_y.public_id), "shortlist": str(w.shortlist.public_id)},
    ),
    "signposting:shortlist": Row(OWN_SHORTLIST),
    "signposting:shortlist_edit": Row(OWN_SHORTLIST, post=SHORTLIST_OWNER_MAY, data={"title": "Renamed"}),
    "signposting:shortlist_print": Row(OWN_SHORTLIST),
    # require_POST comes before the sign-in check on these, so a GET is 405 for everyone.
    "signposting:shortlist_email": Row(
        cells(405), post=SHORTLIST_OWNER_MAY, data={"email": "someone@example.org"}
    ),
    "signposting:shortlist_link": Row(cells(405), post=SHORTLIST_OWNER_MAY, data={"action": "revoke"}),
    "signposting:shortlist_comment": Row(
        cells(405), post=SHORTLIST_OWNER_MAY, data={"name": "Pat", "text": "Hello"}
    ),
    "signposting:item_edit": Row(OWN_SHORTLIST, post=SHORTLIST_OWNER_MAY, data={"note": "Changed"}),
    "signposting:item_remove": Row(cells(405), post=SHORTLIST_OWNER_MAY),
    # The shared link needs no sign-in: the token is the key (private notes stay private).
    "signposting:shortlist_public": Row(PUBLIC, params={"token": "shortlist_token"}),
    "signposting:shortlist_public_print": Row(PUBLIC, params={"token": "shortlist_token"}),
    "signposting:shortlist_public_comment": Row(cells(405), params={"token": "shortlist_token"}),
    "signposting:shortlist_save": Row(
        cells(405), post=cells(None, anonymous=LOGIN), params={"token": "shortlist_token"}
    ),
    "signposting:enquiries": Row(SIGNED_IN),
    "signposting:enquiry_new": Row(PUBLIC, query="listing={listing_id}"),
    "signposting:enquiry_sent": Row(PUBLIC, query="listing={listing_id}"),
    "signposting:enquiry_replied": Row(cells(405), post=cells(404, anonymous=LOGIN, provider_x=None)),
    "signposting:saved_searches": Row(SIGNED_IN),
    "signposting:saved_search_new": Row(SIGNED_IN, query="q=swimming"),
    "signposting:saved_search_edit": Row(
        cells(405), post=cells(404, anonymous=LOGIN, holder_a=None), data={"emails": "off"}
    ),
    "signposting:saved_search_delete": Row(cells(405), post=cells(404, anonymous=LOGIN, holder_a=None)),
    # Whoever holds the link from the alert email is told which search they are stopping.
    "signposting:unsubscribe": Row(
        PUBLIC, params={"token": "unsubscribe_token"}, shows=("holder A's saved search",)
    ),
    "signposting:professional": Row(SIGNED_IN),
    # Needs are public without a name; only the poster sees the offers (the private page).
    "signposting:needs": Row(PUBLIC),
    "signposting:need_new": Row(SIGNED_IN),
    "signposting:needs_mine": Row(SIGNED_IN),
    "signposting:need": Row(PUBLIC, shows=()),
    "signposting:need_withdraw": Row(cells(405), post=cells(404, anonymous=LOGIN, holder_a=None)),
    # Only providers with a listing that could meet the need may offer on it.
    "signposting:need_offer": Row(
        cells(403, anonymous=LOGIN, providers=200),
        post=cells(403, anonymous=LOGIN, providers=None),
        data=lambda w: {
            "listing": str(w.listing_x.public_id),
            "price": "18",
            "price_unit": "hour",
            "message": "I could help",
        },
    ),
    "signposting:offer_accept": Row(cells(405), post=cells(404, anonymous=LOGIN, holder_a=None)),
    "signposting:needs_near_you": Row(SIGNED_IN),
    "signposting:start_something_local": Row(PUBLIC),
    # Group proposals: anyone signed in may propose or join one; only a member (not the
    # proposer, who takes it down instead) may leave. Holder B has joined holder A's.
    "signposting:group_new": Row(SIGNED_IN),
    "signposting:group_join": Row(
        cells(405),
        post=cells(None, anonymous=LOGIN, holder_a=400, holder_b=400),
        params={"need_id": "proposal_id"},
        data={"places": "1"},
    ),
    "signposting:group_leave": Row(
        cells(405),
        post=cells(404, anonymous=LOGIN, holder_a=REDIRECT, holder_b=None),
        params={"need_id": "proposal_id"},
    ),
    # A provider with no listing for a need offers from a new one (kept until it is live).
    "signposting:need_offer_new_listing": Row(
        cells(403, anonymous=LOGIN, providers=200),
        post=cells(403, anonymous=LOGIN, providers=None),
        data=lambda w: {
            "provider": str(w.provider_x.public_id),
            "price": "18",
            "price_unit": "hour",
            "message": "I could start this",
        },
    ),
    # Demand alerts: each person's own; only the owner may stop one.
    "signposting:demand_alerts": Row(
        SIGNED_IN,
        post=cells(None, anonymous=LOGIN),
        data=lambda w: {"outcome": str(w.plan_outcome.outcome_id), "postcode": "BL5"},
    ),
    "signposting:demand_alert_delete": Row(cells(405), post=cells(404, anonymous=LOGIN, holder_a=None)),
    # --- Coordinators' screens in the Wagtail admin (search/wagtail_hooks.py) ---
    "signposting_report": Row(ADMIN_SCREEN),
    "signposting_report_csv": Row(ADMIN_SCREEN, params={"section": "section"}),
    # "Send alerts now": a POST for coordinators (holder A's alert has reached a new level in the
    # world, so it emails); a GET goes back to the report.
    "signposting_send_demand_alerts": Row(
        cells(NO_ADMIN, anonymous=ADMIN_LOGIN, coordinator=redirect_to("signposting_report")),
        post=ADMIN_ACTION,
    ),
    "signposting_professionals": Row(
        ADMIN_SCREEN,
        post=ADMIN_ACTION,
        data=lambda w: {"user": str(w.users["holder_b"].public_id), "action": "verify"},
    ),
    # --- Coordinators' audit and privacy screens (marketplace/wagtail_hooks.py) ---
    "marketplace_audit_log": Row(ADMIN_SCREEN),
    # Checking the chain is a POST (read-only); a GET goes back to the log.
    "marketplace_audit_verify": Row(
        cells(NO_ADMIN, anonymous=ADMIN_LOGIN, coordinator=redirect_to("marketplace_audit_log")),
        post=cells(NO_ADMIN, anonymous=ADMIN_LOGIN, coordinator=200),
    ),
    # A holder's record asks for a reason first (GET): it names the holder, shows nothing else.
    "marketplace_holder_record": Row(
        ADMIN_SCREEN,
        post=ADMIN_ACTION,
        data={"reason": "Checking a complaint"},
        shows=("holder A's surname",),
    ),
    # Holder B's: A has unpaid orders, which stop erasure.
    "marketplace_holder_erase": Row(
        ADMIN_SCREEN,
        post=ADMIN_ACTION,
        params={"user_id": "holder_b_id"},
        data={"reason": "Asked to", "confirm": "on"},
    ),
    # Wagtail's own pages that differ from the admin group rule.
    "wagtailadmin_error_test": Row(cells(NO_ADMIN, anonymous=ADMIN_LOGIN, coordinator=500)),  # on purpose
    # The admins' sign-in pages send everyone through allauth's (cms/security.py).
    "wagtailadmin_login": Row(cells(HOME, anonymous=LOGIN, coordinator=ADMIN_HOME)),
    # Choosing a provider's team lists provider accounts only: no holder's name shows there.
    "wagtailsnippets_directory_provider:add": Row(ADMIN_SCREEN),
    # --- Open Referral UK API: published listings only, for anyone ---
    "oruk:root": Row(PUBLIC),
    "oruk:services": Row(PUBLIC),
    "oruk:service": Row(PUBLIC, params={"item_id": "oruk_service"}),
    "oruk:service#draft": Row(cells(404), params={"item_id": "oruk_draft_service"}),
    "oruk:organizations": Row(PUBLIC),
    "oruk:organization": Row(PUBLIC, params={"item_id": "oruk_organization"}),
    "oruk:taxonomies": Row(PUBLIC),
    "oruk:taxonomy": Row(PUBLIC, params={"item_id": "oruk_taxonomy"}),
    "oruk:taxonomy_terms": Row(PUBLIC),
    "oruk:taxonomy_term": Row(PUBLIC, params={"item_id": "oruk_term"}),
    "oruk:service_at_locations": Row(PUBLIC),
    "oruk:service_at_location": Row(PUBLIC, params={"item_id": "oruk_service_at_location"}),
    "openreferral/(?P<path>.*)$": Row(cells(404), url=lambda w: "/openreferral/nothing-here"),
    # --- Wagtail's pages and documents ---
    "wagtail_serve": Row(PUBLIC, url=lambda w: w.listing_x.url),
    "wagtail_serve#draft listing": Row(cells(404), url=lambda w: "/directory/cooking-together/"),
    "wagtail_serve#password page": Row(PUBLIC, url=lambda w: w.secret_page.url),  # the password form
    "wagtailcore_login": Row(PUBLIC),
    "wagtailcore_authenticate_with_password": Row(PUBLIC),
    "wagtaildocs_serve": Row(PUBLIC, url=lambda w: w.document.url),
    "wagtaildocs_authenticate_with_password": Row(
        PUBLIC, params={"restriction_id": "collection_restriction_id"}
    ),
}

# A coordinator's sample of admin list pages (no arguments): each must answer 200.
COORDINATOR_ADMIN_PAGES = {
    "wagtailadmin_home",
    "wagtailadmin_explore_root",
    "wagtailadmin_pages:search",
    "wagtailadmin_reports:locked_pages",
    "wagtailadmin_reports:aging_pages",
    "wagtailadmin_account",
    "wagtaildocs:index",
    "wagtailimages:index",
    "wagtailsnippets:index",
    "wagtailsnippets_directory_outcome:list",
    "wagtailsnippets_directory_category:list",
    "wagtailsnippets_directory_provider:list",
    "wagtailsnippets_directory_check:list",
    "wagtailsnippets_directory_claim:list",
    "wagtailsnippets_directory_problemreport:list",
}
# Screens a coordinator's group has no permission for: people's accounts, groups, sites.
COORDINATOR_REFUSED = {
    "wagtailusers_users:index",
    "wagtailusers_groups:index",
    "wagtailsites:index",
    "wagtailredirects:index",
    "wagtailadmin_workflows:index",
}
# Admin pages that are public by design (signing in, resetting a password, icons, translations).
ADMIN_PUBLIC = {
    "wagtailadmin_login",
    "wagtailadmin_password_reset",
    "wagtailadmin_password_reset_done",
    "wagtailadmin_password_reset_confirm",
    "wagtailadmin_password_reset_complete",
    "wagtailadmin_sprite",
    "wagtailadmin_javascript_catalog",
}
# allauth pages anyone may open; every other accounts/ page is about one's own account.
ACCOUNT_PUBLIC_PREFIXES = (
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_confirm_email",
    "account_email_verification_sent",
    "account_inactive",
    "account_confirm_login_code",
    "account_logout",
)


# Everyone without admin access meets the same check at the door of these groups, so group
# patterns are visited by one person of each kind rather than all thirteen.
GROUP_ROLES = (ANONYMOUS, "holder_a", "delegate_request", "provider_x", "professional", "coordinator")


def group_cells(info) -> dict | None:
    """The expectations for a pattern covered by a group rule, or None if no group covers it."""
    expected = _group_cells(info)
    if expected is None:
        return None
    return {role: (value if role in GROUP_ROLES else None) for role, value in expected.items()}


def _group_cells(info) -> dict | None:
    name, route = info.name or "", info.route
    if route.startswith("admin/"):
        if name in ADMIN_PUBLIC:
            return cells(NOT_5XX)
        coordinator = NOT_5XX
        if name in COORDINATOR_ADMIN_PAGES:
            coordinator = status(200)
        elif name in COORDINATOR_REFUSED:
            coordinator = one_of(ADMIN_HOME, status(403))
        return cells(NO_ADMIN, anonymous=ADMIN_LOGIN, coordinator=coordinator)
    if route.startswith("django-admin/"):
        if name in ("admin:login", "admin:logout"):
            return cells(NOT_5XX)
        return cells(DJANGO_ADMIN_LOGIN)
    if route.startswith("accounts/"):
        if name.startswith(ACCOUNT_PUBLIC_PREFIXES):
            return cells(NOT_5XX)
        return cells(NOT_5XX, anonymous=one_of(LOGIN, status(404)))
    return None


# --- The world, the clients and the sweep ----------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for the module (rolled back at the end), with a signed-in client per role."""
    media = tmp_path_factory.mktemp("authz-media")
    overrides = override_settings(
        MEDIA_ROOT=media / "public",
        PRIVATE_MEDIA_ROOT=media / "private",
        ORUK_RATE_LIMIT_PER_MINUTE=0,
        STRIPE_SECRET_KEY="sk_test_authz_matrix",
        STRIPE_API_BASE="http://127.0.0.1:9",  # nothing listens: every payment call fails fast
        STRIPE_MAX_NETWORK_RETRIES=0,
        STRIPE_TIMEOUT_SECONDS=2,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_CONNECT_WEBHOOK_SECRET=CONNECT_WEBHOOK_SECRET,
    )
    with django_db_blocker.unblock(), overrides:
        cache.clear()
        with transaction.atomic():
            built = authz_world.build_world()
            built.clients = {}
            for role in ROLES:
                client = Client(raise_request_exception=False)
                if role != ANONYMOUS:
                    authz_world.log_in(client, built.users[role])
                built.clients[role] = client
            yield built
            transaction.set_rollback(True)
        cache.clear()


def _patterns():
    return list(authz_world.iter_patterns())


def _rows(world):
    """(label, url, Row) for every matrix row and every group-covered pattern."""
    by_key = {}
    for info in _patterns():
        by_key.setdefault(info.key, info)
    for key, row in MATRIX.items():
        info = by_key[key.split("#")[0]]
        if row.url:
            url = row.url(world)
        else:
            values = {**world.params}
            values.update({arg: world.params[source] for arg, source in row.params.items()})
            url = authz_world.build_url(info, values)
        if row.query:
            url += "?" + row.query.format(**world.params)
        yield key, url, row
    for info in _patterns():
        if info.key not in MATRIX:
            expected = group_cells(info)
            if expected is not None:
                yield info.key, authz_world.sample_url(info), Row(expected)


def _describe(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        return f"{response.status_code} to {urlsplit(response['Location']).path}"
    return str(response.status_code)


def _leaks(role, response, shown_by_design=()) -> list[str]:
    if getattr(response, "streaming", False):
        return []
    body = response.content.decode("utf-8", "replace")
    return [
        label
        for label, (words, allowed) in MARKERS.items()
        if role not in allowed and label not in shown_by_design and words in body
    ]


def _visit(world, role, method, url, data=None, row=None):
    client = world.clients[role]
    # The cell's database changes are rolled back, so its cookies must be too: a page that
    # signs people out (or in) would otherwise leave the client holding a session that no
    # longer exists, and flash messages would pile up.
    cookies = copy.deepcopy(client.cookies)
    if method == "get":
        response = client.get(url)
    elif row is not None and row.content_type:
        headers = row.headers(data) if row.headers else {}
        response = client.post(url, data=data, content_type=row.content_type, **headers)
    else:
        response = client.post(url, data or {})
    client.cookies = cookies
    return response


def _table(failures) -> str:
    lines = [f"{'url name':45} {'role':20} {'expected':34} got", "-" * 120]
    lines += [f"{key:45} {role:20} {expected!s:34} {got}" for key, role, expected, got in failures]
    return "\n".join(lines)


def snapshot():
    """The state a refused POST must not change (everything the POST columns aim at)."""
    from django.core import mail
    from wagtail.models import WorkflowState

    from cms.models import User
    from directory.models import Check, Claim, ListingPage, Provider
    from marketplace.models import (
        AuditEvent,
        Delegate,
        LedgerEntry,
        MeetFirst,
        Order,
        OutcomeCheck,
        PlanOutcome,
        ProviderPaymentAccount,
        StatementShare,
        SupportRequest,
    )
    from signposting.models import (
        DemandAlert,
        Enquiry,
        GroupMember,
        Need,
        Offer,
        PendingOffer,
        ProfessionalVerification,
        SavedSearch,
        Shortlist,
        ShortlistComment,
        ShortlistItem,
        ShortlistMember,
    )

    def rows(model, *fields):
        objects = model.objects if isinstance(model, type) else model
        return list(objects.order_by("pk").values_list("pk", *fields))

    return {
        "support requests": rows(SupportRequest, "status", "quantity", "provider_note"),
        "orders": rows(Order, "status", "checkout_session_id"),
        "plan outcomes": rows(PlanOutcome, "archived", "own_words"),
        "ledger entries": rows(LedgerEntry, "amount_pence"),
        "checks": rows(Check, "document"),
        "listings": rows(ListingPage, "title", "live", "last_confirmed_at", "latest_revision_id", "intake"),
        "providers": rows(Provider, "name", "email"),
        "claims": rows(Claim, "status"),
        "payment accounts": rows(ProviderPaymentAccount, "account_id"),
        "shortlists": rows(Shortlist, "title", "link_key", "revoked_at"),
        "shortlist items": rows(ShortlistItem, "note", "note_shared"),
        "shortlist comments": rows(ShortlistComment),
        "shortlist members": rows(ShortlistMember),
        "enquiries": rows(Enquiry, "responded_at"),
        "saved searches": rows(SavedSearch, "frequency", "unsubscribed_at"),
        "needs": rows(Need, "withdrawn_at", "accepted_at", "hidden"),
        "offers": rows(Offer, "status"),
        "group members": rows(GroupMember, "places"),
        "pending offers": rows(PendingOffer, "price_pence"),
        "demand alerts": rows(DemandAlert, "outcome_id", "district_id", "level_sent"),
        "professional verifications": rows(ProfessionalVerification, "verified_at"),
        "helpers": rows(
            Delegate, "status", "can_request", "can_pay", "can_download_statements", "invite_token_hash"
        ),
        "statement links": rows(StatementShare, "revoked_at"),
        "did it help answers": rows(OutcomeCheck, "answered_at", "helped", "note"),
        "meetings first": rows(
            MeetFirst, "status", "time_1", "where", "chosen_time", "person_decision", "provider_decision"
        ),
        "accounts": rows(User, "email", "is_active", "first_name", "last_name"),
        # A refusal the service records for coordinators (self-dealing) is not a change the
        # refused person made.
        "audit events": rows(AuditEvent.objects.exclude(action__startswith="refused_"), "action"),
        "listings sent for review": rows(WorkflowState, "status"),
        "emails sent": [(message.subject, tuple(message.to)) for message in getattr(mail, "outbox", [])],
    }


# --- The tests --------------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_matrix():
    patterns = _patterns()
    keys = {info.key for info in patterns}
    missing = sorted(info.key for info in patterns if info.key not in MATRIX and group_cells(info) is None)
    stale = sorted(key for key in MATRIX if key.split("#")[0] not in keys)
    unbuildable = []
    for info in patterns:
        if info.key in MATRIX or group_cells(info) is None:
            continue
        url = authz_world.sample_url(info)
        try:
            route = resolve(url).route
        except Resolver404:
            route = None
        if route != info.route:
            unbuildable.append(f"{info.key}: {url} resolves to {route}")
    problems = [f"no MATRIX entry (add it to MATRIX): {key}" for key in missing]
    problems += [f"stale MATRIX entry (no such pattern): {key}" for key in stale]
    problems += [f"group pattern without a working sample address: {text}" for text in unbuildable]
    assert not problems, "\n".join(problems)


def test_get_matrix(world):
    failures = []
    cell_count = 0
    for key, url, row in _rows(world):
        for role, expected in row.get.items():
            if expected is None:
                continue
            cell_count += 1
            with transaction.atomic():
                response = _visit(world, role, "get", url)
                transaction.set_rollback(True)
            if not expected.test(response):
                failures.append((key, role, expected, _describe(response)))
            for leak in _leaks(role, response, row.shows):
                failures.append((key, role, f"no {leak}", f"{_describe(response)}, showed {leak}"))
    assert not failures, f"{len(failures)} of {cell_count} GET cells are wrong:\n" + _table(failures)


def test_post_matrix(world):
    failures = []
    cell_count = 0
    before = snapshot()  # every cell starts from here: each one is rolled back
    for key, url, row in _rows(world):
        if row.post is None:
            continue
        data = row.data(world) if callable(row.data) else row.data
        for role, expected in row.post.items():
            if expected is None:
                continue
            cell_count += 1
            with transaction.atomic():
                response = _visit(world, role, "post", url, data, row)
                changed = [name for name, value in snapshot().items() if before[name] != value]
                transaction.set_rollback(True)
            if not expected.test(response):
                failures.append((key + " (POST)", role, expected, _describe(response)))
            if changed:
                failures.append((key + " (POST)", role, "nothing changed", "changed " + ", ".join(changed)))
            for leak in _leaks(role, response, row.shows):
                failures.append(
                    (key + " (POST)", role, f"no {leak}", f"{_describe(response)}, showed {leak}")
                )
    assert cell_count, "no POST cells ran"
    assert not failures, f"{len(failures)} of {cell_count} POST cells are wrong:\n" + _table(failures)


def test_an_allowed_post_changes_something(world, request):
    """Each POST row's data, posted by a person allowed to (the row's `post_as`, or the first
    allowed), changes what `snapshot` sees.

    Without this, "a refused POST changes nothing" could hold only because the data is wrong.
    Payments go to the Stripe-compatible test server here (tests/marketplace/stripe_server.py),
    so paying and setting up payments can make their change too; the refusals above keep the
    closed port.
    """
    from django.core import mail

    server = request.getfixturevalue("stripe_test_server")
    unchanged = []
    with override_settings(STRIPE_API_BASE=server.url, STRIPE_SECRET_KEY=SECRET_KEY), transaction.atomic():
        _connect_on_server(world.provider_x, server)
        for key, url, row in _rows(world):
            allowed = [role for role, expected in (row.post or {}).items() if expected is None]
            if not allowed:
                continue
            role = row.post_as or allowed[0]
            assert role in allowed, f"{key}: post_as {role} is not allowed to post"
            data = row.data(world) if callable(row.data) else row.data
            mail.outbox = []
            before = snapshot()
            with transaction.atomic():
                response = _visit(world, role, "post", url, data, row)
                changed = [name for name, value in snapshot().items() if before[name] != value]
                transaction.set_rollback(True)
            if not changed:
                unchanged.append(f"{key} as {role}: {_describe(response)}, nothing changed")
        transaction.set_rollback(True)  # provider X's account goes back to the world's
    assert not unchanged, "\n".join(unchanged)


def _connect_on_server(provider, server) -> None:
    """Give `provider` a ready payment account that exists on the Stripe test server.

    The world's account is only in the database (its payment calls go to a closed port), so
    the test server would refuse a checkout paying it ("No such account").
    """
    from marketplace.gateways import get_payment_gateway
    from marketplace.models import ProviderPaymentAccount

    account_id = get_payment_gateway().create_account(provider=provider).account_id
    server.enable_account(account_id, deliver=False)
    ProviderPaymentAccount.objects.filter(provider=provider).update(account_id=account_id)
