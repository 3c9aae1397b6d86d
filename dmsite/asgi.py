"""ASGI entry point: HTTP through Django, WebSockets through Channels (served by Daphne)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dmsite.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from dmsite.bodylimit import BodySizeLimit  # noqa: E402
from messaging.routing import websocket_urlpatterns  # noqa: E402
from messaging.ws_auth import socket_auth_stack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": BodySizeLimit(django_asgi_app),
        "websocket": socket_auth_stack(URLRouter(websocket_urlpatterns)),
    }
)
