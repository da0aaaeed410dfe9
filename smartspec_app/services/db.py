"""Engines and sessions. One engine per URL, SQLite tuned for several threads.

Server databases (PostgreSQL) get a pool of DATABASE_POOL_SIZE connections, and a connection is
checked with a round trip before use only when it has sat idle for PING_IDLE_SECONDS: a dead
connection (a database restart, an idle timeout in a proxy) is then replaced before a request
sees it, without paying a ping on every checkout of a busy pool (SQLAlchemy's pool_pre_ping).
A connection that dies while busy fails one request and SQLAlchemy invalidates the whole pool.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlmodel import Session, SQLModel, create_engine

from smartspec_app.services import pool_guard, task_events  # noqa: F401  (every session publishes its task changes after commit)
from smartspec_app.settings import get_settings


def get_engine(url: str | None = None) -> Engine:
    """The engine of `url`, or of the configured database when none is given."""
    return _engine_for(url or get_settings().resolved_database_url)


@lru_cache(maxsize=16)
def _engine_for(url: str) -> Engine:
    engine = make_engine(url)
    guard = get_settings().database_pool_guard
    if guard != "off":
        pool_guard.watch(engine, guard)
    return engine


def make_engine(url: str) -> Engine:
    """A new engine configured as the app's (pragmas, pool), with a pool of its own; `get_engine` shares one per URL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    size = get_settings().database_pool_size
    engine = create_engine(url, pool_size=size, max_overflow=POOL_OVERFLOW)
    ping_idle_connections(engine, PING_IDLE_SECONDS)
    return engine


POOL_OVERFLOW = 5  # beyond DATABASE_POOL_SIZE, closed again when returned
PING_IDLE_SECONDS = 5.0
_CHECKED_IN_AT = "smartspec_checked_in_at"


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Before a pooled connection that sat idle for `idle_seconds` is used, ping it; a dead one is
    replaced by a fresh connection (the pool retries on DisconnectionError)."""

    @event.listens_for(engine, "checkin")
    def _stamp(_dbapi_conn, record: ConnectionPoolEntry) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise DisconnectionError(f"pooled connection was dead after {idle_seconds:g} s idle") from exc
            raise


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def create_tables(engine: Engine) -> None:
    """For tests and tools: build the schema straight from the models (the app uses migrations)."""
    import smartspec_app.models  # noqa: F401  (registers the tables)

    SQLModel.metadata.create_all(engine)
