"""Refuse requests whose headers add up to more than a limit (HTTP 431, the API's error shape).

The production server (Granian, started by `reflex run --env prod` and deploy/start.py) buffers up
to about 400 KiB of request head and Reflex builds its Granian without a way to pass a smaller
buffer, so a 200 KB header reached the app. This middleware is the outermost layer of the app
Reflex serves (pages, websocket, REST API, media), so the cap holds for every path. It sees the
headers once the server has parsed them: the server's own buffer still bounds the memory one
request can hold; this bounds what the app, its logs and its proxies are handed.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from smartspec_app.api.errors import code_for_status, error_body

HEADER_OVERHEAD = 4  # ": " and CRLF per header line, as on the wire


def header_bytes(scope: Scope) -> int:
    """The size of the request's header lines as sent (names, values, separators)."""
    return sum(len(name) + len(value) + HEADER_OVERHEAD for name, value in scope.get("headers", ()))


class HeaderLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or header_bytes(scope) <= self.max_bytes:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # before the handshake: the server answers 403
            return
        message = f"The request's headers are larger than {self.max_bytes // 1024} KiB"
        body = json.dumps(error_body(code_for_status(431), message, {"max_bytes": self.max_bytes})).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 431, "headers": headers})
        await send({"type": "http.response.body", "body": body})
