"""The one writer of listing pages.

The CSV importer, the Open Referral importer, the demo loader and the test factories all create
and update listings here, so the rules a listing is written by live in one place:

- the slug: the title, slugified (Unicode kept); when a sibling has it, the title and the
  provider's name; when that is taken too, empty, so Wagtail numbers it ("-2", "-3"…);
- plain text becomes rich text by `text_to_html` (everything escaped);
- web addresses and email addresses are normalised by `clean_website` and `clean_email`;
- a new listing is added as a child of its parent page, every change is saved as a revision,
  and the revision is published or left as a draft for a coordinator to approve.
"""

import re
from html import escape

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.log_actions import log
from wagtail.models import Page, Revision
from wagtail.signals import page_published, published

from directory.models import ListingPage, ListingPrice, Provider

MAX_SLUG_LENGTH = 200
MAX_URL_LENGTH = 200

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def text_to_html(text: str) -> str:
    """Rich text from plain text: blank lines split paragraphs, single breaks become <br/>.

    Runs of spaces inside a line become one. Everything is escaped, so "<script>" or
    "Fish & chips" arrive as text, never as markup.
    """
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    html = []
    for paragraph in paragraphs:
        lines = [" ".join(line.split()) for line in paragraph.split("\n")]
        html.append("<p>" + "<br/>".join(escape(line) for line in lines if line) + "</p>")
    return "".join(html)


def clean_website(value: str) -> str:
    """A web address with its scheme ("https://" added when missing), or "" for an empty value.

    Raises ValueError saying what is wrong ("is not a web address", "is N characters long…").
    """
    url = " ".join(str(value or "").split())
    if not url:
        return ""
    # People write "www.example.org"; a web address without its scheme is still clear.
    if not _SCHEME.match(url):
        url = "https://" + url
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValueError("is not a web address") from None
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"is {len(url)} characters long; it must be {MAX_URL_LENGTH} or fewer")
    return url


def clean_email(value: str) -> str:
    """An email address with surrounding space removed, or "" for an empty value.

    Raises ValueError("is not an email address") when it is not one.
    """
    email = " ".join(str(value or "").split())
    if not email:
        return ""
    try:
        EmailValidator()(email)
    except ValidationError:
        raise ValueError("is not an email address") from None
    return email


def listing_slug(title: str) -> str:
    """The slug a listing with this title gets when no sibling has it yet."""
    return slugify(title, allow_unicode=True)[:MAX_SLUG_LENGTH]


def free_slug(*, parent: Page, title: str, provider: Provider | None = None) -> str:
    """The slug for a new listing under `parent`: its title, then title and provider, then ""."""
    base = listing_slug(title)
    candidates = [base]
    if provider is not None:
        candidates.append(f"{base}-{slugify(provider.name, allow_unicode=True)}"[:250])
    siblings = parent.get_children()
    for candidate in candidates:
        if candidate and not siblings.filter(slug=candidate).exists():
            return candidate
    return ""  # Wagtail numbers it ("-2", "-3"…) when the page is saved.


def _set(page: ListingPage, fields: dict, prices) -> None:
    description_text = fields.pop("description_text", None)
    if description_text is not None:
        fields["description"] = text_to_html(description_text)
    for name, value in fields.items():
        setattr(page, name, value)
    if prices is not None:
        page.prices = [_price(price, index) for index, price in enumerate(prices)]


def _price(price, index: int) -> ListingPrice:
    if isinstance(price, ListingPrice):
        return price
    return ListingPrice(sort_order=index, **price)


