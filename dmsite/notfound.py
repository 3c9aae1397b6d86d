"""The product's 404 page, also with DEBUG on.

With `DJANGO_DEBUG` on (as `make run` sets it), Django answers a 404 with its
debug page, which lists every route of the site. A person who mistypes a URL
should see the product's page instead, as in production: this middleware puts
the site's own 404 handler (JSON under /api/, the product page elsewhere) in
place of the debug page. Only paths under `/__debug__/` keep it, for developers.
"""

from django.conf import settings
from django.http import Http404
from django.urls import get_resolver
from django.utils.deprecation import MiddlewareMixin

DEBUG_PREFIX = "/__debug__/"


class ProductNotFoundMiddleware(MiddlewareMixin):
    def process_response(self, request, response):
        if (
            settings.DEBUG
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(DEBUG_PREFIX)
        ):
            handler = get_resolver().resolve_error_handler(404)
            return handler(request, exception=Http404())
        return response
