"""Which web origins may talk to the app from a browser: the site's own, plus CORS_ORIGINS.

- REST API (CORS): Reflex wraps the app in Starlette's CORSMiddleware with rxconfig's
  `cors_allowed_origins`, which rxconfig.py fills from `cors_allowed_origins()` below: CORS_ORIGINS,
  empty by default. Same-origin requests need no CORS answer, so by default a foreign page's
  preflight is refused (400) and its simple requests get no Access-Control-Allow-Origin. Reflex
  always answers with credentials allowed; Reflex's default `*` would then echo any origin, which is
  why the list is never `*` (settings.py refuses it).
- The websocket (Reflex's socket.io endpoint, /_event): browsers do not apply CORS to websockets,
  so any page could open one to this site with its visitor's cookies and local session.
  `WebsocketOriginGuard` refuses a handshake whose Origin is neither the site's own (the Host it
  was asked for, with the scheme the client used: api/forwarded.py), PUBLIC_BASE_URL's, nor a
  configured one. A handshake without Origin (no browser sends none: SDKs, tests) passes.
  python-engineio's own check cannot do this: Reflex hands it CORS_ORIGINS as its whole list, which
  would refuse the site's own pages as soon as one origin is configured, so the guard decides and
  `let_guard_check_socket_origins` turns engineio's check off.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from smartspec_app.api.forwarded import request_scheme
from smartspec_app.settings import Settings, get_settings

DEFAULT_PORTS = {"http": 80, "https": 443}
POLICY_VIOLATION = 1008  # websocket close code; before the handshake is accepted the server answers 403


def normalize_origin(url: str) -> str:
    """`scheme://host[:port]` in lower case, without a default port; "" for anything else ("null" included)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != DEFAULT_PORTS[parts.scheme] else "")


def cors_allowed_origins(settings: Settings) -> list[str]:
    """The origins other than the site's own that may call the API from a browser (rxconfig.py)."""
    return [origin for origin in (normalize_origin(o) for o in settings.cors_origin_list) if origin]


def own_origin(scope: Scope) -> str:
    """The origin the client asked for: its scheme (trusted forwarded scheme) and the Host header."""
    host = Headers(scope=scope).get("host", "")
    return normalize_origin(f"{request_scheme(scope)}://{host}") if host else ""


def is_allowed_origin(origin: str, scope: Scope, settings: Settings | None = None) -> bool:
    """The page at `origin` may open a websocket to this site."""
    settings = settings or get_settings()
    origin = normalize_origin(origin)
    if not origin:
        return False
    allowed = {own_origin(scope), normalize_origin(settings.public_base_url), *cors_allowed_origins(settings)}
    return origin in allowed - {""}


class WebsocketOriginGuard:
    """Refuses websocket handshakes from foreign pages (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            origin = Headers(scope=scope).get("origin")
            if origin is not None and not is_allowed_origin(origin, scope):
                await send({"type": "websocket.close", "code": POLICY_VIOLATION})
                return
        await self.app(scope, receive, send)


def let_guard_check_socket_origins(sio: Any) -> None:
    """Turn off python-engineio's own origin list (`[]` means no check there): WebsocketOriginGuard,
    which also knows the site's own origin, has already refused foreign handshakes."""
    if sio is not None:
        sio.eio.cors_allowed_origins = []
