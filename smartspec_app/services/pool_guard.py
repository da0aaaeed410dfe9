"""Nested pool checkouts: a thread that holds a pooled connection and asks the same pool for another.

That shape deadlocks under load: with N threads each holding one connection and waiting for a
second, a pool of N connections is exhausted by the waiters themselves, and every request waits
for the pool timeout (30 s) and fails. The same goes for an event loop thread that holds a
connection across an `await` while another coroutine on it asks for one. The rule is therefore
simple: no code path checks out a second connection of a pool while its thread holds one.

`watch(engine)` follows every checkout and checkin of an engine's pool per thread and records a
nested checkout with the stack that made it. The test suite watches every engine and fails a test
that nests; `DATABASE_POOL_GUARD=warn` logs nested checkouts in a running app (the soak benchmark
runs with it), `raise` refuses them.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

log = logging.getLogger(__name__)

_WATCHED = "smartspec_pool_guard"  # engine attribute: already watched


class NestedCheckout(RuntimeError):
    """A thread asked a pool for a connection while it held one of the same pool."""


@dataclass(frozen=True)
class Violation:
    pool: str
    thread: str
    stack: str  # where the second connection was asked for
    holding: str = ""  # where the connection the thread held was checked out

    def __str__(self) -> str:
        return f"nested checkout from {self.pool} in thread {self.thread}:\n{self.stack}\nwhile holding one checked out at:\n{self.holding}"


def _our_frames(skip: int = 2) -> str:
    """The calling stack's frames of this project (the library frames between them left out), outermost first."""
    frames = []
    frame = sys._getframe(skip)
    while frame is not None:
        name = frame.f_code.co_filename
        if "site-packages" not in name and "/lib/python3" not in name and "pool_guard" not in name:
            frames.append(f'  File "{name}", line {frame.f_lineno}, in {frame.f_code.co_name}')
        frame = frame.f_back
    return "\n".join(reversed(frames[:40]))


_holds: dict[tuple[int, int], set[int]] = {}  # (pool, thread) -> the pool entries that thread holds
_owner: dict[int, tuple[int, int]] = {}  # pool entry -> (pool, thread) that checked it out (checkin may come from another thread)
_where: dict[int, str] = {}  # pool entry -> the project frames that checked it out
_violations: list[Violation] = []
_lock = threading.Lock()


def watch(engine: Engine, mode: str = "record") -> None:
    """Follow `engine`'s pool: `record` (keep violations for `violations()`), `warn` (also log), `raise`."""
    if mode not in ("record", "warn", "raise"):
        raise ValueError(f"unknown pool guard mode {mode!r}: use record, warn or raise")
    if getattr(engine, _WATCHED, None):
        return
    setattr(engine, _WATCHED, mode)
    pool_name = engine.url.render_as_string(hide_password=True)

    @event.listens_for(engine, "checkout")
    def _checkout(_dbapi_conn, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        key = (id(engine.pool), threading.get_ident())
        where = _our_frames()
        with _lock:
            held = _holds.setdefault(key, set())
            holding = [_where.get(entry, "?") for entry in held]
            held.add(id(record))
            _owner[id(record)] = key
            _where[id(record)] = where
        if not holding:
            return
        violation = Violation(pool_name, threading.current_thread().name, where, "\n--\n".join(holding))
        with _lock:
            _violations.append(violation)
        if mode == "warn":
            log.warning("%s", violation)
        elif mode == "raise":
            _release(id(record))  # the pool takes the connection back when this checkout fails
            raise NestedCheckout(str(violation))

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn, record: ConnectionPoolEntry) -> None:
        _release(id(record))


def _release(entry: int) -> None:
    with _lock:
        key = _owner.pop(entry, None)
        _where.pop(entry, None)
        if key is not None:
            held = _holds.get(key)
            if held is not None:
                held.discard(entry)
                if not held:
                    del _holds[key]


def violations() -> list[Violation]:
    with _lock:
        return list(_violations)


def clear() -> None:
    with _lock:
        _violations.clear()


def count() -> int:
    with _lock:
        return len(_violations)
