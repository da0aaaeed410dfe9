"""The generation lifecycle (DESIGN.md): start → submit → watch → store → complete or fail.

`start_generation` validates and writes the row; the worker calls `advance_task` repeatedly
until the task ends. Every step is idempotent and guarded by a lease, so a crash, a restart or
a second worker never loses a task or processes it twice.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, func, select

from smartspec_app.models import GenerationTask, TaskStatus, User, utcnow
from smartspec_app.services import catalog, credits, step_io
from smartspec_app.services.downloads import UrlPolicy, download_result
from smartspec_app.services.errors import Conflict, NotFound, PermissionDenied, ProviderError, ValidationError
from smartspec_app.services.providers.base import Provider, ProviderTaskState
from smartspec_app.services.storage import Storage, generation_key, local_copy, thumbnail_key
from smartspec_app.services.thumbnails import ThumbnailError, make_thumbnail

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)
SUBMIT_CONFIRM = timedelta(minutes=5)
DEADLINES = {"image": timedelta(minutes=10), "video": timedelta(minutes=30), "speech": timedelta(minutes=10)}
POLL_FIRST, POLL_FACTOR, POLL_MAX = 0.5, 1.3, 5.0
# With a callback the provider says when a task ends, so checks only show the state moving (queued,
# generating) and guard against a lost callback: the first waits 2 s (a task only just created is
# still waiting) and they thin out fast (4 instead of 14 over a 45 s image, each a provider call, a
# worker step and a page update), then settle at a slower pace. A lost callback then costs at most
# POLL_MAX_WITH_CALLBACK seconds.
POLL_FIRST_WITH_CALLBACK, POLL_FACTOR_WITH_CALLBACK, POLL_MAX_WITH_CALLBACK = 2.0, 2.2, 30.0
MAX_CONSECUTIVE_ERRORS = 6  # provider errors in a row (each already retried by the client) before a task fails
STATUS_WORDS = {"queued": "Queued at the provider", "generating": "Generating"}


@dataclass(frozen=True)
class WorkerContext:
    """What advancing a task needs; built by the worker, handed in by tests."""

    session_factory: Callable[[], Any]  # a context manager yielding a committed Session
    storage: Storage
    provider_for: Callable[[GenerationTask], Provider]  # the provider (and key) a task runs with
    url_policy_for: Callable[[str], UrlPolicy]
    max_download_bytes: int
    worker_id: str
    callback_base_for: Callable[[str], str | None] = lambda _provider: None  # where the provider may call back
    lease: timedelta = LEASE  # how long a step may hold a task before another worker may take it over
    submit_confirm: timedelta = SUBMIT_CONFIRM  # how long to wait for the callback of an interrupted create

    def callback_url(self, task: GenerationTask) -> str | None:
        base = self.callback_base_for(task.provider)
        if not base or not task.callback_secret:
            return None
        return f"{base.rstrip('/')}/api/generation/callback/{task.id}?sig={task.callback_secret}"


def start_generation(
    session: Session,
    user: User,
    task_type: str,
    model_id: str,
    prompt: str,
    parameters: dict[str, Any] | None,
    provider_name: str,
) -> GenerationTask:
    """Validate against the catalog, hold the price (services/credits.py) and write a pending task;
    the caller commits, then enqueues."""
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
        callback_secret=secrets.token_urlsafe(24),
    )
    session.add(task)
    session.flush()
    credits.hold(session, user, task, request.estimated_credits)  # or InsufficientCredits (402): nothing is written
    return task


def get_task_for_user(session: Session, user: User, task_id: str) -> GenerationTask:
    task = session.get(GenerationTask, task_id)
    if task is None or (task.user_id != user.id and not user.is_admin):
        raise NotFound("No such generation task")
    return task


def list_tasks_for_user(session: Session, user: User, *, limit: int = 20, offset: int = 0) -> tuple[list[GenerationTask], int]:
    return list_tasks_for_user_id(session, user.id, limit=limit, offset=offset)


MAX_TASK_QUERY = 200


@dataclass(frozen=True)
class TaskFilters:
    """What a user's history can be narrowed to; every field optional, all of them must hold.

    `q` finds tasks whose prompt contains it (case-insensitive); `created_after` is inclusive and
    `created_before` exclusive (naive datetimes are UTC); a range that ends before it starts holds
    nothing (an empty page, as OpenAPI cannot say one parameter must follow another)."""

    status: str | None = None
    task_type: str | None = None
    model_id: str | None = None
    q: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None

    def checked(self) -> TaskFilters:
        """The filters with blanks dropped and times made aware; ValidationError naming the field otherwise."""
        if self.status and self.status not in (*TaskStatus.ACTIVE, *TaskStatus.TERMINAL):
            raise ValidationError(f"status is one of {', '.join((*TaskStatus.ACTIVE, *TaskStatus.TERMINAL))}", field="status")
        if self.task_type and self.task_type not in catalog.TASK_TYPES:
            raise ValidationError(f"task_type is one of {', '.join(catalog.TASK_TYPES)}", field="task_type")
        q = " ".join((self.q or "").split())
        if len(q) > MAX_TASK_QUERY:
            raise ValidationError(f"Keep the search under {MAX_TASK_QUERY} characters", field="q")
        after, before = _aware(self.created_after), _aware(self.created_before)
        return TaskFilters(self.status or None, self.task_type or None, (self.model_id or "").strip() or None, q or None, after, before)


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def list_tasks_for_user_id(
    session: Session,
    user_id: int,
    *,
    limit: int = 20,
    offset: int = 0,
    status: str | None = None,
    filters: TaskFilters | None = None,
) -> tuple[list[GenerationTask], int]:
    """A user's own tasks (narrowed by `filters`, or only those in `status`), newest first, and how many match in all."""
    f = (filters or TaskFilters(status=status)).checked()
    query = select(GenerationTask).where(GenerationTask.user_id == user_id)
    if f.status:
        query = query.where(GenerationTask.status == f.status)
    if f.task_type:
        query = query.where(GenerationTask.task_type == f.task_type)
    if f.model_id:
        query = query.where(GenerationTask.model_id == f.model_id)
    if f.q:
        query = query.where(col(GenerationTask.prompt).icontains(f.q, autoescape=True))
    if f.created_after:
        query = query.where(col(GenerationTask.created_at) >= f.created_after)
    if f.created_before:
        query = query.where(col(GenerationTask.created_at) < f.created_before)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = (col(GenerationTask.created_at).desc(), col(GenerationTask.id).desc())
    rows = session.exec(query.order_by(*order).offset(offset).limit(limit)).all()
    return list(rows), total


