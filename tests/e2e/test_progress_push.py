"""Live progress is pushed, and no open page is left showing a stale status.

Sessions speak Reflex's own websocket protocol (tests/support/reflex_client.py: hydrate, on_load,
events, deltas), as the browser does, several users and a second tab among them. In the production
set (PostgreSQL, Redis, two backend workers, a separate queue consumer) the consumer is SIGKILLed
mid-task and a backend worker is SIGKILLed (which takes the server down), both are started again,
the pages reconnect as a browser does, and every page must end up showing what the database says.
In the embedded default, a change written behind the app's back (no message) still reaches an open
page through its re-read, and a kill -9 of the whole process converges too.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.support.live_app import LiveApp
from tests.support.reflex_client import GENERATION, ROOT, SESSION_TOKEN_VAR, ReflexTab, run_async
from tests.support.scale_out import Consumer, answers, postgres_database, redis_database

pytestmark = pytest.mark.e2e
PASSWORD = "a long password"
REDIS_DB = 8
RESYNC_SECONDS = 8  # the safety re-read, short for the test (30 s by default)

USERS = """
import json
from smartspec_app.services import auth
from smartspec_app.services.db import session_scope
emails = [f"watcher{n}@example.com" for n in range(3)]
with session_scope() as s:
    for email in emails:
        auth.create_user(s, email, "a long password")
print(json.dumps(emails))
"""

TRUTH = """
import json
from sqlmodel import select
from smartspec_app.models import GenerationTask, User
from smartspec_app.services.db import session_scope
with session_scope() as s:
    rows = s.exec(select(GenerationTask, User.email).join(User, User.id == GenerationTask.user_id)).all()
    print(json.dumps({t.id: {"email": email, "status": t.status, "progress": t.progress, "prompt": t.prompt} for t, email in rows}))
