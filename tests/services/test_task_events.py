"""Task changes are published once after commit, to the subscriptions of the task's user: through the
in-process broadcaster, and through real Redis pub/sub across processes, with a re-read asked for
when the listener lost Redis. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from sqlalchemy import update
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine

from smartspec_app.models import GenerationTask, TaskStatus, User
from smartspec_app.services import auth, generation, task_events, task_media
from smartspec_app.services.db import session_scope
from smartspec_app.services.generation import WorkerContext, _save
from smartspec_app.services.task_events import InProcessBroadcaster, RedisBroadcaster, TaskSnapshot
from tests.support.live_app import PROJECT_ROOT
from tests.support.scale_out import answers

REDIS_DB = 11


@pytest.fixture
def users(engine) -> tuple[User, User]:
    with session_scope(engine) as s:
        return auth.create_user(s, "one@example.com", "a long password"), auth.create_user(s, "two@example.com", "a long password")


@pytest.fixture
def broadcaster(monkeypatch: pytest.MonkeyPatch) -> InProcessBroadcaster:
    hub = InProcessBroadcaster()
    monkeypatch.setattr(task_events, "_broadcaster", hub)
    return hub


def start(engine, user: User, prompt: str = "A fox") -> str:
    with session_scope(engine) as s:
        return generation.start_generation(s, user, "image", "nano-banana-pro", prompt, {}, "sandbox").id


def ctx(engine) -> WorkerContext:
    return WorkerContext(
        session_factory=lambda: session_scope(engine),
        storage=None,  # type: ignore[arg-type]
        provider_for=None,  # type: ignore[arg-type]
        url_policy_for=None,  # type: ignore[arg-type]
        max_download_bytes=0,
        worker_id="w",
    )


async def drain(sub, timeout: float = 0.3) -> list[TaskSnapshot] | None:
    batch = await sub.next(timeout)
    return None if batch is None else batch.changes


def test_each_committed_change_reaches_the_users_watchers_once(engine, users, broadcaster) -> None:
    one, two = users

    async def scenario() -> None:
        subscribe = broadcaster.subscribe
        async with subscribe(one.id) as mine, subscribe(one.id) as second_tab, subscribe(two.id) as other:
            task_id = start(engine, one)
            [created] = await drain(mine)
            assert (created.id, created.status, created.user_id, created.prompt) == (task_id, TaskStatus.PENDING, one.id, "A fox")
            assert [s.id for s in await drain(second_tab)] == [task_id]

            _save(ctx(engine), task_id, status=TaskStatus.RUNNING, progress=40, status_detail="Generating")  # the worker's Core UPDATE
            [running] = await drain(mine)
            assert (running.status, running.progress, running.status_detail) == ("running", 40, "Generating")

            _save(ctx(engine), task_id, lease_owner="w", poll_count=3)  # bookkeeping only: nothing to show
            assert await drain(mine) is None

            with pytest.raises(RuntimeError), session_scope(engine) as s:
                s.exec(update(GenerationTask).where(GenerationTask.id == task_id).values(progress=90))
                raise RuntimeError("rolled back")
            assert await drain(mine) is None

            with session_scope(engine) as s:  # an ORM change (as accept_callback makes)
                task = s.get(GenerationTask, task_id)
                task.status, task.progress = TaskStatus.COMPLETED, 100
                s.add(task)
            [done] = await drain(mine)
            assert (done.status, done.progress) == ("completed", 100)
            assert [s.status for s in await drain(second_tab)] == ["completed"]  # coalesced: the latest of that task only

            assert await drain(other) is None  # another user's watcher heard nothing

    asyncio.run(scenario())


def test_publishing_needs_no_second_connection_while_the_commit_holds_one(db_url: str, engine, users, broadcaster) -> None:
    """A pool of one connection: the snapshot read after the commit must not wait for a second one
    (it did: every committer held one and waited for another, and 15 of them drained the pool)."""
    one, _ = users
    tight = create_engine(db_url, poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=2)
    try:

        async def scenario() -> None:
            async with broadcaster.subscribe(one.id) as sub:
                began = time.monotonic()
                task_id = start(tight, one)
                [created] = await drain(sub)
                assert created.id == task_id
                assert time.monotonic() - began < 1.5  # no wait for a pool timeout on the way
                _save(ctx(tight), task_id, status=TaskStatus.RUNNING, progress=40)
                [running] = await drain(sub)
                assert running.progress == 40

        asyncio.run(scenario())
    finally:
        tight.dispose()


def test_concurrent_committers_never_wait_on_each_other_for_connections(db_url: str, engine, users, broadcaster) -> None:
    """20 threads commit task changes through a pool of 2 + 2 connections: all finish quickly, and
    every change is published (a nested checkout per commit exhausted such a pool)."""
    one, _ = users
    tight = create_engine(db_url, poolclass=QueuePool, pool_size=2, max_overflow=2, pool_timeout=5)
    try:

        async def scenario() -> list[str]:
            async with broadcaster.subscribe(one.id) as sub:
                loop = asyncio.get_running_loop()
                with ThreadPoolExecutor(max_workers=20) as threads:
                    ids = await asyncio.gather(*(loop.run_in_executor(threads, start, tight, one, f"fox {i}") for i in range(20)))
                seen: set[str] = set()
                while len(seen) < len(ids):
                    batch = await drain(sub, timeout=2)
                    assert batch is not None, f"published {len(seen)} of {len(ids)} new tasks"
                    seen |= {snapshot.id for snapshot in batch}
                return ids

        began = time.monotonic()
        assert len(set(asyncio.run(scenario()))) == 20
        assert time.monotonic() - began < 4  # well under the pool timeout: nobody waited for it
    finally:
        tight.dispose()


def test_a_cancellation_is_published_and_the_worker_s_later_step_is_not(engine, users, broadcaster) -> None:
    one, _ = users

    async def scenario() -> None:
        async with broadcaster.subscribe(one.id) as sub:
            task_id = start(engine, one)
            await drain(sub)
            with session_scope(engine) as s:
                generation.cancel_task(s, s.get(User, one.id), task_id)
            [cancelled] = await drain(sub)
            assert (cancelled.status, cancelled.status_detail) == (TaskStatus.CANCELLED, "Cancelled")
            assert not _save(ctx(engine), task_id, progress=80)  # a worker step after the cancel writes nothing
            later = await drain(sub)  # at most the unchanged row again: nothing brings it back to life
            assert later is None or {s.status for s in later} == {TaskStatus.CANCELLED}

    asyncio.run(scenario())


def test_the_snapshot_is_the_committed_row_and_several_changes_coalesce(engine, users, broadcaster) -> None:
    one, _ = users

    async def scenario() -> None:
        async with broadcaster.subscribe(one.id) as sub:
            task_id = start(engine, one)
            for progress in (10, 20, 30):
                _save(ctx(engine), task_id, progress=progress)
            [latest] = await drain(sub)
            assert latest.progress == 30
            with Session(engine) as s:
                assert TaskSnapshot.of(s.get(GenerationTask, task_id)) == latest

    asyncio.run(scenario())


def test_bulk_updates_by_id_list_and_deletions_are_published(engine, users, broadcaster, storage) -> None:
    one, _ = users

    async def scenario() -> None:
        async with broadcaster.subscribe(one.id) as sub:
            ids = [start(engine, one, f"Task {n}") for n in range(3)]
            await drain(sub)
            with session_scope(engine) as s:
                s.exec(update(GenerationTask).where(GenerationTask.id.in_(ids[:2])).values(status=TaskStatus.FAILED, error_message="x"))
            assert sorted(s.id for s in await drain(sub)) == sorted(ids[:2])

            with session_scope(engine) as s:
                task_media.delete_task(s, storage, s.get(User, one.id), ids[0])
            [gone] = await drain(sub)
            assert (gone.id, gone.deleted, gone.user_id) == (ids[0], True, one.id)

    asyncio.run(scenario())


def test_a_failing_broadcaster_never_fails_the_write(engine, users, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    one, _ = users

    class Broken:
        def publish(self, snapshots) -> None:
            raise ConnectionError("no Redis")

    monkeypatch.setattr(task_events, "_broadcaster", Broken())
    task_id = start(engine, one)
    _save(ctx(engine), task_id, progress=50)
    with Session(engine) as s:
        assert s.get(GenerationTask, task_id).progress == 50
    assert "could not publish" in caplog.text


# --------------------------------------------------------------------------- Redis


@pytest.fixture
def redis_url() -> Iterator[str]:
    if not answers(6379):
        pytest.skip("no Redis on 127.0.0.1:6379")
    yield f"redis://127.0.0.1:6379/{REDIS_DB}"


PUBLISH_FROM_ANOTHER_PROCESS = """
import sys
from smartspec_app.services.task_events import RedisBroadcaster, TaskSnapshot
RedisBroadcaster(sys.argv[1]).publish([TaskSnapshot(id=sys.argv[2], user_id=int(sys.argv[3]), status="completed", progress=100)])
"""


def test_redis_carries_a_change_from_another_process_to_this_ones_watcher(redis_url: str) -> None:
    broadcaster = RedisBroadcaster(redis_url)

    async def scenario() -> None:
        async with broadcaster.subscribe(7) as sub, broadcaster.subscribe(8) as other:
            # a queue consumer in another process publishes
            cmd = [sys.executable, "-c", PUBLISH_FROM_ANOTHER_PROCESS, redis_url, "t-1", "7"]
            await asyncio.to_thread(subprocess.run, cmd, check=True, cwd=PROJECT_ROOT, timeout=60)
            batch = await sub.next(10)
            assert batch is not None and [(s.id, s.status, s.progress) for s in batch.changes] == [("t-1", "completed", 100)]
            assert await other.next(0.3) is None

    try:
        asyncio.run(scenario())
    finally:
        broadcaster.close()


def test_after_the_listener_loses_redis_every_watcher_is_told_to_reread(redis_url: str) -> None:
    broadcaster = RedisBroadcaster(redis_url)
    admin = redis.Redis.from_url(redis_url)

    async def scenario() -> None:
        async with broadcaster.subscribe(7) as sub:
            # what a Redis restart does to the subscription (only this test's listener: the Redis is shared)
            listeners = admin.client_list(_type="pubsub")
            ours = [c for c in listeners if c.get("name") == task_events.LISTENER_NAME and c.get("db") == str(REDIS_DB)]
            assert ours, listeners
            for client in ours:
                admin.client_kill_filter(_id=client["id"])
            batch = await sub.next(15)
            assert batch is not None and batch.resync
            # and it listens again: a later change arrives
            deadline = time.monotonic() + 10
            while True:
                broadcaster.publish([TaskSnapshot(id="t-2", user_id=7, status="running")])
                batch = await sub.next(0.5)
                if batch is not None and batch.changes:
                    assert batch.changes[0].id == "t-2"
                    break
                assert time.monotonic() < deadline, "the listener did not come back"

    try:
        asyncio.run(scenario())
    finally:
        broadcaster.close()
        admin.close()


def test_without_redis_the_page_watches_through_the_in_process_broadcaster(app_env: Path) -> None:
    task_events.reset_broadcaster()
    try:
        assert isinstance(task_events.get_broadcaster(), InProcessBroadcaster)
        assert task_events.reaches_watchers()  # the worker runs in this process by default
    finally:
        task_events.reset_broadcaster()
