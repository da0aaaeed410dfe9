"""The task queue (Huey): SqliteHuey on a local file by default, PriorityRedisHuey when REDIS_URL is set.

The backend runs a consumer in-process (`start_embedded_consumer`); for scale-out, run
`huey_consumer smartspec_app.services.worker.huey` next to the backend instead.
Tasks: `advance(task_id)` moves one generation task and re-schedules itself while the provider
works; `recover` (periodic, and at start-up) re-enqueues active tasks a crash left behind.

Work somebody waits for (a new task's submission, a provider's callback saying a result is ready)
is queued at PROMPT_PRIORITY, ahead of the routine status checks: hundreds of tasks polling never
delay the one whose result just came in.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import httpx
from huey import PriorityRedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from redis import exceptions as redis_errors

from smartspec_app.models import GenerationTask
from smartspec_app.services import generation, keys, sandbox_access, step_io
from smartspec_app.services.db import session_scope
from smartspec_app.services.downloads import UrlPolicy
from smartspec_app.services.errors import ProviderError, ServiceUnavailable
from smartspec_app.services.providers.kie import KieProvider
from smartspec_app.services.storage import get_storage
from smartspec_app.services.wording import counted
from smartspec_app.settings import get_settings

log = logging.getLogger(__name__)


PROMPT_PRIORITY = 10  # submissions and callbacks; status checks and recovery run at 0
HELD_RETRY_SECONDS = 0.25  # a prompt check that finds the task held by another step tries again...
HELD_RETRIES = 8  # ...this many times (2 s), then the task's own schedule carries on


def _make_huey():
    settings = get_settings()
    if settings.redis_url:
        queue = PriorityRedisHuey("smartspec", url=settings.redis_url)
        try:
            adopt_list_queue(queue.storage)
        except Exception as exc:  # Redis not up yet: the next process that starts with it adopts the queue
            log.warning("could not check the Redis task queue's format: %s", exc)
        return queue
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("smartspec", filename=str(settings.queue_path))


def adopt_list_queue(storage) -> int:
    """Earlier versions queued on a plain RedisHuey list; the priority queue is a sorted set under
    the same key. Move a list's messages into it, oldest first, at priority 0; returns how many.
    Atomic (WATCH/MULTI), so processes starting together move them once."""
    key = storage.queue_key
    with storage.conn.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                if pipe.type(key) not in (b"list", "list"):
                    pipe.unwatch()
                    return 0
                items = pipe.lrange(key, 0, -1)  # LPUSH enqueued, BRPOP took from the tail: oldest last
                start = int(time.time() * 1e6)
                # PriorityRedisStorage prefixes each message with its enqueue time (8 bytes, big-endian)
                scored = {struct.pack(">Q", start + n) + item: 0 for n, item in enumerate(reversed(items))}
                pipe.multi()
                pipe.delete(key)
                if scored:
                    pipe.zadd(key, scored)
                pipe.execute()
                log.info("moved %s from the old list queue into the priority queue", counted(len(items), "queued task"))
                return len(items)
            except redis_errors.WatchError:
                continue


huey = _make_huey()


def _kie_key(user_id: int | None) -> keys.ResolvedKey | None:
    with session_scope() as session:
        return keys.kie_key_for(session, keys.get_key_manager(), user_id, get_settings().kie_ai_api_key)


def provider_name(user_id: int | None = None) -> str:
    """The provider a user's new tasks use: kie.ai when a key is there for them, else the sandbox."""
    return "kie" if _kie_key(user_id) else "sandbox"


def provider_for_new_task(user_id: int) -> str:
    """provider_name, refusing when that is the sandbox and the operator switched it off."""
    name = provider_name(user_id)
    if name == "sandbox" and not get_settings().sandbox_mounted:
        raise ServiceUnavailable(
            "No kie.ai key is set for this site (or your account) and the offline sandbox is switched off "
            "(SANDBOX_ENABLED=false): generation is unavailable until an admin saves a kie.ai key"
        )
    return name


def sandbox_provider(client: httpx.AsyncClient | None = None) -> KieProvider:
    """The app's own client of its sandbox: the sandbox secret is its API key."""
    settings = get_settings()
    secret = sandbox_access.sandbox_secret(settings.sandbox_secret, settings.data_dir)
    return KieProvider(secret, settings.sandbox_base_url, max_attempts=3, backoff_base=0.2, client=client)