def write_listing(
    *,
    parent: Page,
    provider: Provider,
    title: str,
    slug: str | None = None,
    prices=None,
    publish: bool = False,
    user=None,
    draft_without_postcode: bool = False,
    **fields,
) -> ListingPage:
    """Create a listing under `parent` with a first revision, published or left as a draft.

    `fields` are the page's own fields and relations (`summary`, `outcomes`, …); pass
    `description_text=` to have plain text turned into rich text. `prices` are ListingPrice
    objects or dicts of their fields, in order. Without `slug` the slug rule above applies.
    With `draft_without_postcode`, a listing with no base postcode is still saved (as a draft
    a coordinator finishes); it cannot be published until it has one.
    """
    page = ListingPage(
        title=title,
        provider=provider,
        slug=free_slug(parent=parent, title=title, provider=provider) if slug is None else slug,
        live=False,
    )
    _set(page, fields, prices)
    # A listing to publish is created live, so Wagtail validates all of it (full_clean) before
    # the first row is written, as the admin's form would; a draft gets Wagtail's minimal checks.
    page.live = publish and not (draft_without_postcode and not page.has_place)
    # One unit: if the first revision fails validation (a draft is only fully checked there),
    # the page row written by add_child goes too, so nothing half-made is left behind.
    with transaction.atomic():
        if page.live and page.has_place and page.go_live_at is None:
            _create_published(parent, page, user=user)
        else:
            parent.add_child(instance=page)
            _save(page, publish=publish, user=user, draft_without_postcode=draft_without_postcode)
    return page


def _create_published(parent: Page, page: ListingPage, *, user) -> None:
    """Add a new, complete listing live: what `add_child`, `save_revision` and `publish` leave.

    Wagtail's own sequence saves the page three times, validating it in full each time, and
    rebuilds it from the revision it has just written before the third. For a new page the
    first save already holds exactly what the revision holds, so this saves it once (validated
    in full, as the admin's form would), writes the revision from it, records the revision and
    publication on the page, and logs and signals the publication as Wagtail's publish does
    ("wagtail.create", then "wagtail.publish"; `page_published` and `published`). A new page has
    no comments, aliases, workflow or scheduled revisions, the only other things publish touches.
    tests/directory/test_writer.py holds the result to Wagtail's own sequence.
    """
    parent.add_child(instance=page)  # live, so Wagtail's save runs full_clean before writing
    revision = Revision.objects.create(
        content_object=page,
        base_content_type=page.get_base_content_type(),
        user=user,
        content=page.serializable_data(),
        object_str=str(page),
    )
    published_at = timezone.now()
    page.latest_revision = page.live_revision = revision
    page.latest_revision_created_at = revision.created_at
    page.draft_title = page.title
    page.has_unpublished_changes = False
    page.first_published_at = page.last_published_at = published_at
    page.save(
        update_fields=[
            "latest_revision",
            "live_revision",
            "latest_revision_created_at",
            "draft_title",
            "has_unpublished_changes",
            "first_published_at",
            "last_published_at",
        ],
        clean=False,
    )
    page_published.send(sender=ListingPage, instance=page, revision=revision)
    published.send(sender=ListingPage, instance=page, revision=revision)
    log(instance=page, action="wagtail.publish", user=user, revision=revision, content_changed=True)


def update_listing(
    page: ListingPage,
    *,
    prices=None,
    publish: bool = False,
    user=None,
    draft_without_postcode: bool = False,
    **fields,
) -> ListingPage:
    """Change a listing through a new revision, published or left as a draft.

    `page` is the version to edit: usually `listing.get_latest_revision_as_object()`, so a
    draft awaiting approval is built on, as the admin does. Arguments as `write_listing`;
    `prices`, when given, replace all the listing's prices.
    """
    _set(page, fields, prices)
    _save(page, publish=publish, user=user, draft_without_postcode=draft_without_postcode)
    return page


def _save(page: ListingPage, *, publish: bool, user, draft_without_postcode: bool) -> None:
    if draft_without_postcode:
        # Validate everything the admin would, except that a listing without a place (a postcode,
        # or "available anywhere") may be saved as a draft (it cannot be published).
        if page.has_place:
            page.full_clean()
        else:
            _clean_without_place(page)
        revision = page.save_revision(user=user, clean=False)
        publish = publish and page.has_place
    else:
        revision = page.save_revision(user=user)
    if publish:
        revision.publish(user=user)


def _clean_without_place(page: ListingPage) -> None:
    """Full validation, less the rule that a listing must have a place (a draft may lack one)."""
    try:
        page.full_clean(exclude=["base_postcode"])
    except ValidationError as exc:
        errors = {name: messages for name, messages in exc.message_dict.items() if name != "base_postcode"}
        if errors:
            raise ValidationError(errors) from exc
