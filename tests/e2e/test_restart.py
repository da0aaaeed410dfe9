"""Nothing is lost when the server goes down mid-task: the database and the queue carry it over."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import db_count
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e

START_TASK = """
from smartspec_app.services import auth, generation, worker
from smartspec_app.services.db import session_scope
with session_scope() as s:
    user = auth.create_user(s, "restart@example.com", "a long password")
    task = generation.start_generation(s, user, "image", "nano-banana-pro", "Survives a restart", {"num_images": 2}, "sandbox")
worker.enqueue(task.id)
print(task.id)
"""

READ_TASK = """
import json, sys
from smartspec_app.models import GenerationTask
from smartspec_app.services.db import session_scope
with session_scope() as s:
    t = s.get(GenerationTask, sys.argv[1] if len(sys.argv) > 1 else "{task_id}")
    print(json.dumps({{"status": t.status, "ids": t.provider_task_ids, "keys": t.output_keys, "error": t.error_message}}))
"""


def read_task(app: LiveApp, task_id: str) -> dict:
    return json.loads(app.run_python(READ_TASK.format(task_id=task_id)))


def wait_for(app: LiveApp, task_id: str, predicate, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = read_task(app, task_id)
        if predicate(state):
            return state
        time.sleep(0.5)
    raise AssertionError(f"gave up waiting; last state {state}\n{app.log_tail()}")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["stop", "kill-9"])
def test_a_task_started_before_a_restart_completes_after_it(tmp_path: Path, how: signal.Signals) -> None:
    app = LiveApp(tmp_path / "data", backend_only=True, extra_env={"SANDBOX_SECONDS_IMAGE": "8"})
    app.start()
    try:
        task_id = app.run_python(START_TASK).strip()
        running = wait_for(app, task_id, lambda t: t["status"] == "running" and len(t["ids"]) == 2, timeout=30)
        app.stop(how)
        assert read_task(app, task_id)["status"] == "running"  # down, mid-task

        app.start()
        done = wait_for(app, task_id, lambda t: t["status"] in ("completed", "failed"), timeout=240)
        assert done["status"] == "completed", done["error"]
        assert done["ids"] == running["ids"]  # the provider tasks were not created again
        assert db_count(app, "SELECT count(*) FROM sandbox_jobs") == 2
        assert all((app.data_dir / "media" / key).stat().st_size > 0 for key in done["keys"])
    finally:
        app.stop()
        app.release()


START_MANY = """
from smartspec_app.services import auth, generation, worker
from smartspec_app.services.db import session_scope
with session_scope() as s:
    user = auth.create_user(s, "crash@example.com", "a long password")
    tasks = [
        generation.start_generation(s, user, "image", "nano-banana-pro", f"Crash test {n}", {"num_images": 1}, "sandbox")
        for n in range(20)
    ]
for task in tasks:
    worker.enqueue(task.id)
print(" ".join(t.id for t in tasks))
"""

SUMMARY = """
import json
from sqlmodel import select
from smartspec_app.models import GenerationTask, SandboxJob
from smartspec_app.services.db import session_scope
with session_scope() as s:
    tasks = s.exec(select(GenerationTask)).all()
    jobs = s.exec(select(SandboxJob)).all()
    print(json.dumps({
        "status": {t.id: t.status for t in tasks},
        "provider_ids": {t.id: t.provider_task_ids for t in tasks},
        "keys": {t.id: t.output_keys for t in tasks},
        "credits": {t.id: t.credits_used for t in tasks},
        "errors": [t.error_message for t in tasks if t.error_message],
        "jobs": len(jobs),
    }))
"""


def test_kill_9_during_twenty_running_tasks_loses_and_repeats_nothing(tmp_path: Path) -> None:
    """The embedded default (SQLite + in-process queue): kill -9 mid-flight, restart, all complete once."""
    app = LiveApp(tmp_path / "data", backend_only=True, extra_env={"SANDBOX_SECONDS_IMAGE": "10", "WORKER_THREADS": "4"})
    app.start()
    try:
        task_ids = app.run_python(START_MANY).split()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            summary = json.loads(app.run_python(SUMMARY))
            if sum(status == "running" for status in summary["status"].values()) == 20:
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"the 20 tasks never all ran: {summary['status']} {summary['errors']}\n{app.log_tail()}")
        before = summary["provider_ids"]
        app.stop(signal.SIGKILL)

        app.start()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            summary = json.loads(app.run_python(SUMMARY))
            if all(status in ("completed", "failed") for status in summary["status"].values()):
                break
            time.sleep(1)
        assert set(summary["status"].values()) == {"completed"}, summary["errors"]
        assert summary["provider_ids"] == before  # nothing was submitted twice
        assert summary["jobs"] == len(task_ids)  # one sandbox (provider) task each
        assert all(len(keys) == 1 and (app.data_dir / "media" / keys[0]).stat().st_size > 0 for keys in summary["keys"].values())
        assert set(summary["credits"].values()) == {18.0}  # the catalog's price of each, recorded once (the sandbox too)
    finally:
        app.stop()
        app.release()
