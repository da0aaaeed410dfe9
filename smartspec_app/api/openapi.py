"""The OpenAPI document at /api/openapi.json: the Bearer security scheme (the docs page's
Authorize button) on the routes that read a token, instead of a raw `authorization` header parameter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from smartspec_app.api import deps

SCHEME = "bearerAuth"
DESCRIPTION = """\
The REST API of SmartSpec Pro: start image, video and speech generations, follow your tasks,
and read, share and like gallery items. The generated SDKs (Python, JavaScript) wrap these routes.

**Authentication**: `Authorization: Bearer <token>` with an API token from the Account page
(or a browser session token). A token that is sent but malformed, unknown or revoked is a 401.

**Errors** always have the shape `{"error": {"code", "message", "details"}}`; a validation error
names the input in `details.field`.

**Rate limits**: RATE_LIMIT_USER per signed-in user (default 100/minute) and RATE_LIMIT_ANONYMOUS
per client address (default 10/minute). Answers carry `X-RateLimit-Limit`, `X-RateLimit-Remaining`
and `X-RateLimit-Reset` (epoch seconds); a 429 carries `Retry-After` (seconds).
"""


def _uses(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return dependant.call is call or any(_uses(sub, call) for sub in dependant.dependencies)


def _auth_of(route: Any) -> str | None:
    """ "required", "optional" or None: how the route reads the Bearer token."""
    if _uses(route.dependant, deps.require_user):
        return "required"
    if _uses(route.dependant, deps.bearer_token):
        return "optional"
    return None


# What a client does next with what an answer gave it (OpenAPI links; stateful fuzzing follows them):
# (source path, method, status) -> {link name: (target path, method, {parameter: runtime expression})}
LINKS: dict[tuple[str, str, str], dict[str, tuple[str, str, dict[str, str]]]] = {
    ("/api/generation/generate", "post", "202"): {
        "GetTask": ("/api/generation/tasks/{task_id}", "get", {"task_id": "$response.body#/id"}),
    },
    ("/api/gallery", "post", "201"): {
        "GetItem": ("/api/gallery/item/{item_id}", "get", {"item_id": "$response.body#/id"}),
        "LikeItem": ("/api/gallery/item/{item_id}/like", "post", {"item_id": "$response.body#/id"}),
        "UnlikeItem": ("/api/gallery/item/{item_id}/like", "delete", {"item_id": "$response.body#/id"}),
        "ReportItem": ("/api/gallery/item/{item_id}/report", "post", {"item_id": "$response.body#/id"}),
    },
    ("/api/gallery/item/{item_id}/like", "post", "200"): {
        "GetLikedItem": ("/api/gallery/item/{item_id}", "get", {"item_id": "$response.body#/item_id"}),
    },
}


def _add_links(schema: dict[str, Any]) -> None:
    paths = schema.get("paths", {})
    for (path, method, status), links in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        response["links"] = {
            name: {"operationId": paths[target][target_method]["operationId"], "parameters": parameters}
            for name, (target, target_method, parameters) in links.items()
            if target_method in paths.get(target, {})
        }


def install_openapi(api: FastAPI) -> None:
    """Describe the Bearer scheme and mark each route's use of it (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if api.openapi_schema:
            return api.openapi_schema
        schema = get_openapi(title=api.title, version=api.version, description=DESCRIPTION, routes=api.routes, tags=api.openapi_tags)
        schema.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from the Account page (or a session token).",
        }
        for route in iter_route_contexts(api.routes):  # FastAPI keeps included routers nested
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            auth = _auth_of(route)
            if auth is None:
                continue
            for method in route.methods or ():
                operation = schema.get("paths", {}).get(route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                params = [p for p in operation.get("parameters", []) if not (p["in"] == "header" and p["name"].lower() == "authorization")]
                if params:
                    operation["parameters"] = params
                else:
                    operation.pop("parameters", None)
                operation["security"] = [{SCHEME: []}] if auth == "required" else [{SCHEME: []}, {}]
        _add_links(schema)
        api.openapi_schema = schema
        return schema

    api.openapi = openapi  # type: ignore[method-assign]
