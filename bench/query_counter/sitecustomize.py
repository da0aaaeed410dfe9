"""Counts the SQL statements of every process started with this directory on PYTHONPATH.

`bench/progress_fanout.py` starts the app, its workers and the queue consumers with
`PYTHONPATH=bench/query_counter` and `QUERY_COUNT_DIR` set; Python imports this module at start-up
in each of them (forked workers re-arm it), and SQLAlchemy's `before_cursor_execute` event counts
each statement by verb and first table. Every 0.2 s a process writes its counts to
`QUERY_COUNT_DIR/<pid>.json`, which the benchmark reads. Nothing here is imported by the app.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time

_DIR = os.environ.get("QUERY_COUNT_DIR")
_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_counts: dict[str, int] = {}
_lock = threading.Lock()


def _count(_conn, _cursor, statement: str, _params, _context, _executemany) -> None:
    head = statement.lstrip()[:6].upper()
    verb = head if head in ("SELECT", "INSERT", "UPDATE", "DELETE") else "OTHER"
    match = _TABLE.search(statement)
    key = f"{verb} {match.group(1) if match else '-'}"
    with _lock:
        _counts[key] = _counts.get(key, 0) + 1


def _writer() -> None:
    path = os.path.join(_DIR, f"{os.getpid()}.json")
    while True:
        time.sleep(0.2)
        with _lock:
            data = json.dumps({"pid": os.getpid(), "at": time.time(), "counts": dict(_counts)})
        tmp = f"{path}.tmp"
        with open(tmp, "w") as f:
            f.write(data)
        os.replace(tmp, path)


def _arm() -> None:
    with _lock:
        _counts.clear()
    threading.Thread(target=_writer, name="query-counter", daemon=True).start()


if _DIR:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    event.listen(Engine, "before_cursor_execute", _count)
    _arm()
    os.register_at_fork(after_in_child=_arm)
