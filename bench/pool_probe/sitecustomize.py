"""Counts connection-pool waits and time-outs in every process started with this directory on PYTHONPATH.

`bench/soak.py` starts the app, its workers and the queue consumer with `PYTHONPATH=bench/pool_probe`
and `POOL_PROBE_DIR` set; Python imports this module at start-up in each of them (forked workers
re-arm it). It times every QueuePool checkout (SQLAlchemy's `_do_get`, where a caller waits when
the pool is exhausted): a checkout slower than WAIT_MS counts as a wait, and a pool time-out is
counted apart. Every second a process writes its counts to `POOL_PROBE_DIR/<pid>.json`. Nothing
here is imported by the app.
"""

from __future__ import annotations

import json
import os
import threading
import time

_DIR = os.environ.get("POOL_PROBE_DIR")
WAIT_MS = 5.0
_counts = {"checkouts": 0, "waits": 0, "timeouts": 0, "wait_ms_total": 0.0, "wait_ms_max": 0.0}
_lock = threading.Lock()


def _writer() -> None:
    path = os.path.join(_DIR, f"{os.getpid()}.json")
    while True:
        time.sleep(1.0)
        with _lock:
            data = json.dumps({"pid": os.getpid(), "at": time.time(), "counts": dict(_counts)})
        tmp = f"{path}.tmp"
        with open(tmp, "w") as f:
            f.write(data)
        os.replace(tmp, path)


def _arm() -> None:
    with _lock:
        for key in _counts:
            _counts[key] = 0
    threading.Thread(target=_writer, name="pool-probe", daemon=True).start()


def _patch() -> None:
    from sqlalchemy import exc
    from sqlalchemy.pool import QueuePool

    original = QueuePool._do_get

    def timed_do_get(self):
        began = time.perf_counter()
        try:
            return original(self)
        except exc.TimeoutError:
            with _lock:
                _counts["timeouts"] += 1
            raise
        finally:
            waited = (time.perf_counter() - began) * 1000
            with _lock:
                _counts["checkouts"] += 1
                if waited > WAIT_MS:
                    _counts["waits"] += 1
                    _counts["wait_ms_total"] += waited
                    _counts["wait_ms_max"] = max(_counts["wait_ms_max"], waited)

    QueuePool._do_get = timed_do_get


if _DIR:
    _patch()
    _arm()
    os.register_at_fork(after_in_child=_arm)
