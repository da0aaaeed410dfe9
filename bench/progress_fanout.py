"""Live progress with hundreds of open generation pages: what each watcher costs and how fast
`completed` reaches every one of them.

For each set-up (the embedded default: SQLite, in-process queue, one backend process; and
production: PostgreSQL + Redis, two backend workers, a separate `huey_consumer`) the app is started
with `reflex run --env prod --backend-only`, and for each N the benchmark opens N sessions over
Reflex's own websocket protocol (a socket.io client per session, tests/support/reflex_client.py):
each is a signed-in user (a few sign in through the log-in form, the rest come back with the
session token their browser kept) with a history of finished tasks, opens /generate, and starts
one sandbox image; the starts are spread over `--ramp` seconds and each sandbox job takes
`--task-seconds`, so all N pages watch an active task at the same time before the first finishes.

Printed per N: the latency from the sandbox job finishing (its created_at + duration, when kie.ai
would call back) to the session receiving `completed`, and from the row turning `completed` in the
database to the session seeing it; SQL statements per second in the app's processes during the run
(counted by bench/query_counter) and SELECTs per task change; backend and consumer CPU (cores busy)
and peak RSS; websocket bytes and updates per session while it watched.

    python -m bench.progress_fanout [--sessions 50,200,500] [--setup embedded|production|both]
                                    [--task-seconds 45] [--ramp 30] [--history 10]

Target (2 cores): at 500 sessions, p99 job-finished → completed-seen under 1 s on both set-ups,
and SELECTs per task change that do not grow with N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil
from cryptography.fernet import Fernet

from bench.common import PROJECT_ROOT, machine_line, median, percentile, table
from tests.support.live_app import LiveApp
from tests.support.reflex_client import GENERATION, ROOT, SESSION_TOKEN_VAR, ReflexTab
from tests.support.scale_out import Consumer, answers, postgres_database, redis_database

PASSWORD = "a long password"
REDIS_DB = 9  # a database of its own on the shared Redis, flushed before and after
COUNTER_PATH = PROJECT_ROOT / "bench" / "query_counter"

SEED = """
import json, os, secrets, hashlib
from datetime import timedelta
from smartspec_app.models import GenerationTask, TaskStatus, User, UserSession, utcnow
from smartspec_app.services import auth
from smartspec_app.services.db import session_scope
spec = json.loads(os.environ["BENCH_SEED"])
out = []
with session_scope() as s:
    first = auth.create_user(s, f"{spec['prefix']}-0@example.com", spec["password"])
    password_hash = first.password_hash
    users = [first] + [
        User(email=f"{spec['prefix']}-{i}@example.com", username=f"{spec['prefix']}_{i}", password_hash=password_hash)
        for i in range(1, spec["users"])
    ]
    s.add_all(users[1:])
    s.flush()
    now = utcnow()
    for user in users:
        token = secrets.token_urlsafe(32)
        s.add(UserSession(user_id=user.id, token_hash=hashlib.sha256(token.encode()).hexdigest(), expires_at=now + timedelta(days=1)))
        for h in range(spec["history"]):
            done = now - timedelta(minutes=h + 1)
            s.add(GenerationTask(
                user_id=user.id, task_type="image", model_id="nano-banana-pro", prompt=f"An earlier picture {h} of a quiet harbour at dawn",
                parameters={"output_format": "jpg"}, status=TaskStatus.COMPLETED, progress=100, status_detail="Completed",
                output_url=f"/media/old/{user.id}_{h}.jpg", output_urls=[f"/media/old/{user.id}_{h}.jpg"],
                thumbnail_url=f"/media/thumbnails/old{user.id}_{h}_thumb.jpg", created_at=done, updated_at=done, completed_at=done,
            ))
        out.append({"email": user.email, "token": token})
print(json.dumps(out))
"""

TIMES = """
import json, os
from sqlmodel import select
from smartspec_app.models import GenerationTask, SandboxJob
from smartspec_app.services.db import session_scope
ids = json.loads(os.environ["BENCH_TASKS"])
out = {}
with session_scope() as s:
    tasks = s.exec(select(GenerationTask).where(GenerationTask.id.in_(ids))).all()
    job_ids = [t.provider_task_id for t in tasks if t.provider_task_id]
    jobs = {j.id: j for j in s.exec(select(SandboxJob).where(SandboxJob.id.in_(job_ids))).all()}
    for t in tasks:
        job = jobs.get(t.provider_task_id)
        out[t.id] = {
            "status": t.status,
            "job_finished": job.created_at.isoformat() if job else None,
            "duration": job.duration_seconds if job else None,
            "completed_at": t.completed_at.isoformat() if t.completed_at else None,
        }
