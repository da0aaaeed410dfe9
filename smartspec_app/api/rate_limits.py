"""Rate limits on the REST API, as ASGI middleware on the FastAPI app (services/rate_limit.py counts).

Every request under /api/ counts, except the paths in EXEMPT_PREFIXES: the health check, the
provider callback and the API's own docs. Requests to the kie.ai sandbox (/sandbox/kie) count
as anonymous ones unless they are this app's own (the sandbox secret, or a signed result file:
services/sandbox_access.py), so nobody else can use it beyond the anonymous budget. Everything
else the app serves (/media, the server-rendered gallery pages, and Reflex's websocket, upload
and static routes) never counts.

A request with a valid Bearer token counts against its user (RATE_LIMIT_USER); one without, or
with a token that is not valid, against the client's address (RATE_LIMIT_ANONYMOUS). The answer
carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset; a refused request gets
429 with Retry-After in the API's error shape. Being path-based, routers added later (admin, SDK)
are covered without extra wiring.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartspec_app.api.deps import user_for_bearer
from smartspec_app.api.errors import error_body
from smartspec_app.services import sandbox_access
from smartspec_app.services.client_address import client_address as address_rule
from smartspec_app.services.errors import AuthenticationError
from smartspec_app.services.rate_limit import RateDecision, RateLimiter, get_limiter
from smartspec_app.settings import get_settings

LIMITED_PREFIXES = ("/api/", "/sandbox/")
EXEMPT_PREFIXES = ("/api/health", "/api/generation/callback/", "/api/docs", "/api/openapi.json")


def is_limited(path: str) -> bool:
    """Whether requests to this path count against a rate limit."""
    return path.startswith(LIMITED_PREFIXES) and not path.startswith(EXEMPT_PREFIXES)


def is_own_sandbox_call(request: Request) -> bool:
    """A sandbox request made by this app itself: its secret as Bearer key, or a signed file URL."""
    if not request.url.path.startswith("/sandbox/"):
        return False
    settings = get_settings()
    secret = sandbox_access.sandbox_secret(settings.sandbox_secret, settings.data_dir)
    if sandbox_access.is_own_authorization(request.headers.get("authorization"), secret):
        return True
    name = request.url.path.rsplit("/", 1)[-1]
    return "/files/" in request.url.path and sandbox_access.is_valid_file_signature(name, request.query_params.get("sig"), secret)


def client_address(request: Request) -> str:
    """The caller's address: the socket peer, or behind TRUSTED_PROXIES the address the outermost
    trusted proxy saw (services/client_address.py, the rule the pages use too)."""
    peer = request.client.host if request.client else "unknown"
    return address_rule(peer, request.headers.get("x-forwarded-for", ""), get_settings().trusted_proxies)


def _user_id(request: Request) -> int | None:
    """The user behind a valid Bearer token; None for no token or one that does not work
    (the route itself then answers 401; the attempt still counts against the address)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return user_for_bearer(token.strip()).id
    except AuthenticationError:
        return None


def count_request(request: Request, limiter: RateLimiter) -> RateDecision:
    """Count one API request against its user or its client address (sandbox requests: the address)."""
    user_id = None if request.url.path.startswith("/sandbox/") else _user_id(request)
    return limiter.hit_user(user_id) if user_id is not None else limiter.hit_anonymous(client_address(request))


class RateLimitMiddleware:
    """Counts /api/ requests, refuses those over the limit, and stamps X-RateLimit-* headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_limited(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if is_own_sandbox_call(request):
            await self.app(scope, receive, send)
            return
        limiter = get_limiter()
        if limiter.in_process and "authorization" not in request.headers:
            decision = count_request(request, limiter)  # in-memory counting, no token to look up: no I/O, no thread hop
        else:
            decision = await run_in_threadpool(count_request, request, limiter)  # a token lookup or Redis: blocking I/O
        if not decision.allowed:
            error = decision.error()
            body = error_body(error.code, error.message, error.details)
            await JSONResponse(body, status_code=error.http_status, headers=decision.headers())(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in decision.headers().items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
