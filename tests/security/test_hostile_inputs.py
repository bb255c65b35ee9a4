"""Hostile input through every form and query parameter: never an error page, never unescaped.

Each value below goes into every field of every form (the fields are read from the form
classes, so a field added later is covered too) and into every query parameter of the search
page, the search API and the Open Referral UK API. For every response:
- it is not a server error (the test client re-raises a view's exception, so one fails here);
- the raw markup of an injected tag never appears in an HTML page (it was escaped);
- what a form accepted reads back from the database exactly as it was typed;
- no NUL character is stored (PostgreSQL refuses them, so on PostgreSQL the attempt itself
  would be the error page; on SQLite the stored rows are scanned for one).
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

import pytest
from django import forms
from django.apps import apps
from django.db import connection, models
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from directory import provider_forms
from directory.models import Claim, ListingPage, ProblemReport, Provider
from directory.provider_services import draft_of, html_to_text
from marketplace import forms as market_forms
from marketplace import services as market
from marketplace.models import Budget, LedgerEntry, Order, PlanOutcome, SupportRequest
from search.query import parse_query
from search.services import vocabularies
from signposting import forms as sp_forms
from signposting import services as signposting
from signposting.models import Enquiry, ProfessionalVerification, Shortlist, ShortlistComment
from tests import factories
from tests.marketplace import factories as mf

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# What must never reach a page unescaped.
MARKERS = ("<script>alert(1)", "<img src=x onerror=alert(1)>")
LONG = "x" * 100_000

# (label, value): typed into text boxes, number boxes, choices and hidden fields alike. Values
# that test the same thing share one string, so the suite stays quick.
HOSTILE = [
    ("markup", IMG + SCRIPT),
    ("sql", "' OR 1=1 --"),
    ("like wildcards", "%_\\"),
    ("long", LONG),
    ("nul", "a\x00b"),
    ("rtl and emoji", "\u202eevil.exe\u202c 🧑‍🦽 café ☕"),
    ("negative", "-1"),
    ("infinity", "1e309"),
    ("huge", "99999999999999999999"),
    ("nan", "NaN"),
    ("non-date", "2026-02-30"),
]
TEXT_LABELS = {"markup", "sql", "like wildcards", "rtl and emoji"}
NUMBER_LABELS = {"negative", "infinity", "huge", "nan", "non-date"}
# Raw query-string values: broken UTF-8, an overlong "/", an encoded surrogate, a NUL.
RAW_ENCODED = ["%ff%fe", "%c0%af", "%ed%a0%80", "a%00b"]
# Dates typed into the three boxes (day, month, year).
HOSTILE_DATES = [
    ("30", "2", "2026"),
    ("31", "12", "9999"),
    ("1", "1", "0001"),
    ("99999999999999999999", "1", "2026"),
]


# --- What every response must be ------------------------------------------------------------


def assert_safe(response, where: str) -> None:
    """No server error, and no injected markup left unescaped in an HTML page."""
    assert response.status_code < 500, f"{where}: status {response.status_code}"
    if "html" in response.get("Content-Type", ""):
        body = response.content.decode(response.charset or "utf-8", "replace")
        for marker in MARKERS:
            assert marker not in body, f"{where}: unescaped {marker!r} in the page"


def send(client, method: str, path: str, where: str, **kwargs):
    """A request whose failure names the form, field and value that caused it."""
    try:
        if method == "post-raw":
            response = client.generic("POST", path, **kwargs)
        else:
            response = getattr(client, method)(path, **kwargs)
    except Exception as exc:
        exc.add_note(f"while sending {where}")
        raise
    assert_safe(response, where)
    return response


def assert_no_nul_stored() -> None:
    """No text column of the project's own tables holds a NUL (PostgreSQL cannot: it refuses)."""
    if connection.vendor == "postgresql":
        return
    for app in ("cms", "directory", "search", "marketplace"):
        for model in apps.get_app_config(app).get_models():
            text_fields = [
                f.name
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField)
            ]
            if not text_fields:
                continue
            # Read in Python: SQLite's LIKE stops at a NUL in the pattern and matches everything.
            for row in model._default_manager.values_list("pk", *text_fields):
                assert not any("\x00" in (value or "") for value in row[1:]), (
                    f"a NUL was stored in {model.__name__} {row[0]}"
                )


