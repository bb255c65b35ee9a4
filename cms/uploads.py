"""Refusing an oversized upload while it streams, instead of after reading all of it.

`LimitedUploadHandler` (first in FILE_UPLOAD_HANDLERS) counts each file's bytes as they
arrive and stops reading the request once a file passes UPLOAD_MAX_BYTES (ADMIN_UPLOAD_MAX_BYTES
in the admin). The fields sent before the file (the CSRF token, what was typed) are kept.
`OversizedUploadMiddleware` then puts a stand-in file of the size seen so far in the file's
place, so the form's own size check tells the person "smaller than 5MB" on the form, and a form
whose file is optional cannot be saved without it.
"""

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


def upload_limit(path: str) -> int:
    """The most bytes one uploaded file may have at this path."""
    if path.startswith(("/admin/", "/django-admin/")):
        return settings.ADMIN_UPLOAD_MAX_BYTES
    return settings.UPLOAD_MAX_BYTES


class OversizedUpload(UploadedFile):
    """What stands in for a file we stopped reading: its name, and more bytes than allowed."""

    def __init__(self, name: str, size: int):
        super().__init__(BytesIO(), name=name, content_type="application/octet-stream", size=size)


class LimitedUploadHandler(FileUploadHandler):
    """Stop reading the request as soon as one file passes the limit (see the module docstring)."""

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self.seen = 0

    def receive_data_chunk(self, raw_data, start):
        self.seen += len(raw_data)
        if self.seen > upload_limit(self.request.path):
            self.request.oversized_uploads = {self.field_name: OversizedUpload(self.file_name, self.seen)}
            # connection_reset: do not read the rest of the body just to throw it away.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


class OversizedUploadMiddleware:
    """Put the stand-in for a refused file where the form will look for it (last in MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "csrf_exempt", False):
            # Endpoints for machines (payment webhooks) read the raw body themselves; parsing it
            # here would leave them nothing to read. Django's CSRF check skips them likewise.
            return None
        if request.method == "POST" and request.content_type == "multipart/form-data":
            request.FILES  # noqa: B018 (parse the body now, through LimitedUploadHandler)
            for field, stand_in in getattr(request, "oversized_uploads", {}).items():
                request.FILES.setlist(field, [stand_in])
        return None
