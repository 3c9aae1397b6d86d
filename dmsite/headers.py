"""Response headers a messenger owes its users (SPEC sections 10 and 12, issue 11).

- `SameHostSocketCSPMiddleware`: django-csp's policy (settings.CONTENT_SECURITY_POLICY),
  with the page's own WebSocket origin (`ws://host` or `wss://host`) in `connect-src`:
  'self' covers it in CSP Level 3 browsers only; and with S3 storage the bucket's origin
  in `img-src` and `media-src`, where `/media/` redirects to.
- `NoStoreMiddleware`: `Cache-Control: no-store` on every response that did not choose
  its own caching. API answers carry tokens and messages, pages carry conversations:
  neither may stay in a shared or on-disk cache. Files that chose theirs keep it
  (`/media/`: `private`, static files: whitenoise's long max-age).
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.utils.cache import patch_cache_control

from attachments.serving import signed_url_origin


class SameHostSocketCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        try:
            host = request.get_host()
        except DisallowedHost:  # answered 400 already; no socket to allow
            return parts
        socket_origin = f"{'wss' if request.is_secure() else 'ws'}://{host}"
        extra = {"connect-src": [socket_origin]}
        # On S3, /media/ redirects to a signed URL of the bucket: photos, videos and voice
        # notes load from there.
        media_origin = signed_url_origin()
        if media_origin is not None:
            extra.update({"img-src": [media_origin], "media-src": [media_origin]})
        parts.update = {**(parts.update or {}), **extra}
        return parts


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response:
            patch_cache_control(response, no_store=True)
        return response
