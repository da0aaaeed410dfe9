"""Writers on one SQLite file queue in the process instead of in SQLite's sleeping busy handler.

Each test gives the waiting connection a busy timeout of 0: without the gate SQLite refuses its
write at once ("database is locked"), so a write that succeeds after waiting shows the gate did it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from smartspec_app.services import db
from smartspec_app.services.sqlite_writes import WriterGate

WAIT = 10  # seconds a test waits for a thread before calling it stuck


def _engine(path: Path, *, gated: bool) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 0})
    with engine.begin() as conn:
        conn.execute(text("PRAGMA journal_mode=WAL"))
        conn.execute(text("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT OR IGNORE INTO counter (id, n) VALUES (1, 0)"))
    if gated:
        WriterGate().install(engine)
    return engine


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[Engine]:
    engine = _engine(tmp_path / "gated.db", gated=True)
    yield engine
    engine.dispose()


def _bump(conn: Connection) -> None:
    conn.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()


def _second_writer(engine: Engine, events: list[str], *, no_busy_wait: bool = True) -> threading.Thread:
    def write() -> None:
        try:
            with engine.begin() as conn:
                if no_busy_wait:
                    conn.exec_driver_sql("PRAGMA busy_timeout = 0")
                events.append("second writing")
                _bump(conn)
            events.append("second committed")
        except OperationalError as exc:
            events.append(f"second refused: {exc.orig}")

    thread = threading.Thread(target=write)
    thread.start()
    return thread


def _wait_until_waiting(events: list[str]) -> None:
    for _ in range(WAIT * 100):
        if events:
            return
        threading.Event().wait(0.01)
    raise AssertionError("the second writer never began")


def test_without_the_gate_sqlite_refuses_a_second_writer_at_once(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "plain.db", gated=False)
    events: list[str] = []
    with engine.begin() as conn:
        _bump(conn)
        _second_writer(engine, events).join(WAIT)
    assert events[-1] == "second refused: database is locked"
    engine.dispose()


def test_a_second_writer_waits_its_turn_and_goes_when_the_first_commits(gated: Engine) -> None:
    events: list[str] = []
    with gated.begin() as conn:
        _bump(conn)
        second = _second_writer(gated, events)
        _wait_until_waiting(events)
        second.join(0.3)
        assert second.is_alive() and events == ["second writing"]  # waiting in the gate, not refused
        events.append("first commits")
    second.join(WAIT)
    assert events == ["second writing", "first commits", "second committed"]
    assert _count(gated) == 2


def test_a_rollback_gives_the_turn_back(gated: Engine) -> None:
    events: list[str] = []
    conn = gated.connect()
    transaction = conn.begin()
    _bump(conn)
    second = _second_writer(gated, events)
    _wait_until_waiting(events)
    transaction.rollback()
    second.join(WAIT)
    conn.close()
    assert events == ["second writing", "second committed"]
    assert _count(gated) == 1


def test_a_connection_closed_in_the_middle_of_a_write_gives_the_turn_back(gated: Engine) -> None:
    events: list[str] = []
    conn = gated.connect()
    conn.begin()
    _bump(conn)
    second = _second_writer(gated, events)
    _wait_until_waiting(events)
    conn.close()  # never committed: the pool rolls it back
    second.join(WAIT)
    assert events == ["second writing", "second committed"]
    assert _count(gated) == 1


def test_a_thread_writing_on_two_connections_is_left_to_sqlite_not_stuck_on_itself(gated: Engine) -> None:
    outcome: list[str] = []

    def nested() -> None:
        with gated.begin() as first:
            _bump(first)
            try:
                with gated.begin() as second:
                    second.exec_driver_sql("PRAGMA busy_timeout = 0")
                    _bump(second)
            except OperationalError as exc:
                outcome.append(str(exc.orig))

    thread = threading.Thread(target=nested)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive()
    assert outcome == ["database is locked"]  # what SQLite answered before the gate existed
    assert _count(gated) == 1  # and the first write still committed, freeing the turn
    events: list[str] = []
    _second_writer(gated, events).join(WAIT)
    assert events == ["second writing", "second committed"]


def test_many_threads_writing_at_once_all_land(gated: Engine) -> None:
    def bump_many() -> None:
        for _ in range(50):
            with gated.begin() as conn:
                conn.exec_driver_sql("PRAGMA busy_timeout = 0")
                _bump(conn)

    threads = [threading.Thread(target=bump_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 3)
    assert _count(gated) == 400


def test_the_apps_sqlite_engine_is_gated(tmp_path: Path) -> None:
    engine = db._engine_for.__wrapped__(f"sqlite:///{tmp_path / 'app.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter (id, n) VALUES (1, 0)"))
    events: list[str] = []
    with engine.begin() as conn:
        _bump(conn)
        second = _second_writer(engine, events)
        _wait_until_waiting(events)
        second.join(0.3)
        assert second.is_alive()
    second.join(WAIT)
    assert events == ["second writing", "second committed"]
    engine.dispose()


def test_a_write_left_open_too_long_stops_the_queue_waiting_and_sqlite_decides(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'leak.db'}", connect_args={"check_same_thread": False, "timeout": 0})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter (id, n) VALUES (1, 0)"))
    WriterGate(patience=0.5).install(engine)
    leaked = engine.connect()
    leaked.begin()
    _bump(leaked)  # never committed
    events: list[str] = []
    _second_writer(engine, events).join(WAIT)
    assert events == ["second writing", "second refused: database is locked"]  # not stuck behind it
    leaked.close()
    engine.dispose()
