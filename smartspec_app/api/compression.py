"""Brotli or gzip for every text answer the app makes, by the client's Accept-Encoding.

Built on Starlette's GZipMiddleware machinery (its `IdentityResponder` decides what to compress:
not below `minimum_size`, not an answer that is already encoded, not a 206 range, not images,
audio, video, fonts, archives or event streams), with brotli from Google's `brotli` bindings as
a second encoding. brotli-asgi was not used: it compresses whatever comes, PNG, MP4 and partial
answers to Range requests included.

Reflex's own build output is precompressed at build time (`frontend_compression_formats` in
rxconfig.py, served by its PrecompressedStaticFiles with `Content-Encoding` set), so this middleware
passes those through untouched and only compresses what is made per request: the gallery's HTML,
JSON, XML sitemaps, the OpenAPI document and the docs page.
"""

from __future__ import annotations

import brotli
from starlette.datastructures import Headers
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Receive, Scope, Send

BROTLI_QUALITY = 5  # per request: about gzip -9's size at a fraction of its time; the build uses 11
GZIP_LEVEL = 6
MINIMUM_SIZE = 500
EXCLUDED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/octet-stream")


class BrotliResponder(IdentityResponder):
    content_encoding = "br"

    def __init__(self, app: ASGIApp, minimum_size: int, quality: int) -> None:
        super().__init__(app, minimum_size, exclude_content_types=EXCLUDED)
        self.quality = quality
        self._compressor: brotli.Compressor | None = None

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if self._compressor is None:
            self._compressor = brotli.Compressor(mode=brotli.MODE_TEXT, quality=self.quality)
        out = self._compressor.process(body)
        return out + (self._compressor.flush() if more_body else self._compressor.finish())


def preferred_encoding(accept_encoding: str) -> str | None:
    """ "br" or "gzip" (in that order of preference) when the client accepts it with q > 0."""
    accepted: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name:
            accepted[name] = quality
    wildcard = accepted.get("*", 0.0)
    quality, encoding = max((accepted.get(name, wildcard), name == "br", name) for name in ("br", "gzip"))[::2]
    return encoding if quality > 0 else None


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, minimum_size: int = MINIMUM_SIZE, brotli_quality: int = BROTLI_QUALITY) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.brotli_quality = brotli_quality

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        encoding = preferred_encoding(Headers(scope=scope).get("accept-encoding", ""))
        if encoding == "br":
            responder: ASGIApp = BrotliResponder(self.app, self.minimum_size, self.brotli_quality)
        elif encoding == "gzip":
            responder = GZipResponder(self.app, self.minimum_size, compresslevel=GZIP_LEVEL, exclude_content_types=EXCLUDED)
        else:
            responder = IdentityResponder(self.app, self.minimum_size, exclude_content_types=EXCLUDED)
        await responder(scope, receive, send)
