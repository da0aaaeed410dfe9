"""Several threads writing one SQLite file: waiting in SQLite's busy handler versus taking turns
in the process (services/sqlite_writes.py, what the app's SQLite engine does).

Each thread runs short write transactions like the worker's steps (read a row, UPDATE it, a little
Python work, commit) while one more thread keeps the GIL busy, as the web server's event loop does.
Printed per thread count: transactions per second, and the latency of one transaction (p50, p99,
max), with the gate and without it.

    python -m bench.sqlite_writers [--threads 2,4,8] [--seconds 5]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from bench.common import machine_line, median, percentile, table
from smartspec_app.services import db


def _engine(path: Path, *, gated: bool) -> Engine:
    engine = db._engine_for.__wrapped__(f"sqlite:///{path}")  # the app's engine: WAL, busy_timeout, the gate
    if not gated:
        engine.dispose()
        engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA busy_timeout=30000")

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS task (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, detail TEXT)"))
        rows = "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1000)"
        conn.execute(text(f"{rows} INSERT OR IGNORE INTO task (id, n, detail) SELECT i, 0, '' FROM k"))
    return engine


def _run(engine: Engine, threads: int, seconds: float) -> tuple[float, list[float]]:
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def busy_loop() -> None:  # the event loop's share of the GIL
        while time.monotonic() < stop:
            sum(i * i for i in range(2000))

    def writer(seed: int) -> None:
        mine, row = [], seed
        while time.monotonic() < stop:
            row = (row * 7919 + 1) % 1000 + 1
            started = time.perf_counter()
            with engine.begin() as conn:
                n = conn.execute(text("SELECT n FROM task WHERE id = :id"), {"id": row}).scalar_one()
                conn.execute(text("UPDATE task SET n = :n, detail = :d WHERE id = :id"), {"n": n + 1, "d": f"step {n}", "id": row})
                sum(i for i in range(300))  # building the next values
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads)] + [threading.Thread(target=busy_loop)]
    began = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(latencies) / (time.monotonic() - began), latencies


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--threads", default="2,4,8")
    args.add_argument("--seconds", type=float, default=5.0)
    opts = args.parse_args()
    print(machine_line())
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-writers-") as tmp:
        for threads in (int(n) for n in opts.threads.split(",")):
            for gated in (False, True):
                path = Path(tmp) / f"{threads}-{gated}.db"
                engine = _engine(path, gated=gated)
                rate, latencies = _run(engine, threads, opts.seconds)
                engine.dispose()
                ms = [x * 1000 for x in latencies]
                rows.append(
                    [
                        threads,
                        "turns in the process" if gated else "SQLite busy handler",
                        f"{rate:,.0f}",
                        f"{median(ms):.2f}",
                        f"{percentile(ms, 99):.1f}",
                        f"{max(ms):.1f}",
                    ]
                )
    print(table(["writer threads", "waiting", "transactions/s", "p50 ms", "p99 ms", "max ms"], rows, "SQLite write transactions"))


if __name__ == "__main__":
    main()