def recent_tasks(session: Session, user_id: int, limit: int = 20) -> list[GenerationTask]:
    """A user's newest tasks (one query: what an open generation page shows)."""
    query = select(GenerationTask).where(GenerationTask.user_id == user_id)
    return list(session.exec(query.order_by(col(GenerationTask.created_at).desc()).limit(limit)).all())


@dataclass(frozen=True)
class TaskSettings:
    """What a task was asked for, to fill the form again ("Reuse settings") or run it again."""

    task_type: str
    model_id: str
    prompt: str
    parameters: dict[str, Any]


def settings_of(session: Session, user: User, task_id: str) -> TaskSettings:
    """The settings of one of the user's tasks (another user's is NotFound, like a missing one)."""
    task = get_task_for_user(session, user, task_id)
    if task.user_id != user.id:
        raise NotFound("No such generation task")
    return TaskSettings(task.task_type, task.model_id, task.prompt, dict(task.parameters))


def run_again(session: Session, user: User, task_id: str, provider_name: str) -> GenerationTask:
    """A new pending task with the same model, prompt and parameters, checked against today's catalog."""
    settings = settings_of(session, user, task_id)
    return start_generation(session, user, settings.task_type, settings.model_id, settings.prompt, settings.parameters, provider_name)


@dataclass(frozen=True)
class Claim:
    task: GenerationTask | None  # the task as this step claimed it (detached), or None
    held: bool = False  # not claimed because another step holds it (its lease runs)