# --- Forms ----------------------------------------------------------------------------------


@dataclass
class FormCase:
    """One form on one page: where it posts, a valid answer, and how to read back what it saved."""

    url: str
    form: forms.Form
    baseline: dict
    prefix: str = ""
    # field name -> function returning what was stored for it (the newest row), for read-back.
    stored: dict = field(default_factory=dict)
    # field name -> how the form normalises a typed value before storing it.
    normalise: dict = field(default_factory=dict)
    skip: tuple = ()


def date_parts(name: str, day) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def field_names(case: FormCase):
    """(field, [posted names], values) for each field, date fields as their three boxes.

    A free-text box gets the text values (numbers in it are only text); a number, choice or
    date gets the number values and the few text values that test escaping and storage.
    """
    for name, form_field in case.form.fields.items():
        if name in case.skip or isinstance(form_field, forms.FileField):
            continue
        posted = case.prefix + name
        free_text = type(form_field) in (forms.CharField, forms.EmailField, forms.URLField)
        wanted = {label for label, _ in HOSTILE} - (
            NUMBER_LABELS if free_text else TEXT_LABELS - {"markup", "sql"}
        )
        values = [(label, value) for label, value in HOSTILE if label in wanted]
        if isinstance(form_field.widget, forms.MultiWidget):
            yield name, [f"{posted}_{i}" for i in range(len(form_field.widget.widgets))], values
        else:
            yield name, [posted], values


def exercise_form(client, case: FormCase) -> int:
    """Post every hostile value into every field; return how many requests were sent."""
    sent = 0
    for name, posted, values in field_names(case):
        trials = [(label, dict.fromkeys(posted, value)) for label, value in values]
        if len(posted) == 3:
            trials += [("date " + "/".join(d), dict(zip(posted, d, strict=True))) for d in HOSTILE_DATES]
        for label, typed_values in trials:
            data = {**case.baseline, **typed_values}
            where = f"POST {case.url} {name}={label}"
            response = send(client, "post", case.url, where, data=data)
            sent += 1
            if response.status_code in (301, 302, 303) and name in case.stored and label in TEXT_LABELS:
                typed = typed_values[posted[0]]
                expected = case.normalise.get(name, str.strip)(typed)
                assert case.stored[name]() == expected, f"{where}: stored value differs from what was typed"
                if label == "markup":
                    send(client, "get", response.url, f"GET {response.url} after {where}")
                    sent += 1
    assert_no_nul_stored()
    return sent


def exercise_latin1(client, case: FormCase) -> None:
    """The form posted as Latin-1 (and with an unknown charset) never breaks the page."""
    typed = "caf\u00e9 " + SCRIPT
    data = {**case.baseline}
    for _, posted, _ in field_names(case):
        data.update(dict.fromkeys(posted, typed))
    pairs = [(k, v) for k, vs in data.items() for v in (vs if isinstance(vs, list) else [vs])]
    body = "&".join(f"{quote(k)}={quote(str(v), encoding='latin-1')}" for k, v in pairs)
    for charset in ("latin-1", "x-no-such-charset"):
        # Sent as bytes: the test client itself would refuse to encode an unknown charset.
        send(
            client,
            "post-raw",
            case.url,
            f"POST {case.url} as {charset}",
            data=body.encode("ascii"),
            content_type=f"application/x-www-form-urlencoded; charset={charset}",
        )


# --- The people and things the forms need ------------------------------------------------------


