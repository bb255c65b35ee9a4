"""URL routes: accounts, the Wagtail admin and documents, then every Wagtail page."""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms import security
from cms.account_views import account_overview

# Both admins sign people in through allauth, which asks for the two-factor code: their own
# login forms would let a password alone in.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("admin/login/", security.wagtail_admin_login, name="wagtailadmin_login"),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", account_overview, name="account_overview"),
    path("accounts/", include("allauth.urls")),
    path("my/", include("directory.provider_urls")),
    path("openreferral/", include("directory.oruk.urls")),
    path("", include("search.urls")),
    path("", include("signposting.urls")),
    path("", include("marketplace.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's catch-all serves every page; it must come last.
urlpatterns += [path("", include(wagtail_urls))]
