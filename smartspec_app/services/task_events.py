"""Task changes: recorded where they are written, published once after commit, delivered to watchers.

Every committed change of a generation task that a person can see (a new task; its status,
progress, detail, results or error; its deletion) is published once, as a snapshot of the row read
right after the commit, to whoever watches that user's tasks. Nothing has to remember to publish:
the hooks below sit on every SQLAlchemy `Session` of the process and catch
- ORM changes (`session.add(task)`, attribute changes, `session.delete(task)`) at flush, and
- `update(GenerationTask).where(GenerationTask.id == ...)` / `.in_(...)` statements run through a
  session (what `generation._save` does), by the task ids in their WHERE clause,
and publish after the transaction commits (a rollback publishes nothing) and has given its connection
back to the pool, so the snapshot read never waits for a second connection while holding one. A write that bypasses
both (raw SQL on a connection, an UPDATE without the task id in its WHERE) is still seen by the
watchers' slow re-read from the database, which stays the source of truth.

Delivery (`get_broadcaster()`): within one process an in-process broadcaster hands each change to
the subscriptions of its user; with REDIS_URL set, changes go through one Redis pub/sub channel,
which every backend process listens to, so a queue consumer in another process reaches the backend
worker that holds the page. After the listener loses Redis, every subscription is told to re-read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter
from sqlalchemy.sql.schema import Column

from smartspec_app.models import GenerationTask
from smartspec_app.services.wording import counted
from smartspec_app.settings import get_settings

log = logging.getLogger(__name__)

CHANNEL = "smartspec:task-changes:db{db}"  # pub/sub ignores database numbers: this keeps deployments sharing a Redis apart
LISTENER_NAME = "smartspec-task-changes"  # the listener's Redis client name (CLIENT LIST)
# Columns a person sees (the page, the REST task); a write touching only others (leases, poll
# bookkeeping) is not published.
VISIBLE_COLUMNS = frozenset(
    {
        "status",
        "progress",
        "status_detail",
        "output_url",
        "output_urls",
        "thumbnail_url",
        "error_message",
        "prompt",
        "provider",
        "completed_at",
        "credits_used",
    }
)
_PENDING = "smartspec_task_changes"  # session.info key: {task_id: user_id or None} recorded in this transaction
_DELETED = "smartspec_task_deletions"  # session.info key: {task_id: user_id}
_COMMITTED = "smartspec_task_changes_committed"  # session.info key: (changed, deleted) committed, to publish


@dataclass(frozen=True)
class TaskSnapshot:
    """What a watcher needs of one task, as it stood right after a commit (or its deletion)."""

    id: str
    user_id: int
    task_type: str = ""
    model_id: str = ""
    prompt: str = ""
    status: str = ""
    status_detail: str = ""
    progress: int = 0
    output_urls: list[str] = field(default_factory=list)
    thumbnail_url: str = ""
    error_message: str = ""
    provider: str = ""
    created_at: str = ""  # ISO 8601, UTC
    updated_at: str = ""
    credits_used: float = 0.0
    credits_held: float = 0.0  # the price held at submit (services/credits.py)
    deleted: bool = False

    @classmethod
    def of(cls, task: Any) -> TaskSnapshot:
        """From a GenerationTask (or a row with its columns)."""
        return cls(
            id=task.id,
            user_id=task.user_id,
            task_type=task.task_type,
            model_id=task.model_id,
            prompt=task.prompt,
            status=task.status,
            status_detail=task.status_detail or "",
            progress=task.progress or 0,
            output_urls=list(task.output_urls or []),
            thumbnail_url=task.thumbnail_url or "",
            error_message=task.error_message or "",
            provider=task.provider,
            created_at=_iso(task.created_at),
            updated_at=_iso(task.updated_at),
            credits_used=task.credits_used or 0.0,
            credits_held=task.credits_held or 0.0,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> TaskSnapshot:
        return cls(**json.loads(text))


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


_SNAPSHOT_COLUMNS = [
    GenerationTask.id,
    GenerationTask.user_id,
    GenerationTask.task_type,
    GenerationTask.model_id,
    GenerationTask.prompt,
    GenerationTask.status,
    GenerationTask.status_detail,
    GenerationTask.progress,
    GenerationTask.output_urls,
    GenerationTask.thumbnail_url,
    GenerationTask.error_message,
    GenerationTask.provider,
    GenerationTask.created_at,
    GenerationTask.updated_at,
    GenerationTask.credits_used,
    GenerationTask.credits_held,
]


def read_snapshots(engine: Engine, task_ids: Iterable[str]) -> list[TaskSnapshot]:
    """The current rows of these tasks (one query); missing ones are left out."""
    ids = list(task_ids)
    if not ids:
        return []
    with engine.connect() as conn:
        return _read_rows(conn, ids)


def _read_rows(conn: Connection, ids: list[str]) -> list[TaskSnapshot]:
    if not ids:
        return []
    rows = conn.execute(select(*_SNAPSHOT_COLUMNS).where(GenerationTask.id.in_(ids))).all()
    return [TaskSnapshot.of(row) for row in rows]


# --------------------------------------------------------------------------- recording on the session


def record_change(session: Session, task_id: str, user_id: int | None = None) -> None:
    """Note that this transaction changed a task; it is published after the commit."""
    pending: dict[str, int | None] = session.info.setdefault(_PENDING, {})
    pending[task_id] = pending.get(task_id) or user_id


def _record_deletion(session: Session, task_id: str, user_id: int) -> None:
    session.info.setdefault(_DELETED, {})[task_id] = user_id
    session.info.get(_PENDING, {}).pop(task_id, None)


def _visible_change(task: GenerationTask) -> bool:
    from sqlalchemy import inspect

    state = inspect(task)
    return any(state.attrs[name].history.has_changes() for name in VISIBLE_COLUMNS)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    for obj in session.new:
        if isinstance(obj, GenerationTask):
            record_change(session, obj.id, obj.user_id)
    for obj in session.dirty:
        if isinstance(obj, GenerationTask) and _visible_change(obj):
            record_change(session, obj.id, obj.user_id)
    for obj in session.deleted:
        if isinstance(obj, GenerationTask):
            _record_deletion(session, obj.id, obj.user_id)


@event.listens_for(Session, "do_orm_execute")
def _on_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is None or mapper.class_ is not GenerationTask:
        return
    statement = state.statement
    if state.is_update and not _sets_visible_column(statement):
        return
    ids = _task_ids_in(statement.whereclause)
    if ids is None:
        log.warning("a bulk %s of generation_tasks names no task id; watchers see it at their next re-read", statement.__visit_name__)
        return
    for task_id in ids:
        if state.is_delete:
            # the owner is unknown here: read it before the row goes, so the deletion can be routed
            owner = state.session.execute(select(GenerationTask.user_id).where(GenerationTask.id == task_id)).scalar()
            if owner is not None:
                _record_deletion(state.session, task_id, owner)
        else:
            record_change(state.session, task_id)


def _sets_visible_column(statement: Any) -> bool:
    values = getattr(statement, "_values", None)
    if not values:
        return True  # cannot tell: publish (an unchanged snapshot costs one read and sends nothing)
    return any(getattr(key, "key", key) in VISIBLE_COLUMNS for key in values)


def _task_ids_in(whereclause: Any) -> list[str] | None:
    """The task ids a WHERE clause pins down (`id == x` or `id IN (...)`), or None."""
    if whereclause is None:
        return None
    ids: list[str] = []
    for node in visitors.iterate(whereclause):
        if not isinstance(node, BinaryExpression):
            continue
        left, right = node.left, node.right
        if not (isinstance(left, Column) and left.table.name == GenerationTask.__tablename__ and left.key == "id"):
            continue
        if not isinstance(right, BindParameter):
            continue
        value = right.effective_value
        if node.operator is operators.eq and isinstance(value, str):
            ids.append(value)
        elif node.operator is operators.in_op and isinstance(value, (list, tuple)):
            ids.extend(str(v) for v in value)
    return ids or None


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """Keep what this commit changed for `_after_transaction_end`.

    Not published here: at this point the session still holds its pooled connection, and reading the
    snapshots would take a second one from the same pool. Under load every committing thread would
    hold one and wait for another, and the pool runs dry on its own waiters (services/pool_guard.py)."""
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the outer transaction may still roll back
    changed: dict[str, int | None] = session.info.pop(_PENDING, {})
    deleted: dict[str, int] = session.info.pop(_DELETED, {})
    if not changed and not deleted:
        return
    done_changed, done_deleted = session.info.setdefault(_COMMITTED, ({}, {}))
    for task_id, user_id in changed.items():
        done_changed[task_id] = done_changed.get(task_id) or user_id
    done_deleted.update(deleted)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Publish the committed changes once the transaction has given its connection back to the pool."""
    if transaction.parent is not None or _COMMITTED not in session.info:
        return
    changed, deleted = session.info.pop(_COMMITTED)
    try:
        bind = session.get_bind()
        ids = [task_id for task_id in changed if task_id not in deleted]
        # a session joined to its caller's connection reads through it, not through a second one
        snapshots = _read_rows(bind, ids) if isinstance(bind, Connection) else read_snapshots(bind, ids)
        snapshots += [TaskSnapshot(id=task_id, user_id=user_id, deleted=True) for task_id, user_id in deleted.items()]
        get_broadcaster().publish(snapshots)
    except Exception:  # never fail a committed write over its announcement: watchers re-read
        count = len(changed) + len(deleted)
        log.warning("could not publish %s; open pages catch up at their next re-read", counted(count, "task change"), exc_info=True)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_DELETED, None)


