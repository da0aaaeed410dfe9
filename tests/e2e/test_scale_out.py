"""Production shape: PostgreSQL, Redis, two backend workers and two queue consumers, one killed mid-run.

200 tasks go in through the REST API, some of them asking the sandbox for faults (rate limits, 5xx,
failed tasks, expired URLs, malformed bodies). Every task must end exactly once: one
provider task each, one stored output per completed task, a clear message per failure, credits recorded
once, no matter that a consumer died holding work.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support import scale_out
from tests.support.live_app import LiveApp
from tests.support.scale_out import Consumer, answers, redis_database

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
TASKS = 200
# Every tenth task asks the sandbox for a fault: (marker, expected status, words the error must contain).
FAULTS = {
    0: ("[sandbox:429x2]", "completed", ""),
    1: ("[sandbox:record500x2]", "completed", ""),
    # Not `nocallback` here: a create cut off by the kill whose callback is also lost is, by design,
    # sent again after WORKER_SUBMIT_CONFIRM_SECONDS (README, Reliability); tests/services cover it alone.
    2: ("[sandbox:500x1]", "completed", ""),
    3: ("[sandbox:fail]", "failed", "failed on request"),
    4: ("[sandbox:expired]", "failed", "expired"),
    5: ("[sandbox:malformed]", "failed", "not JSON"),
}
REDIS_DB = 7  # a database of its own on the shared Redis, flushed before and after


@pytest.fixture
def postgres_database() -> Iterator[str]:
    if not answers(5432):
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    with scale_out.postgres_database() as url:
        yield url


@pytest.fixture
def redis_url() -> Iterator[str]:
    if not answers(6379):
        pytest.skip("no Redis on 127.0.0.1:6379")
    with redis_database(REDIS_DB) as url:
        yield url


SUMMARY = """
import json
from sqlmodel import select
from smartspec_app.models import CreditAccount, CreditLedgerEntry, GenerationTask, SandboxJob
from smartspec_app.services.db import session_scope
with session_scope() as s:
    tasks = s.exec(select(GenerationTask)).all()
    ledger = s.exec(select(CreditLedgerEntry)).all()
    balance = s.exec(select(CreditAccount.balance)).one()
    jobs = s.exec(select(SandboxJob)).all()
    by_callback = {}
    for job in jobs:
        by_callback.setdefault(job.callback_url, []).append(job)
    twice = {
        url: [(j.id, j.fault, j.created_at.isoformat()) for j in group] for url, group in by_callback.items() if len(group) > 1
    }
    print(json.dumps({
        "status": {t.id: t.status for t in tasks},
        "prompts": {t.id: t.prompt for t in tasks},
        "error_of": {t.id: t.error_message for t in tasks},
        "provider_ids": [i for t in tasks for i in t.provider_task_ids],
        "keys": {t.id: t.output_keys for t in tasks},
        "credits": {t.id: t.credits_used for t in tasks},
        "errors": sorted({t.error_message for t in tasks if t.error_message}),
        "jobs": len(jobs),
        "ledger": sorted((e.kind, e.amount) for e in ledger if e.kind != "grant"),
        "balance": balance,
        "twice": {url: [t for t in tasks if t.id in url][0].status_detail + " " + json.dumps(js) for url, js in twice.items()},
    }))
"""

MAKE_TOKEN = """
from smartspec_app.services import auth, keys
from smartspec_app.services.db import session_scope
with session_scope() as s:
    user = auth.create_user(s, "scale@example.com", "a long password")
    _, plain = keys.create_api_token(s, keys.get_key_manager(), user, "scale test")