"""


def not_running_report(tabs: dict[str, list[ReflexTab]], db: dict[str, dict], app: LiveApp, consumer: Consumer) -> str:
    pages = [{task_id[:8]: row.get("status") for task_id, row in shown(tab).items()} for user_tabs in tabs.values() for tab in user_tabs]
    database = {task_id[:8]: (row["email"], row["status"]) for task_id, row in db.items()}
    consumer_log = consumer.log_path.read_text(errors="replace")[-3000:]
    return f"not every page showed its tasks running: pages {pages}, database {database}\n{app.log_tail()}\n{consumer_log}"


def truth(app: LiveApp) -> dict[str, dict]:
    return json.loads(app.run_python(TRUTH))


async def open_tab(app: LiveApp, email: str) -> ReflexTab:
    tab = ReflexTab(app.base_url)
    await tab.sign_in(email, PASSWORD)
    await tab.open("/generate")
    await hydrated(tab)
    return tab


async def hydrated(tab: ReflexTab) -> None:
    await tab.wait_for(lambda t: t.get(ROOT, "is_hydrated") is True and t.get(GENERATION, "tasks") is not None, 60)


def shown(tab: ReflexTab) -> dict[str, dict]:
    """Every task row the page shows, by id."""
    return {t["id"]: t for t in [*(tab.get(GENERATION, "live_tasks") or []), *tab.tasks()]}


def stale(tabs: dict[str, list[ReflexTab]], db: dict[str, dict]) -> list[str]:
    """What any page shows differently from the database (status, progress, prompt), or misses."""
    problems = []
    for email, user_tabs in tabs.items():
        mine = {task_id: row for task_id, row in db.items() if row["email"] == email}
        for n, tab in enumerate(user_tabs):
            page = shown(tab)
            current = tab.current_task()
            if current.get("id") and current != page.get(current["id"]):
                problems.append(f"{email} tab {n}: the current-task panel shows {current} but its row {page.get(current['id'])}")
            for task_id, row in mine.items():
                got = page.get(task_id)
                want = (row["status"], row["progress"], row["prompt"])
                if got is None or (got["status"], got["progress"], got["prompt"]) != want:
                    problems.append(f"{email} tab {n}: {task_id} shows {got and (got['status'], got['progress'])}, database {want}")
    return problems


async def converge(app: LiveApp, tabs: dict[str, list[ReflexTab]], timeout: float) -> dict[str, dict]:
    """Wait until every task has ended and every page shows exactly that."""
    deadline = time.monotonic() + timeout
    while True:
        for user_tabs in tabs.values():
            for tab in user_tabs:
                if not tab.connected:
                    await tab.reconnect()
                    await hydrated(tab)
        db = await asyncio.to_thread(truth, app)
        problems = stale(tabs, db)
        if not problems and all(row["status"] in ("completed", "failed") for row in db.values()):
            return db
        if time.monotonic() > deadline:
            raise AssertionError("pages left stale:\n" + "\n".join(problems) + f"\n{app.log_tail()}")
        await asyncio.sleep(0.5)


@pytest.fixture
def production_env() -> Iterator[dict[str, str]]:
    if not (answers(5432) and answers(6379)):
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379")
    with postgres_database("smartspec_push") as database_url, redis_database(REDIS_DB) as redis_url:
        yield {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "WORKER_IN_PROCESS": "false",
            "GRANIAN_WORKERS": "2",
            "WORKER_LEASE_SECONDS": "5",
            "SANDBOX_SECONDS_IMAGE": "25",
            "TASK_WATCH_RESYNC_SECONDS": str(RESYNC_SECONDS),
            "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        }


def backend_workers(app: LiveApp) -> list[int]:
    """The granian worker processes of the app (children of its server process)."""
    out = subprocess.run(["ps", "-o", "pid=,ppid=", "-s", str(app.process.pid)], capture_output=True, text=True).stdout
    rows = [tuple(int(x) for x in line.split()) for line in out.splitlines() if line.strip()]
    parents = [ppid for _pid, ppid in rows]
    server = max(set(parents), key=parents.count)  # the process with the most children
    return [pid for pid, ppid in rows if ppid == server]


@pytest.mark.postgres
def test_pages_converge_after_the_consumer_and_a_backend_worker_are_killed(tmp_path: Path, production_env: dict[str, str]) -> None:
    app = LiveApp(tmp_path / "data", backend_only=True, extra_env=production_env)
    app.start()
    consumer = Consumer(app.env, tmp_path / "consumer.log")
    try:
        emails = json.loads(app.run_python(USERS))

        async def scenario() -> dict[str, dict]:
            tabs = {email: [await open_tab(app, email)] for email in emails}
            first = tabs[emails[0]][0]
            for n, email in enumerate(emails):
                await tabs[email][0].generate_image(f"Watched task {n}", output_format="jpg")
            await first.generate_image("A second task in the same tab", output_format="jpg")
            # a second tab of the first user, opened while its tasks run, follows both
            second = ReflexTab(app.base_url, local_storage={SESSION_TOKEN_VAR: first.local_storage[SESSION_TOKEN_VAR]})
            await second.open("/generate")
            await hydrated(second)
            tabs[emails[0]].append(second)

            # progress is pushed to every page: each shows every task of its user running (not
            # necessarily all at once: on a loaded machine the first may end before the last starts)
            db = await asyncio.to_thread(truth, app)
            assert len(db) == 4, db
            expected = {
                (id(tab), task_id)
                for email, user_tabs in tabs.items()
                for tab in user_tabs
                for task_id, row in db.items()
                if row["email"] == email
            }
            seen_running: set[tuple[int, str]] = set()

            def running_on_every_page() -> bool:
                seen_running.update(
                    (id(tab), task_id)
                    for user_tabs in tabs.values()
                    for tab in user_tabs
                    for task_id, row in shown(tab).items()
                    if row.get("status") == "running"
                )
                return expected <= seen_running

            deadline = time.monotonic() + 90
            while not running_on_every_page():
                if time.monotonic() > deadline:
                    now = await asyncio.to_thread(truth, app)
                    raise AssertionError(not_running_report(tabs, now, app, consumer))
                await asyncio.sleep(0.2)

            consumer.signal(signal.SIGKILL)
            workers = backend_workers(app)
            assert len(workers) == 2, workers
            os.kill(workers[0], signal.SIGKILL)  # granian does not respawn it: the server goes down
            app.stop(signal.SIGKILL)
            at_kill = await asyncio.to_thread(truth, app)
            assert any(row["status"] in ("pending", "running") for row in at_kill.values()), "all ended before the kill: proves nothing"
            app.start()
            consumer.start()
            return await converge(app, tabs, timeout=240)

        db = run_async(scenario())
        assert {row["status"] for row in db.values()} == {"completed"}
    finally:
        consumer.signal(signal.SIGTERM)
        app.stop()
        app.release()


def test_embedded_a_change_without_a_message_and_a_kill_9_still_converge(tmp_path: Path) -> None:
    env = {"SANDBOX_SECONDS_IMAGE": "12", "TASK_WATCH_RESYNC_SECONDS": "2"}
    app = LiveApp(tmp_path / "data", backend_only=True, extra_env=env)
    app.start()
    try:
        emails = json.loads(app.run_python(USERS))[:1]

        async def scenario() -> dict[str, dict]:
            tab = await open_tab(app, emails[0])
            await tab.generate_image("Finished first", output_format="jpg")
            await tab.wait_for(lambda t: t.current_task().get("status") == "completed", 60)
            finished = tab.current_task()["id"]
            await tab.generate_image("Still running", output_format="jpg")
            await tab.wait_for(lambda t: t.current_task().get("status") == "running" and t.current_task()["id"] != finished, 30)

            # written behind the app's back: no message, only the watcher's re-read can show it
            with sqlite3.connect(app.data_dir / "smartspec.db") as conn:
                conn.execute("UPDATE generation_tasks SET prompt = 'Renamed without a message' WHERE id = ?", (finished,))
            await tab.wait_for(lambda t: shown(t).get(finished, {}).get("prompt") == "Renamed without a message", 20)
            assert tab.current_task()["status"] == "running"  # seen while the other task still ran

            app.stop(signal.SIGKILL)
            app.start()
            return await converge(app, {emails[0]: [tab]}, timeout=180)

        db = run_async(scenario())
        assert {row["status"] for row in db.values()} == {"completed"}
    finally:
        app.stop()
        app.release()
