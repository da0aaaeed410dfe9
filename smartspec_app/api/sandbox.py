"""The kie.ai sandbox's HTTP face: the same paths and envelopes as api.kie.ai, under /sandbox/kie.

It serves this app only (services/sandbox_access.py): every call needs the sandbox secret as its
Bearer key, result files a signature made from it, and callbacks go only to this app's own callback
route. createTask inputs are checked as kie.ai documents each model (catalog.check_kie_input), with
kie.ai's 422 envelope for what kie.ai would refuse. Faults asked for by prompt markers
(services/sandbox_faults.py) are applied here, and the callback is POSTed when a job ends, as kie.ai does.
Not mounted at all when the operator switches it off (SANDBOX_ENABLED, see README).
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from typing import Any

import httpx
from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from sqlmodel import Session

from smartspec_app.models import SandboxJob
from smartspec_app.services import catalog, sandbox, sandbox_access, sandbox_faults
from smartspec_app.services.db import session_scope
from smartspec_app.services.tls import client_tls
from smartspec_app.settings import get_settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/sandbox/kie", include_in_schema=False)
SMALL_FILE_BYTES = 8 * 1024 * 1024  # result files up to this size are served from memory
_BEFORE_RECORD = {"slow", "slowrecord", "malformed", "record500"}  # recordInfo faults that act before the record is read
RENDER_LEAD_FRACTION, RENDER_LEAD_MAX_SECONDS = 0.2, 5.0  # how long before a job is due its result is rendered
_callbacks: set[asyncio.Task] = set()  # keep references so pending callbacks are not collected
# One callback client per event loop, so callbacks reuse kept-alive connections to this app instead of
# connecting for each job (a connect per callback was most of the sandbox's event-loop time with
# hundreds of jobs in flight). Keyed by loop: an httpx client belongs to the loop it first ran on.
_callback_clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}


def _envelope(code: int, msg: str, data: Any = None) -> JSONResponse:
    return JSONResponse({"code": code, "msg": msg, "data": data})


def _files_dir():
    return get_settings().data_dir / "sandbox"


def _secret() -> str:
    settings = get_settings()
    return sandbox_access.sandbox_secret(settings.sandbox_secret, settings.data_dir)


def _authorized(authorization: str | None) -> bool:
    return sandbox_access.is_own_authorization(authorization, _secret())


def _timing() -> sandbox.SandboxTiming:
    settings = get_settings()
    return sandbox.SandboxTiming(settings.sandbox_seconds_image, settings.sandbox_seconds_video, settings.sandbox_seconds_speech)


def _files_base(request: Request) -> str:
    return str(request.url_for("sandbox_file", name="x")).rsplit("/", 1)[0]


async def _maybe_slow(faults: dict[str, int]) -> None:
    if "slow" in faults:
        await asyncio.sleep(get_settings().sandbox_slow_seconds)


@router.post("/api/v1/jobs/createTask")
async def create_task(request: Request, authorization: str | None = Header(None)) -> Response:
    if not _authorized(authorization):
        return _envelope(401, "You do not have access permissions")
    try:
        body = await request.json()
    except ValueError:
        return _envelope(422, "The request body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not isinstance(body.get("input"), dict):
        return _envelope(422, "model (string) and input (object) are required")
    callback_url = body.get("callBackUrl")
    if callback_url is not None and not (
        isinstance(callback_url, str) and sandbox_access.is_own_callback_url(callback_url, get_settings().resolved_internal_url)
    ):
        return _envelope(422, "callBackUrl must be this app's own callback route (the sandbox calls nothing else)")
    try:
        catalog.check_kie_input(body["model"], body["input"])
    except catalog.KieInputError as exc:
        return _envelope(422, str(exc))
    prompt = sandbox.prompt_of(body["input"])
    faults = sandbox_faults.parse_faults(prompt)
    await _maybe_slow(faults)
    fire = sandbox_faults.counter.fire
    if fire(prompt, "http500", faults):
        return PlainTextResponse("<html><body>Internal Server Error</body></html>", status_code=500)
    if fire(prompt, "500", faults):
        return _envelope(500, "Server error (sandbox fault [sandbox:500])")
    if fire(prompt, "429", faults):
        return _envelope(429, "Too many requests (sandbox fault [sandbox:429])")

    def _create() -> SandboxJob:
        with session_scope() as session:
            return sandbox.create_job(session, body["model"], body["input"], callback_url, _timing())

    job = await run_in_threadpool(_create)
    if callback_url and "nocallback" not in faults:
        task = asyncio.create_task(_send_callback(job.id, job.duration_seconds, _files_base(request)))
        _callbacks.add(task)
        task.add_done_callback(_callbacks.discard)
    return _envelope(200, "success", {"taskId": job.id})


def _read_record(job_id: str, files_base: str) -> tuple[dict, str | None] | None:
    """The job's record as recordInfo answers it, and its callBackUrl; None for an unknown job."""
    with session_scope() as session:
        job = session.get(SandboxJob, job_id)
        if job is None:
            return None
        return _record_of(session, job, files_base), job.callback_url


def _record_of(session: Session, job: SandboxJob, files_base: str) -> dict:
    secret = _secret()
    return sandbox.record_info(session, job, _files_dir(), files_base, sign=lambda name: sandbox_access.file_signature(name, secret))