def _claim(session: Session, task_id: str, worker_id: str, lease: timedelta = LEASE) -> Claim:
    """Take a task's lease for this step. A task that has ended or is held costs one read and no
    write (its leftover scheduled checks come to nothing cheaply); a claim is one UPDATE … RETURNING,
    so the task is read in the same statement that takes it."""
    now = utcnow()
    found = session.exec(
        select(GenerationTask.status, GenerationTask.lease_owner, GenerationTask.lease_expires_at).where(GenerationTask.id == task_id)
    ).first()
    if found is None or found.status not in TaskStatus.ACTIVE:
        return Claim(None)
    if found.lease_expires_at is not None and found.lease_expires_at >= now and found.lease_owner != worker_id:
        return Claim(None, held=True)
    task = (
        session.exec(
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
            .values(lease_owner=worker_id, lease_expires_at=now + lease)
            .returning(GenerationTask)
        )
        .scalars()
        .first()
    )
    if task is not None:
        session.expunge(task)
    session.commit()
    if task is None:  # another step took it, or it ended, between the read and the claim
        return Claim(None, held=is_held(session, task_id))
    return Claim(task)


def is_held(session: Session, task_id: str) -> bool:
    """Whether a step is working on an active task now (its lease has not run out)."""
    task = session.get(GenerationTask, task_id)
    return task is not None and task.status in TaskStatus.ACTIVE and task.lease_expires_at is not None and task.lease_expires_at >= utcnow()


def _save(ctx: WorkerContext, task_id: str, **values: Any) -> bool:
    """Write a step's result to a task that is still active; False when it no longer is (cancelled
    meanwhile, say), so a worker never brings an ended task back to life."""
    values.setdefault("updated_at", utcnow())
    with ctx.session_factory() as session:
        result = session.exec(
            update(GenerationTask).where(GenerationTask.id == task_id, col(GenerationTask.status).in_(TaskStatus.ACTIVE)).values(**values)
        )
        return result.rowcount == 1


def cancel_task(session: Session, user: User, task_id: str) -> GenerationTask:
    """Stop one of the user's pending or running tasks: it ends `cancelled` and is charged nothing.

    The worker stops at its next step (it only advances active tasks) and never downloads a result
    for it; a result stored by a step that was already running is deleted again. kie.ai has no
    cancel call, so a task already submitted there runs to its end at kie.ai; its result is ignored.
    An ended task is a Conflict. The caller commits."""
    task = get_task_for_user(session, user, task_id)
    now = utcnow()
    result = session.exec(
        update(GenerationTask)
        .where(GenerationTask.id == task.id, col(GenerationTask.status).in_(TaskStatus.ACTIVE))
        .values(
            status=TaskStatus.CANCELLED,
            status_detail="Cancelled",
            error_message="Cancelled by its owner",
            credits_used=0.0,
            completed_at=now,
            updated_at=now,
            next_check_at=None,
        )
    )
    session.refresh(task)
    if result.rowcount != 1:
        raise Conflict(f"This generation has already ended ({task.status}); only a pending or running one can be cancelled")
    credits.task_ended(session, task, TaskStatus.CANCELLED)  # the held price comes back
    log.info("task %s cancelled by user %s", task.id, user.id)
    return task


def _end(ctx: WorkerContext, task: GenerationTask, status: str, provider_credits: float | None = None, **values: Any) -> bool:
    """Move a still active task to `status` (completed or failed) and settle or refund its charge in
    the same transaction (credits.task_ended, which cancel_task calls too). False when it had already
    ended (cancelled meanwhile, say): then nothing changes, credits included."""
    now = utcnow()
    values |= {
        "status": status,
        "completed_at": now,
        "updated_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
        "next_check_at": None,
    }
    with ctx.session_factory() as session:
        result = session.exec(
            update(GenerationTask).where(GenerationTask.id == task.id, col(GenerationTask.status).in_(TaskStatus.ACTIVE)).values(**values)
        )
        if result.rowcount != 1:
            return False
        credits.task_ended(session, task, status, provider_credits)
        return True


