"""Mixed-load soak: readers, API users, live pages and admins together for minutes, then a ledger check.

For each set-up (the embedded default: SQLite, in-process queue, one backend process; production:
PostgreSQL + Redis, two backend workers, a separate `huey_consumer`) the app is built and started
(`reflex run --env prod`, one port), seeded with a gallery and accounts, and then, for `--minutes`:
- Locust (bench/soak_locust.py, headless, in a subprocess) runs `--readers` anonymous readers of the
  server-rendered gallery, `--api-users` SDK-style API users generating in the sandbox, and
  `--admins` moderators;
- this process opens `--pages` signed-in /generate pages over Reflex's own websocket protocol (a
  socket.io client each, tests/support/reflex_client.py): each starts a sandbox image, watches it to
  its end, waits `--page-think` seconds (on average) and starts the next.

Printed: per route, requests, p50/p95/p99 and answers by status (Locust's figures, the pages' own
timings); connection-pool checkouts that waited and pool time-outs in every app process
(bench/pool_probe); nested checkouts (DATABASE_POOL_GUARD=warn); backend and consumer RSS at the
start (after `--warmup` s), the middle and the end. After the load stops and in-flight tasks had
`--drain` s to end: tasks never ended (stuck), credit holds neither settled nor refunded, and
accounts whose balance differs from the sum of their ledger.

    python -m bench.soak [--setup embedded|production|both] [--minutes 10] [--readers 200]
                         [--api-users 50] [--pages 100] [--admins 2]

Targets (2 cores): no 5xx, no pool time-out, p99 under 1 s for reads and 2 s for generate, RSS flat
after warm-up, nothing lost. The load generators run on the same 2 cores as the app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from cryptography.fernet import Fernet

from bench.common import PROJECT_ROOT, machine_line, percentile, table
from tests.support.live_app import LiveApp
from tests.support.reflex_client import GENERATION, ROOT, SESSION_TOKEN_VAR, ReflexTab
from tests.support.scale_out import Consumer, answers, postgres_database, redis_database

REDIS_DB = 8  # a database of its own on the shared Redis, flushed before and after
PROBE_PATH = PROJECT_ROOT / "bench" / "pool_probe"
LOCUSTFILE = PROJECT_ROOT / "bench" / "soak_locust.py"
TERMINAL = ("completed", "failed", "cancelled")

SEED = """
import json, os, secrets, hashlib
from datetime import timedelta
from bench.seed import seed
from smartspec_app.models import User, UserSession, utcnow
from smartspec_app.services import keys
from smartspec_app.services.db import get_engine, session_scope
from smartspec_app.services.gallery import CATEGORIES
from bench.seed import TAGS
spec = json.loads(os.environ["SOAK_SEED"])
_hidden, slugs = seed(get_engine(), spec["items"])
out = {"slugs": slugs, "categories": list(CATEGORIES), "tags": TAGS[:40], "api": [], "admins": [], "pages": []}
with session_scope() as s:
    manager = keys.get_key_manager()
    now = utcnow()
    def account(kind, n, admin=False):
        user = User(email=f"soak-{kind}-{n}@example.com", username=f"soak_{kind}_{n}", password_hash="x", is_admin=admin)
        s.add(user)
        s.flush()
        return user
    for n in range(spec["api"]):
        user = account("api", n)
        _row, token = keys.create_api_token(s, manager, user, "soak")
        out["api"].append({"user_id": user.id, "token": token})
    for n in range(spec["admins"]):
        user = account("admin", n, admin=True)
        _row, token = keys.create_api_token(s, manager, user, "soak")
        out["admins"].append({"user_id": user.id, "token": token})
    for n in range(spec["pages"]):
        user = account("page", n)
        token = secrets.token_urlsafe(32)
        s.add(UserSession(user_id=user.id, token_hash=hashlib.sha256(token.encode()).hexdigest(), expires_at=now + timedelta(days=1)))
        out["pages"].append({"user_id": user.id, "token": token})
