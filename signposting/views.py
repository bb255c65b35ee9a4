"""Signposting pages: each checks who is asking, makes one service call and renders.

Owner pages look shortlists up by owner as well as id, so someone else's shortlist is a 404,
not a 403 that would confirm it exists. The shared link (/s/<token>/) needs no sign-in and
shows only what the person may see: shared notes, never private ones, and no contact counts.
"""

import uuid

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from directory.models import ListingPage
from search.query import QueryError

from . import services
from .forms import (
    AddToShortlistForm,
    CommentForm,
    EmailShortlistForm,
    EnquiryForm,
    ItemForm,
    SaveSearchForm,
    ShortlistForm,
    VerificationRequestForm,
)
from .models import (
    SHORTLIST_TOKEN_MAX_LENGTH,
    Enquiry,
    ProfessionalVerification,
    SavedSearch,
    Shortlist,
    ShortlistItem,
)

SEEN_SESSION_KEY = "signposting_opened"
GET_POST = require_http_methods(["GET", "POST"])


# --- Helpers ------------------------------------------------------------------------------


def _client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the sender says. Behind a proxy, have the
    # proxy set REMOTE_ADDR (for example uwsgi's or gunicorn's forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR", "")


def _safe_next(request, url: str, fallback: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return url
    return fallback


def _not_professional(request):
    return render(request, "signposting/not_professional.html", status=403)


def professional_required(view):
    """Signed in and verified as a professional, else a page explaining how to become one."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not services.is_verified_professional(request.user):
            return _not_professional(request)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _own_shortlist(request, shortlist_id) -> Shortlist:
    return get_object_or_404(
        Shortlist.objects.select_related("owner"), public_id=shortlist_id, owner=request.user
    )


def _live_listing(public_id) -> ListingPage:
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404("No such listing") from None
    listing = (
        ListingPage.objects.live().public().select_related("provider").filter(public_id=public_id).first()
    )
    if listing is None:
        raise Http404("No such listing")
    return listing


def qr_svg(link: str) -> str:
    """An inline SVG QR code of `link`, labelled for screen readers."""
    svg = segno.make(link, error="m").svg_inline(scale=4, dark="#0b0c0c", light="#ffffff", svgclass="lsm-qr")
    # segno's markup is built from the link's bits only (no text of ours inside), so it is safe.
    return mark_safe(  # noqa: S308
        svg.replace("<svg ", '<svg role="img" aria-label="QR code: scan it to open this list on a phone" ', 1)
    )


def _person_items(shortlist):
    """Items as the person sees them: live listings, shared notes only (see note_for_person)."""
    return [
        {
            "listing": item.listing,
            "live": services.is_listing_live(item.listing),
            "note": item.note_for_person,
        }
        for item in services.items_for(shortlist)
    ]


def _owner_name(shortlist) -> str:
    owner = shortlist.owner
    name = owner.get_full_name()
    record = ProfessionalVerification.objects.filter(user=owner).first()
    if record and record.organisation:
        name = f"{name}, {record.organisation}" if name else record.organisation
    return name


def _public_headers(response):
    # The link is a secret: keep it out of search engines and shared caches.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-cache"
    return response


def _link_gone(request, error):
    return _public_headers(
        render(request, "signposting/link_gone.html", {"error": error, "gone": True}, status=410)
    )


def _link_not_found(request):
    return _public_headers(render(request, "signposting/link_gone.html", {"gone": False}, status=404))


# --- Professionals' shortlists ------------------------------------------------------------


@require_GET
@login_required
def shortlists(request):
    """The professional's shortlists with their counts, and shortlists saved to this account."""
    is_professional = services.is_verified_professional(request.user)
    owned = []
    if is_professional:
        for shortlist in Shortlist.objects.filter(owner=request.user):
            counts = services.contact_counts(shortlist=shortlist)
            owned.append(
                {"shortlist": shortlist, "items": shortlist.items.count(), "contacts": sum(counts.values())}
            )
    saved = request.user.saved_shortlists.select_related("shortlist")
    return render(
        request,
        "signposting/shortlists.html",
        {"is_professional": is_professional, "owned": owned, "saved": saved},
    )


@require_GET
@professional_required
def signposted_outcomes(request):
    """Did it help? Counts of answers from the people this professional signposted (saved one of
    their shortlists, then bought from a listing on it); nothing shown below the floor."""
    counts = services.signposted_outcome_counts(professional=request.user)
    return render(request, "signposting/signposted_outcomes.html", {"counts": counts})


@GET_POST
@professional_required
def shortlist_new(request):
    """Start a shortlist: its name, who it is for and how the link works."""
    form = ShortlistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        shortlist = services.create_shortlist(
            owner=request.user,
            title=form.cleaned_data["title"],
            person_label=form.cleaned_data["person_label"],
            expires_at=form.expires_at,
            comments_open=form.cleaned_data["comments_open"],
        )
        messages.success(request, f"You made the shortlist {shortlist.title}. Search to add services to it.")
        return redirect("signposting:shortlist", shortlist.public_id)
    return render(request, "signposting/shortlist_form.html", {"form": form, "creating": True})


@GET_POST
@professional_required
def shortlist_add(request):
    """Add a listing (from search results or its page) to a shortlist, with a note."""
    listing = _live_listing(request.GET.get("listing") or request.POST.get("listing") or "")
    back = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""), listing.url or "/")
    own = list(Shortlist.objects.filter(owner=request.user).order_by("-updated_at"))
    chosen = request.GET.get("shortlist") or (str(own[0].public_id) if own else AddToShortlistForm.NEW)
    form = AddToShortlistForm(request.POST or None, shortlists=own, initial={"shortlist": chosen})
    if request.method == "POST" and form.is_valid():
        shortlist = form.chosen_shortlist or services.create_shortlist(
            owner=request.user, title=form.cleaned_data["new_title"]
        )
        try:
            services.add_to_shortlist(
                shortlist=shortlist,
                listing=listing,
                by=request.user,
                note=form.cleaned_data["note"],
                note_shared=form.cleaned_data["note_shared"],
            )
        except services.AlreadyOnShortlist as exc:
            messages.info(request, str(exc))
        else:
            messages.success(
                request,
                format_html(
                    'Added {} to <a class="govuk-link" href="{}">{}</a>.',
                    listing.title,
                    reverse("signposting:shortlist", args=[shortlist.public_id]),
                    shortlist.title,
                ),
            )
        return redirect(back)
    return render(
        request,
        "signposting/shortlist_add.html",
        {"form": form, "listing": listing, "next": back},
    )


