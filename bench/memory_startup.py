"""Memory (RSS) of the API process at rest and under load, and cold start times.

- in a fresh interpreter: import the API package, build_api(), answer a first /api/gallery in-process;
- a uvicorn process: spawn to first /api/gallery answered, RSS after that (at rest), peak RSS under
  load (sampled every 50 ms, and VmHWM), RSS a few seconds after the load;
- with --reflex (default on): the real `reflex run --env prod --backend-only` via tests/support/live_app.py
  LiveApp(backend_only=True), from start to /api/health answering (includes `reflex db migrate`).

    python -m bench.memory_startup --items 100000 --db sqlite
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import PROJECT_ROOT, app_env, databases, hwm_mb, machine_line, parser, rss_mb, served, table
from bench.loadgen import load
from bench.seed import seeded

CHILD = """
import json, time
t0 = time.perf_counter()
from smartspec_app.api import build_api
t1 = time.perf_counter()
api = build_api()
t2 = time.perf_counter()
from starlette.testclient import TestClient
with TestClient(api) as client:
    status = client.get("/api/gallery?page=1").status_code
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "build_api": t2 - t1, "first_request": t3 - t2, "status": status}))
"""


def in_process_cold_start(env: dict[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process"] = time.perf_counter() - started
    return figures


def sample_rss(pid: int, stop: threading.Event, into: list[float]) -> None:
    while not stop.is_set():
        into.append(rss_mb(pid))
        time.sleep(0.05)


def run(kind: str, items: int, *, duration: float, concurrency: int) -> tuple[list[list[object]], list[list[object]]]:
    starts: list[list[object]] = []
    memory: list[list[object]] = []
    with seeded(kind, items) as db, tempfile.TemporaryDirectory(prefix="bench-data-") as data:
        print(f"[{kind}] seeded {db.listed:,} items in {db.seconds:.1f} s")
        env = app_env(db.url, Path(data))
        cold = in_process_cold_start(env)
        starts.append([kind, "import smartspec_app.api", cold["import"]])
        starts.append([kind, "build_api()", cold["build_api"]])
        starts.append([kind, "first GET /api/gallery (in-process)", cold["first_request"]])
        starts.append([kind, "whole fresh interpreter", cold["process"]])
        with served("smartspec_app.api:build_api", env, "/api/gallery?page=1") as app:
            first = time.perf_counter() - app.started_at
            starts.append([kind, "uvicorn spawn -> first /api/gallery answered", first])
            time.sleep(1)
            at_rest = app.rss_mb()
            samples: list[float] = []
            stop = threading.Event()
            sampler = threading.Thread(target=sample_rss, args=(app.process.pid, stop, samples), daemon=True)
            sampler.start()
            urls = [f"{app.url}/api/gallery?{q}" for q in ("page=1", "sort_by=newest&page=500", "category=art", "page=500&page_size=100")]
            result = load(urls, concurrency=concurrency, duration=duration)
            stop.set()
            sampler.join()
            peak, hwm = max(samples), hwm_mb(app.process.pid)
            time.sleep(3)
            after = app.rss_mb()
            memory.append([kind, f"{items:,}", at_rest, peak, hwm, after, result.rps, result.errors])
    return starts, memory


def reflex_cold_start() -> list[list[object]]:
    sys.path.insert(0, str(PROJECT_ROOT))
    from tests.support.live_app import LiveApp

    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-reflex-") as tmp:
        app = LiveApp(Path(tmp) / "data", backend_only=True)
        try:
            started = time.perf_counter()
            app.start(timeout=600)
            total = time.perf_counter() - started
            rss = sum(rss_mb(pid) for pid in _tree(app.process.pid)) if app.process else float("nan")
            started = time.perf_counter()
            app.migrate()
            migrate = time.perf_counter() - started
        finally:
            app.stop()
            app.release()
    rows.append(["reflex", "reflex run --env prod --backend-only: start -> /api/health (with migrate)", total])
    rows.append(["reflex", "of which `reflex db migrate` (no-op re-run)", migrate])
    rows.append(["reflex", f"RSS of the backend's process tree at rest: {rss:.0f} MiB", ""])
    return rows


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += children.get(current, [])
    return out


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=8.0)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--no-reflex", action="store_true", help="skip the `reflex run --backend-only` cold start")
    args = p.parse_args()
    print(machine_line())
    starts: list[list[object]] = []
    memory: list[list[object]] = []
    for kind in databases(args.db):
        s, m = run(kind, args.items, duration=args.duration, concurrency=args.concurrency)
        starts += s
        memory += m
    if not args.no_reflex:
        starts += reflex_cold_start()
    print()
    print(table(["db", "cold start step", "seconds"], starts, title="Cold start"))
    print()
    headers = ["db", "items", "RSS at rest MiB", "RSS peak under load MiB", "VmHWM MiB", "RSS 3 s after MiB", "req/s", "errors"]
    print(table(headers, memory, title=f"API process memory (uvicorn, one process; load: concurrency {args.concurrency})"))
    print(machine_line())


if __name__ == "__main__":
    main()
