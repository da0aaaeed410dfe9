"""What a request says about itself through the reverse proxies in front: one trust rule for every header.

With TRUSTED_PROXIES = n, each of the n proxies appends what it saw to X-Forwarded-For (and
X-Forwarded-Proto), so the n-th entry from the right is the one the outermost trusted proxy wrote;
anything to its left came from the client and may be forged. With 0 (the default) the headers are
ignored and the socket's own peer and scheme count. The rule itself is services/client_address.py,
which the pages use too; rate limits read the address by it (api/rate_limits.py), HSTS and the
websocket's origin check the scheme (api/security_headers.py, api/origins.py).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import Scope

from smartspec_app.services.client_address import trusted_entry
from smartspec_app.settings import get_settings

SECURE_SCHEMES = ("https", "wss")


def request_scheme(scope: Scope) -> str:
    """How the client reached the site, "https" or "http": the trusted proxy's X-Forwarded-Proto, else
    the connection's own scheme (a websocket's wss counts as https)."""
    forwarded = trusted_entry(Headers(scope=scope).get("x-forwarded-proto", ""), get_settings().trusted_proxies)
    scheme = (forwarded or scope.get("scheme", "http")).lower()
    return "https" if scheme in SECURE_SCHEMES else "http"


def is_https(scope: Scope) -> bool:
    return request_scheme(scope) == "https"