def _detail_context(request, shortlist, *, email_form=None, comment_form=None):
    counts = services.contact_counts(shortlist=shortlist)
    items = [
        {
            "item": item,
            "live": services.is_listing_live(item.listing),
            "contacts": counts.get(item.listing_id, 0),
        }
        for item in services.items_for(shortlist)
    ]
    link = services.shortlist_link(shortlist)
    return {
        "shortlist": shortlist,
        "items": items,
        "total_contacts": sum(counts.values()),
        "link": link,
        "link_works": shortlist.link_works(),
        "statement": services.HANDOVER_STATEMENT,
        "email_form": email_form or EmailShortlistForm(),
        "comment_form": comment_form or CommentForm(initial={"name": request.user.get_full_name()}),
        "comments": shortlist.comments.all(),
    }


@require_GET
@professional_required
def shortlist_detail(request, shortlist_id):
    """The owner's view: every note, contact counts, and the ways to hand it over."""
    shortlist = _own_shortlist(request, shortlist_id)
    return render(request, "signposting/shortlist_detail.html", _detail_context(request, shortlist))


@GET_POST
@professional_required
def shortlist_edit(request, shortlist_id):
    """Rename the shortlist, change who it is for, its end date and comments."""
    shortlist = _own_shortlist(request, shortlist_id)
    form = ShortlistForm(request.POST or None, instance=shortlist)
    if request.method == "POST" and form.is_valid():
        services.update_shortlist(
            shortlist=shortlist,
            by=request.user,
            title=form.cleaned_data["title"],
            person_label=form.cleaned_data["person_label"],
            expires_at=form.expires_at,
            comments_open=form.cleaned_data["comments_open"],
        )
        messages.success(request, "Your changes are saved.")
        return redirect("signposting:shortlist", shortlist.public_id)
    return render(request, "signposting/shortlist_form.html", {"form": form, "shortlist": shortlist})