def _render_ahead(job_id: str) -> None:
    with session_scope() as session:
        job = session.get(SandboxJob, job_id)
        if job is not None:
            sandbox.render_ahead(session, job, _files_dir())


async def _send_callback(job_id: str, after_seconds: float, files_base: str) -> None:
    """When the job is due, POST its record to callBackUrl (as kie.ai does; delivery is best effort).
    The result is rendered a little before, so the callback follows the job's end at once."""
    lead = min(after_seconds * RENDER_LEAD_FRACTION, RENDER_LEAD_MAX_SECONDS)
    due = asyncio.get_running_loop().time() + after_seconds + 0.05
    await asyncio.sleep(after_seconds - lead)
    try:
        await run_in_threadpool(_render_ahead, job_id)
    except Exception as exc:  # rendered again (and failed visibly) when the record is read
        log.warning("sandbox render ahead for %s failed: %s", job_id, exc)
    await asyncio.sleep(max(0.0, due - asyncio.get_running_loop().time()))
    try:
        found = await run_in_threadpool(_read_record, job_id, files_base)
        if found is None:
            return
        record, url = found
        code, msg = (200, "success") if record.get("state") == "success" else (501, record.get("failMsg") or "failed")
        if not sandbox_access.is_own_callback_url(url, get_settings().resolved_internal_url):
            return  # checked at createTask; checked again in case the setting changed since
        await _callback_client().post(url, json={"code": code, "msg": msg, "data": record})
    except Exception as exc:  # a lost callback is what polling is for
        log.warning("sandbox callback for %s failed: %s", job_id, exc)


def _callback_client() -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    client = _callback_clients.get(loop)
    if client is None:
        for old in [old for old in _callback_clients if old.is_closed()]:  # loops of finished test apps
            del _callback_clients[old]
        client = _callback_clients[loop] = httpx.AsyncClient(timeout=10, follow_redirects=False, verify=client_tls())
    return client


async def close_callback_client() -> None:
    """Close this loop's callback client (the app's shutdown)."""
    client = _callback_clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


@router.get("/api/v1/jobs/recordInfo")
async def record_info(request: Request, taskId: str = "", authorization: str | None = Header(None)) -> Response:  # noqa: N803
    if not _authorized(authorization):
        return _envelope(401, "You do not have access permissions")

    files_base = _files_base(request)
    found = await run_in_threadpool(_faults_and_record, taskId, files_base)
    if found is None:
        return _envelope(404, f"Task {taskId} not found")
    faults, record = found
    if record is not None:  # no fault acts before the record: the one read answers
        return _envelope(200, "success", record)
    await _maybe_slow(faults)
    if "slowrecord" in faults:
        await asyncio.sleep(get_settings().sandbox_slow_seconds)
    if sandbox_faults.counter.fire(taskId, "malformed", faults):
        return PlainTextResponse("<html>upstream hiccup</html>", status_code=200, media_type="application/json")
    if sandbox_faults.counter.fire(taskId, "record500", faults):
        return _envelope(500, "Server error (sandbox fault [sandbox:record500])")
    found_record = await run_in_threadpool(_read_record, taskId, files_base)
    return _envelope(200, "success", found_record[0] if found_record else None)


def _faults_and_record(job_id: str, files_base: str) -> tuple[dict[str, int], dict | None] | None:
    """A job's faults, and its record unless one of them acts before the record is read (then None:
    the caller reads the record after the fault); None for an unknown job. One read serves the common
    case, and a record is asked for every few seconds for every job in flight."""
    with session_scope() as session:
        job = session.get(SandboxJob, job_id)
        if job is None:
            return None
        faults = sandbox_faults.decode(job.fault)
        return faults, None if faults.keys() & _BEFORE_RECORD else _record_of(session, job, files_base)


@router.get("/api/v1/chat/credit")
async def credit(authorization: str | None = Header(None)) -> JSONResponse:
    if not _authorized(authorization):
        return _envelope(401, "You do not have access permissions")
    return _envelope(200, "success", 1000)


@router.get("/files/{name}", name="sandbox_file")
async def sandbox_file(name: str, sig: str = "") -> Response:
    path = _files_dir() / name
    if not sandbox_access.is_valid_file_signature(name, sig, _secret()) or "/" in name or name.startswith(".") or not path.is_file():
        return JSONResponse({"detail": "expired or unknown file"}, status_code=404)

    def _expired_or_read() -> tuple[bool, bytes | None]:
        """Whether the link has expired, else a small file's bytes: one thread hop, where a
        FileResponse takes one per stat, open and chunk (every result is fetched once, at once)."""
        with session_scope() as session:
            job = session.get(SandboxJob, sandbox.job_id_of(name))
            if job is not None and "expired" in sandbox_faults.decode(job.fault):
                return True, None
        return False, path.read_bytes() if path.stat().st_size <= SMALL_FILE_BYTES else None

    expired, data = await run_in_threadpool(_expired_or_read)
    if expired:
        return JSONResponse({"detail": "this link has expired"}, status_code=410)
    if data is not None:
        return Response(data, media_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    return FileResponse(path)
