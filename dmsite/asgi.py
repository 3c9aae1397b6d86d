"""ASGI entry point: HTTP through Django, WebSockets through Channels (served by Daphne)."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dmsite.settings")

import django
from channels.routing import ProtocolTypeRouter, URLRouter

django.setup(set_prefix=False)

from dmsite.handlers import OneCallASGIHandler  # noqa: E402

django_asgi_app = OneCallASGIHandler()

from dmsite.bodylimit import BodySizeLimit  # noqa: E402
from messaging.routing import websocket_urlpatterns  # noqa: E402
from messaging.ws_auth import socket_auth_stack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodySizeLimit(django_asgi_app),
        "websocket": socket_auth_stack(URLRouter(websocket_urlpatterns)),
    }
)


def _daphne_passes_bodies_through() -> None:
    """Let Django read every multipart body, not Twisted first.

    Twisted's HTTP request parses a multipart/form-data POST into `request.args`
    (which Daphne never uses) before the application sees it, holding the whole
    body in memory, and answers a body it cannot parse with a bare 400 of its own:
    no JSON, no Content-Type. Its `parsePOSTFormSubmission=False` turns that off.
    """
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # served by another ASGI server
        return
    if getattr(WebRequest, "_dmsite_bodies_through", False):
        return
    original_init = WebRequest.__init__

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parsePOSTFormSubmission", False)
        original_init(self, *args, **kwargs)

    WebRequest.__init__ = __init__
    WebRequest._dmsite_bodies_through = True


_daphne_passes_bodies_through()


def _keep_startup_objects_out_of_collections() -> None:
    """Take everything loaded at start-up out of the garbage collector's full passes.

    Django, DRF, the schema generator, Pillow and PyAV leave some 150,000 objects
    that live as long as the process; under load a full (generation 2) collection
    walked them with the rest, 100 to 190 ms in which the process served nothing: the
    sockets' p99 on PostgreSQL.
    `gc.freeze()` moves them to the permanent generation, so a full pass walks only
    what came after (the URL patterns and their views are loaded first, so they go
    too). Measured in bench/README.md.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view now, not on the first request
    gc.collect()
    gc.freeze()


_keep_startup_objects_out_of_collections()