@pytest.fixture(autouse=True)
def quiet_limits(settings, directory):
    """Rate limits would turn later attempts into 429s and hide what the form does."""
    settings.ENQUIRY_RATE_LIMIT_PER_HOUR = 0
    settings.ORUK_RATE_LIMIT_PER_MINUTE = 0


@pytest.fixture
def listing():
    return factories.make_listing(title="Swimming buddy", contact_phone="07700 900123")


def professional():
    user = factories.UserFactory(role=Role.PROFESSIONAL)
    ProfessionalVerification.objects.create(user=user, verified_at=timezone.now(), method="coordinator")
    return user


def newest(model, attribute):
    return lambda: getattr(model.objects.order_by("-pk").first(), attribute)


def signposting_cases(client, listing):
    owner = professional()
    shortlist = signposting.create_shortlist(owner=owner, title="Options", comments_open=True)
    item = signposting.add_to_shortlist(shortlist=shortlist, listing=listing, by=owner)
    client.force_login(owner)
    sid = shortlist.public_id
    return {
        "shortlist new": FormCase(
            reverse("signposting:shortlist_new"),
            sp_forms.ShortlistForm(),
            {"title": "Options for Mrs P", "person_label": "Mrs P"},
            stored={"title": newest(Shortlist, "title"), "person_label": newest(Shortlist, "person_label")},
        ),
        "shortlist edit": FormCase(
            reverse("signposting:shortlist_edit", args=[sid]),
            sp_forms.ShortlistForm(),
            {"title": "Options", "person_label": ""},
        ),
        "add to shortlist": FormCase(
            reverse("signposting:shortlist_add") + f"?listing={listing.public_id}",
            sp_forms.AddToShortlistForm(),
            {"listing": str(listing.public_id), "shortlist": "new", "new_title": "New list", "note": "n"},
        ),
        "shortlist item": FormCase(
            reverse("signposting:item_edit", args=[sid, item.pk]),
            sp_forms.ItemForm(),
            {"note": "A note", "note_shared": "on"},
            stored={"note": lambda: type(item).objects.get(pk=item.pk).note},
        ),
        "email shortlist": FormCase(
            reverse("signposting:shortlist_email", args=[sid]),
            sp_forms.EmailShortlistForm(),
            {"email": "person@example.org", "message": "Here it is"},
        ),
        "comment (owner)": FormCase(
            reverse("signposting:shortlist_comment", args=[sid]),
            sp_forms.CommentForm(),
            {"name": "Asha", "text": "A comment"},
            stored={"text": newest(ShortlistComment, "text")},
        ),
        "comment (shared link)": FormCase(
            reverse("signposting:shortlist_public_comment", args=[shortlist.token]),
            sp_forms.CommentForm(),
            {"name": "Pat", "text": "A comment"},
            stored={
                "name": newest(ShortlistComment, "author_name"),
                "text": newest(ShortlistComment, "text"),
            },
        ),
        "enquiry": FormCase(
            reverse("signposting:enquiry_new"),
            sp_forms.EnquiryForm(),
            {
                "listing": str(listing.public_id),
                "shortlist": "",
                "name": "Pat",
                "reply_to": "pat@example.org",
                "message": "Hello",
            },
            stored={"name": newest(Enquiry, "name"), "message": newest(Enquiry, "message")},
        ),
        "save search": FormCase(
            reverse("signposting:saved_search_new"),
            sp_forms.SaveSearchForm(),
            {"querystring": "q=swimming", "frequency": "weekly"},
        ),
        "save search (query string)": FormCase(
            reverse("signposting:saved_search_new"),
            forms.Form(),
            {"querystring": "q=swimming", "frequency": "weekly"},
        ),
        "professional": FormCase(
            reverse("signposting:professional"),
            sp_forms.VerificationRequestForm(),
            {"action": "request", "job_title": "GP", "organisation": "Bolton"},
        ),
    }


