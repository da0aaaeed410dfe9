"""Refuse request bodies over a size limit before any route reads them (HTTP 413, the API's error shape).

A declared Content-Length over the limit is refused at once; a chunked body is counted as it
streams and cut off when it passes the limit, so neither form can fill the server's memory.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartspec_app.api.errors import error_body


def limit_text(max_bytes: int) -> str:
    return f"{max_bytes // 1024} KiB" if max_bytes < 1024 * 1024 else f"{max_bytes // (1024 * 1024)} MiB"


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit.

    An HTTPException on purpose: FastAPI's body parser turns any other exception raised while it
    reads the body into a 400 "There was an error parsing the body", but lets HTTPExceptions
    through to the app's handler (api/errors.py), which answers 413 in the usual error shape."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is larger than {limit_text(max_bytes)}", headers={"Connection": "close"})
        self.details = {"max_bytes": max_bytes}


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, prefixes: tuple[str, ...] = ("/api/",)) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        received = 0
        exceeded = response_started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def guarded_send(message: Message) -> None:
            """Once the body ran over, whatever the app answers (its handler's 413, a 400 from a
            parser that caught the exception, a 500) is replaced by the one 413 of this middleware."""
            nonlocal response_started
            if exceeded:
                if message["type"] == "http.response.start" and not response_started:
                    response_started = True
                    await self._refuse(send)
                return
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:  # nothing in the app handled it
            if not response_started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            error_body("payload_too_large", f"The request body is larger than {limit_text(self.max_bytes)}", {"max_bytes": self.max_bytes})
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