print(plain)
"""


def test_two_workers_two_consumers_one_killed_every_task_once(tmp_path: Path, postgres_database: str, redis_url: str) -> None:
    from cryptography.fernet import Fernet

    env = {
        "DATABASE_URL": postgres_database,
        "REDIS_URL": redis_url,
        "WORKER_IN_PROCESS": "false",
        "GRANIAN_WORKERS": "2",
        "WORKER_LEASE_SECONDS": "10",
        "WORKER_SUBMIT_CONFIRM_SECONDS": "15",  # sandbox images take 3 s: a created task calls back well before
        "SANDBOX_SECONDS_IMAGE": "3",
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "RATE_LIMIT_USER": "100000/minute",
        "RATE_LIMIT_ANONYMOUS": "100000/minute",
        "CREDITS_STARTING_BALANCE": "10000",
    }
    app = LiveApp(tmp_path / "data", backend_only=True, extra_env=env)
    app.start()
    consumers: list[Consumer] = []
    try:
        listing = subprocess.run(["ps", "-o", "ppid=", "-s", str(app.process.pid)], capture_output=True, text=True).stdout
        assert listing.split().count(str(app.process.pid)) == 2, f"expected two backend workers:\n{listing}"
        consumers = [Consumer(app.env, tmp_path / f"consumer-{n}.log") for n in range(2)]
        token = app.run_python(MAKE_TOKEN).strip()
        headers = {"Authorization": f"Bearer {token}"}

        def submit(n: int) -> str:
            marker = FAULTS.get(n % 10, ("", "", ""))[0]
            prompt = f"Scale test {n} {marker}".strip()
            body = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": prompt, "parameters": {"num_images": 1}}
            response = httpx.post(app.base_url + "/api/generation/generate", json=body, headers=headers, timeout=30)
            assert response.status_code == 202, response.text
            return response.json()["id"]

        with ThreadPoolExecutor(8) as pool:
            task_ids = list(pool.map(submit, range(TASKS)))
        assert len(set(task_ids)) == TASKS

        # Kill one consumer while work is in flight (some done, most not).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            summary = json.loads(app.run_python(SUMMARY))
            done = sum(status == "completed" for status in summary["status"].values())
            if done >= TASKS // 5:
                break
            time.sleep(0.5)
        assert done < TASKS, "everything finished before the kill: the test proves nothing"
        consumers[0].signal(signal.SIGKILL)

        deadline = time.monotonic() + 420
        while time.monotonic() < deadline:
            summary = json.loads(app.run_python(SUMMARY))
            if all(status in ("completed", "failed") for status in summary["status"].values()):
                break
            time.sleep(2)
        statuses = summary["status"]
        assert len(statuses) == TASKS
        expected_failures = 0
        for task_id, status in statuses.items():
            n = int(summary["prompts"][task_id].split()[2])
            _, expected, words = FAULTS.get(n % 10, ("", "completed", ""))
            assert status == expected, (summary["prompts"][task_id], status, summary["error_of"][task_id])
            if expected == "failed":
                expected_failures += 1
                assert words in summary["error_of"][task_id]
        completed = TASKS - expected_failures
        assert len(summary["provider_ids"]) == len(set(summary["provider_ids"])) == TASKS  # one provider create each
        assert summary["jobs"] == TASKS, summary["twice"]  # and the sandbox (the provider) saw exactly that many
        keys = [key for task_keys in summary["keys"].values() for key in task_keys]
        assert len(keys) == len(set(keys)) == completed  # one stored output per completed task
        assert all((app.data_dir / "media" / key).stat().st_size > 0 for key in keys)
        # the catalog's price of a 1K Nano Banana Pro image for each completed task, recorded once (not per attempt)
        assert summary["credits"] == {task_id: 18.0 if status == "completed" else 0.0 for task_id, status in statuses.items()}
        # held once at submit, then settled or refunded once: the balance is exactly 18 per completed task lighter
        expected_ledger = [["hold", -18_00]] * TASKS + [["refund", 18_00]] * expected_failures + [["settle", 0]] * completed
        assert summary["ledger"] == sorted(expected_ledger)
        assert summary["balance"] == 10_000_00 - 18_00 * completed
    finally:
        for consumer in consumers:
            consumer.signal(signal.SIGTERM)
        app.stop()
        app.release()