def provider_cases(client, listing):
    provider, user = mf.make_provider_member()
    mine = factories.make_listing(title="Lunch club", provider=provider)
    stranger = factories.UserFactory()
    client.force_login(user)
    pid, lid = provider.public_id, mine.public_id
    step = lambda slug: reverse("my:listing_step", args=[lid, slug])  # noqa: E731
    newest_provider = lambda attr: newest(Provider, attr)  # noqa: E731
    draft = lambda attr: lambda: getattr(draft_of(ListingPage.objects.get(pk=mine.pk)), attr)  # noqa: E731
    organisation = {
        "name": "Helping Hands",
        "legal_name": "Jo Bloggs",
        "business_type": Provider.BusinessType.SOLE_TRADER,
        "company_number": "",
        "team_size": "1",
        "email": "jo@example.org",
        "phone": "",
    }
    return stranger, {
        "organisation new": FormCase(
            reverse("my:organisation_create"),
            provider_forms.OrganisationForm(),
            organisation,
            stored={"name": newest_provider("name"), "legal_name": newest_provider("legal_name")},
        ),
        "organisation edit": FormCase(
            reverse("my:organisation_edit", args=[pid]),
            provider_forms.OrganisationForm(),
            organisation,
            stored={"phone": lambda: Provider.objects.get(pk=provider.pk).phone},
        ),
        "listing new (about)": FormCase(
            reverse("my:listing_create", args=[pid]),
            provider_forms.AboutForm(),
            {"title": "Walks", "summary": "Walks in the park.", "description": "We walk."},
        ),
        "listing step about": FormCase(
            step("about"),
            provider_forms.AboutForm(),
            {"title": "Walks", "summary": "Walks in the park.", "description": "We walk."},
            stored={
                "title": draft("title"),
                "summary": draft("summary"),
                "description": lambda: html_to_text(
                    draft_of(ListingPage.objects.get(pk=mine.pk)).description
                ),
            },
            normalise={"title": lambda text: " ".join(text.split())},
        ),
        "listing step help": FormCase(
            step("help"),
            provider_forms.HelpForm(),
            {"outcomes": [o.pk for o in mine.outcomes.all()], "min_age": "18", "max_age": "99"},
        ),
        "listing step where": FormCase(
            step("where"),
            provider_forms.WhereForm(),
            {"base_postcode": "BL3", "service_radius_miles": "5", "other_districts": "BL4"},
        ),
        "listing step prices": FormCase(
            step("prices"),
            provider_forms.PriceForm(),
            {
                "prices-TOTAL_FORMS": "1",
                "prices-INITIAL_FORMS": "0",
                "prices-MIN_NUM_FORMS": "0",
                "prices-MAX_NUM_FORMS": "10",
                "prices-0-description": "An hour",
                "prices-0-unit": "hour",
                "prices-0-weekday": "18.50",
            },
            prefix="prices-0-",
        ),
        "listing step when": FormCase(
            step("when"),
            provider_forms.WhenContactForm(),
            {"intake": "taking", "contact_phone": "01204 123456", "availability": ["mon-morning"]},
            stored={"contact_notes": draft("contact_notes"), "accessibility": draft("accessibility")},
        ),
        "quick update": FormCase(
            reverse("my:listing_availability", args=[lid]),
            provider_forms.AvailabilityForm(),
            {"intake": "taking", "availability": ["mon-morning"]},
        ),
        "cqc self-check": FormCase(
            reverse("my:cqc_check"),
            provider_forms.CqcSelfCheckForm(),
            dict.fromkeys(provider_forms.CqcSelfCheckForm.base_fields, "no"),
        ),
        "evidence of a check": FormCase(
            reverse("my:check_add", args=[pid]),
            provider_forms.CheckForm(),
            {"kind": "cqc", "reference": "1-123456789", **date_parts("issued_on", timezone.localdate())},
        ),
    }


