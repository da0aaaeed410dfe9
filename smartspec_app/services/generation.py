"""The generation lifecycle (DESIGN.md): start → submit → watch → store → complete or fail.

`start_generation` validates and writes the row; the worker calls `advance_task` repeatedly
until the task ends. Every step is idempotent and guarded by a lease, so a crash, a restart or
a second worker never loses a task or processes it twice.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from PIL import Image
from sqlalchemy import or_, update
from sqlmodel import Session, col, func, select

from smartspec_app.models import GenerationTask, TaskStatus, User, utcnow
from smartspec_app.services import catalog
from smartspec_app.services.downloads import UrlPolicy, download_result
from smartspec_app.services.errors import NotFound, ProviderError
from smartspec_app.services.providers.base import Provider, ProviderTaskState
from smartspec_app.services.storage import Storage, generation_key, thumbnail_key

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)
DEADLINES = {"image": timedelta(minutes=10), "video": timedelta(minutes=30), "speech": timedelta(minutes=10)}
POLL_FIRST, POLL_FACTOR, POLL_MAX = 0.5, 1.4, 8.0
STATUS_WORDS = {"queued": "Queued at the provider", "generating": "Generating", "unknown": "Waiting for the provider"}


@dataclass(frozen=True)
class WorkerContext:
    """What advancing a task needs; built by the worker, handed in by tests."""

    session_factory: Callable[[], Any]  # a context manager yielding a committed Session
    storage: Storage
    provider_for: Callable[[str], Provider]  # provider name ("kie" | "sandbox") → provider
    url_policy_for: Callable[[str], UrlPolicy]
    max_download_bytes: int
    worker_id: str


def start_generation(
    session: Session,
    user: User,
    task_type: str,
    model_id: str,
    prompt: str,
    parameters: dict[str, Any] | None,
    provider_name: str,
) -> GenerationTask:
    """Validate against the catalog and write a pending task; the caller commits, then enqueues."""
    request = catalog.validate_request(task_type, model_id, prompt, parameters)
    now = utcnow()
    task = GenerationTask(
        user_id=user.id,
        task_type=request.model.task_type,
        model_id=request.model.id,
        prompt=request.prompt,
        parameters=request.parameters,
        provider=provider_name,
        provider_inputs=request.provider_inputs,
        status=TaskStatus.PENDING,
        status_detail="Queued",
        deadline_at=now + DEADLINES[request.model.task_type],
        next_check_at=now,
    )
    session.add(task)
    session.flush()
    return task


def get_task_for_user(session: Session, user: User, task_id: str) -> GenerationTask:
    task = session.get(GenerationTask, task_id)
    if task is None or (task.user_id != user.id and not user.is_admin):
        raise NotFound("No such generation task")
    return task


def list_tasks_for_user(session: Session, user: User, *, limit: int = 20, offset: int = 0) -> tuple[list[GenerationTask], int]:
    return list_tasks_for_user_id(session, user.id, limit=limit, offset=offset)


def list_tasks_for_user_id(session: Session, user_id: int, *, limit: int = 20, offset: int = 0) -> tuple[list[GenerationTask], int]:
    """A user's own tasks, newest first, and how many there are in all."""
    query = select(GenerationTask).where(GenerationTask.user_id == user_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(GenerationTask.created_at).desc()).offset(offset).limit(limit)).all()
    return list(rows), total


def _claim(session: Session, task_id: str, worker_id: str) -> bool:
    now = utcnow()
    result = session.exec(
        update(GenerationTask)
        .where(
            GenerationTask.id == task_id,
            col(GenerationTask.status).in_(TaskStatus.ACTIVE),
            or_(
                col(GenerationTask.lease_expires_at).is_(None),
                col(GenerationTask.lease_expires_at) < now,
                GenerationTask.lease_owner == worker_id,
            ),
        )
        .values(lease_owner=worker_id, lease_expires_at=now + LEASE)
    )
    session.commit()
    return result.rowcount == 1


def _save(ctx: WorkerContext, task_id: str, **values: Any) -> None:
    values.setdefault("updated_at", utcnow())
    with ctx.session_factory() as session:
        session.exec(update(GenerationTask).where(GenerationTask.id == task_id).values(**values))


def _fail(ctx: WorkerContext, task: GenerationTask, message: str) -> None:
    log.info("task %s failed: %s", task.id, message)
    _save(
        ctx,
        task.id,
        status=TaskStatus.FAILED,
        error_message=message[:2000],
        status_detail="Failed",
        completed_at=utcnow(),
        lease_owner=None,
        lease_expires_at=None,
        next_check_at=None,
    )


