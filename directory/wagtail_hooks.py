"""Admin screens for the directory's vocabularies and providers (Wagtail snippets), and the
coordinators' queues: evidence of checks to verify, claims to decide, problem reports.
"""

import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Case, F, Q, Value, When
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.auth import permission_denied
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from cms.models import Role
from cms.roles import is_coordinator

from .importers.needs_place import UnknownPlace, listings_needing_a_place, set_place
from .models import (
    AccessFeature,
    Audience,
    Category,
    Check,
    Claim,
    Feed,
    Language,
    Outcome,
    ProblemReport,
    Provider,
)
from .provider_services import approve_claim, reject_claim


class OutcomeViewSet(SnippetViewSet):
    model = Outcome
    icon = "tick-inverse"
    list_display = ["label", "vocabulary", "ascot_domain", "statutory_wording"]
    list_filter = ["vocabulary", "ascot_domain"]
    search_fields = ["label", "statutory_wording", "synonyms"]


class CategoryViewSet(SnippetViewSet):
    model = Category
    icon = "folder-open-inverse"
    list_display = ["label", "slug"]
    search_fields = ["label", "synonyms"]


class AudienceViewSet(SnippetViewSet):
    model = Audience
    icon = "group"
    list_display = ["label", "slug"]


class AccessFeatureViewSet(SnippetViewSet):
    model = AccessFeature
    icon = "tag"
    list_display = ["label", "slug"]


class LanguageViewSet(SnippetViewSet):
    model = Language
    icon = "globe"
    list_display = ["name", "code"]


class VocabularyGroup(SnippetViewSetGroup):
    """Everything people search and browse by, in one admin menu."""

    menu_label = "Vocabularies"
    menu_icon = "list-ul"
    menu_order = 300
    items = (OutcomeViewSet, CategoryViewSet, AudienceViewSet, AccessFeatureViewSet, LanguageViewSet)