def _print_context(request, shortlist, *, from_owner):
    link = services.shortlist_link(shortlist)
    large = request.GET.get("size") == "large"
    return {
        "shortlist": shortlist,
        "items": _person_items(shortlist),
        "owner_name": _owner_name(shortlist),
        "link": link,
        "link_works": shortlist.link_works(),
        "qr": qr_svg(link) if shortlist.link_works() else "",
        "statement": services.HANDOVER_STATEMENT,
        "large": large,
        "from_owner": from_owner,
    }


@require_GET
@professional_required
def shortlist_print(request, shortlist_id):
    """A printable page for the person: shared notes only, the link and its QR code."""
    shortlist = _own_shortlist(request, shortlist_id)
    return render(
        request,
        "signposting/shortlist_print.html",
        _print_context(request, shortlist, from_owner=True),
    )


@require_POST
@professional_required
def shortlist_email(request, shortlist_id):
    """Email the link and shared notes to the person."""
    shortlist = _own_shortlist(request, shortlist_id)
    form = EmailShortlistForm(request.POST)
    if form.is_valid():
        try:
            services.email_shortlist(
                shortlist=shortlist,
                by=request.user,
                to=[form.cleaned_data["email"]],
                message=form.cleaned_data["message"],
                link=services.shortlist_link(shortlist),
            )
        except services.ShortlistLinkGone as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"We emailed the shortlist to {form.cleaned_data['email']}.")
            return redirect("signposting:shortlist", shortlist.public_id)
    context = _detail_context(request, shortlist, email_form=form)
    return render(request, "signposting/shortlist_detail.html", context)


@require_POST
@professional_required
def shortlist_link_action(request, shortlist_id):
    """Switch the shared link off, or give the shortlist a new link."""
    shortlist = _own_shortlist(request, shortlist_id)
    action = request.POST.get("action")
    if action == "revoke":
        services.revoke_link(shortlist=shortlist, by=request.user)
        messages.success(request, "The link is switched off. Anyone who opens it is told it no longer works.")
    elif action == "renew":
        services.renew_link(shortlist=shortlist, by=request.user)
        messages.success(request, "The shortlist has a new link. The old link no longer works.")
    return redirect("signposting:shortlist", shortlist.public_id)