# --------------------------------------------------------------------------- delivery


@dataclass
class Batch:
    """What a watcher wakes up with: the latest snapshot per changed task, and whether it must re-read."""

    changes: list[TaskSnapshot]
    resync: bool = False


class Subscription:
    """One watcher's inbox, bound to the event loop it was made on; fed from any thread."""

    def __init__(self, user_id: int, loop: asyncio.AbstractEventLoop) -> None:
        self.user_id = user_id
        self._loop = loop
        self._pending: dict[str, TaskSnapshot] = {}
        self._resync = False
        self._wake = asyncio.Event()

    def push(self, snapshot: TaskSnapshot) -> None:
        self._call(self._put, snapshot)

    def push_resync(self) -> None:
        self._call(self._put_resync)

    def _call(self, fn, *args) -> None:
        try:
            if _running_loop() is self._loop:
                fn(*args)
            else:
                self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    def _put(self, snapshot: TaskSnapshot) -> None:
        self._pending[snapshot.id] = snapshot
        self._wake.set()

    def _put_resync(self) -> None:
        self._resync = True
        self._wake.set()

    async def next(self, timeout: float) -> Batch | None:
        """The changes since the last call, waiting up to `timeout` s for one; None when none came."""
        if not self._wake.is_set():
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return None
        self._wake.clear()
        batch = Batch(list(self._pending.values()), self._resync)
        self._pending, self._resync = {}, False
        return batch


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class _Hub:
    """The subscriptions of this process, by user."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_user: dict[int, set[Subscription]] = {}

    def add(self, sub: Subscription) -> None:
        with self._lock:
            self._by_user.setdefault(sub.user_id, set()).add(sub)

    def remove(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._by_user.get(sub.user_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._by_user[sub.user_id]

    def deliver(self, snapshot: TaskSnapshot) -> None:
        with self._lock:
            subs = list(self._by_user.get(snapshot.user_id, ()))
        for sub in subs:
            sub.push(snapshot)

    def resync_all(self) -> None:
        with self._lock:
            subs = [s for group in self._by_user.values() for s in group]
        for sub in subs:
            sub.push_resync()

    def count(self) -> int:
        with self._lock:
            return sum(len(group) for group in self._by_user.values())


class InProcessBroadcaster:
    """The embedded default: the worker threads and the watchers share one process."""

    cross_process = False

    def __init__(self) -> None:
        self.hub = _Hub()

    def publish(self, snapshots: Iterable[TaskSnapshot]) -> None:
        for snapshot in snapshots:
            self.hub.deliver(snapshot)

    @asynccontextmanager
    async def subscribe(self, user_id: int) -> AsyncIterator[Subscription]:
        """Changes of `user_id`'s tasks from the moment this returns (subscribe, then read the database)."""
        sub = Subscription(user_id, asyncio.get_running_loop())
        self.hub.add(sub)
        try:
            yield sub
        finally:
            self.hub.remove(sub)

    def close(self) -> None:
        pass


