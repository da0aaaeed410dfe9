"""One JSON error shape for the REST API: {"error": {"code", "message", "details"}}.

Service errors (SmartSpecError) keep their status and code; FastAPI's own errors (bad JSON,
failed request validation, HTTPException) and unexpected ones (500) are put in the same shape.
`ApiRouteFallback` makes unknown /api/ paths a JSON 404 and a wrong method a JSON 405.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from smartspec_app.services.errors import RateLimited, SmartSpecError
from smartspec_app.services.text_rules import has_refused

PROBE_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
KNOWN_ROUTED_MAX = 4096
DISCRIMINATORS = ("model_id", "action")  # the fields that tell the branches of a request body's union apart
STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
}


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def code_for_status(status: int) -> str:
    """The error code of an HTTP status: the table above, else the status phrase in snake case."""
    if status in STATUS_CODES:
        return STATUS_CODES[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def error_response(status: int, message: str, details: dict | None = None, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(error_body(code_for_status(status), message, details), status_code=status, headers=headers)


def _field(loc: tuple | list, body: object = None) -> str:
    """'body.parameters.steps' -> 'parameters.steps'; query and path parameters keep their name.

    A body told apart by a discriminator (POST /api/generation/generate: one schema per model, by
    `model_id`; the admin's bulk action, by `action`) has the branch's tag in the path too:
    ('body', 'nano-banana-pro', 'prompt') -> 'prompt'."""
    parts = list(loc[1:]) if len(loc) > 1 else list(loc)
    if len(parts) > 1 and loc[0] == "body" and isinstance(body, dict) and any(body.get(key) == parts[0] for key in DISCRIMINATORS):
        parts = parts[1:]
    return ".".join(str(p) for p in parts)


def _problem(error: dict, body: object) -> dict[str, str]:
    """One failed check of a request as {"field", "message"}, in words for people."""
    kind, ctx = error.get("type"), error.get("ctx") or {}
    if kind in ("union_tag_invalid", "union_tag_not_found"):  # the discriminator itself is missing or unknown
        field = str(ctx.get("discriminator", "")).strip("'")
        if kind == "union_tag_not_found":
            return {"field": field, "message": "Field required"}
        return {"field": field, "message": f"unknown value {ctx.get('tag')!r}; one of {ctx.get('expected_tags')}"}
    message = "unknown field" if kind == "extra_forbidden" else error["msg"]
    return {"field": _field(error["loc"], body), "message": message}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SmartSpecError)
    async def _smartspec_error(_request: Request, exc: SmartSpecError) -> JSONResponse:
        details = dict(exc.details)
        if exc.field:
            details["field"] = exc.field
        headers = {}
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            headers["Retry-After"] = str(int(exc.retry_after + 0.999))
        return JSONResponse(error_body(exc.code, exc.message, details), status_code=exc.http_status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "The request body is not valid JSON", {"problems": [{"message": e["msg"]} for e in errors]})
        problems = [_problem(e, exc.body) for e in errors]
        first = problems[0] if problems else {"field": "", "message": "invalid request"}
        return JSONResponse(
            error_body(
                "validation_error",
                f"{first['field']}: {first['message']}" if first["field"] else first["message"],
                {"field": first["field"], "problems": problems},
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        details = getattr(exc, "details", None)  # body_limit.BodyTooLarge carries max_bytes
        return error_response(exc.status_code, str(exc.detail), details, headers=dict(exc.headers or {}))

    @app.exception_handler(ValueError)
    async def _nul_in_text(_request: Request, exc: ValueError) -> JSONResponse:
        # PostgreSQL text cannot hold NUL characters; psycopg2 refuses them before the query runs
        if "NUL (0x00)" not in str(exc):
            raise exc
        return error_response(422, "Text must not contain NUL (0x00) characters", {"field": ""})

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        # Starlette's ServerErrorMiddleware sends this, then re-raises so the server logs the traceback
        return error_response(500, "Something went wrong on our side; it has been logged")


class ApiRouteFallback:
    """Answers /api/ requests that no route takes: 404, or 405 with Allow when only the method is wrong.
    A path with a control character in it (a decoded %00, say) is a 404 too, on every database.

    Without it those requests would fall through to Reflex, which build_api's app mounts at ""
    after every route (rx.App(api_transformer=...)), and get the web app's page instead of JSON.
    Routes are read at request time, so routers included after this middleware are seen too."""

    def __init__(self, app: ASGIApp, router: Router, prefix: str = "/api/") -> None:
        self.app = app
        self.router = router
        self.prefix = prefix
        self._known_routed: set[tuple[str, str]] = set()  # only touched on the event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            if has_refused(scope["path"]):  # no route, task, item or token is named with one (and PostgreSQL cannot compare it)
                await error_response(404, "Nothing is named with a control character")(scope, receive, send)
                return
            allowed = self._methods_if_unrouted(scope)
            if allowed is not None:
                if allowed:
                    response = error_response(
                        405,
                        f"{scope['method']} is not allowed here; use {', '.join(sorted(allowed))}",
                        {"allowed": sorted(allowed)},
                        headers={"Allow": ", ".join(sorted(allowed))},
                    )
                else:
                    response = error_response(404, f"No API route at {scope['path']}")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _methods_if_unrouted(self, scope: Scope) -> set[str] | None:
        """None when a route takes the request; else the methods the path would accept (maybe none)."""
        if self._routed(scope):
            return None
        return {m for m in PROBE_METHODS if m != scope["method"] and self._routed({**scope, "method": m})}

    def _routed(self, scope: Scope) -> bool:
        """Some route (Reflex's catch-all and /media aside) fully matches path and method.

        FastAPI nests included routers, so each route is asked through the public `matches`.
        Routes are only ever added, so a (method, path) once routed stays routed: those are
        remembered (up to KNOWN_ROUTED_MAX) and the busy paths skip the walk over every route."""
        key = (scope["method"], scope["path"])
        if key in self._known_routed:
            return True
        for route in self.router.routes:
            if isinstance(route, Mount) and not route.path.startswith(self.prefix.rstrip("/")):
                continue
            if route.matches(scope)[0] == Match.FULL:
                if len(self._known_routed) >= KNOWN_ROUTED_MAX:
                    self._known_routed.clear()
                self._known_routed.add(key)
                return True
        return False
