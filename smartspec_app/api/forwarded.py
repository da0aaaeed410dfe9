"""What a request says about itself through the reverse proxies in front: one trust rule for every header.

With TRUSTED_PROXIES = n, each of the n proxies appends what it saw to X-Forwarded-For (and
X-Forwarded-Proto), so the n-th entry from the right is the one the outermost trusted proxy wrote;
anything to its left came from the client and may be forged. With 0 (the default) the headers are
ignored and the socket's own peer and scheme count. Rate limits read the address this way
(api/rate_limits.py), HSTS and the websocket's origin check the scheme (api/security_headers.py,
api/origins.py).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import Scope

from smartspec_app.settings import get_settings

SECURE_SCHEMES = ("https", "wss")


def trusted_entry(header: str, hops: int) -> str | None:
    """The entry of a comma-separated forwarded header the outermost of `hops` trusted proxies wrote
    (None: no proxy is trusted, or the header is empty). A proxy that sets the header instead of
    appending leaves fewer entries: then the first is its own."""
    if hops <= 0:
        return None
    entries = [part.strip() for part in header.split(",") if part.strip()]
    if not entries:
        return None
    return entries[-hops] if len(entries) >= hops else entries[0]


def request_scheme(scope: Scope) -> str:
    """How the client reached the site, "https" or "http": the trusted proxy's X-Forwarded-Proto, else
    the connection's own scheme (a websocket's wss counts as https)."""
    forwarded = trusted_entry(Headers(scope=scope).get("x-forwarded-proto", ""), get_settings().trusted_proxies)
    scheme = (forwarded or scope.get("scheme", "http")).lower()
    return "https" if scheme in SECURE_SCHEMES else "http"


def is_https(scope: Scope) -> bool:
    return request_scheme(scope) == "https"