def _fail(ctx: WorkerContext, task: GenerationTask, message: str) -> None:
    log.info("task %s failed: %s", task.id, message)
    _end(ctx, task, TaskStatus.FAILED, error_message=message[:2000], status_detail="Failed")


def advance_task(ctx: WorkerContext, task_id: str) -> float | None:
    """Move one task as far as it can go now. Returns seconds until it should be checked again,
    or None when there is nothing more to do (ended, or another worker holds it)."""
    return step_task(ctx, task_id).next_check


@dataclass(frozen=True)
class StepOutcome:
    next_check: float | None  # seconds until the task's next check; None: nothing more to do now
    held: bool = False  # another step holds the task, so this one did nothing


def step_task(ctx: WorkerContext, task_id: str) -> StepOutcome:
    """`advance_task`, also saying whether the task was left alone because another step holds it."""
    with ctx.session_factory() as session:
        claim = _claim(session, task_id, ctx.worker_id, ctx.lease)
    if claim.task is None:
        return StepOutcome(None, held=claim.held)
    return StepOutcome(_advance_claimed(ctx, claim.task))


def _advance_claimed(ctx: WorkerContext, task: GenerationTask) -> float | None:
    if task.deadline_at and utcnow() > task.deadline_at:
        last = f"; last state: {task.status_detail}" if task.status_detail else ""
        _fail(ctx, task, f"The provider did not finish this {task.task_type} task in time ({DEADLINES[task.task_type]}{last}); giving up")
        return None
    if task.submitting_since is not None and len(task.provider_task_ids) < len(task.provider_inputs):
        delay = _interrupted_submission(ctx, task)
        if delay is not None or _reload_status(ctx, task.id) not in TaskStatus.ACTIVE:
            return delay
        task.submitting_since = None  # never confirmed: the create cannot have reached the provider
    try:
        states = step_io.run(_submit_and_read(ctx, task, ctx.provider_for(task)))
        if states is None:
            return None
    except ProviderError as exc:
        if exc.retryable and task.error_count + 1 < MAX_CONSECUTIVE_ERRORS:
            return _reschedule(ctx, task, f"Provider busy, retrying: {exc.message}", errors=task.error_count + 1)
        if exc.retryable:
            _fail(ctx, task, f"{exc.message}; gave up after {MAX_CONSECUTIVE_ERRORS} failed checks in a row")
        else:
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
    return _reschedule(ctx, task, _describe(states), progress=min(progress, 95))


def _reload_status(ctx: WorkerContext, task_id: str) -> str:
    with ctx.session_factory() as session:
        return session.get(GenerationTask, task_id).status


def _interrupted_submission(ctx: WorkerContext, task: GenerationTask) -> float | None:
    """A worker died while creating a provider task: it may exist. Learn its id from the provider's
    callback (`accept_callback` adopts it). A task that was created calls back when it ends, so with
    no callback within `submit_confirm` the create never reached the provider and is sent again
    (returns None after clearing the mark). Without callbacks nothing can tell: fail clearly."""
    if ctx.callback_url(task) is None:
        _fail(
            ctx,
            task,
            "The worker stopped while submitting this task; it may or may not have started at the provider, "
            "so it was not sent again (no credits spent twice). Please generate it again.",
        )
        return None
    if utcnow() - task.submitting_since < ctx.submit_confirm:
        return _reschedule(ctx, task, "Confirming a submission a restart interrupted: waiting for the provider's callback")
    log.warning("task %s: no callback for an interrupted submission after %s; submitting it again", task.id, ctx.submit_confirm)
    _save(ctx, task.id, submitting_since=None, status_detail="The interrupted submission never reached the provider; submitting again")
    return None


def _describe(states: list[ProviderTaskState]) -> str:
    unknown = next((s for s in states if s.status == "unknown"), None)
    if unknown is not None:
        return f"the provider reports an unknown state {unknown.raw_state!r}; still waiting"
    return STATUS_WORDS["generating" if any(s.status == "generating" for s in states) else "queued"]