print(json.dumps(out))
"""

LEDGER_CHECK = """
import json
from sqlalchemy import func, select
from smartspec_app.models import CreditAccount, CreditLedgerEntry, GenerationTask
from smartspec_app.services.db import session_scope
with session_scope() as s:
    statuses = dict(s.execute(select(GenerationTask.status, func.count()).group_by(GenerationTask.status)).all())
    ended = ("completed", "failed", "cancelled")
    stuck = s.execute(select(GenerationTask.id, GenerationTask.status).where(GenerationTask.status.not_in(ended))).all()
    kinds = {}
    for task_id, kind in s.execute(select(CreditLedgerEntry.task_id, CreditLedgerEntry.kind).where(CreditLedgerEntry.task_id.is_not(None))):
        kinds.setdefault(task_id, set()).add(kind)
    open_holds = [t for t, k in kinds.items() if "hold" in k and not k & {"settle", "refund"}]
    sums = dict(s.execute(select(CreditLedgerEntry.user_id, func.sum(CreditLedgerEntry.amount)).group_by(CreditLedgerEntry.user_id)).all())
    balances = dict(s.execute(select(CreditAccount.user_id, CreditAccount.balance)).all())
    mismatched = {u: [balances.get(u), sums.get(u)] for u in set(sums) | set(balances) if (sums.get(u) or 0) != (balances.get(u) or 0)}
print(json.dumps({"statuses": statuses, "stuck": [list(r) for r in stuck], "open_holds": open_holds, "mismatched": mismatched,
                  "holds": sum(1 for k in kinds.values() if "hold" in k)}))
