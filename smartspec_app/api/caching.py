"""HTTP caching: Cache-Control for what the app serves without one, and ETags for the gallery's HTML.

- `/assets/*` is Vite's build output, every file named by its content hash: cached for a year,
  `immutable` (a new build makes new names, so nothing stale can be served).
- HTML (Reflex's prerendered pages and the gallery's server-rendered ones) is the same for every
  visitor (personal data comes over the websocket), so any cache may keep it for a short while
  (`HTML_CACHE_SECONDS`, 60 by default; 0: `no-cache`); after that an ETag makes the check a 304.
  Not longer: a page names the bundles of the build that made it, and a deploy replaces them.
- Media under /media sets its own (api/media.py); API answers are left alone (not cached).
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartspec_app.services.storage import CACHE_CONTROL as IMMUTABLE

CACHEABLE = (200, 203, 206, 304)


def html_cache_control(max_age: int) -> str:
    return f"public, max-age={max_age}" if max_age > 0 else "no-cache"


class CacheHeadersMiddleware:
    def __init__(self, app: ASGIApp, html_max_age: int = 60) -> None:
        self.app = app
        self.html = html_cache_control(html_max_age)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hashed_asset = scope["path"].startswith("/assets/")

        async def send_with_cache_control(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in CACHEABLE:
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    if hashed_asset:
                        headers["Cache-Control"] = IMMUTABLE
                    elif headers.get("content-type", "").startswith("text/html"):
                        headers["Cache-Control"] = self.html
            await send(message)

        await self.app(scope, receive, send_with_cache_control)


def etag_of(body: bytes) -> str:
    """A weak validator: the same page sent as identity, gzip or brotli bytes keeps one ETag."""
    return 'W/"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def html_page(request: Request, text: str, status: int = 200, max_age: int = 60) -> Response:
    """An HTML answer with a strong ETag of its bytes; a matching If-None-Match gets a 304."""
    body = text.encode("utf-8")
    headers = {"ETag": etag_of(body), "Cache-Control": html_cache_control(max_age), "Vary": "Accept-Encoding"}
    if status == 200 and headers["ETag"].removeprefix("W/") in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return HTMLResponse(body, status_code=status, headers=headers)


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
