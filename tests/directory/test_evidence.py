"""Evidence of checks: what uploads we accept, where they are kept, who can read them, and
how coordinators verify them (the only way a listing gets a "checked" badge).
"""

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from directory import evidence
from directory import provider_services as services
from directory.models import Check
from tests.factories import ProviderFactory, UserFactory, make_listing

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture(autouse=True)
def public_media(settings, tmp_path):
    """Public uploads go to a folder of their own, so a test can see that evidence never lands there."""
    settings.MEDIA_ROOT = tmp_path / "public-media"


@pytest.fixture
def member(directory):
    user = UserFactory(role=Role.PROVIDER)
    provider = ProviderFactory(name="Jo's Swims")
    provider.members.add(user)
    return user


@pytest.fixture
def provider(member):
    return member.providers.get()


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload_form(upload, **changes):
    data = {
        "kind": "public_liability",
        "reference": "PL-123",
        "issued_on_0": "1",
        "issued_on_1": "4",
        "issued_on_2": "2025",
        "expires_on_0": "31",
        "expires_on_1": "3",
        "expires_on_2": str(timezone.localdate().year + 1),
        "document": upload,
    }
    data.update(changes)
    return data


def page_text(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- Uploads ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_good_pdf_is_stored_privately_and_waits_for_a_coordinator(
    member_client, provider, private_media, settings
):
    response = member_client.post(
        reverse("my:check_add", args=[provider.public_id]),
        upload_form(SimpleUploadedFile("My Insurance.PDF", PDF, content_type="application/pdf")),
    )

    assert response["Location"] == reverse("my:checks", args=[provider.public_id])
    check = Check.objects.get()
    assert check.kind == Check.Kind.PUBLIC_LIABILITY
    assert check.verified_at is None
    assert check.document_name == "My Insurance.PDF"
    files = stored_files(private_media)
    assert len(files) == 1
    assert files[0].read_bytes() == PDF
    # Stored under a random name, outside MEDIA_ROOT, and with no URL of its own.
    assert "Insurance" not in files[0].name
    assert not stored_files(Path(settings.MEDIA_ROOT))
    with pytest.raises(NotImplementedError):
        check.document.url  # noqa: B018 - the attribute access is the behaviour under test
    listing_page = member_client.get(reverse("my:checks", args=[provider.public_id]))
    assert "Waiting to be checked" in page_text(listing_page)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("certificate.docx", b"PK\x03\x04 word", "The selected file must be a PDF, JPG or PNG"),
        ("photo.gif", b"GIF89a....", "The selected file must be a PDF, JPG or PNG"),
        ("no-extension", PDF, "The selected file must be a PDF, JPG or PNG"),
        ("huge.pdf", PDF + b"0" * (5 * 1024 * 1024), "The selected file must be smaller than 5MB"),
        ("renamed.pdf", b"PK\x03\x04 this is really a word document", "The selected file is not a real PDF"),
        ("script.png", b"<script>alert(1)</script>", "The selected file is not a real PNG"),
        ("fake.jpg", PNG, "The selected file is not a real JPG"),
        ("empty.pdf", b"", "The selected file is empty"),
    ],
)
def test_bad_upload_is_rejected_with_a_clear_message_and_nothing_is_stored(
    member_client, provider, private_media, name, content, message
):
    response = member_client.post(
        reverse("my:check_add", args=[provider.public_id]),
        upload_form(SimpleUploadedFile(name, content)),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert message in page_text(response)
    assert '<a href="#id_document">' in html
    assert "govuk-file-upload--error" in html
    # What was typed is kept; only the file must be chosen again (browsers never refill it).
    assert 'value="PL-123"' in html
    assert not Check.objects.exists()
    assert stored_files(private_media) == []


@pytest.mark.django_db
def test_file_exactly_at_the_limit_is_accepted(member_client, provider):
    content = PDF + b"0" * (evidence.MAX_UPLOAD_BYTES - len(PDF))
    response = member_client.post(
        reverse("my:check_add", args=[provider.public_id]),
        upload_form(SimpleUploadedFile("big.pdf", content)),
    )
    assert response.status_code == 302
    assert Check.objects.get().document.size == evidence.MAX_UPLOAD_BYTES


@pytest.mark.django_db
def test_dates_must_make_sense(member_client, provider, private_media):
    response = member_client.post(
        reverse("my:check_add", args=[provider.public_id]),
        upload_form(
            SimpleUploadedFile("ok.png", PNG),
            expires_on_0="1",
            expires_on_1="1",
            expires_on_2="2025",
            issued_on_0="30",
            issued_on_1="2",
        ),
    )
    page = page_text(response)
    assert "The date it was issued must be a real date" in page
    assert '<a href="#id_issued_on_0">' in response.content.decode()
    response = member_client.post(
        reverse("my:check_add", args=[provider.public_id]),
        upload_form(
            SimpleUploadedFile("ok.png", PNG), expires_on_0="1", expires_on_1="1", expires_on_2="2025"
        ),
    )
    assert "The expiry date must be after the date it was issued" in page_text(response)
    assert not Check.objects.exists() and stored_files(private_media) == []


@pytest.mark.django_db
def test_cqc_registration_is_a_number_not_a_document(member_client, provider):
    response = member_client.post(
        reverse("my:check_add", args=[provider.public_id]),
        upload_form(
            "", kind="cqc", reference="1-123456789", expires_on_0="", expires_on_1="", expires_on_2=""
        ),
    )
    assert response.status_code == 302
    check = Check.objects.get()
    assert check.reference == "1-123456789" and not check.document


@pytest.mark.parametrize(
    ("name", "content", "label"),
    [("a.pdf", PDF, "PDF"), ("a.jpg", JPEG, "JPG"), ("a.JPEG", JPEG, "JPG"), ("a.png", PNG, "PNG")],
)
def test_validate_upload_accepts_real_pdf_jpg_and_png(name, content, label):
    assert evidence.validate_upload(SimpleUploadedFile(name, content)).label == label


def test_validate_upload_leaves_the_file_ready_to_save():
    upload = SimpleUploadedFile("a.pdf", PDF)
    evidence.validate_upload(upload)
    assert upload.read() == PDF


def test_validate_upload_codes_say_which_rule_failed():
    codes = {}
    for name, content in [
        ("a.txt", b"x"),
        ("a.pdf", b"x" * (evidence.MAX_UPLOAD_BYTES + 1)),
        ("a.pdf", b"x"),
    ]:
        with pytest.raises(ValidationError) as error:
            evidence.validate_upload(SimpleUploadedFile(name, content))
        codes[name + str(len(content))] = error.value.code
    assert sorted(codes.values()) == ["file_content", "file_size", "file_type"]


def test_display_name_is_safe():
    assert evidence.display_name("../../etc/pass wd<script>.pdf") == "pass wdscript.pdf"
    assert evidence.display_name("") == "evidence"


# --- Who can read evidence --------------------------------------------------------------


@pytest.fixture
def check_with_document(provider):
    return services.add_check(
        provider=provider,
        kind=Check.Kind.DBS,
        issued_on=timezone.localdate() - timezone.timedelta(days=30),
        upload=SimpleUploadedFile("dbs.pdf", PDF),
    )


@pytest.mark.django_db
def test_team_member_downloads_their_evidence_as_an_attachment(member_client, check_with_document):
    response = member_client.get(reverse("my:check_document", args=[check_with_document.public_id]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="dbs.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.django_db
def test_evidence_is_not_reachable_without_permission(client, check_with_document, settings):
    address = reverse("my:check_document", args=[check_with_document.public_id])
    # Signed out: sent to sign in.
    response = client.get(address)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    # Another provider's team member, and a person with no role: as if it did not exist.
    for person in (UserFactory(role=Role.PROVIDER), UserFactory()):
        other_provider = ProviderFactory()
        other_provider.members.add(person)
        client.force_login(person)
        assert client.get(address).status_code == 404
    # No public path leads to the file either.
    for path in (
        "/media/" + check_with_document.document.name,
        "/private-media/" + check_with_document.document.name,
    ):
        assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_coordinator_can_read_any_providers_evidence(client, check_with_document):
    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=True))
    response = client.get(reverse("my:check_document", args=[check_with_document.public_id]))
    assert response.status_code == 200


@pytest.mark.django_db
def test_removing_evidence_deletes_the_file(member_client, check_with_document, private_media):
    assert len(stored_files(private_media)) == 1
    address = reverse("my:check_delete", args=[check_with_document.public_id])
    assert "Remove your dbs certificate?" in page_text(member_client.get(address))
    member_client.post(address)
    assert not Check.objects.exists()
    assert stored_files(private_media) == []


# --- Coordinators verify; the badge follows ----------------------------------------------


@pytest.mark.django_db
def test_coordinator_verifies_evidence_in_the_admin_and_the_listing_shows_the_badge(
    client, provider, check_with_document
):
    listing = make_listing(provider=provider)
    assert "We have not verified any checks" in page_text(client.get(listing.url))
    coordinator = UserFactory(role=Role.COORDINATOR, is_staff=True)
    client.force_login(coordinator)
    edit_url = f"/admin/snippets/directory/check/edit/{check_with_document.pk}/"

    form = client.get(edit_url)
    assert form.status_code == 200
    assert reverse("my:check_document", args=[check_with_document.public_id]) in form.content.decode()
    listing_page = client.get("/admin/snippets/directory/check/")
    assert listing_page.status_code == 200 and "dbs.pdf" in listing_page.content.decode()

    response = client.post(
        edit_url,
        {
            "kind": "dbs",
            "reference": "001234567890",
            "issued_on": check_with_document.issued_on.isoformat(),
            "expires_on": "",
            "verified": "on",
            "review_note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    check_with_document.refresh_from_db()
    assert check_with_document.verified_by == coordinator
    assert check_with_document.verified_at is not None
    client.logout()
    public = page_text(client.get(listing.url))
    assert "DBS certificate" in public
    assert f"Checked by us on {timezone.localdate():%-d %B %Y}" in public

    # Unticking takes the badge away.
    client.force_login(coordinator)
    client.post(
        edit_url,
        {
            "kind": "dbs",
            "reference": "",
            "issued_on": check_with_document.issued_on.isoformat(),
            "expires_on": "",
            "review_note": "The certificate is for someone else.",
        },
    )
    check_with_document.refresh_from_db()
    assert check_with_document.verified_at is None
    client.logout()
    assert "We have not verified any checks" in page_text(client.get(listing.url))


@pytest.mark.django_db
def test_provider_sees_what_the_coordinator_said_about_their_evidence(
    member_client, provider, check_with_document
):
    check_with_document.review_note = "The name on the certificate does not match."
    check_with_document.save()
    page = page_text(member_client.get(reverse("my:checks", args=[provider.public_id])))
    assert "Needs attention" in page
    assert "The name on the certificate does not match." in page


@pytest.mark.django_db
def test_checks_page_flags_expired_and_soon_expiring_evidence(member_client, provider):
    today = timezone.localdate()
    Check.objects.create(
        provider=provider,
        kind=Check.Kind.DBS,
        issued_on=today.replace(year=today.year - 2),
        expires_on=today - timezone.timedelta(days=1),
        verified_at=timezone.now(),
    )
    Check.objects.create(
        provider=provider,
        kind=Check.Kind.SAFEGUARDING,
        issued_on=today.replace(year=today.year - 1),
        expires_on=today + timezone.timedelta(days=12),
    )
    page = page_text(member_client.get(reverse("my:checks", args=[provider.public_id])))
    assert "DBS certificate" in page and "Expired" in page
    assert "Safeguarding training" in page and "Expires soon" in page