print(json.dumps(out))
"""


def _epoch(stamp: str) -> float:
    moment = datetime.fromisoformat(stamp)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


# --------------------------------------------------------------------------- the app's processes


@dataclass
class Deployment:
    name: str
    app: LiveApp
    consumers: list[Consumer]
    counter_dir: Path

    def backend_processes(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.app.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def consumer_processes(self) -> list[psutil.Process]:
        found = []
        for consumer in self.consumers:
            with contextlib.suppress(psutil.NoSuchProcess):
                root = psutil.Process(consumer.process.pid)
                found += [root, *root.children(recursive=True)]
        return found

    def query_counts(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for path in self.counter_dir.glob("*.json"):
            with contextlib.suppress(OSError, ValueError):
                for key, n in json.loads(path.read_text())["counts"].items():
                    total[key] = total.get(key, 0) + n
        return total


@contextlib.contextmanager
def deployment(kind: str, workdir: Path, task_seconds: float) -> Iterator[Deployment]:
    counter_dir = workdir / f"queries-{kind}"
    counter_dir.mkdir(parents=True)
    env = {
        "SANDBOX_SECONDS_IMAGE": str(task_seconds),
        "RATE_LIMIT_USER": "100000/minute",
        "RATE_LIMIT_ANONYMOUS": "100000/minute",
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PYTHONPATH": f"{COUNTER_PATH}{os.pathsep}{PROJECT_ROOT}",
        "QUERY_COUNT_DIR": str(counter_dir),
    }
    with contextlib.ExitStack() as stack:
        if kind == "production":
            env["DATABASE_URL"] = stack.enter_context(postgres_database("bench_fanout"))
            env["REDIS_URL"] = stack.enter_context(redis_database(REDIS_DB))
            env.update(WORKER_IN_PROCESS="false", GRANIAN_WORKERS="2")
        app = LiveApp(workdir / kind / "data", backend_only=True, extra_env=env)
        app.start()
        consumers: list[Consumer] = []
        try:
            if kind == "production":
                consumers.append(Consumer(app.env, workdir / f"consumer-{kind}.log"))
            yield Deployment(kind, app, consumers, counter_dir)
        finally:
            for consumer in consumers:
                consumer.signal(signal.SIGTERM)
            app.stop()
            app.release()


# --------------------------------------------------------------------------- sampling


@dataclass
class Usage:
    """CPU seconds and peak RSS of a group of processes over a window, sampled twice a second."""

    cpu_start: float = 0.0
    cpu_end: float = 0.0
    peak_rss: float = 0.0
    _cpu_seen: dict[int, float] = field(default_factory=dict)

    def sample(self, processes: list[psutil.Process]) -> None:
        rss = 0.0
        for p in processes:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                times = p.cpu_times()
                self._cpu_seen[p.pid] = times.user + times.system
                rss += p.memory_info().rss
        self.peak_rss = max(self.peak_rss, rss / 2**20)

    def cpu(self) -> float:
        return sum(self._cpu_seen.values())


class Sampler:
    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.backend, self.consumers = Usage(), Usage()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tick(self) -> None:
        self.backend.sample(self.deployment.backend_processes())
        self.consumers.sample(self.deployment.consumer_processes())

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._tick()

    def start(self) -> None:
        self._tick()
        self.backend.cpu_start, self.consumers.cpu_start = self.backend.cpu(), self.consumers.cpu()
        self.client_start = sum(psutil.Process().cpu_times()[:2])
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._tick()
        self.backend.cpu_end, self.consumers.cpu_end = self.backend.cpu(), self.consumers.cpu()
        self.client_cpu = sum(psutil.Process().cpu_times()[:2]) - self.client_start


# --------------------------------------------------------------------------- one run


@dataclass
class Watcher:
    tab: ReflexTab
    known: set[str] = field(default_factory=set)
    task_id: str = ""
    sent_at: float = 0.0
    bytes_at_start: int = 0
    updates_at_start: int = 0
    seen_completed: float | None = None
    bytes_at_end: int = 0
    updates_at_end: int = 0


def _track(watcher: Watcher) -> None:
    def on_update(tab: ReflexTab, received) -> None:
        current = tab.current_task()
        if not watcher.task_id and watcher.sent_at and current.get("id") and current["id"] not in watcher.known:
            watcher.task_id = current["id"]
        if watcher.task_id and watcher.seen_completed is None and tab.task_status(watcher.task_id) in ("completed", "failed"):
            watcher.seen_completed = received.at
            watcher.bytes_at_end, watcher.updates_at_end = tab.bytes_received, tab.updates_received

    watcher.tab.on_update = on_update


async def _open(dep: Deployment, account: dict, sign_in: bool, limit: asyncio.Semaphore) -> Watcher:
    async with limit:
        tab = ReflexTab(dep.app.base_url)
        if sign_in:
            await tab.sign_in(account["email"], PASSWORD, timeout=120)
        else:
            tab.local_storage[SESSION_TOKEN_VAR] = account["token"]
        await tab.open("/generate", timeout=60)
        await tab.wait_for(lambda t: t.get(ROOT, "is_hydrated") is True and t.get(GENERATION, "tasks") is not None, 120)
        return Watcher(tab, known={t["id"] for t in tab.tasks()})


async def _run(dep: Deployment, accounts: list[dict], sign_ins: int, ramp: float, timeout: float) -> tuple[list[Watcher], float, float]:
    limit = asyncio.Semaphore(16)
    watchers = await asyncio.gather(*(_open(dep, a, i < sign_ins, limit) for i, a in enumerate(accounts)))
    for w in watchers:
        _track(w)
    start = time.time() + 0.5
    n = len(watchers)

    async def start_one(i: int, w: Watcher) -> None:
        await asyncio.sleep(max(0.0, start + i * ramp / n - time.time()))
        w.bytes_at_start, w.updates_at_start = w.tab.bytes_received, w.tab.updates_received
        w.sent_at = time.time()
        await w.tab.generate_image(f"Fan-out bench {i}: a lighthouse on a rocky coast at dusk", output_format="jpg")

    await asyncio.gather(*(start_one(i, w) for i, w in enumerate(watchers)))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(w.seen_completed is None for w in watchers):
        await asyncio.sleep(0.25)
    end = max((w.seen_completed or time.time()) for w in watchers)
    await asyncio.gather(*(w.tab.close() for w in watchers))
    return watchers, start, end


@dataclass
class Result:
    setup: str
    sessions: int
    job_to_seen: list[float]
    row_to_seen: list[float]
    missing: int
    statements_per_s: float
    selects_per_s: float
    selects_per_change: float
    changes: int
    backend_cores: float
    backend_rss: float
    consumer_cores: float
    consumer_rss: float
    client_cores: float
    kib_per_session: float
    updates_per_session: float
    seconds: float
    selects_by_table: dict[str, int] = field(default_factory=dict)


def measure(dep: Deployment, n: int, run: int, args: argparse.Namespace) -> Result:
    spec = {"prefix": f"fan{run}", "users": n, "history": args.history, "password": PASSWORD}
    accounts = json.loads(run_snippet(dep, SEED, BENCH_SEED=json.dumps(spec)))
    sampler = Sampler(dep)
    before = dep.query_counts()
    sampler.start()
    watchers, start, end = asyncio.run(_run(dep, accounts, args.sign_ins, args.ramp, args.task_seconds + args.ramp + 120))
    after = dep.query_counts()
    sampler.stop()
    seconds = max(end - start, 1e-6)
    times = json.loads(run_snippet(dep, TIMES, BENCH_TASKS=json.dumps([w.task_id for w in watchers if w.task_id])))
    job_to_seen, row_to_seen = [], []
    for w in watchers:
        info = times.get(w.task_id)
        if w.seen_completed is None or not info or not info["job_finished"]:
            continue
        job_to_seen.append((w.seen_completed - (_epoch(info["job_finished"]) + info["duration"])) * 1000)
        row_to_seen.append((w.seen_completed - _epoch(info["completed_at"])) * 1000)
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    statements = sum(delta.values())
    selects = sum(v for k, v in delta.items() if k.startswith("SELECT"))
    changes = delta.get("UPDATE generation_tasks", 0) + delta.get("INSERT generation_tasks", 0)
    done = [w for w in watchers if w.seen_completed is not None]
    return Result(
        setup=dep.name,
        sessions=n,
        job_to_seen=job_to_seen,
        row_to_seen=row_to_seen,
        missing=n - len(done),
        statements_per_s=statements / seconds,
        selects_per_s=selects / seconds,
        selects_per_change=selects / max(changes, 1),
        changes=changes,
        backend_cores=(sampler.backend.cpu_end - sampler.backend.cpu_start) / seconds,
        backend_rss=sampler.backend.peak_rss,
        consumer_cores=(sampler.consumers.cpu_end - sampler.consumers.cpu_start) / seconds,
        consumer_rss=sampler.consumers.peak_rss,
        client_cores=sampler.client_cpu / seconds,
        kib_per_session=sum(w.bytes_at_end - w.bytes_at_start for w in done) / max(len(done), 1) / 1024,
        updates_per_session=sum(w.updates_at_end - w.updates_at_start for w in done) / max(len(done), 1),
        seconds=seconds,
        selects_by_table={k.split(" ", 1)[1]: v for k, v in delta.items() if k.startswith("SELECT") and v},
    )


def run_snippet(dep: Deployment, code: str, **env: str) -> str:
    saved = dict(dep.app.env)
    dep.app.env.update(env)
    dep.app.env["QUERY_COUNT_DIR"] = ""  # the snippet's own statements are not the app's
    try:
        return dep.app.run_python(code)
    finally:
        dep.app.env.clear()
        dep.app.env.update(saved)


def print_results(results: list[Result], args: argparse.Namespace) -> None:
    rows = []
    for r in results:
        rows.append(
            [
                f"{r.setup}, {r.sessions}",
                median(r.job_to_seen),
                percentile(r.job_to_seen, 99),
                max(r.job_to_seen, default=float("nan")),
                median(r.row_to_seen),
                percentile(r.row_to_seen, 99),
                r.missing,
                r.statements_per_s,
                r.selects_per_s,
                r.selects_per_change,
                r.backend_cores,
                r.backend_rss,
                r.consumer_cores,
                r.client_cores,
                r.kib_per_session,
                r.updates_per_session,
            ]
        )
    headers = [
        "set-up, sessions",
        "job→seen p50 ms",
        "p99",
        "max",
        "row→seen p50",
        "p99",
        "missed",
        "SQL/s",
        "SELECT/s",
        "SELECT/change",
        "backend cores",
        "backend MiB",
        "consumer cores",
        "client cores",
        "WS KiB/session",
        "updates/session",
    ]
    title = (
        f"Progress fan-out: each session watches one sandbox image ({args.task_seconds:g} s; starts spread over {args.ramp:g} s), "
        f"{args.history} finished tasks of history each"
    )
    print(table(headers, rows, title=title))
    for r in results:
        by_table = ", ".join(f"{table} {n / r.seconds:.1f}" for table, n in sorted(r.selects_by_table.items(), key=lambda kv: -kv[1]))
        print(f"SELECT/s by first table ({r.setup}, {r.sessions}; {r.changes} task changes in {r.seconds:.0f} s): {by_table}")
    consumer_rss = [f"{r.sessions}: {r.consumer_rss:.0f} MiB" for r in results if r.setup == "production"]
    if consumer_rss:
        print("consumer RSS peak (production): " + ", ".join(consumer_rss))
    print(machine_line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="50,200,500", help="comma-separated session counts (default 50,200,500)")
    parser.add_argument("--setup", choices=("embedded", "production", "both"), default="both")
    parser.add_argument("--task-seconds", type=float, default=45.0, help="how long each sandbox image takes (default 45)")
    parser.add_argument("--ramp", type=float, default=30.0, help="the starts are spread over this many seconds (default 30)")
    parser.add_argument("--history", type=int, default=10, help="finished tasks each user already has (default 10)")
    parser.add_argument("--sign-ins", type=int, default=10, help="sessions that sign in through the log-in form (default 10)")
    args = parser.parse_args()
    counts = [int(x) for x in args.sessions.split(",") if x.strip()]
    setups = ["embedded", "production"] if args.setup == "both" else [args.setup]
    if "production" in setups and not (answers(5432) and answers(6379)):
        print("(PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 are needed for the production set-up: skipped)")
        setups.remove("production")
    print(machine_line(), flush=True)
    results: list[Result] = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    try:
        for kind in setups:
            with deployment(kind, workdir, args.task_seconds) as dep:
                for run, n in enumerate(counts):
                    print(f"{kind}: {n} sessions ...", flush=True)
                    result = measure(dep, n, run, args)
                    results.append(result)
                    print_results([result], args)
                    time.sleep(3)  # let the last tasks' bookkeeping settle before the next run
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print_results(results, args)


if __name__ == "__main__":
    main()