@require_POST
@professional_required
def shortlist_comment(request, shortlist_id):
    """The owner adds a comment the person and family see."""
    shortlist = _own_shortlist(request, shortlist_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        services.add_comment(
            shortlist=shortlist,
            text=form.cleaned_data["text"],
            author=request.user,
            author_name=form.cleaned_data["name"],
        )
        messages.success(request, "Your comment is added.")
        return redirect("signposting:shortlist", shortlist.public_id)
    context = _detail_context(request, shortlist, comment_form=form)
    return render(request, "signposting/shortlist_detail.html", context)


@GET_POST
@professional_required
def item_edit(request, shortlist_id, item_id):
    """Change the note on one listing, and whether the person sees it."""
    shortlist = _own_shortlist(request, shortlist_id)
    item = get_object_or_404(ShortlistItem.objects.select_related("listing"), pk=item_id, shortlist=shortlist)
    form = ItemForm(request.POST or None, initial={"note": item.note, "note_shared": item.note_shared})
    if request.method == "POST" and form.is_valid():
        services.update_item(
            item=item,
            by=request.user,
            note=form.cleaned_data["note"],
            note_shared=form.cleaned_data["note_shared"],
        )
        messages.success(request, f"The note on {item.listing.title} is saved.")
        return redirect("signposting:shortlist", shortlist.public_id)
    return render(request, "signposting/item_form.html", {"form": form, "item": item, "shortlist": shortlist})


@require_POST
@professional_required
def item_remove(request, shortlist_id, item_id):
    """Take a listing off the shortlist."""
    shortlist = _own_shortlist(request, shortlist_id)
    item = get_object_or_404(ShortlistItem.objects.select_related("listing"), pk=item_id, shortlist=shortlist)
    services.remove_item(item=item, by=request.user)
    messages.success(request, f"{item.listing.title} is no longer on this shortlist.")
    return redirect("signposting:shortlist", shortlist.public_id)


# --- The shared link ----------------------------------------------------------------------


def _first_open_in_session(request, shortlist) -> bool:
    # Count a person opening the list, not each reload or return from a form.
    seen = request.session.get(SEEN_SESSION_KEY, [])
    key = str(shortlist.public_id)
    if key in seen:
        return False
    request.session[SEEN_SESSION_KEY] = [*seen[-49:], key]
    return True


def _public_context(request, shortlist, *, comment_form=None):
    is_member = request.user.is_authenticated and shortlist.members.filter(user=request.user).exists()
    initial_name = request.user.first_name if request.user.is_authenticated else ""
    return {
        "shortlist": shortlist,
        "items": _person_items(shortlist),
        "owner_name": _owner_name(shortlist),
        "statement": services.HANDOVER_STATEMENT,
        "comments": shortlist.comments.all(),
        "comment_form": comment_form or CommentForm(initial={"name": initial_name}),
        "is_member": is_member,
        "is_owner": request.user.is_authenticated and request.user.pk == shortlist.owner_id,
    }


@require_GET
def shortlist_public(request, token):
    """The shortlist as the person (and anyone they share the link with) sees it."""
    try:
        shortlist = services.open_shortlist(token=token, viewer=request.user, count_open=False)
    except services.ShortlistNotFound:
        return _link_not_found(request)
    except services.ShortlistLinkGone as exc:
        return _link_gone(request, exc)
    if _first_open_in_session(request, shortlist):
        services.record_open(shortlist=shortlist, viewer=request.user)
    return _public_headers(
        render(request, "signposting/shortlist_public.html", _public_context(request, shortlist))
    )


@require_GET
def shortlist_public_print(request, token):
    """The printable shortlist, from the shared link."""
    try:
        shortlist = services.open_shortlist(token=token, viewer=request.user, count_open=False)
    except services.ShortlistNotFound:
        return _link_not_found(request)
    except services.ShortlistLinkGone as exc:
        return _link_gone(request, exc)
    context = _print_context(request, shortlist, from_owner=False)
    return _public_headers(render(request, "signposting/shortlist_print.html", context))


@require_POST
def shortlist_public_comment(request, token):
    """Anyone with the link adds a comment, when the owner has opened comments."""
    try:
        shortlist = services.open_shortlist(token=token, viewer=request.user, count_open=False)
    except services.ShortlistNotFound:
        return _link_not_found(request)
    except services.ShortlistLinkGone as exc:
        return _link_gone(request, exc)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.add_comment(
                shortlist=shortlist,
                text=form.cleaned_data["text"],
                author=request.user,
                author_name=form.cleaned_data["name"],
                client_ip=_client_ip(request),
            )
        except (services.CommentsClosed, services.CommentRateLimited) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your comment is added.")
            return redirect(reverse("signposting:shortlist_public", args=[token]) + "#comments")
    context = _public_context(request, shortlist, comment_form=form)
    return _public_headers(render(request, "signposting/shortlist_public.html", context))


@require_POST
def shortlist_save(request, token):
    """Keep the shortlist in the person's own account (sign in first if needed)."""
    public_url = reverse("signposting:shortlist_public", args=[token])
    if not request.user.is_authenticated:
        return redirect_to_login(public_url)
    try:
        shortlist = services.open_shortlist(token=token, viewer=request.user, count_open=False)
    except services.ShortlistNotFound:
        return _link_not_found(request)
    except services.ShortlistLinkGone as exc:
        return _link_gone(request, exc)
    services.save_to_account(shortlist=shortlist, user=request.user)
    messages.success(request, "This shortlist is saved in your account. Find it under Your shortlists.")
    return redirect(public_url)


# --- Enquiries ----------------------------------------------------------------------------


@GET_POST
def enquiry_new(request):
    """Send a message to a provider: name, how to reply, message. No sign-in needed."""
    source = request.POST if request.method == "POST" else request.GET
    listing = _live_listing(source.get("listing") or "")
    token = (source.get("shortlist") or "")[:SHORTLIST_TOKEN_MAX_LENGTH]
    shortlist = services.shortlist_for_enquiry(token=token, listing=listing)
    if request.method == "POST":
        form = EnquiryForm(request.POST)
    else:
        form = EnquiryForm(initial={"listing": listing.public_id, "shortlist": token if shortlist else ""})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.send_enquiry(
                listing=listing,
                name=form.cleaned_data["name"],
                reply_to=form.cleaned_data["reply_to"],
                message=form.cleaned_data["message"],
                shortlist_token=form.cleaned_data["shortlist"],
                client_ip=_client_ip(request),
            )
        except services.EnquiryRateLimited as exc:
            form.add_error(None, str(exc))
            status = 429
        else:
            params = {"listing": listing.public_id}
            if shortlist:
                params["shortlist"] = token
            return redirect(reverse("signposting:enquiry_sent") + "?" + urlencode(params))
    return render(
        request,
        "signposting/enquiry_form.html",
        {"form": form, "listing": listing, "shortlist": shortlist, "token": token},
        status=status,
    )


@require_GET
def enquiry_sent(request):
    """Confirmation that the message went, with a way back."""
    listing = _live_listing(request.GET.get("listing") or "")
    token = (request.GET.get("shortlist") or "")[:SHORTLIST_TOKEN_MAX_LENGTH]
    shortlist = services.shortlist_for_enquiry(token=token, listing=listing)
    return render(
        request,
        "signposting/enquiry_sent.html",
        {"listing": listing, "shortlist": shortlist, "token": token},
    )


@require_GET
@login_required
def enquiries(request):
    """A provider's enquiries, across every provider they are on the team of."""
    is_member = request.user.providers.exists()
    return render(
        request,
        "signposting/enquiries.html",
        {"enquiries": services.enquiries_for_member(user=request.user), "is_member": is_member},
    )


@require_POST
@login_required
def enquiry_replied(request, enquiry_id):
    """The provider marks an enquiry replied to (or not yet)."""
    enquiry = get_object_or_404(
        Enquiry.objects.select_related("listing__provider")
        .filter(listing__provider__members=request.user)
        .distinct(),
        public_id=enquiry_id,
    )
    replied = request.POST.get("replied") != "0"
    services.mark_enquiry_replied(enquiry=enquiry, by=request.user, replied=replied)
    if replied:
        messages.success(request, f"Marked the enquiry from {enquiry.name} as replied.")
    else:
        messages.success(request, f"Marked the enquiry from {enquiry.name} as not replied yet.")
    return redirect("signposting:enquiries")


# --- Saved searches -----------------------------------------------------------------------


@require_GET
@login_required
def saved_searches(request):
    """The person's saved searches, with how often each emails them."""
    searches = SavedSearch.objects.filter(user=request.user)
    return render(
        request,
        "signposting/saved_searches.html",
        {"searches": searches, "frequencies": SavedSearch.Frequency.choices},
    )


@GET_POST
@login_required
def saved_search_new(request):
    """Save the search in the query string and choose how often to hear about new matches."""
    querystring = request.POST.get("querystring", "") if request.method == "POST" else request.GET.urlencode()
    params = QueryDict(querystring)
    error = None
    description = ""
    try:
        description = services.describe_query(services.parse_saved(services.clean_querystring(params)))
    except QueryError as exc:
        error = exc
    form = SaveSearchForm(request.POST or None)
    if request.method == "POST" and error is None and form.is_valid():
        try:
            services.save_search(user=request.user, params=params, frequency=form.cleaned_data["frequency"])
        except (QueryError, services.TooManySavedSearches) as exc:
            error = exc
        else:
            messages.success(request, f"Search saved. We will email you about new matches for {description}.")
            return redirect("signposting:saved_searches")
    return render(
        request,
        "signposting/saved_search_new.html",
        {
            "form": form,
            "querystring": services.clean_querystring(params),
            "description": description,
            "error": error,
        },
    )


@require_POST
@login_required
def saved_search_edit(request, saved_id):
    """Change how often a saved search emails, or switch its emails off or on."""
    saved = get_object_or_404(SavedSearch, public_id=saved_id, user=request.user)
    frequency = request.POST.get("frequency", saved.frequency)
    if frequency not in SavedSearch.Frequency.values:
        frequency = saved.frequency
    emails_on = request.POST.get("emails") != "off"
    services.update_saved_search(saved=saved, by=request.user, frequency=frequency, emails_on=emails_on)
    messages.success(request, f"Your changes to the saved search {saved.description} are saved.")
    return redirect("signposting:saved_searches")


@require_POST
@login_required
def saved_search_delete(request, saved_id):
    """Forget a saved search."""
    saved = get_object_or_404(SavedSearch, public_id=saved_id, user=request.user)
    services.delete_saved_search(saved=saved, by=request.user)
    messages.success(request, f"Deleted the saved search {saved.description}.")
    return redirect("signposting:saved_searches")


# Mail apps' one-click unsubscribe (RFC 8058) POSTs without a CSRF token; the long random
# token in the address is what authorises it, and it can only switch emails off.
@csrf_exempt
@GET_POST
def unsubscribe(request, token):
    """Stop a saved search's emails, without signing in: confirm on GET, act on POST."""
    saved = services.saved_search_for_unsubscribe(token=token)
    if saved is None:
        return render(request, "signposting/unsubscribe.html", {"unknown": True}, status=404)
    done = False
    if request.method == "POST":
        services.unsubscribe(token=token)
        done = True
    return render(request, "signposting/unsubscribe.html", {"saved": saved, "done": done})


# --- Becoming a verified professional -----------------------------------------------------


@GET_POST
@login_required
def professional(request):
    """Become a verified professional: by work email, or by asking a coordinator."""
    user = request.user
    record = ProfessionalVerification.objects.filter(user=user).first()
    form = VerificationRequestForm(
        request.POST if request.POST.get("action") == "request" else None,
        initial={
            "job_title": getattr(record, "job_title", ""),
            "organisation": getattr(record, "organisation", ""),
        },
    )
    error = None
    if request.method == "POST" and not (record and record.is_verified):
        if request.POST.get("action") == "email":
            try:
                services.verify_professional(user=user, method=ProfessionalVerification.Method.EMAIL_DOMAIN)
            except services.CannotVerify as exc:
                error = exc
            else:
                messages.success(request, "Your account is verified. You can now make shortlists.")
                return redirect("signposting:shortlists")
        elif request.POST.get("action") == "request" and form.is_valid():
            services.request_professional_verification(
                user=user,
                organisation=form.cleaned_data["organisation"],
                job_title=form.cleaned_data["job_title"],
            )
            messages.success(request, "Thank you. A coordinator will check your details and email you.")
            return redirect("signposting:professional")
    return render(
        request,
        "signposting/professional.html",
        {
            "record": record,
            "form": form,
            "error": error,
            "can_verify_by_email": services.can_verify_by_email(user),
            "domains": services.professional_email_domains(),
        },
    )
