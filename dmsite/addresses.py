"""The client's address, as far as it can be trusted (finding 3).

Behind `TRUSTED_PROXY_COUNT` proxies, each appends the address it saw to
X-Forwarded-For, so the last `TRUSTED_PROXY_COUNT` entries were written by us and
the one the outermost proxy saw is the client. Entries further left were written
by the client and are ignored. With no proxy, REMOTE_ADDR is the client. Daphne
must then run without `--proxy-headers` (which takes the leftmost entry).
"""

import ipaddress

from django.conf import settings


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request) -> str:
    return client_ip_from(
        request.META.get("REMOTE_ADDR") or "", request.META.get("HTTP_X_FORWARDED_FOR", "")
    )


def client_ip_from(remote_addr: str, forwarded_for: str) -> str:
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies == 0:
        return remote_addr or "unknown"
    hops = [hop for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) < proxies:
        # Not through all our proxies (misconfigured, or a direct hit): the peer is all we know.
        return remote_addr or "unknown"
    return _address(hops[-proxies]) or remote_addr or "unknown"
