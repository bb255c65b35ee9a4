"""Two fixes to Wagtail's own editing screens, so a coordinator's main task (approving a listing,
often on a phone) meets WCAG 2.2 AA as the rest of the site does (tests/browser/test_coordinator_phone.py):

- the rich text editor's text box gets its field's label as its accessible name (Wagtail gives it none);
- the side panel's toggle is at least 24 px square (Wagtail draws it at 20 px).
"""

from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks


@hooks.register("insert_global_admin_css")
def admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("cms/admin.css"))


@hooks.register("insert_global_admin_js")
def admin_js():
    return format_html('<script type="module" src="{}"></script>', static("cms/admin_a11y.mjs"))
