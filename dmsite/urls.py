from django.contrib import admin
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api import urls as accounts_api
from attachments.api import urls as attachments_api
from dmsite import openapi  # noqa: F401 - registers the schema's field extensions
from dmsite.errors import json_error_view
from messaging.api import urls as messaging_api
from moderation.api import urls as moderation_api
from privacy.api import urls as privacy_api

# The API is one list of the apps' patterns, not an include per app: for every include
# that does not match, Django's resolver records all its patterns as tried (for the 404
# page), which cost 5 % of an API send's CPU when the API was five includes.
api_patterns = [
    *accounts_api.urlpatterns,
    *privacy_api.urlpatterns,
    *messaging_api.urlpatterns,
    *moderation_api.urlpatterns,
    *attachments_api.urlpatterns,
]
urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Stored files, each behind its permission check.
    path("", include("attachments.urls")),
    path("", include("moderation.urls")),
    # The browser pages (after the API, so that no page pattern shadows an API path).
    path("", include("accounts.urls")),
    path("", include("privacy.urls")),
    path("", include("messaging.urls")),
]

handler400 = json_error_view(400, "invalid", "Bad request.", defaults.bad_request)
handler403 = json_error_view(
    403, "permission_denied", "You do not have permission to do this.", defaults.permission_denied
)
handler404 = json_error_view(404, "not_found", "Not found.", defaults.page_not_found)
handler500 = json_error_view(
    500, "server_error", "Something went wrong on our side.", defaults.server_error
)
