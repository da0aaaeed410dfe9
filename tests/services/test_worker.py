"""The task queue: prompt work ahead of routine status checks, on the SQLite queue and on Redis, and
a prompt check that finds its task held by another step trying again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from huey import PriorityRedisHuey
from sqlmodel import Session

from smartspec_app.models import GenerationTask, TaskStatus, User, utcnow
from smartspec_app.services import auth, generation, worker
from smartspec_app.services.db import session_scope
from smartspec_app.settings import reload_settings
from tests.support.scale_out import answers, redis_database

REDIS_DB = 12  # a database of its own on the shared Redis, flushed before and after


@pytest.fixture
def queue() -> Iterator:
    """The app's own (SQLite) queue, empty before and after; nothing consumes it here."""
    worker.huey.flush()
    yield worker.huey
    worker.huey.flush()


def _dequeued_args(queue) -> list[tuple]:
    order = []
    while (task := queue.dequeue()) is not None:
        order.append(task.args)
    return order


def test_a_prompt_check_is_taken_before_routine_ones_queued_earlier(queue) -> None:
    worker.advance("routine-1")  # as recovery and due status checks enqueue it
    worker.advance("routine-2")
    worker.enqueue("callback")  # a provider's callback, or a new task
    worker.advance("routine-3")

    assert _dequeued_args(queue) == [("callback", worker.HELD_RETRIES), ("routine-1",), ("routine-2",), ("routine-3",)]


def test_status_checks_are_scheduled_at_the_routine_priority(queue) -> None:
    worker.advance.schedule(("t-1",), delay=30)
    [scheduled] = queue.pending()  # Huey queues it with its time; a worker moves it to the schedule
    assert scheduled.args == ("t-1",) and scheduled.eta is not None and not scheduled.priority


# --------------------------------------------------------------------------- a task held by another step


@pytest.fixture
def user(app_env: Path, engine) -> User:
    with session_scope(engine) as s:
        return auth.create_user(s, "maker@example.com", "a long password")


def _task(engine, user: User, **values) -> str:
    with session_scope(engine) as s:
        task = GenerationTask(user_id=user.id, task_type="image", model_id="nano-banana-pro", prompt="A fox", provider="sandbox", **values)
        s.add(task)
        s.flush()
        return task.id


def test_a_prompt_check_that_finds_the_task_held_tries_again_shortly(queue, engine, user) -> None:
    held = {"lease_owner": "another worker", "lease_expires_at": utcnow() + timedelta(minutes=2)}
    task_id = _task(engine, user, status=TaskStatus.RUNNING, **held)

    worker.advance.call_local(task_id, 3)

    [again] = queue.pending()
    assert again.args == (task_id, 2) and again.eta is not None
    assert again.priority == worker.PROMPT_PRIORITY
    with Session(engine) as s:
        assert s.get(GenerationTask, task_id).lease_owner == "another worker"  # left to its holder


def test_the_retries_are_bounded_and_only_for_held_tasks(queue, engine, user) -> None:
    held = {"lease_owner": "another worker", "lease_expires_at": utcnow() + timedelta(minutes=2)}
    last_try = _task(engine, user, status=TaskStatus.RUNNING, **held)
    expired = _task(engine, user, status=TaskStatus.RUNNING, lease_owner="a dead worker", lease_expires_at=utcnow() - timedelta(seconds=1))
    ended = _task(engine, user, status=TaskStatus.COMPLETED, progress=100)

    worker.advance.call_local(last_try, 0)  # its retries are used up: the task's own schedule carries on
    worker.advance.call_local(ended, 3)  # nothing more to do

    assert queue.pending() == []
    with Session(engine) as s:
        assert not generation.is_held(s, expired)  # a lease that ran out holds nothing: the next step takes it over
        assert generation.is_held(s, last_try)
        assert not generation.is_held(s, ended)


# --------------------------------------------------------------------------- Redis


@pytest.fixture
def redis_queue(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Iterator[PriorityRedisHuey]:
    if not answers(6379):
        pytest.skip("no Redis on 127.0.0.1:6379")
    with redis_database(REDIS_DB) as url:
        monkeypatch.setenv("REDIS_URL", url)
        reload_settings()
        yield worker._make_huey()


def test_with_redis_the_queue_keeps_priorities(redis_queue: PriorityRedisHuey) -> None:
    storage = redis_queue.storage
    storage.enqueue(b"routine-1", 0)
    storage.enqueue(b"routine-2", None)
    storage.enqueue(b"prompt", worker.PROMPT_PRIORITY)

    assert [storage.dequeue() for _ in range(4)] == [b"prompt", b"routine-1", b"routine-2", None]


def test_a_list_queue_left_by_an_earlier_version_is_adopted_in_order(redis_queue: PriorityRedisHuey) -> None:
    storage = redis_queue.storage
    storage.conn.delete(storage.queue_key)
    for message in (b"old-1", b"old-2", b"old-3"):
        storage.conn.lpush(storage.queue_key, message)  # as RedisHuey enqueued (and BRPOP took the oldest)

    assert worker.adopt_list_queue(storage) == 3
    assert worker.adopt_list_queue(storage) == 0  # once: it is a sorted set now
    storage.enqueue(b"prompt", worker.PROMPT_PRIORITY)
    storage.enqueue(b"new", 0)

    assert [storage.dequeue() for _ in range(6)] == [b"prompt", b"old-1", b"old-2", b"old-3", b"new", None]


def test_the_queue_is_adopted_when_the_app_starts(redis_queue: PriorityRedisHuey) -> None:
    storage = redis_queue.storage
    storage.conn.delete(storage.queue_key)
    storage.conn.lpush(storage.queue_key, b"left behind")

    again = worker._make_huey()  # what importing the worker module does in a backend or consumer

    assert storage.conn.type(storage.queue_key) == b"zset"
    assert again.storage.dequeue() == b"left behind"
