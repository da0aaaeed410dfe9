"""The connection pool against a real PostgreSQL: its size, and dead connections replaced before use."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from smartspec_app.services import db
from tests.conftest import POSTGRES_URL, postgres_available

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not postgres_available(), reason="no PostgreSQL on 127.0.0.1:5432"),
]


@pytest.fixture
def fresh_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """An engine of its own (not the cached one), idle after 0.2 s instead of 5."""
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.2)
    engine = db._engine_for.__wrapped__(POSTGRES_URL)
    yield engine
    engine.dispose()


def backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def terminate(pid: int) -> None:
    """Kill one server process, as a database restart or a proxy's idle timeout would."""
    killer = db._engine_for.__wrapped__(POSTGRES_URL)
    try:
        with killer.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        killer.dispose()


def test_pool_size_follows_the_setting(monkeypatch: pytest.MonkeyPatch, data_dir) -> None:
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    from smartspec_app.settings import reload_settings

    reload_settings()
    engine = db._engine_for.__wrapped__(POSTGRES_URL)
    try:
        assert engine.pool.size() == 3 and engine.pool._max_overflow == db.POOL_OVERFLOW  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(fresh_engine: Engine) -> None:
    pid = backend_pid(fresh_engine)
    terminate(pid)
    time.sleep(0.3)  # longer than PING_IDLE_SECONDS: the checkout pings, finds it dead, connects afresh
    assert backend_pid(fresh_engine) != pid
    assert fresh_engine.pool.checkedin() == 1  # the dead one was dropped, not kept beside the new one


def test_a_busy_connection_is_not_pinged(fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Used a moment ago: no round trip before use. Were it dead, one request fails and the pool
    is invalidated, so the next one connects afresh."""
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 60.0)
    engine = db._engine_for.__wrapped__(POSTGRES_URL)
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or True)
    try:
        pid = backend_pid(engine)
        backend_pid(engine)
        assert pings == []
        terminate(pid)
        with pytest.raises(OperationalError):
            backend_pid(engine)
        assert backend_pid(engine) != pid
    finally:
        engine.dispose()