"""


# --------------------------------------------------------------------------- the deployment


@dataclass
class Deployment:
    name: str
    app: LiveApp
    consumers: list[Consumer]
    probe_dir: Path

    def processes(self, group: str) -> list[psutil.Process]:
        roots = [self.app.process] if group == "backend" else [c.process for c in self.consumers]
        found: list[psutil.Process] = []
        for root in roots:
            with contextlib.suppress(psutil.NoSuchProcess, AttributeError):
                parent = psutil.Process(root.pid)
                found += [parent, *parent.children(recursive=True)]
        return found

    def rss_mib(self, group: str) -> float:
        total = 0
        for p in self.processes(group):
            with contextlib.suppress(psutil.NoSuchProcess):
                if "node" not in p.name():  # Reflex's frontend tooling is not the app
                    total += p.memory_info().rss
        return total / 2**20

    def pool_counts(self) -> dict[str, float]:
        total: dict[str, float] = {"checkouts": 0, "waits": 0, "timeouts": 0, "wait_ms_total": 0.0, "wait_ms_max": 0.0}
        for path in self.probe_dir.glob("*.json"):
            with contextlib.suppress(OSError, ValueError):
                counts = json.loads(path.read_text())["counts"]
                for key, value in counts.items():
                    total[key] = max(total[key], value) if key == "wait_ms_max" else total[key] + value
        return total

    def log_count(self, needle: str) -> int:
        paths = [self.app.log_path, *(c.log_path for c in self.consumers)]
        return sum(p.read_text(errors="replace").count(needle) for p in paths if p.exists())

    def run_snippet(self, code: str, **env: str) -> str:
        saved = dict(self.app.env)
        self.app.env.update(env)
        self.app.env["POOL_PROBE_DIR"] = ""  # the snippet's own checkouts are not the app's
        try:
            return self.app.run_python(code)
        finally:
            self.app.env.clear()
            self.app.env.update(saved)


@contextlib.contextmanager
def deployment(kind: str, workdir: Path, args: argparse.Namespace) -> Iterator[Deployment]:
    probe_dir = workdir / f"pool-{kind}"
    probe_dir.mkdir(parents=True)
    env = {
        "SANDBOX_SECONDS_IMAGE": str(args.task_seconds),
        "SANDBOX_SECONDS_SPEECH": str(max(1.0, args.task_seconds / 2)),
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "CREDITS_STARTING_BALANCE": "1000000",
        "GALLERY_AUTO_APPROVE": "false",  # shares wait for the admins
        "DATABASE_POOL_GUARD": "warn",
        "PYTHONPATH": f"{PROBE_PATH}{os.pathsep}{PROJECT_ROOT}",
        "POOL_PROBE_DIR": str(probe_dir),
    }
    with contextlib.ExitStack() as stack:
        if kind == "production":
            env["DATABASE_URL"] = stack.enter_context(postgres_database("bench_soak"))
            env["REDIS_URL"] = stack.enter_context(redis_database(REDIS_DB))
            env.update(WORKER_IN_PROCESS="false", GRANIAN_WORKERS="2")
        app = LiveApp(workdir / kind / "data", extra_env=env)
        app.start()
        consumers: list[Consumer] = []
        try:
            if kind == "production":
                consumers.append(Consumer(app.env, workdir / f"consumer-{kind}.log"))
            yield Deployment(kind, app, consumers, probe_dir)
        finally:
            for consumer in consumers:
                consumer.signal(signal.SIGTERM)
            app.stop()
            app.release()


# --------------------------------------------------------------------------- the live pages


@dataclass
class PageStats:
    """What the signed-in pages saw: per task, Generate → task shown and Generate → its end shown."""

    shown: list[float] = field(default_factory=list)  # ms
    ended: list[float] = field(default_factory=list)  # ms, includes the sandbox's own task time
    tasks: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def _page(base_url: str, account: dict, stop_at: float, think: float, stats: PageStats, delay: float) -> None:
    await asyncio.sleep(delay)
    tab = ReflexTab(base_url)
    tab.local_storage[SESSION_TOKEN_VAR] = account["token"]
    try:
        await tab.open("/generate", timeout=60)
        await tab.wait_for(lambda t: t.get(ROOT, "is_hydrated") is True and t.get(GENERATION, "tasks") is not None, 120)
    except Exception as exc:
        stats.error(f"open: {type(exc).__name__}")
        await tab.close()
        return
    try:
        while time.monotonic() < stop_at:
            known = {t["id"] for t in tab.tasks()} | {tab.current_task().get("id")}
            sent = time.monotonic()
            try:
                await tab.generate_image(f"Soak page: a {random.choice(('harbour', 'forest', 'city'))} at dawn", output_format="jpg")
            except Exception as exc:  # the socket dropped: what a browser does is reconnect
                stats.error(f"send: {type(exc).__name__}")
                await tab.reconnect()
                continue
            stats.tasks += 1
            try:
                await tab.wait_for(lambda t, known=known: (t.current_task().get("id") or "") not in known, 60)
                stats.shown.append((time.monotonic() - sent) * 1000)
                task_id = tab.current_task()["id"]
                await tab.wait_for(lambda t, task_id=task_id: t.task_status(task_id) in TERMINAL, 300)
                stats.ended.append((time.monotonic() - sent) * 1000)
                outcome = tab.task_status(task_id) or "?"
                stats.outcomes[outcome] = stats.outcomes.get(outcome, 0) + 1
            except TimeoutError:
                stats.error("timeout waiting for the task on the page")
                if not tab.connected:
                    stats.error("websocket dropped")
                    await tab.reconnect()
            await asyncio.sleep(max(0.0, min(random.uniform(0.5, 1.5) * think, stop_at - time.monotonic())))
    finally:
        await tab.close()


def run_pages(base_url: str, accounts: list[dict], seconds: float, think: float) -> PageStats:
    stats = PageStats()

    async def all_pages() -> None:
        stop_at = time.monotonic() + seconds
        spread = min(30.0, seconds / 4)
        await asyncio.gather(
            *(_page(base_url, a, stop_at, think, stats, i * spread / max(len(accounts), 1)) for i, a in enumerate(accounts))
        )

    asyncio.run(all_pages())
    return stats


# --------------------------------------------------------------------------- one run


@dataclass
class SoakResult:
    setup: str
    routes: list[list[object]]
    statuses: dict[str, dict[int, int]]
    pages: PageStats
    pool: dict[str, float]
    nested: int
    pool_timeouts_logged: int
    rss: dict[str, list[float]]
    ledger: dict
    seconds: float


def soak(dep: Deployment, args: argparse.Namespace, workdir: Path) -> SoakResult:
    spec = {"items": args.items, "api": args.api_users, "admins": args.admins, "pages": args.pages}
    accounts = json.loads(dep.run_snippet(SEED, SOAK_SEED=json.dumps(spec)).strip().splitlines()[-1])
    accounts_file = workdir / f"accounts-{dep.name}.json"
    accounts_file.write_text(json.dumps(accounts))
    seconds = args.minutes * 60
    csv_prefix = workdir / f"locust-{dep.name}"
    status_file = workdir / f"statuses-{dep.name}.json"
    env = {
        **os.environ,
        "SOAK_ACCOUNTS": str(accounts_file),
        "SOAK_STATUS_FILE": str(status_file),
        "SOAK_READERS": str(args.readers),
        "SOAK_API_USERS": str(args.api_users),
        "SOAK_ADMINS": str(args.admins),
        "SOAK_API_THINK": str(args.api_think),
    }
    users = args.readers + args.api_users + args.admins
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", dep.app.base_url]
    command += ["--users", str(users), "--spawn-rate", str(max(1, users // 30)), "--run-time", f"{int(seconds)}s"]
    command += ["--csv", str(csv_prefix), "--only-summary", "--stop-timeout", "30", "--loglevel", "WARNING"]
    rss: dict[str, list[float]] = {"backend": [], "consumer": []}
    samples: list[tuple[float, float, float]] = []
    stop_sampling = threading.Event()

    def sample() -> None:
        began = time.monotonic()
        while not stop_sampling.wait(5):
            samples.append((time.monotonic() - began, dep.rss_mib("backend"), dep.rss_mib("consumer")))

    sampler = threading.Thread(target=sample, daemon=True)
    locust = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=(workdir / f"locust-{dep.name}.log").open("w"), stderr=subprocess.STDOUT
    )
    began = time.monotonic()
    sampler.start()
    try:
        pages = run_pages(dep.app.base_url, accounts["pages"], seconds, args.page_think)
        locust.wait(timeout=seconds + 180)
    finally:
        if locust.poll() is None:
            locust.send_signal(signal.SIGINT)
            locust.wait(timeout=60)
        stop_sampling.set()
        sampler.join()
    elapsed = time.monotonic() - began
    for point in (args.warmup, seconds / 2, seconds):
        at = min(samples, key=lambda s: abs(s[0] - point)) if samples else (0.0, float("nan"), float("nan"))
        rss["backend"].append(at[1])
        rss["consumer"].append(at[2])
    deadline = time.monotonic() + args.drain
    ledger: dict = {}
    while time.monotonic() < deadline:
        ledger = json.loads(dep.run_snippet(LEDGER_CHECK).strip().splitlines()[-1])
        if not ledger["stuck"]:
            break
        time.sleep(5)
    return SoakResult(
        setup=dep.name,
        routes=_locust_rows(Path(f"{csv_prefix}_stats.csv")) + _page_rows(pages),
        statuses=_statuses(status_file),
        pages=pages,
        pool=dep.pool_counts(),
        nested=dep.log_count("nested checkout from"),
        pool_timeouts_logged=dep.log_count("QueuePool limit"),
        rss=rss,
        ledger=ledger,
        seconds=elapsed,
    )


def _locust_rows(path: Path) -> list[list[object]]:
    rows = []
    with path.open() as f:
        for row in csv.DictReader(f):
            if row["Name"] == "Aggregated":
                continue
            name = f"{row['Type']} {row['Name']}"
            rows.append(
                [
                    name,
                    int(row["Request Count"]),
                    int(row["Failure Count"]),
                    _ms(row["50%"]),
                    _ms(row["95%"]),
                    _ms(row["99%"]),
                    _ms(row["100%"]),
                ]
            )
    return sorted(rows, key=lambda r: r[0])


def _ms(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("nan")


def _page_rows(pages: PageStats) -> list[list[object]]:
    errors = sum(pages.errors.values())
    rows = []
    for name, values in (("WS Generate → task shown", pages.shown), ("WS Generate → end shown (incl. sandbox)", pages.ended)):
        rows.append(
            [
                name,
                len(values),
                errors,
                percentile(values, 50),
                percentile(values, 95),
                percentile(values, 99),
                max(values, default=float("nan")),
            ]
        )
    return rows


def _statuses(path: Path) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = {}
    if not path.exists():
        return out
    for row in json.loads(path.read_text()):
        out.setdefault(f"{row['method']} {row['name']}", {})[row["status"]] = row["count"]
    return out


def report(result: SoakResult, args: argparse.Namespace) -> None:
    headers = ["route", "requests", "failures", "p50 ms", "p95", "p99", "max", "answers by status"]
    rows = []
    for name, *figures in result.routes:
        by_status = result.statuses.get(str(name), {})
        rows.append([name, *figures, " ".join(f"{s}×{n}" for s, n in sorted(by_status.items())) or "-"])
    title = (
        f"Soak, {result.setup}: {args.readers} readers, {args.api_users} API users, {args.pages} live pages, {args.admins} admins "
        f"for {result.seconds / 60:.1f} min"
    )
    print(table(headers, rows, title=title))
    five_xx = sum(n for by in result.statuses.values() for s, n in by.items() if s >= 500)
    no_answer = sum(n for by in result.statuses.values() for s, n in by.items() if s == 0)
    pool = result.pool
    print(
        f"5xx answers: {five_xx}; no answer (connection errors): {no_answer}; page errors: {result.pages.errors or 'none'}; "
        f"page tasks: {result.pages.tasks} ({result.pages.outcomes})"
    )
    print(
        f"pool: {int(pool['checkouts']):,} checkouts, {int(pool['waits'])} waited over 5 ms (max {pool['wait_ms_max']:.0f} ms), "
        f"{int(pool['timeouts'])} time-outs ({result.pool_timeouts_logged} in the logs); nested checkouts: {result.nested}"
    )
    rss = result.rss
    print(
        "RSS MiB at warm-up/middle/end: backend "
        + " / ".join(f"{v:.0f}" for v in rss["backend"])
        + (", consumer " + " / ".join(f"{v:.0f}" for v in rss["consumer"]) if any(v == v and v > 0 for v in rss["consumer"]) else "")
    )
    ledger = result.ledger
    print(
        f"end state: tasks {ledger.get('statuses')}; stuck {len(ledger.get('stuck', []))}; holds {ledger.get('holds')}, "
        f"open {len(ledger.get('open_holds', []))}; accounts whose ledger sum differs from the balance: {len(ledger.get('mismatched', {}))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", choices=("embedded", "production", "both"), default="both")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--api-users", type=int, default=50)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--admins", type=int, default=2)
    parser.add_argument("--items", type=int, default=5000, help="gallery items seeded (default 5,000)")
    parser.add_argument("--task-seconds", type=float, default=8.0, help="how long each sandbox image takes (default 8)")
    parser.add_argument("--page-think", type=float, default=30.0, help="mean seconds a page waits before its next task (default 30)")
    parser.add_argument("--api-think", type=float, default=15.0, help="mean seconds an API user waits before its next task (default 15)")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the first RSS figure (default 60)")
    parser.add_argument("--drain", type=float, default=180.0, help="seconds tasks get to end after the load (default 180)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, Locust CSV)")
    args = parser.parse_args()
    setups = ["embedded", "production"] if args.setup == "both" else [args.setup]
    if "production" in setups and not (answers(5432) and answers(6379)):
        print("(PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 are needed for the production set-up: skipped)")
        setups.remove("production")
    print(machine_line(), flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    try:
        for kind in setups:
            print(f"{kind}: starting ...", flush=True)
            with deployment(kind, workdir, args) as dep:
                result = soak(dep, args, workdir)
            report(result, args)
            print(flush=True)
        print(machine_line())
    finally:
        if args.keep:
            print(f"(work directory kept: {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
