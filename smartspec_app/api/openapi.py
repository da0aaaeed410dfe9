"""The OpenAPI document at /api/openapi.json: the Bearer security scheme (the docs page's
Authorize button) on the routes that read a token, instead of a raw `authorization` header parameter,
and every status each route can answer, in the API's one error shape.

Routes list the statuses of their own logic (`schemas.error_responses`); the ones that follow from
what a route is are added here, so they cannot be forgotten: 400 and 413 with a request body
(unreadable JSON, over MAX_REQUEST_BYTES), 401 when it reads the token, 403 on admin routes, 404 with
a path parameter (nothing is named with a control character), 422 with any input, and 429 under the
rate limits (api/rate_limits.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from smartspec_app.api import deps
from smartspec_app.api.rate_limits import is_limited
from smartspec_app.api.schemas import ERROR_WORDS

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


def _is_authorization_header(parameter: dict[str, Any]) -> bool:
    return parameter["in"] == "header" and parameter["name"].lower() == "authorization"


def _auth_of(route: Any) -> str | None:
    """ "admin", "required", "optional" or None: how the route reads the Bearer token."""
    if _uses(route.dependant, deps.require_admin):
        return "admin"
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


def _error(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_WORDS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }


def _add_statuses(operation: dict[str, Any], path: str, auth: str | None) -> None:
    """The statuses that follow from what the route is (see the module's docstring)."""
    responses = operation.setdefault("responses", {})
    statuses = set()
    if "requestBody" in operation:
        statuses |= {400, 413}
    if auth is not None:
        statuses.add(401)
    if auth == "admin":
        statuses.add(403)
    if "{" in path:
        statuses.add(404)
    if _takes_checked_input(operation):
        statuses.add(422)
    else:
        responses.pop("422", None)  # FastAPI adds it for any parameter, a plain path segment included
    if is_limited(path):
        statuses.add(429)
    for status in sorted(statuses):
        responses.setdefault(str(status), _error(status))
    if "422" in responses:  # FastAPI documents its own validation error shape; ours is ErrorResponse
        responses["422"] = _error(422)


def _takes_checked_input(operation: dict[str, Any]) -> bool:
    """Whether some input of the operation can fail validation: a body, a query or header parameter,
    or a path parameter with more to it than being a string."""
    if "requestBody" in operation:
        return True
    for parameter in operation.get("parameters", []):
        rules = {k for k in parameter.get("schema", {}) if k not in ("title", "description")}
        if parameter["in"] != "path" or rules != {"type"} or parameter["schema"]["type"] != "string":
            return True
    return False


def _drop_unused_validation_schemas(schema: dict[str, Any]) -> None:
    """FastAPI's own 422 schemas, once no response refers to them (HTTPValidationError first: it uses the other)."""
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        rest = {"paths": schema.get("paths", {}), "schemas": {k: v for k, v in components.items() if k != name}}
        if f'"#/components/schemas/{name}"' not in json.dumps(rest):
            components.pop(name, None)


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
            for method in route.methods or ():
                operation = schema.get("paths", {}).get(route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                if auth is not None:
                    params = [p for p in operation.get("parameters", []) if not _is_authorization_header(p)]
                    if params:
                        operation["parameters"] = params
                    else:
                        operation.pop("parameters", None)
                    operation["security"] = [{SCHEME: []}, {}] if auth == "optional" else [{SCHEME: []}]
                _add_statuses(operation, route.path_format, auth)
        _drop_unused_validation_schemas(schema)
        _add_links(schema)
        api.openapi_schema = schema
        return schema

    api.openapi = openapi  # type: ignore[method-assign]