def advance_task(ctx: WorkerContext, task_id: str) -> float | None:
    """Move one task as far as it can go now. Returns seconds until it should be checked again,
    or None when there is nothing more to do (ended, or another worker holds it)."""
    with ctx.session_factory() as session:
        if not _claim(session, task_id, ctx.worker_id):
            return None
        task = session.get(GenerationTask, task_id)
        session.expunge(task)
    if task.deadline_at and utcnow() > task.deadline_at:
        _fail(ctx, task, f"The provider did not finish this {task.task_type} task in time ({DEADLINES[task.task_type]}); giving up")
        return None
    provider = ctx.provider_for(task.provider)
    try:
        states = asyncio.run(_submit_and_read(ctx, task, provider))
    except ProviderError as exc:
        if exc.retryable:
            return _reschedule(ctx, task, f"Provider busy, retrying: {exc.message}")
        _fail(ctx, task, exc.message)
        return None
    failed = next((s for s in states if s.status == "failed"), None)
    if failed:
        detail = f" (code {failed.error_code})" if failed.error_code else ""
        _fail(ctx, task, f"{failed.error_message or 'The provider reported a failed task'}{detail}")
        return None
    if all(s.status == "success" for s in states):
        _finish(ctx, task, states)
        return None
    known = [s.progress for s in states if s.progress is not None]
    progress = max(task.progress, 10 + int(0.85 * sum(known) / len(states))) if known else max(task.progress, 10)
    word = STATUS_WORDS["generating" if any(s.status == "generating" for s in states) else states[0].status]
    return _reschedule(ctx, task, word, progress=min(progress, 95))


def _reschedule(ctx: WorkerContext, task: GenerationTask, detail: str, progress: int | None = None) -> float:
    delay = min(POLL_MAX, POLL_FIRST * POLL_FACTOR ** min(task.poll_count, 20))
    values: dict[str, Any] = {
        "status_detail": detail[:200],
        "poll_count": task.poll_count + 1,
        "next_check_at": utcnow() + timedelta(seconds=delay),
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if progress is not None:
        values["progress"] = progress
    _save(ctx, task.id, **values)
    return delay


async def _submit_and_read(ctx: WorkerContext, task: GenerationTask, provider: Provider) -> list[ProviderTaskState]:
    ids = list(task.provider_task_ids)
    for provider_input in task.provider_inputs[len(ids) :]:
        ids.append(await provider.create_task(task.model_id, provider_input))
        # stored after each create, so a crash never creates the same provider task twice
        _save(
            ctx,
            task.id,
            provider_task_ids=list(ids),
            provider_task_id=ids[0],
            status=TaskStatus.RUNNING,
            started_at=task.started_at or utcnow(),
            status_detail="Submitted to the provider",
            progress=max(task.progress, 5),
        )
        task.provider_task_ids = list(ids)
        task.started_at = task.started_at or utcnow()
    return [await provider.get_task(provider_task_id) for provider_task_id in ids]


def _finish(ctx: WorkerContext, task: GenerationTask, states: list[ProviderTaskState]) -> None:
    _save(ctx, task.id, status_detail="Saving the result", progress=max(task.progress, 95))
    model = catalog.get_model(task.model_id)
    policy = ctx.url_policy_for(task.provider)
    keys: list[str] = []
    try:
        for index, state in enumerate(states):
            for url in state.result_urls[:1]:  # one output per provider task for these models
                key, _size = download_result(
                    url,
                    task_type=task.task_type,
                    storage=ctx.storage,
                    policy=policy,
                    key_for_ext=lambda ext, i=index: generation_key(task.task_type, task.user_id, task.id, ext, i),
                    max_bytes=ctx.max_download_bytes,
                    default_ext=model.output_ext,
                )
                keys.append(key)
        thumb = _make_thumbnail(ctx.storage, task, keys[0])
    except ProviderError as exc:
        for key in keys:
            ctx.storage.delete(key)
        if exc.retryable:
            _reschedule(ctx, task, f"Download failed, retrying: {exc.message}")
            return
        _fail(ctx, task, exc.message)
        return
    reported = [s.credits for s in states if s.credits is not None]
    credits = sum(reported) if reported else (0.0 if task.provider == "sandbox" else model.credits_per_task * len(states))
    urls = [ctx.storage.url(k) for k in keys]
    _save(
        ctx,
        task.id,
        status=TaskStatus.COMPLETED,
        progress=100,
        status_detail="Completed",
        output_keys=keys,
        output_urls=urls,
        output_url=urls[0],
        thumbnail_url=thumb,
        credits_used=credits,
        completed_at=utcnow(),
        lease_owner=None,
        lease_expires_at=None,
        next_check_at=None,
        error_message=None,
    )


def _make_thumbnail(storage: Storage, task: GenerationTask, key: str) -> str | None:
    """A 512-px JPEG for images; video posters and audio waveforms come with the storage work."""
    if task.task_type != "image":
        return None
    try:
        with Image.open(io.BytesIO(storage.read_bytes(key))) as img:
            img.thumbnail((512, 512))
            buf = io.BytesIO()
            img.convert("RGB").save(buf, "JPEG", quality=85)
    except OSError as exc:
        raise ProviderError(f"The result is not a readable image: {exc}") from exc
    thumb = thumbnail_key(task.id)
    storage.save_bytes(thumb, buf.getvalue(), "image/jpeg")
    return storage.url(thumb)


def tasks_due(session: Session, *, grace: timedelta = timedelta(seconds=30), limit: int = 500) -> list[str]:
    """Active tasks whose scheduled check is overdue and that nobody holds: the ones a crash dropped."""
    now = utcnow()
    rows = session.exec(
        select(GenerationTask.id)
        .where(
            col(GenerationTask.status).in_(TaskStatus.ACTIVE),
            or_(col(GenerationTask.next_check_at).is_(None), col(GenerationTask.next_check_at) < now - grace),
            or_(col(GenerationTask.lease_expires_at).is_(None), col(GenerationTask.lease_expires_at) < now),
        )
        .limit(limit)
    ).all()
    return list(rows)