@pytest.fixture
def market_world():
    world = mf.World(amount_pence=500_000)
    support_request = mf.make_request(budget=world.budget, listing=world.listing)
    order = world.order()
    return world, support_request, order


def holder_cases(world):
    today = timezone.localdate()
    budget = world.budget

    def latest_outside(attr):
        return lambda: getattr(LedgerEntry.objects.filter(kind="outside").order_by("-pk").first(), attr)

    return {
        "budget setup": FormCase(
            reverse("marketplace:budget_setup"),
            market_forms.BudgetForm(),
            {
                "amount": "450",
                "period": Budget.Period.FOUR_WEEKS,
                **date_parts("first_period_starts_on", budget.first_period_starts_on),
                "client_contribution": "",
                "contingency_weeks": "4",
            },
        ),
        "plan outcome": FormCase(
            reverse("marketplace:plan"),
            market_forms.PlanOutcomeForm(),
            {"own_words": "See my friends", "outcome": "get-out-and-about"},
            stored={"own_words": newest(PlanOutcome, "own_words")},
        ),
        "outside spending": FormCase(
            reverse("marketplace:spending_new"),
            market_forms.OutsideSpendingForm(budget=budget),
            {
                "amount": "12.50",
                **date_parts("spent_on", today),
                "description": "Bus pass",
                "payee": "",
                "plan_outcome": str(world.plan_outcome.public_id),
            },
            stored={"description": latest_outside("description"), "payee": latest_outside("payee")},
        ),
        "request form": FormCase(
            reverse("marketplace:request_new", args=[world.listing.public_id]),
            market_forms.RequestForm(listing=world.listing, budget=budget),
            {
                "price_option": "0-weekday",
                "quantity": "2",
                **date_parts("starts_on", today + timedelta(days=3)),
                **date_parts("ends_on", today + timedelta(days=10)),
                "plan_outcome": str(world.plan_outcome.public_id),
                "message": "Mornings suit me",
                "confirm": "1",
            },
            stored={"message": lambda: SupportRequest.objects.order_by("-pk").first().message},
        ),
    }


def provider_market_cases(world, support_request, order):
    today = timezone.localdate()
    rid = support_request.public_id
    return {
        "propose change": FormCase(
            reverse("marketplace:request_change", args=[rid]),
            market_forms.ProposeChangeForm(),
            {
                "quantity": "2",
                "unit_price": "20",
                **date_parts("starts_on", today + timedelta(days=3)),
                **date_parts("ends_on", today + timedelta(days=10)),
                "note": "Fridays only",
            },
        ),
        "decline note": FormCase(
            reverse("marketplace:request_decline", args=[rid]),
            market_forms.NoteForm(),
            {"note": "Sorry, I am full"},
        ),
        "cancel reason": FormCase(
            reverse("marketplace:order_cancel", args=[order.public_id]),
            market_forms.NoteForm(),
            {"note": "Plans changed"},
            stored={"note": lambda: Order.objects.get(pk=order.pk).cancel_reason},
        ),
    }


# --- The tests: forms ------------------------------------------------------------------------------

SIGNPOSTING = [
    "shortlist new",
    "shortlist edit",
    "add to shortlist",
    "shortlist item",
    "email shortlist",
    "comment (owner)",
    "comment (shared link)",
    "enquiry",
    "save search",
    "save search (query string)",
    "professional",
]


@pytest.mark.parametrize("name", SIGNPOSTING)
def test_signposting_forms_survive_hostile_input(client, listing, name):
    case = signposting_cases(client, listing)[name]
    if name == "save search (query string)":
        # The saved query string is itself a form value: hostile values inside it.
        case.form.fields["querystring"] = forms.CharField()
    assert exercise_form(client, case) > 0
    exercise_latin1(client, case)


PROVIDER = [
    "organisation new",
    "organisation edit",
    "listing new (about)",
    "listing step about",
    "listing step help",
    "listing step where",
    "listing step prices",
    "listing step when",
    "quick update",
    "cqc self-check",
    "evidence of a check",
]


