"""One JSON error shape for the REST API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from smartspec_app.services.errors import RateLimited, SmartSpecError


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


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
        problems = [{"field": ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]} for e in exc.errors()]
        first = problems[0] if problems else {"field": "", "message": "invalid request"}
        return JSONResponse(
            error_body("validation_error", f"{first['field']}: {first['message']}", {"problems": problems}),
            status_code=422,
        )