def poll_delay(polls_done: int, *, with_callback: bool) -> float:
    """Seconds until the next status check of a task checked `polls_done` times."""
    first, factor, ceiling = (
        (POLL_FIRST_WITH_CALLBACK, POLL_FACTOR_WITH_CALLBACK, POLL_MAX_WITH_CALLBACK)
        if with_callback
        else (POLL_FIRST, POLL_FACTOR, POLL_MAX)
    )
    return min(ceiling, first * factor ** min(polls_done, 30))


def _reschedule(ctx: WorkerContext, task: GenerationTask, detail: str, progress: int | None = None, errors: int = 0) -> float | None:
    delay = poll_delay(task.poll_count, with_callback=ctx.callback_url(task) is not None)
    values: dict[str, Any] = {
        "poll_count": task.poll_count + 1,
        "error_count": errors,
        "next_check_at": utcnow() + timedelta(seconds=delay),
        "lease_owner": None,
        "lease_expires_at": None,
    }
    # Only what changed: a check that finds nothing new then writes bookkeeping alone, which
    # services/task_events.py does not publish (no read-back, no page woken for nothing).
    if detail[:200] != task.status_detail:
        values["status_detail"] = detail[:200]
    if progress is not None and progress != task.progress:
        values["progress"] = progress
    return delay if _save(ctx, task.id, **values) else None  # None: it ended meanwhile (cancelled)


