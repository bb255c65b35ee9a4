"""Evidence of checks: where uploaded documents live and which uploads we accept.

Evidence (insurance schedules, DBS certificates, training certificates) is personal data,
so it never sits under MEDIA_ROOT, which a web server may publish. It goes in a private
folder, `settings.PRIVATE_MEDIA_ROOT`, and people reach it only through a view that checks
who is asking (`directory.provider_views.check_document`).

This module holds no models, so `directory.models` can import it for the FileField.
"""

import os
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    """One kind of file we accept: its name for people, extensions, signature and type."""

    label: str
    extensions: tuple[str, ...]
    signature: bytes
    content_type: str


ACCEPTED = (
    FileKind("PDF", ("pdf",), b"%PDF-", "application/pdf"),
    FileKind("JPG", ("jpg", "jpeg"), b"\xff\xd8\xff", "image/jpeg"),
    FileKind("PNG", ("png",), b"\x89PNG\r\n\x1a\n", "image/png"),
)
ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for kind in ACCEPTED for ext in kind.extensions)
ACCEPTED_NAMES = "a PDF, JPG or PNG"


def private_media_root() -> Path:
    """The folder for private uploads, outside anything the web server publishes."""
    return Path(getattr(settings, "PRIVATE_MEDIA_ROOT", settings.BASE_DIR / "private-media"))


@deconstructible
class PrivateStorage(FileSystemStorage):
    """File storage with no public URL: files are read only by permission-checked views.

    The location is read from settings when first used (not at import), so tests and
    deployments can point it elsewhere.
    """

    def __init__(self, **kwargs):
        kwargs.pop("base_url", None)
        super().__init__(**kwargs)

    # Plain properties (Django caches these): a changed setting takes effect at once.
    @property
    def base_location(self):
        return self._value_or_setting(self._location, private_media_root())

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        # There is deliberately no address for these files; serving them is the job of a view
        # that checks who is asking. Failing loudly stops a template leaking a path.
        raise NotImplementedError("Evidence files have no public URL; use the check_document view.")


def private_storage() -> PrivateStorage:
    """The storage evidence files use (a callable, so migrations do not record a path)."""
    return PrivateStorage()


def evidence_upload_to(instance, filename: str) -> str:
    """Store under the provider's id with a random name: the uploaded name is not trusted."""
    extension = PurePath(filename).suffix.lower().lstrip(".")
    return f"evidence/{instance.provider.public_id}/{uuid.uuid4().hex}.{extension}"


def kind_for_extension(name: str) -> FileKind | None:
    """The accepted kind of file a name's extension claims, or None."""
    extension = PurePath(name or "").suffix.lower().lstrip(".")
    for kind in ACCEPTED:
        if extension in kind.extensions:
            return kind
    return None


def content_type_for(name: str) -> str:
    """The content type to send a stored file with."""
    kind = kind_for_extension(name)
    return kind.content_type if kind else "application/octet-stream"


def validate_upload(upload) -> FileKind:
    """Check an uploaded file's size, extension and contents; return what kind it is.

    Raises ValidationError with a message the person can act on. Nothing is stored here:
    the caller saves the file only once every check has passed.
    """
    if upload.size == 0:
        raise ValidationError("The selected file is empty. Choose a different file", code="empty")
    kind = kind_for_extension(upload.name)
    if kind is None:
        raise ValidationError(f"The selected file must be {ACCEPTED_NAMES}", code="file_type")
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError("The selected file must be smaller than 5MB", code="file_size")
    upload.seek(0)
    head = upload.read(len(kind.signature))
    upload.seek(0)
    # The name can lie (a Word document renamed to .pdf, a script renamed to .png); the
    # first bytes of a real PDF, JPG or PNG are fixed, so they must match the name.
    if head != kind.signature:
        raise ValidationError(
            f"The selected file is not a real {kind.label}, although its name ends in "
            f".{PurePath(upload.name).suffix.lower().lstrip('.')}. Save it again as {ACCEPTED_NAMES} "
            "and upload that",
            code="file_content",
        )
    return kind


def display_name(name: str) -> str:
    """The uploaded file's own name, made safe to show and to offer as a download name."""
    base = PurePath(name or "").name
    cleaned = "".join(c for c in base if c.isalnum() or c in " ._-()").strip()
    return cleaned[:200] or "evidence"