class ProviderAdminForm(WagtailAdminModelForm):
    """A provider's team can only be chosen from provider accounts (and its current members):
    the list must not show coordinators the names of budget holders or professionals."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "members" in self.fields:
            current = self.instance.members.all() if self.instance.pk else get_user_model().objects.none()
            self.fields["members"].queryset = (
                get_user_model()
                .objects.filter(Q(groups__name=Role.PROVIDER.value) | Q(pk__in=current.values("pk")))
                .distinct()
                .order_by("email")
            )


class ProviderViewSet(SnippetViewSet):
    model = Provider
    edit_handler = ObjectList(Provider.panels, base_form_class=ProviderAdminForm)
    icon = "user"
    menu_order = 290
    list_display = ["name", "legal_name", "business_type", "team_size", "size_confirmed_by"]
    list_filter = ["business_type", "size_confirmed_by"]
    search_fields = ["name", "legal_name"]


register_snippet(VocabularyGroup)
register_snippet(ProviderViewSet)


# --- Coordinators' queues ---------------------------------------------------------------


def _document_url(check):
    return reverse("my:check_document", args=[check.public_id]) if check.document else None


class CheckAdminForm(WagtailAdminModelForm):
    """Verifying evidence: a coordinator ticks "verified" after opening the document.

    Ticking records who verified it and when (the listing's badge shows that date);
    unticking takes the badge away at once.
    """

    verified = forms.BooleanField(
        required=False,
        label="Verified",
        help_text="Tick when you have seen the evidence and it is right.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        check = self.instance
        self.fields["verified"].initial = bool(check.verified_at)
        if check.document:
            self.fields["verified"].help_text = format_html(
                'Open the evidence first: <a href="{}">{}</a>. Tick when it is right, '
                "in date and in the provider's name.",
                _document_url(check),
                check.document_name or "download the document",
            )
        if check.verified_at:
            by = check.verified_by or "a coordinator"
            self.fields["verified"].label = f"Verified on {check.verified_at:%d %B %Y} by {by}"

    def save(self, commit=True):
        check = super().save(commit=False)
        if self.cleaned_data.get("verified"):
            if check.verified_at is None:
                check.verified_at = timezone.now()
                check.verified_by = self.for_user
        else:
            check.verified_at = None
            check.verified_by = None
        if commit:
            check.save()
        return check


class CheckViewSet(SnippetViewSet):
    """Evidence of checks, newest first; open one to see its document and verify it."""

    model = Check
    icon = "tick"
    menu_label = "Evidence of checks"
    menu_order = 291
    add_to_admin_menu = True
    list_display = [
        "provider",
        "kind",
        "issued_on",
        "expires_on",
        Column("verified_at", label="Verified on"),
        TitleColumn("document_name", label="Document", get_url=_document_url),
    ]
    list_filter = ["kind"]
    search_fields = ["provider__name", "reference"]
    # Unverified first, on every database (PostgreSQL puts NULLs last by default).
    ordering = [F("verified_at").asc(nulls_first=True), F("uploaded_at").desc(nulls_last=True)]
    edit_handler = ObjectList(
        [
            FieldPanel("provider", read_only=True),
            FieldPanel("kind"),
            FieldPanel("reference"),
            MultiFieldPanel([FieldPanel("issued_on"), FieldPanel("expires_on")], heading="Dates"),
            FieldPanel("verified"),
            FieldPanel("review_note"),
        ],
        base_form_class=CheckAdminForm,
    )


class ClaimAdminForm(WagtailAdminModelForm):
    """Deciding a claim: approve (the person joins the provider's team) or reject, with a note."""

    decision = forms.ChoiceField(
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("", "Not decided yet"),
            ("approve", "Approve: they can manage this provider's listings"),
            ("reject", "Reject"),
        ],
        help_text="Check the claim first, for example by calling the number on the listing.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        claim = self.instance
        if claim.pk and claim.status != Claim.Status.PENDING:
            self.fields["decision"].disabled = True
            self.fields["decision"].help_text = f"Already decided: {claim.get_status_display()}."
        elif claim.pk:
            hint = (
                "Their email address matches the one we hold for this provider. That is a good sign, "
                "but not proof."
                if claim.email_matches
                else "Their email address does not match the one we hold for this provider."
            )
            self.fields["decision"].help_text = f"{hint} Check the claim before approving it."

    def save(self, commit=True):
        claim = super().save(commit=False)
        decision = self.cleaned_data.get("decision")
        if decision and claim.status == Claim.Status.PENDING:
            decide = approve_claim if decision == "approve" else reject_claim
            return decide(claim=claim, by=self.for_user, note=claim.decision_note)
        if commit:
            claim.save()
        return claim


class ClaimViewSet(SnippetViewSet):
    """People asking to manage a seeded or imported listing, waiting ones first."""

    model = Claim
    icon = "key"
    menu_label = "Listing claims"
    menu_order = 292
    add_to_admin_menu = True
    list_display = ["listing", "user", "status", "created_at"]
    list_filter = ["status"]
    ordering = [Case(When(status=Claim.Status.PENDING, then=Value(0)), default=Value(1)), "-created_at"]
    edit_handler = ObjectList(
        [
            FieldPanel("listing", read_only=True),
            FieldPanel("user", read_only=True),
            FieldPanel("message", read_only=True),
            FieldPanel("phone", read_only=True),
            FieldPanel("status", read_only=True),
            FieldPanel("decision"),
            FieldPanel("decision_note"),
        ],
        base_form_class=ClaimAdminForm,
    )


class ProblemReportViewSet(SnippetViewSet):
    """Problems the public reported with listings, unresolved first."""

    model = ProblemReport
    icon = "warning"
    menu_label = "Problem reports"
    menu_order = 293
    add_to_admin_menu = True
    list_display = ["listing", "problem", "created_at", "resolved"]
    list_filter = ["resolved", "problem"]
    edit_handler = ObjectList(
        [
            FieldPanel("listing", read_only=True),
            FieldPanel("problem", read_only=True),
            FieldPanel("details", read_only=True),
            FieldPanel("contact", read_only=True),
            FieldPanel("resolved"),
            FieldPanel("coordinator_note"),
        ]
    )


register_snippet(CheckViewSet)
register_snippet(ClaimViewSet)
register_snippet(ProblemReportViewSet)


class FeedViewSet(SnippetViewSet):
    """Registered Open Referral feeds: each one's last run, its counts and its problems.

    Coordinators add a feed here or with `manage.py add_feed NAME URL`; `import_feeds` (daily)
    fills in the rest.
    """

    model = Feed
    icon = "download"
    menu_label = "Feeds"
    menu_order = 300
    add_to_admin_menu = True
    list_display = [
        "name",
        "url",
        "last_run_at",
        Column("last_outcome", label="Last run", accessor="get_last_outcome_display"),
        Column("counts_text", label="Counts"),
    ]
    panels = [
        FieldPanel("name"),
        FieldPanel("url"),
        FieldPanel("publish"),
        MultiFieldPanel(
            [
                FieldPanel("last_run_at", read_only=True),
                FieldPanel("last_outcome", read_only=True),
                FieldPanel("shape", read_only=True),
                FieldPanel("counts", read_only=True),
                FieldPanel("problems", read_only=True),
            ],
            heading="Last run",
        ),
    ]


register_snippet(FeedViewSet)


@hooks.register("register_log_actions")
def register_feed_log_actions(actions):
    """Show "Withdrawn from feed: <reason>" in a listing's history when a feed drops it."""

    def message(log_entry):
        return f"Unpublished: {log_entry.data.get('reason', 'no longer in its feed')}"

    actions.register_action("directory.withdrawn_from_feed", "Withdrawn from feed", message)


# --- Imported listings that need a place ------------------------------------------------


class NeedsPlaceView(WagtailAdminTemplateMixin, TemplateView):
    """ "Imported: needs a place": drafts with no place, and a bulk action to set one."""

    template_name = "directory/admin/needs_place.html"
    page_title = "Imported: needs a place"
    header_icon = "site"

    def dispatch(self, request, *args, **kwargs):
        if not is_coordinator(request.user):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["listings"] = listings_needing_a_place()
        context.setdefault("chosen", set())
        return context

    def post(self, request, *args, **kwargs):
        chosen = set(request.POST.getlist("listing"))
        place = request.POST.get("place", "")[:100]
        anywhere = request.POST.get("where") == "anywhere"
        listings = list(listings_needing_a_place().filter(public_id__in=_uuids(chosen)))
        error = "" if listings else "Choose at least one listing."
        if not error:
            try:
                count = set_place(listings=listings, place=place, anywhere=anywhere, user=request.user)
            except UnknownPlace as exc:
                error = str(exc)
            else:
                where = "available anywhere" if anywhere else f"in {place.strip()}"
                messages.success(request, f"{count} listing(s) published {where}.")
                return redirect("directory_needs_place")
        # What the coordinator typed and ticked comes back with the message.
        context = self.get_context_data(error=error, place=place, anywhere=anywhere, chosen=chosen)
        return self.render_to_response(context, status=400)


def _uuids(values) -> list:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return found


@hooks.register("register_admin_urls")
def register_needs_place_url():
    """The list of imported listings without a place, under /admin/directory/needs-a-place/."""
    return [path("directory/needs-a-place/", NeedsPlaceView.as_view(), name="directory_needs_place")]


class _CoordinatorMenuItem(MenuItem):
    def is_shown(self, request):
        return is_coordinator(request.user)


@hooks.register("register_admin_menu_item")
def register_needs_place_menu_item():
    """ "Imported: needs a place" in the admin menu, for coordinators."""
    return _CoordinatorMenuItem(
        "Imported: needs a place", reverse("directory_needs_place"), icon_name="site", order=292
    )