@pytest.mark.parametrize("name", PROVIDER)
def test_provider_area_forms_survive_hostile_input(client, listing, name):
    _, cases = provider_cases(client, listing)
    assert exercise_form(client, cases[name]) > 0
    exercise_latin1(client, cases[name])


def test_public_listing_forms_survive_hostile_input(client, listing):
    """Report a problem (anyone) and claim a listing (signed in)."""
    report = FormCase(
        reverse("my:report_problem", args=[listing.public_id]),
        provider_forms.ProblemReportForm(),
        {
            "problem": ProblemReport.Problem.choices[0][0],
            "details": "The phone number is wrong",
            "contact": "",
        },
        stored={"details": newest(ProblemReport, "details"), "contact": newest(ProblemReport, "contact")},
    )
    exercise_form(client, report)
    exercise_latin1(client, report)
    client.force_login(factories.UserFactory())
    claim = FormCase(
        reverse("my:claim", args=[listing.public_id]),
        provider_forms.ClaimForm(),
        {"message": "The phone number on it is mine", "phone": ""},
        stored={"message": newest(Claim, "message")},
    )
    exercise_form(client, claim)


@pytest.mark.parametrize("name", ["budget setup", "plan outcome", "outside spending", "request form"])
def test_budget_holder_forms_survive_hostile_input(client, market_world, name):
    world, _, _ = market_world
    client.force_login(world.holder)
    case = holder_cases(world)[name]
    assert exercise_form(client, case) > 0
    exercise_latin1(client, case)
    # Whatever was accepted, the holder's pages still draw.
    for page in ("dashboard", "ledger", "plan"):
        send(client, "get", reverse(f"marketplace:{page}"), f"GET {page} after {name}")


@pytest.mark.parametrize("name", ["propose change", "decline note", "cancel reason"])
def test_provider_marketplace_forms_survive_hostile_input(client, market_world, name):
    world, support_request, order = market_world
    client.force_login(world.provider_user)
    case = provider_market_cases(world, support_request, order)[name]
    assert exercise_form(client, case) > 0
    send(client, "get", reverse("marketplace:provider_inbox"), f"GET inbox after {name}")
    client.force_login(world.holder)
    send(client, "get", reverse("marketplace:request_detail", args=[support_request.public_id]), "request")


def allauth_cases():
    from allauth.account.forms import LoginForm, ResetPasswordForm, SignupForm

    return {
        "login": FormCase(
            reverse("account_login"), LoginForm(), {"login": "person@example.org", "password": "password"}
        ),
        "signup": FormCase(
            reverse("account_signup"),
            SignupForm(),
            {
                "email": "new@example.org",
                "password1": "a long pass phrase",
                "password2": "a long pass phrase",
            },
        ),
        "password reset": FormCase(
            reverse("account_reset_password"), ResetPasswordForm(), {"email": "person@example.org"}
        ),
    }


@pytest.mark.parametrize("name", ["login", "signup", "password reset"])
def test_account_forms_survive_hostile_input(client, settings, name):
    settings.ACCOUNT_RATE_LIMITS = False
    case = allauth_cases()[name]
    assert exercise_form(client, case) > 0
    exercise_latin1(client, case)


# --- The tests: query parameters ---------------------------------------------------------------


class RecordingParams(QueryDict):
    """An empty query string that remembers every parameter name the code asks for."""

    def __init__(self):
        super().__init__("", mutable=True)
        self.asked = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self.asked.add(key)
        return super().getlist(key, default)


def search_parameters() -> list[str]:
    """Every parameter `parse_query` reads, found by asking it."""
    params = RecordingParams()
    parse_query(params, vocabularies=vocabularies())
    return sorted(params.asked)


def test_search_reads_the_parameters_this_suite_knows_about():
    # A sanity check that discovery works: these are documented in docs/search-api.md.
    assert {"q", "near", "radius", "outcome", "max_price", "page", "sort"} <= set(search_parameters())


