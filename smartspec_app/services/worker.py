"""The task queue (Huey): SqliteHuey on a local file by default, RedisHuey when REDIS_URL is set.

The backend runs a consumer in-process (`start_embedded_consumer`); for scale-out, run
`huey_consumer smartspec_app.services.worker.huey` next to the backend instead.
Tasks: `advance(task_id)` moves one generation task and re-schedules itself while the provider
works; `recover` (periodic, and at start-up) re-enqueues active tasks a crash left behind.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from contextlib import contextmanager

from huey import RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from smartspec_app.services import generation
from smartspec_app.services.db import session_scope
from smartspec_app.services.downloads import UrlPolicy
from smartspec_app.services.providers.kie import KieProvider
from smartspec_app.services.storage import get_storage
from smartspec_app.settings import get_settings

log = logging.getLogger(__name__)


def _make_huey():
    settings = get_settings()
    if settings.redis_url:
        return RedisHuey("smartspec", url=settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("smartspec", filename=str(settings.queue_path))


huey = _make_huey()


def provider_name() -> str:
    """The provider new tasks use: kie.ai when a key is configured, else the sandbox."""
    return "sandbox" if get_settings().uses_sandbox else "kie"


def build_provider(name: str) -> KieProvider:
    settings = get_settings()
    if name == "sandbox":
        return KieProvider("sandbox", settings.sandbox_base_url, max_attempts=3, backoff_base=0.2)
    return KieProvider(settings.kie_ai_api_key, settings.kie_ai_base_url)


def url_policy(name: str) -> UrlPolicy:
    if name == "sandbox":
        return UrlPolicy(trusted_prefix=get_settings().sandbox_base_url)
    return UrlPolicy(require_https=True)


def worker_context() -> generation.WorkerContext:
    settings = get_settings()
    return generation.WorkerContext(
        session_factory=session_scope,
        storage=get_storage(),
        provider_for=build_provider,
        url_policy_for=url_policy,
        max_download_bytes=settings.max_download_bytes,
        worker_id=f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}",
    )


@huey.task(retries=2, retry_delay=5)
def advance(task_id: str) -> None:
    delay = generation.advance_task(worker_context(), task_id)
    if delay is not None:
        advance.schedule((task_id,), delay=delay)


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
        log.info("re-enqueued %d generation task(s) left behind", len(due))
    return len(due)


def enqueue(task_id: str) -> None:
    advance(task_id)


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
