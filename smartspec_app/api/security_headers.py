"""Security headers on every answer the server makes (Reflex's pages and build included: it mounts
them inside the FastAPI app, so this middleware sees them).

Every answer:
- `X-Content-Type-Options: nosniff`: a JSON answer or an uploaded file is never run as a script.
- `Referrer-Policy: strict-origin-when-cross-origin` unless the route chose one: other sites learn
  only our origin from a link. Unlisted gallery items (whose URL is the secret) and signed media
  URLs set `no-referrer` themselves (api/gallery_pages.py, api/media.py).
- `Strict-Transport-Security` when the client came over HTTPS (directly, or per the trusted
  proxy's X-Forwarded-Proto: api/forwarded.py), HSTS_SECONDS long; never over plain HTTP, where
  browsers ignore it and a proxy-less test set-up must stay reachable.

HTML answers: the Content-Security-Policy (api/content_security.py), `X-Frame-Options: DENY` for
browsers older than frame-ancestors, and a Permissions-Policy turning off the powerful features the
app never uses (camera, microphone, geolocation, payment, USB, ...; fullscreen and
picture-in-picture stay for the app's own video player).

API answers (/api/ and the sandbox's API) get `Cache-Control: no-store` unless the route set its
own: tasks, credits, admin data, tokens and signed media URLs must stay out of every cache and the
browser's history. The few that are the same for everyone and carry no signed URL are left alone
(`PUBLIC_API`): the health check, the model catalogue, the public gallery listing (listed items
only, with their public URLs) and the API's documentation. The SDK route sets its own (no-store
when it fills in a token).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartspec_app.api import content_security
from smartspec_app.api.content_security import BuildScriptHashes
from smartspec_app.api.forwarded import is_https
from smartspec_app.settings import get_settings

REFERRER_POLICY = "strict-origin-when-cross-origin"
PERMISSIONS_POLICY = ", ".join(
    f"{feature}={allow}"
    for feature, allow in (
        ("accelerometer", "()"),
        ("camera", "()"),
        ("display-capture", "()"),
        ("fullscreen", "(self)"),
        ("geolocation", "()"),
        ("gyroscope", "()"),
        ("magnetometer", "()"),
        ("microphone", "()"),
        ("midi", "()"),
        ("payment", "()"),
        ("picture-in-picture", "(self)"),
        ("publickey-credentials-get", "()"),
        ("screen-wake-lock", "()"),
        ("usb", "()"),
        ("xr-spatial-tracking", "()"),
    )
)
PRIVATE_PREFIXES = ("/api/", "/sandbox/kie/api/")
PUBLIC_API = frozenset({"/api/health", "/api/generation/models", "/api/gallery", "/api/openapi.json"})
DOCS_PREFIX = "/api/docs"


def is_private_api(path: str) -> bool:
    """An API path whose answers may carry private data or signed URLs (see the module docstring)."""
    return path.startswith(PRIVATE_PREFIXES) and path not in PUBLIC_API and not path.startswith(DOCS_PREFIX)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, script_hashes: BuildScriptHashes | None = None) -> None:
        self.app = app
        self.script_hashes = script_hashes or BuildScriptHashes(get_settings().resolved_spa_build_dir)

    def page_policy(self) -> str:
        settings = get_settings()
        return content_security.policy(self.script_hashes.hashes(), content_security.media_origins(settings))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        https = is_https(scope)
        if path.startswith(DOCS_PREFIX):
            await self._docs(scope, receive, send, https)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._common(headers, https)
                if _is_html(headers):
                    self._html(headers, self.page_policy())
                if "cache-control" not in headers and is_private_api(path):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _common(self, headers: MutableHeaders, https: bool) -> None:
        headers["X-Content-Type-Options"] = "nosniff"
        headers.setdefault("Referrer-Policy", REFERRER_POLICY)
        seconds = get_settings().hsts_seconds
        if https and seconds > 0:
            headers["Strict-Transport-Security"] = f"max-age={seconds}"

    @staticmethod
    def _html(headers: MutableHeaders, csp: str) -> None:
        headers.setdefault("Content-Security-Policy", csp)
        headers["X-Frame-Options"] = "DENY"
        headers["Permissions-Policy"] = PERMISSIONS_POLICY

    async def _docs(self, scope: Scope, receive: Receive, send: Send, https: bool) -> None:
        """FastAPI's docs pages: small and generated, held whole so their inline scripts can be hashed."""
        start: Message | None = None
        body: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            headers = MutableHeaders(scope=start)
            self._common(headers, https)
            if _is_html(headers):
                readable = "content-encoding" not in headers  # an encoded page gets no hashes: its inline scripts stay off
                self._html(headers, content_security.docs_policy(b"".join(body).decode("utf-8", "replace") if readable else ""))
            await send(start)
            await send({"type": "http.response.body", "body": b"".join(body), "more_body": False})

        await self.app(scope, receive, hold)


def _is_html(headers: MutableHeaders) -> bool:
    return headers.get("content-type", "").startswith("text/html")