def build_provider(task: GenerationTask) -> KieProvider:
    """The provider a task was started with; kie.ai tasks use their owner's key, else the operator's.
    In a queue worker thread it sends through the thread's pooled client (services/step_io.py)."""
    if task.provider == "sandbox":
        return sandbox_provider(step_io.provider_client())
    resolved = _kie_key(task.user_id)
    if resolved is None:
        raise ProviderError("No kie.ai key is configured any more for this task (it was removed while the task ran)")
    return KieProvider(resolved.key, get_settings().kie_ai_base_url, client=step_io.provider_client())


def operator_provider() -> KieProvider:
    """The site's own provider (the admin panel's balance and key test)."""
    resolved = _kie_key(None)
    return sandbox_provider() if resolved is None else KieProvider(resolved.key, get_settings().kie_ai_base_url)


def url_policy(name: str) -> UrlPolicy:
    if name == "sandbox":
        return UrlPolicy(trusted_prefix=get_settings().sandbox_base_url)
    return UrlPolicy(require_https=True)


def callback_base(name: str) -> str | None:
    """Where a provider can reach our callback route: the sandbox always can; kie.ai only over public https."""
    settings = get_settings()
    if name == "sandbox":
        return settings.resolved_internal_url
    return settings.public_base_url if settings.public_base_url.startswith("https://") else None


def worker_context() -> generation.WorkerContext:
    settings = get_settings()
    return generation.WorkerContext(
        session_factory=session_scope,
        storage=get_storage(),
        provider_for=build_provider,
        url_policy_for=url_policy,
        max_download_bytes=settings.max_download_bytes,
        worker_id=f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}",
        callback_base_for=callback_base,
        lease=timedelta(seconds=settings.worker_lease_seconds),
        submit_confirm=timedelta(seconds=settings.worker_submit_confirm_seconds),
    )


@huey.on_startup()
def open_step_io() -> None:
    """Each consumer worker thread keeps one event loop and pooled HTTP clients for its steps."""
    step_io.open_thread()


@huey.on_shutdown()
def close_step_io() -> None:
    step_io.close_thread()


@huey.task(retries=2, retry_delay=5)
def advance(task_id: str, held_retries: int = 0) -> None:
    """One step of a task. A prompt step (`held_retries` > 0) that finds another step holding the
    task tries again shortly: that step may have read the provider just before the result came."""
    outcome = generation.step_task(worker_context(), task_id)
    if outcome.next_check is not None:
        advance.schedule((task_id,), delay=outcome.next_check)
    elif held_retries > 0 and outcome.held:
        advance.schedule((task_id, held_retries - 1), delay=HELD_RETRY_SECONDS, priority=PROMPT_PRIORITY)


@huey.periodic_task(crontab(minute="*"))
def recover_every_minute() -> None:
    recover()


def recover() -> int:
    """Enqueue every active task that is overdue and unheld; returns how many."""
    with session_scope() as session:
        due = generation.tasks_due(session)
    for task_id in due:
        advance(task_id)
    if due:
        log.info("re-enqueued %s left behind", counted(len(due), "generation task"))
    return len(due)


def enqueue(task_id: str) -> None:
    """Advance a task as soon as a worker is free: a new task, or a provider's callback."""
    advance(task_id, HELD_RETRIES, priority=PROMPT_PRIORITY)


class _EmbeddedConsumer(Consumer):
    """A consumer that leaves signal handling to the web server it lives in."""

    def _set_signal_handlers(self) -> None:
        pass


@contextmanager
def embedded_consumer(workers: int | None = None):
    """Run a thread consumer for the lifetime of the block (the backend's lifespan)."""
    consumer = _EmbeddedConsumer(
        huey,
        workers=workers or get_settings().worker_threads,
        worker_type="thread",
        periodic=True,
        max_delay=0.5,  # idle workers look at the queue at least twice a second
        shutdown_timeout=10,
    )
    consumer.start()
    log.info("in-process task consumer started (%s)", type(huey).__name__)
    try:
        recover()
        yield consumer
    finally:
        consumer.stop_flag.set()
        consumer._join_workers()
