"""The generation lifecycle against the live sandbox over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session, select

from smartspec_app.api import build_api
from smartspec_app.models import GenerationTask, SandboxJob, TaskStatus, User, utcnow
from smartspec_app.services import auth, generation
from smartspec_app.services.db import session_scope
from smartspec_app.services.downloads import UrlPolicy
from smartspec_app.services.errors import Conflict, NotFound, ValidationError
from smartspec_app.services.providers.kie import KieProvider
from smartspec_app.services.storage import LocalStorage
from smartspec_app.settings import reload_settings
from tests.support.sandbox import sandbox_api_key
from tests.support.servers import serve


@pytest.fixture
def sandbox_url(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SANDBOX_SECONDS_IMAGE", "0.6")
    monkeypatch.setenv("SANDBOX_SECONDS_SPEECH", "0.3")
    monkeypatch.setenv("SANDBOX_SECONDS_VIDEO", "0.5")
    reload_settings()
    with serve(build_api()) as url:
        yield url


@pytest.fixture
def user(engine) -> User:
    with session_scope(engine) as s:
        return auth.create_user(s, "maker@example.com", "a long password")


def make_ctx(engine, storage: LocalStorage, sandbox_url: str, worker_id: str = "w1") -> generation.WorkerContext:
    base = f"{sandbox_url}/sandbox/kie"
    return generation.WorkerContext(
        session_factory=lambda: session_scope(engine),
        storage=storage,
        provider_for=lambda _name: KieProvider(sandbox_api_key(), base, backoff_base=0.01),
        url_policy_for=lambda _name: UrlPolicy(trusted_prefix=base),
        max_download_bytes=50_000_000,
        worker_id=worker_id,
    )


def start(engine, user: User, task_type: str, model_id: str, prompt: str, params: dict | None = None) -> str:
    with session_scope(engine) as s:
        return generation.start_generation(s, user, task_type, model_id, prompt, params, "sandbox").id


def run_to_end(ctx: generation.WorkerContext, task_id: str, timeout: float = 30) -> list[float]:
    delays: list[float] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delay = generation.advance_task(ctx, task_id)
        if delay is None:
            return delays
        delays.append(delay)
        time.sleep(min(delay, 0.2))
    raise AssertionError("task did not end")


def load(engine, task_id: str) -> GenerationTask:
    with Session(engine) as s:
        return s.get(GenerationTask, task_id)


def test_image_task_runs_to_completion_and_is_stored(engine, storage, sandbox_url, user, monkeypatch: pytest.MonkeyPatch) -> None:
    # long enough that the read right after the create finds it running even on a loaded machine
    # (at 0.6 s a slow create and read once saw it done, and there was no check to count)
    monkeypatch.setenv("SANDBOX_SECONDS_IMAGE", "2.5")
    reload_settings()
    task_id = start(engine, user, "image", "nano-banana-pro", "A red fox", {"aspect_ratio": "16:9"})
    assert load(engine, task_id).status == TaskStatus.PENDING
    delays = run_to_end(make_ctx(engine, storage, sandbox_url), task_id)
    task = load(engine, task_id)
    assert task.status == TaskStatus.COMPLETED, task.error_message
    assert task.progress == 100 and delays, delays
    key = f"generations/images/{user.id}/{task_id}.png"
    assert task.output_keys == [key] and task.output_url == f"/media/{key}"
    with Image.open(storage.path(key)) as img:
        assert img.size[0] > img.size[1]  # 16:9 reached the sandbox
    with Image.open(storage.path(f"thumbnails/{task_id}_thumb.jpg")) as thumb:
        assert max(thumb.size) == 512
    assert task.started_at and task.completed_at and task.provider_task_id
    assert task.credits_used == 18  # kie.ai's price of a 1K Nano Banana Pro image, charged by the sandbox too


def test_num_images_makes_one_provider_task_each(engine, storage, sandbox_url, user) -> None:
    task_id = start(engine, user, "image", "flux-2/pro-text-to-image", "Three foxes", {"num_images": 3})
    run_to_end(make_ctx(engine, storage, sandbox_url), task_id)
    task = load(engine, task_id)
    assert task.status == TaskStatus.COMPLETED
    assert len(set(task.provider_task_ids)) == 3 and len(task.output_urls) == 3
    assert all(storage.exists(k) for k in task.output_keys)
    with Session(engine) as s:
        assert len(s.exec(select(SandboxJob)).all()) == 3


def test_imagen_4_fast_makes_its_images_in_one_provider_task(engine, storage, sandbox_url, user) -> None:
    task_id = start(engine, user, "image", "google/imagen4-fast", "Three foxes", {"num_images": 3})
    run_to_end(make_ctx(engine, storage, sandbox_url), task_id)
    task = load(engine, task_id)
    assert task.status == TaskStatus.COMPLETED, task.error_message
    assert len(task.provider_task_ids) == 1 and len(task.output_keys) == 3 == len(set(task.output_keys))
    assert all(storage.exists(k) for k in task.output_keys)
    assert task.credits_used == 4  # priced per request
    for key in task.output_keys:
        with Image.open(storage.path(key)) as img:
            assert img.size == (1024, 576)  # Imagen 4 Fast's default 16:9


def test_credits_follow_the_price_rules_of_the_parameters(engine, storage, sandbox_url, user) -> None:
    task_id = start(engine, user, "image", "flux-2/pro-text-to-image", "Two foxes", {"num_images": 2, "resolution": "2K"})
    run_to_end(make_ctx(engine, storage, sandbox_url), task_id)
    assert load(engine, task_id).credits_used == 14  # 7 credits per 2K image, two kie.ai tasks


@pytest.mark.parametrize(
    ("task_type", "model_id", "folder", "ext"),
    [("speech", "elevenlabs/text-to-speech-turbo-2-5", "audio", "mp3"), ("video", "wan/2-6-text-to-video", "videos", "mp4")],
)
def test_speech_and_video_are_stored_in_their_folders(engine, storage, sandbox_url, user, task_type, model_id, folder, ext) -> None:
    task_id = start(
        engine, user, task_type, model_id, "Hello from the sandbox", {"duration": 5} if task_type == "video" else {"voice": "Aria"}
    )
    run_to_end(make_ctx(engine, storage, sandbox_url), task_id, timeout=60)
    task = load(engine, task_id)
    assert task.status == TaskStatus.COMPLETED, task.error_message
    assert task.output_keys == [f"generations/{folder}/{user.id}/{task_id}.{ext}"]
    assert storage.path(task.output_keys[0]).stat().st_size > 1000


def test_provider_failure_ends_the_task_with_its_message(engine, storage, sandbox_url, user) -> None:
    task_id = start(engine, user, "image", "nano-banana-pro", "please fail [sandbox:fail]")
    run_to_end(make_ctx(engine, storage, sandbox_url), task_id)
    task = load(engine, task_id)
    assert task.status == TaskStatus.FAILED
    assert "failed on request" in task.error_message and "501" in task.error_message
    assert task.output_url is None and not list(Path(storage.root).rglob("*.png"))


def test_a_held_lease_keeps_a_second_worker_out(engine, storage, sandbox_url, user) -> None:
    task_id = start(engine, user, "image", "nano-banana-pro", "Only once")
    with session_scope(engine) as s:
        assert generation._claim(s, task_id, "worker-a")
    assert generation.advance_task(make_ctx(engine, storage, sandbox_url, "worker-b"), task_id) is None
    assert load(engine, task_id).provider_task_ids == []
    with session_scope(engine) as s:  # the holder died: once its lease runs out, anyone may go on
        task = s.get(GenerationTask, task_id)
        task.lease_expires_at = utcnow() - timedelta(seconds=1)
    run_to_end(make_ctx(engine, storage, sandbox_url, "worker-b"), task_id)
    assert load(engine, task_id).status == TaskStatus.COMPLETED


def test_resuming_after_a_crash_never_creates_the_provider_task_again(engine, storage, sandbox_url, user) -> None:
    task_id = start(engine, user, "image", "nano-banana-pro", "Crash in the middle")
    ctx = make_ctx(engine, storage, sandbox_url)
    assert generation.advance_task(ctx, task_id) is not None  # submitted, still generating
    first = load(engine, task_id).provider_task_ids
    assert len(first) == 1
    run_to_end(make_ctx(engine, storage, sandbox_url, "after-restart"), task_id)
    assert load(engine, task_id).provider_task_ids == first
    with Session(engine) as s:
        assert len(s.exec(select(SandboxJob)).all()) == 1


def test_overdue_unheld_tasks_are_found_for_recovery(engine, storage, sandbox_url, user) -> None:
    task_id = start(engine, user, "image", "nano-banana-pro", "Lost in a crash")
    with session_scope(engine) as s:
        task = s.get(GenerationTask, task_id)
        task.next_check_at = utcnow() - timedelta(minutes=5)
    with Session(engine) as s:
        assert generation.tasks_due(s) == [task_id]
    run_to_end(make_ctx(engine, storage, sandbox_url), task_id)
    with Session(engine) as s:
        assert generation.tasks_due(s) == []


def test_a_task_past_its_deadline_fails_with_a_clear_message(engine, storage, sandbox_url, user) -> None:
    task_id = start(engine, user, "image", "nano-banana-pro", "Too slow")
    with session_scope(engine) as s:
        s.get(GenerationTask, task_id).deadline_at = utcnow() - timedelta(seconds=1)
    assert generation.advance_task(make_ctx(engine, storage, sandbox_url), task_id) is None
    task = load(engine, task_id)
    assert task.status == TaskStatus.FAILED and "in time" in task.error_message


def test_an_unreachable_provider_is_retried_not_failed(engine, storage, user) -> None:
    task_id = start(engine, user, "image", "nano-banana-pro", "Nobody home")
    ctx = make_ctx(engine, storage, "http://127.0.0.1:9")  # nothing listens on the discard port
    delay = generation.advance_task(ctx, task_id)
    task = load(engine, task_id)
    assert delay is not None and task.status == TaskStatus.PENDING
    assert "retrying" in task.status_detail and task.lease_owner is None


@pytest.mark.parametrize(
    ("prompt", "params", "field"),
    [
        ("", None, "prompt"),
        ("x" * 10_001, None, "prompt"),
        ("ok", {"aspect_ratio": "7:3"}, "aspect_ratio"),
        ("ok", {"num_images": 99}, "num_images"),
    ],
)
def test_invalid_requests_write_nothing(engine, user, prompt, params, field) -> None:
    with pytest.raises(ValidationError) as err, session_scope(engine) as s:
        generation.start_generation(s, user, "image", "nano-banana-pro", prompt, params, "sandbox")
    assert err.value.field == field
    with Session(engine) as s:
        assert s.exec(select(GenerationTask)).all() == []


def test_users_only_see_their_own_tasks(engine, user) -> None:
    task_id = start(engine, user, "image", "nano-banana-pro", "Mine")
    with session_scope(engine) as s:
        other = auth.create_user(s, "other@example.com", "another long password")
    with Session(engine) as s:
        assert generation.list_tasks_for_user(s, other) == ([], 0)
        with pytest.raises(generation.NotFound):
            generation.get_task_for_user(s, other, task_id)
        assert generation.get_task_for_user(s, user, task_id).id == task_id  # user is the admin (first account)


class WorkerDied(BaseException):
    """Stands in for a SIGKILL: nothing after the provider call runs."""


class DiesAfterCreate:
    """A provider that really creates the task, then 'dies' before the worker can record its id."""

    def __init__(self, inner: KieProvider) -> None:
        self.inner = inner

    async def create_task(self, *args, **kwargs) -> str:
        await self.inner.create_task(*args, **kwargs)
        raise WorkerDied

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


def crash_during_create(ctx: generation.WorkerContext, task_id: str) -> None:
    real = ctx.provider_for
    dying = dataclasses.replace(ctx, provider_for=lambda task: DiesAfterCreate(real(task)))
    with pytest.raises(WorkerDied):
        generation.advance_task(dying, task_id)


def sandbox_jobs(engine) -> int:
    with Session(engine) as s:
        return len(s.exec(select(SandboxJob.id)).all())


def test_a_create_interrupted_by_a_crash_is_adopted_from_the_callback_not_sent_again(engine, storage, sandbox_url, user) -> None:
    # the sandbox calls this same app back
    ctx = dataclasses.replace(make_ctx(engine, storage, sandbox_url), callback_base_for=lambda _provider: sandbox_url)
    task_id = start(engine, user, "image", "nano-banana-pro", "A crash mid-create")
    crash_during_create(ctx, task_id)
    task = load(engine, task_id)
    assert task.submitting_since is not None and task.provider_task_ids == [] and sandbox_jobs(engine) == 1

    run_to_end(ctx, task_id)  # waits for the callback, adopts its task id, reads the record, stores the result
    task = load(engine, task_id)
    assert task.status == TaskStatus.COMPLETED, task.error_message
    assert len(task.provider_task_ids) == 1 and sandbox_jobs(engine) == 1  # created once
    assert task.submitting_since is None and storage.exists(task.output_keys[0])


def test_a_create_interrupted_by_a_crash_without_callbacks_fails_clearly(engine, storage, sandbox_url, user) -> None:
    ctx = make_ctx(engine, storage, sandbox_url)  # no callback URL: nothing could ever tell us the id
    task_id = start(engine, user, "image", "nano-banana-pro", "A crash mid-create, no callbacks")
    crash_during_create(ctx, task_id)
    assert generation.advance_task(ctx, task_id) is None
    task = load(engine, task_id)
    assert task.status == TaskStatus.FAILED
    assert "may or may not have started" in task.error_message and "not sent again" in task.error_message
    assert sandbox_jobs(engine) == 1


def test_a_refused_create_may_be_retried(engine, storage, sandbox_url, user) -> None:
    """A create the provider refused (429) started nothing: the next attempt creates it, once."""
    task_id = start(engine, user, "image", "nano-banana-pro", "Busy at first [sandbox:429x3]")
    ctx = make_ctx(engine, storage, sandbox_url)
    run_to_end(ctx, task_id)
    task = load(engine, task_id)
    assert task.status == TaskStatus.COMPLETED, task.error_message
    assert task.submitting_since is None and sandbox_jobs(engine) == 1


class DiesBeforeCreate(DiesAfterCreate):
    """The worker dies after marking the submission but before the request leaves."""

    async def create_task(self, *args, **kwargs) -> str:
        raise WorkerDied


def test_a_create_that_never_left_is_sent_once_after_the_confirmation_window(engine, storage, sandbox_url, user) -> None:
    ctx = dataclasses.replace(
        make_ctx(engine, storage, sandbox_url), callback_base_for=lambda _provider: sandbox_url, submit_confirm=timedelta(seconds=1)
    )
    task_id = start(engine, user, "image", "nano-banana-pro", "A crash before the create left")
    real = ctx.provider_for
    with pytest.raises(WorkerDied):
        generation.advance_task(dataclasses.replace(ctx, provider_for=lambda task: DiesBeforeCreate(real(task))), task_id)
    assert load(engine, task_id).submitting_since is not None and sandbox_jobs(engine) == 0

    assert generation.advance_task(ctx, task_id) is not None  # inside the window: waits for a callback
    assert sandbox_jobs(engine) == 0 and "waiting for the provider's callback" in load(engine, task_id).status_detail
    time.sleep(1.1)
    run_to_end(ctx, task_id)  # no callback came: it never reached the provider, so it is sent now, once
    task = load(engine, task_id)
    assert task.status == TaskStatus.COMPLETED, task.error_message
    assert sandbox_jobs(engine) == 1 and len(task.provider_task_ids) == 1


# ---------------------------------------------------------------------------------------------
# Cancel
# ---------------------------------------------------------------------------------------------


def cancel(engine, user: User, task_id: str) -> GenerationTask:
    with session_scope(engine) as s:
        return generation.cancel_task(s, user, task_id)


def stored_outputs(storage: LocalStorage) -> list[Path]:
    return [p for p in storage.path("generations").rglob("*") if p.is_file()] if storage.path("generations").exists() else []


def test_a_pending_task_cancelled_before_the_worker_sends_nothing(engine, storage, sandbox_url, user) -> None:
    task_id = start(engine, user, "image", "nano-banana-pro", "Never mind")
    cancelled = cancel(engine, user, task_id)
    assert (cancelled.status, cancelled.status_detail, cancelled.credits_used) == (TaskStatus.CANCELLED, "Cancelled", 0)
    assert cancelled.completed_at is not None and cancelled.error_message
    assert generation.advance_task(make_ctx(engine, storage, sandbox_url), task_id) is None  # the worker stops
    with Session(engine) as s:
        assert s.exec(select(SandboxJob)).all() == []  # nothing was sent to the provider
    assert load(engine, task_id).status == TaskStatus.CANCELLED


def test_a_running_task_cancelled_is_never_downloaded_nor_charged(engine, storage, sandbox_url, user, monkeypatch) -> None:
    monkeypatch.setenv("SANDBOX_SECONDS_IMAGE", "2.5")  # still running at the first check, however busy the machine
    reload_settings()
    ctx = make_ctx(engine, storage, sandbox_url)
    task_id = start(engine, user, "image", "nano-banana-pro", "Stop it")
    assert generation.advance_task(ctx, task_id) is not None  # submitted, running at the provider
    assert load(engine, task_id).status == TaskStatus.RUNNING
    cancel(engine, user, task_id)
    time.sleep(2.7)  # the provider's job has finished by now
    assert generation.advance_task(ctx, task_id) is None
    task = load(engine, task_id)
    assert task.status == TaskStatus.CANCELLED and task.credits_used == 0 and task.output_keys == [] and task.output_url is None
    assert stored_outputs(storage) == []


def test_a_cancel_while_the_result_is_stored_deletes_it_again(engine, storage, sandbox_url, user, monkeypatch) -> None:
    ctx = make_ctx(engine, storage, sandbox_url)
    task_id = start(engine, user, "image", "nano-banana-pro", "Just too late")
    real = generation._make_thumbnail

    def thumbnail_then_cancel(storage_, task, key):
        made = real(storage_, task, key)
        cancel(engine, user, task_id)  # the user clicks Cancel while the worker stores the result
        return made

    monkeypatch.setattr(generation, "_make_thumbnail", thumbnail_then_cancel)
    run_to_end(ctx, task_id)
    task = load(engine, task_id)
    assert task.status == TaskStatus.CANCELLED and task.output_keys == [] and task.credits_used == 0
    assert stored_outputs(storage) == [] and not storage.exists(f"thumbnails/{task_id}_thumb.jpg")


def test_only_the_owner_cancels_and_only_an_active_task(engine, storage, sandbox_url, user) -> None:
    task_id = start(engine, user, "image", "nano-banana-pro", "Mine")
    with session_scope(engine) as s:
        stranger = auth.create_user(s, "stranger@example.com", "a long password")
    with pytest.raises(NotFound):
        cancel(engine, stranger, task_id)
    run_to_end(make_ctx(engine, storage, sandbox_url), task_id)
    with pytest.raises(Conflict, match="already ended \\(completed\\)"):
        cancel(engine, user, task_id)
    assert load(engine, task_id).status == TaskStatus.COMPLETED


def _writes_during(engine, fn) -> tuple[object, list[str]]:
    """What `fn` returned, and the INSERT/UPDATE/DELETE statements it sent to `engine`."""
    from sqlalchemy import event

    writes: list[str] = []

    def listen(_conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        return fn(), writes
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def test_a_step_that_finds_nothing_to_do_writes_nothing(engine, storage, sandbox_url, user) -> None:
    """A task's leftover scheduled check after it ended, or a check of a task another step holds,
    costs one read: no write, and the caller learns which of the two it was."""
    ctx = make_ctx(engine, storage, sandbox_url)
    ended = start(engine, user, "image", "nano-banana-pro", "An owl")
    held = start(engine, user, "image", "nano-banana-pro", "A heron")
    with session_scope(engine) as s:
        s.get(GenerationTask, ended).status = TaskStatus.COMPLETED
        task = s.get(GenerationTask, held)
        task.lease_owner, task.lease_expires_at = "another worker", utcnow() + timedelta(minutes=2)

    outcome, writes = _writes_during(engine, lambda: generation.step_task(ctx, ended))
    assert outcome == generation.StepOutcome(None, held=False) and writes == []
    outcome, writes = _writes_during(engine, lambda: generation.step_task(ctx, held))
    assert outcome == generation.StepOutcome(None, held=True) and writes == []
    assert load(engine, held).lease_owner == "another worker"


def test_a_claim_takes_the_lease_and_reads_the_task_in_one_statement(engine, storage, sandbox_url, user) -> None:
    ctx = make_ctx(engine, storage, sandbox_url, worker_id="w-claim")
    task_id = start(engine, user, "image", "nano-banana-pro", "A wren")
    with session_scope(engine) as s:
        claim, writes = _writes_during(engine, lambda: generation._claim(s, task_id, ctx.worker_id, ctx.lease))
    assert len(writes) == 1 and "RETURNING" in writes[0].upper()
    assert claim.task is not None and claim.task.id == task_id and claim.task.prompt == "A wren"
    assert claim.task.lease_owner == "w-claim" and claim.task.lease_expires_at is not None  # the row as claimed
    assert load(engine, task_id).lease_owner == "w-claim"
    with session_scope(engine) as s:  # the same worker may take its own lease again; another may not
        assert generation._claim(s, task_id, "w-claim", ctx.lease).task is not None
        assert generation._claim(s, task_id, "w-other", ctx.lease) == generation.Claim(None, held=True)