async def _submit_and_read(ctx: WorkerContext, task: GenerationTask, provider: Provider) -> list[ProviderTaskState] | None:
    """Create the task's provider tasks not created yet, then read them all; None when it was cancelled."""
    ids = list(task.provider_task_ids)
    for provider_input in task.provider_inputs[len(ids) :]:
        # Written ahead: if the worker dies during the call, the next one knows a create may exist.
        if not _save(ctx, task.id, submitting_since=utcnow()):
            return None  # cancelled: nothing more is sent to the provider
        try:
            ids.append(await provider.create_task(task.model_id, provider_input, ctx.callback_url(task)))
        except ProviderError as exc:
            if exc.retryable:  # the provider certainly started nothing: a later attempt may create it
                _save(ctx, task.id, submitting_since=None)
            raise
        # stored after each create, so a crash never creates the same provider task twice
        _save(
            ctx,
            task.id,
            submitting_since=None,
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
    """Store every result and a thumbnail, then mark the task completed.

    Every key is recorded before its upload starts; if anything fails before the row says
    `completed`, those objects are deleted again, so no row ever points at a missing object
    and no half-finished task leaves objects behind."""
    if not _save(ctx, task.id, status_detail="Saving the result", progress=max(task.progress, 95)):
        return  # cancelled: nothing is downloaded
    stored: list[str] = []
    try:
        keys = _store_results(ctx, task, states, stored)
        stored.append(thumbnail_key(task.id))
        thumb = _make_thumbnail(ctx.storage, task, keys[0])
        if not _complete(ctx, task, states, keys, thumb):
            _discard(ctx.storage, stored)  # cancelled while the result was being stored
    except ProviderError as exc:
        _discard(ctx.storage, stored)
        if exc.retryable:
            _reschedule(ctx, task, f"Download failed, retrying: {exc.message}")
            return
        _fail(ctx, task, exc.message)
    except BaseException:
        _discard(ctx.storage, stored)
        raise


def _store_results(ctx: WorkerContext, task: GenerationTask, states: list[ProviderTaskState], stored: list[str]) -> list[str]:
    """Download each provider result into storage; `stored` learns each key before its upload."""
    model = catalog.get_model(task.model_id)
    policy = ctx.url_policy_for(task.provider)
    keys: list[str] = []

    def key_for(ext: str, index: int) -> str:
        key = generation_key(task.task_type, task.user_id, task.id, ext, index)
        stored.append(key)
        return key

    urls = [url for state in states for url in state.result_urls[: _outputs_per_task(model, task)]]
    for index, url in enumerate(urls):
        key, _size = download_result(
            url,
            task_type=task.task_type,
            storage=ctx.storage,
            policy=policy,
            key_for_ext=lambda ext, i=index: key_for(ext, i),
            max_bytes=ctx.max_download_bytes,
            default_ext=model.output_ext,
            client=step_io.download_client(),
        )
        keys.append(key)
    if not keys:
        raise ProviderError("The provider reported success but sent no result file")
    return keys


def _outputs_per_task(model: catalog.ModelSpec, task: GenerationTask) -> int:
    """How many results one provider task makes: Imagen 4 Fast's num_images, else one."""
    if model.outputs_param is None:
        return 1
    return int(task.parameters.get(model.outputs_param) or 1)


def task_credits(task: GenerationTask) -> float:
    """What a task costs at kie.ai: its model's published price for its parameters and prompt.

    kie.ai's task record carries no cost, so this is the catalog's price rule for every provider;
    the sandbox charges the same figures (its tasks say provider "sandbox")."""
    model = catalog.get_model(task.model_id)
    return catalog.request_credits(model, task.parameters, task.prompt, len(task.provider_inputs))


def _complete(ctx: WorkerContext, task: GenerationTask, states: list[ProviderTaskState], keys: list[str], thumb: str | None) -> bool:
    charged = task.credits_held or task_credits(task)  # the price held at submit is the price paid
    reported = [s.credits for s in states if s.credits is not None]
    urls = [ctx.storage.url(k) for k in keys]
    return _end(
        ctx,
        task,
        TaskStatus.COMPLETED,
        provider_credits=round(sum(reported), 2) if reported else None,
        progress=100,
        status_detail="Completed",
        output_keys=keys,
        output_urls=urls,
        output_url=urls[0],
        thumbnail_url=thumb,
        credits_used=charged,
        error_message=None,
    )


def _discard(storage: Storage, keys: list[str]) -> None:
    """Delete objects of a task that did not complete; a failure here must not hide the first one."""
    for key in dict.fromkeys(keys):
        try:
            storage.delete(key)
        except Exception:
            log.warning("could not delete %s after a failed task; it is orphaned", key, exc_info=True)


def _make_thumbnail(storage: Storage, task: GenerationTask, key: str) -> str | None:
    """A JPEG thumbnail for every task type: the picture, a video's poster frame, a waveform.

    An unreadable image fails the task (the result is broken); a video or audio file ffmpeg
    cannot read (or no ffmpeg) only leaves the task without a thumbnail."""
    try:
        with local_copy(storage, key) as path:
            data = make_thumbnail(task.task_type, path)
    except ThumbnailError as exc:
        if task.task_type == "image":
            raise ProviderError(f"The result is not a readable image: {exc}") from exc
        log.warning("no thumbnail for %s task %s: %s", task.task_type, task.id, exc)
        return None
    thumb = thumbnail_key(task.id)
    storage.save_bytes(thumb, data, "image/jpeg")
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


def accept_callback(session: Session, task_id: str, signature: str, provider_task_id: str | None = None) -> bool:
    """Check a provider callback's per-task secret. True when the task should be re-checked now.

    The body of a callback is never trusted for results: the worker reads the task record itself,
    so a repeated, late or forged-but-signed callback changes nothing by itself. Its task id is used
    in one case: a create that a worker crash interrupted is adopted instead of being sent twice.
    """
    task = session.get(GenerationTask, task_id)
    if task is None or not task.callback_secret or not hmac.compare_digest(task.callback_secret, signature or ""):
        raise PermissionDenied("Unknown task or wrong callback signature")
    if task.status not in TaskStatus.ACTIVE:
        return False
    ids = list(task.provider_task_ids)
    if task.submitting_since is not None and provider_task_id and provider_task_id not in ids and len(ids) < len(task.provider_inputs):
        ids.append(provider_task_id[:200])
        task.provider_task_ids, task.provider_task_id, task.submitting_since = ids, ids[0], None
        task.status, task.started_at = TaskStatus.RUNNING, task.started_at or utcnow()
        session.add(task)
    return True