@pytest.mark.parametrize("path_name", ["search", "search_api"])
def test_search_parameters_survive_hostile_input(client, listing, path_name):
    path = reverse(path_name)
    for name in search_parameters():
        for label, value in HOSTILE:
            response = send(
                client, "get", path, f"GET {path} {name}={label}", data={name: value, "q": "swim"}
            )
            if path_name == "search_api" and response.status_code == 400:
                assert response.json()["error"]["message"]
        for raw in RAW_ENCODED:
            send(client, "get", f"{path}?{name}={raw}", f"GET {path} {name}={raw}")
    # A search that gets through still draws with the hostile text escaped.
    response = send(client, "get", path, "echo", data={"q": SCRIPT})
    if path_name == "search":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.content.decode()
    assert_no_nul_stored()


def oruk_parameters(client) -> list[str]:
    """Every query parameter the Open Referral views read, found by asking them."""
    from django.test import RequestFactory

    from directory.oruk import urls

    asked = set()
    for pattern in urls.urlpatterns:
        if pattern.pattern.regex.groups:
            continue
        request = RequestFactory().get("/openreferral/x")
        request.GET = RecordingParams()
        pattern.callback(request)
        asked |= request.GET.asked
    return sorted(asked)


def oruk_paths() -> list[str]:
    return ["", "services", "organizations", "taxonomies", "taxonomy_terms", "service_at_locations"]


@pytest.mark.parametrize("endpoint", oruk_paths())
def test_open_referral_parameters_survive_hostile_input(client, listing, endpoint):
    path = "/openreferral/" + endpoint
    names = oruk_parameters(client)
    assert {"page", "per_page", "search", "postcode", "proximity", "modified_after"} <= set(names)
    extra = [
        ("datetime far future", "9999-12-31T23:59:59-12:00"),
        ("datetime year 1", "0001-01-01T00:00:00+14:00"),
        ("datetime overflow", "9999-12-31T23:59:59.999999-23:59"),
    ]
    for name in names:
        for label, value in [*HOSTILE, *extra]:
            response = send(client, "get", path, f"GET {path} {name}={label}", data={name: value})
            assert response["Content-Type"].startswith("application/json"), f"{name}={label}"
            if response.status_code >= 400:
                assert response.json()["error"]
        for raw in RAW_ENCODED:
            send(client, "get", f"{path}?{name}={raw}", f"GET {path} {name}={raw}")
    # With a postcode, proximity is read too.
    for label, value in HOSTILE:
        send(client, "get", path, f"proximity={label}", data={"postcode": "BL3", "proximity": value})


# --- The tests: addresses with hostile parts ---------------------------------------------------

PATH_PARTS = [
    "%ff%fe",
    "%c0%af",
    "a%00b",
    "%00",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "x" * 2000,
    "%25",
    "'%20OR%201=1",
]


@pytest.mark.parametrize(
    "template",
    [
        "/s/{}/",
        "/s/{}/print/",
        "/alerts/unsubscribe/{}/",
        "/my/confirm/{}/",
        "/openreferral/services/{}",
        "/openreferral/organizations/{}",
        "/openreferral/taxonomies/{}",
        "/openreferral/taxonomy_terms/{}",
        "/openreferral/service_at_locations/{}",
        "/openreferral/{}",
        "/{}/",
    ],
)
def test_hostile_addresses_are_not_found_not_errors(client, template):
    for part in PATH_PARTS:
        response = send(client, "get", template.format(part), f"GET {template} with {part[:20]}")
        assert response.status_code in (400, 404), f"{template} {part[:20]}: {response.status_code}"


