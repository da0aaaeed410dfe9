"""One write transaction at a time per process on a SQLite file, queued in Python.

SQLite lets one writer in at a time. A second connection that wants to write waits in SQLite's
busy handler, which sleeps 1, 2, 5, 10 … 100 ms between tries whether or not the lock came free
meanwhile: with a few busy threads (the queue's workers, the sandbox, the pages' events) a 1 ms
UPDATE then takes tens of milliseconds, and the slowest hundreds. Here a connection takes a
process-wide lock at its first INSERT/UPDATE/DELETE and gives it back when it commits, rolls back
or returns to the pool, so writers wait their turn on a lock that wakes the next one at once.
Reads are not gated (WAL lets them run beside the writer). Other processes on the same file (the
CLI, a migration) still meet SQLite's busy_timeout.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriterGate:
    def __init__(self, patience: float = 30.0) -> None:
        self.patience = patience  # seconds a writer waits its turn (SQLite's busy_timeout in db.py)
        self._turn = threading.Condition()  # its waiters are woken first come, first served
        self._writer: int | None = None  # id() of the DBAPI connection inside a write
        self._writer_thread: int | None = None

    def install(self, engine: Engine) -> None:
        dialect = engine.dialect  # each engine has a dialect of its own
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection) -> None:
            try:
                commit(dbapi_connection)
            finally:
                self._leave(dbapi_connection)

        def do_rollback(dbapi_connection) -> None:
            try:
                rollback(dbapi_connection)
            finally:
                self._leave(dbapi_connection)

        dialect.do_commit = do_commit  # type: ignore[method-assign]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign]
        event.listen(engine, "before_cursor_execute", self._before_execute)
        # however a connection leaves its work (returned, closed, invalidated), the turn is given back
        for name in ("checkin", "close", "invalidate"):
            event.listen(engine.pool, name, self._leave)

    @property
    def busy(self) -> bool:
        return self._writer is not None

    def _before_execute(self, conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip()[:8].upper().startswith(_WRITES):
            self._enter(conn.connection.dbapi_connection)

    def _enter(self, dbapi_connection) -> None:
        me, thread = id(dbapi_connection), threading.get_ident()
        with self._turn:
            if self._writer == me:
                return
            if self._writer_thread == thread:
                # this thread writes on a second connection before committing its first: waiting
                # here would wait on itself; SQLite's own lock decides, as it would without the gate
                return
            deadline = time.monotonic() + self.patience
            while self._writer is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    # a write held open this long (a leaked session?): go on and let SQLite's
                    # busy_timeout decide, as it did before the gate, rather than wait forever
                    log.warning("a SQLite write has held the writer turn for over %.0f s; not waiting for it", self.patience)
                    return
                self._turn.wait(left)
            self._writer, self._writer_thread = me, thread

    def _leave(self, connection, *_args) -> None:
        # the dialect is handed the pool's proxy of the connection, the pool events the connection
        dbapi_connection = getattr(connection, "dbapi_connection", connection)
        with self._turn:
            if self._writer != id(dbapi_connection):
                return
            self._writer = self._writer_thread = None
            self._turn.notify()
