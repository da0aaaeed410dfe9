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