def test_hostile_get_parameters_on_signposting_pages(client, listing):
    owner = professional()
    shortlist = signposting.create_shortlist(owner=owner, title="Options")
    signposting.add_to_shortlist(shortlist=shortlist, listing=listing, by=owner)
    pages = [
        (reverse("signposting:enquiry_new"), {"listing": str(listing.public_id)}, ["listing", "shortlist"]),
        (reverse("signposting:enquiry_sent"), {"listing": str(listing.public_id)}, ["listing", "shortlist"]),
        (reverse("signposting:shortlist_public_print", args=[shortlist.token]), {}, ["size"]),
    ]
    client.force_login(owner)
    pages += [
        (
            reverse("signposting:shortlist_add"),
            {"listing": str(listing.public_id)},
            ["listing", "shortlist", "next"],
        ),
        (reverse("signposting:shortlist_print", args=[shortlist.public_id]), {}, ["size"]),
        # Every search parameter is exercised on the search page; here, the two free-text ones.
        (reverse("signposting:saved_search_new"), {"q": "swim"}, ["q", "near"]),
        (reverse("marketplace:dashboard"), {}, ["budget"]),
    ]
    for path, base, names in pages:
        for name in names:
            for label, value in HOSTILE:
                send(client, "get", path, f"GET {path} {name}={label}", data={**base, name: value})
            for raw in RAW_ENCODED:
                query = "&".join(f"{k}={v}" for k, v in base.items() if k != name)
                send(client, "get", f"{path}?{query}&{name}={raw}", f"GET {path} {name}={raw}")
    assert_no_nul_stored()


def test_enquiry_with_markup_is_stored_as_typed_and_shown_escaped(client, listing):
    """The provider reads exactly what was typed, as text, never as markup."""
    response = client.post(
        reverse("signposting:enquiry_new"),
        {"listing": str(listing.public_id), "name": IMG, "reply_to": "pat@example.org", "message": SCRIPT},
    )
    assert response.status_code == 302
    enquiry = Enquiry.objects.get()
    assert (enquiry.name, enquiry.message) == (IMG.strip(), SCRIPT)
    client.force_login(listing.provider.members.first() or _member_of(listing.provider))
    page = send(client, "get", reverse("signposting:enquiries"), "enquiries page").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _member_of(provider):
    user = factories.UserFactory(role=Role.PROVIDER)
    provider.members.add(user)
    return user


def test_listing_text_with_markup_reads_back_as_typed(client):
    provider, user = mf.make_provider_member()
    client.force_login(user)
    response = client.post(
        reverse("my:listing_create", args=[provider.public_id]),
        {"title": "Walks " + SCRIPT, "summary": IMG, "description": "Line one\n\n" + SCRIPT + " & more"},
    )
    assert response.status_code == 302
    draft = draft_of(ListingPage.objects.get(provider=provider))
    assert draft.title == "Walks " + SCRIPT
    # Paragraph by paragraph: the form shows paragraphs with blank lines between them.
    paragraphs = [p for p in re.split(r"\n\s*\n", html_to_text(draft.description)) if p.strip()]
    assert paragraphs == ["Line one", SCRIPT + " & more"]
    assert "<script>" not in draft.description
    preview = send(client, "get", reverse("my:listing_preview", args=[draft.public_id]), "preview")
    assert "&lt;script&gt;" in preview.content.decode()


def test_numbers_out_of_range_are_refused_with_a_message(client, market_world):
    world, _, _ = market_world
    client.force_login(world.holder)
    before = market.balance_pence(budget=world.budget)
    for value in ("-1", "1e309", "99999999999999999999", "NaN", "0"):
        response = send(
            client,
            "post",
            reverse("marketplace:spending_new"),
            f"amount={value}",
            data={
                "amount": value,
                **date_parts("spent_on", timezone.localdate()),
                "description": "Bus pass",
                "plan_outcome": str(world.plan_outcome.public_id),
            },
        )
        assert response.status_code == 200
        assert re.search(
            r"Enter (how much you spent|an amount)|must be £100,000 or less", response.content.decode()
        ), value
    assert market.balance_pence(budget=world.budget) == before