class RedisBroadcaster:
    """REDIS_URL set: changes travel through one Redis pub/sub channel that every process hears.

    Publishing is a plain (synchronous, thread-safe) PUBLISH from whichever process commits. Each
    process that has watchers runs one listener task on its event loop, subscribed to the channel,
    and hands each message to the local subscriptions of its user. One channel for all users keeps
    it simple and free of subscribe races (the subscription is live before a watcher reads the
    database); every process hears every change, which is cheap next to what a change costs anyway.
    """

    cross_process = True
    RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0)

    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        self.hub = _Hub()
        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.channel = CHANNEL.format(db=self._client.connection_pool.connection_kwargs.get("db", 0))
        self._listener: asyncio.Task | None = None
        self._listener_loop: asyncio.AbstractEventLoop | None = None
        self._live: asyncio.Event | None = None
        self._last_warning = 0.0

    def publish(self, snapshots: Iterable[TaskSnapshot]) -> None:
        items = list(snapshots)
        if not items:
            return
        pipe = self._client.pipeline(transaction=False)
        for snapshot in items:
            pipe.publish(self.channel, snapshot.to_json())
        pipe.execute()

    @asynccontextmanager
    async def subscribe(self, user_id: int) -> AsyncIterator[Subscription]:
        live = self._ensure_listener()
        sub = Subscription(user_id, asyncio.get_running_loop())
        self.hub.add(sub)
        try:
            try:  # published before the channel is live would be lost: wait for it (the re-read covers a Redis outage)
                await asyncio.wait_for(live.wait(), 5)
            except TimeoutError:
                log.warning("task change listener is not connected to Redis; pages fall back to re-reading the database")
            yield sub
        finally:
            self.hub.remove(sub)

    def _ensure_listener(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._listener is None or self._listener.done() or self._listener_loop is not loop:
            self._live = asyncio.Event()
            self._listener_loop = loop
            self._listener = loop.create_task(self._listen(self._live), name="task-change-listener")
        assert self._live is not None
        return self._live

    async def _listen(self, live: asyncio.Event) -> None:
        import redis.asyncio as aioredis

        failures = 0
        while True:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2, health_check_interval=15, client_name=LISTENER_NAME)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                await self._confirmed(pubsub)
                live.set()
                if failures:
                    log.info("task change listener reconnected to Redis; open pages re-read their tasks")
                    self.hub.resync_all()  # whatever was published while we were away is lost
                failures = 0
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=30)
                    if message is None or message.get("type") != "message":
                        continue
                    try:
                        self.hub.deliver(TaskSnapshot.from_json(message["data"]))
                    except (ValueError, TypeError, KeyError):
                        log.warning("ignored a malformed task change message")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                live.clear()
                failures += 1
                now = time.monotonic()
                if now - self._last_warning > 30:
                    self._last_warning = now
                    log.warning("task change listener lost Redis (%s); retrying", exc)
                await asyncio.sleep(self.RETRY_SECONDS[min(failures, len(self.RETRY_SECONDS)) - 1])
            finally:
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except Exception:
                    pass

    @staticmethod
    async def _confirmed(pubsub) -> None:
        """Wait for Redis to confirm the subscription: a change published after that reaches us."""
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=False, timeout=5)
            if message is None:
                raise ConnectionError("Redis did not confirm the subscription")
            if message.get("type") == "subscribe":
                return

    def close(self) -> None:
        if self._listener is not None and not self._listener.done() and self._listener_loop is not None:
            self._listener_loop.call_soon_threadsafe(self._listener.cancel)
        self._client.close()


Broadcaster = InProcessBroadcaster | RedisBroadcaster
_broadcaster: Broadcaster | None = None
_broadcaster_lock = threading.Lock()


def get_broadcaster() -> Broadcaster:
    """Redis pub/sub when REDIS_URL is set, else the in-process broadcaster (one per process)."""
    global _broadcaster
    if _broadcaster is None:
        with _broadcaster_lock:
            if _broadcaster is None:
                url = get_settings().redis_url
                _broadcaster = RedisBroadcaster(url) if url else InProcessBroadcaster()
    return _broadcaster


def reset_broadcaster() -> None:
    """Forget the broadcaster (tests that change REDIS_URL)."""
    global _broadcaster
    with _broadcaster_lock:
        if _broadcaster is not None:
            _broadcaster.close()
        _broadcaster = None


def reaches_watchers() -> bool:
    """Whether a change written by the task worker reaches this process's watchers as it happens:
    through Redis, or because the worker runs in this process. Otherwise (a separate consumer on the
    SQLite queue) watchers can only re-read the database."""
    settings = get_settings()
    return bool(settings.redis_url) or settings.worker_in_process
