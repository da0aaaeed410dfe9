"""The kie.ai sandbox's HTTP face: the same paths and envelopes as api.kie.ai, under /sandbox/kie."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from smartspec_app.models import SandboxJob
from smartspec_app.services import sandbox
from smartspec_app.services.db import session_scope
from smartspec_app.settings import get_settings

router = APIRouter(prefix="/sandbox/kie", include_in_schema=False)


def _envelope(code: int, msg: str, data: Any = None) -> JSONResponse:
    return JSONResponse({"code": code, "msg": msg, "data": data})


def _files_dir():
    return get_settings().data_dir / "sandbox"


def _authorized(authorization: str | None) -> bool:
    return bool(authorization and authorization.startswith("Bearer ") and len(authorization) > 7)


@router.post("/api/v1/jobs/createTask")
async def create_task(request: Request, authorization: str | None = Header(None)) -> JSONResponse:
    if not _authorized(authorization):
        return _envelope(401, "You do not have access permissions")
    try:
        body = await request.json()
    except ValueError:
        return _envelope(422, "The request body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not isinstance(body.get("input"), dict):
        return _envelope(422, "model (string) and input (object) are required")
    settings = get_settings()
    timing = sandbox.SandboxTiming(settings.sandbox_seconds_image, settings.sandbox_seconds_video, settings.sandbox_seconds_speech)

    def _create() -> str:
        with session_scope() as session:
            return sandbox.create_job(session, body["model"], body["input"], body.get("callBackUrl"), timing).id

    return _envelope(200, "success", {"taskId": await run_in_threadpool(_create)})


@router.get("/api/v1/jobs/recordInfo")
async def record_info(request: Request, taskId: str = "", authorization: str | None = Header(None)) -> JSONResponse:  # noqa: N803
    if not _authorized(authorization):
        return _envelope(401, "You do not have access permissions")
    files_base = str(request.url_for("sandbox_file", name="x")).rsplit("/", 1)[0]

    def _read() -> dict | None:
        with session_scope() as session:
            job = session.get(SandboxJob, taskId)
            return None if job is None else sandbox.record_info(session, job, _files_dir(), files_base)

    data = await run_in_threadpool(_read)
    if data is None:
        return _envelope(404, f"Task {taskId} not found")
    return _envelope(200, "success", data)


@router.get("/api/v1/chat/credit")
async def credit(authorization: str | None = Header(None)) -> JSONResponse:
    if not _authorized(authorization):
        return _envelope(401, "You do not have access permissions")
    return _envelope(200, "success", 1000)


@router.get("/files/{name}", name="sandbox_file")
async def sandbox_file(name: str):
    path = _files_dir() / name
    if "/" in name or name.startswith(".") or not path.is_file():
        return JSONResponse({"detail": "expired or unknown file"}, status_code=404)
    return FileResponse(path)
