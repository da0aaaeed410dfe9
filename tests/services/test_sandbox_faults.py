"""KieProvider and the worker against the live sandbox with each injected fault: every task ends
completed or failed with the right message, and nothing is retried past its limit."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from smartspec_app.api import build_api
from smartspec_app.models import GenerationTask, TaskStatus, User, utcnow
from smartspec_app.services import auth, generation, sandbox_faults
from smartspec_app.services.db import session_scope
from smartspec_app.services.downloads import UrlPolicy
from smartspec_app.services.providers.kie import KieProvider
from smartspec_app.services.storage import LocalStorage
from smartspec_app.settings import reload_settings
from tests.support.sandbox import sandbox_api_key
from tests.support.servers import serve

MAX_ATTEMPTS = 3


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts requests by path on their way to the real server (one pool per event loop:
    the worker runs each step in a fresh loop)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._inner: dict[int, httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls[request.url.path.rsplit("/", 1)[-1]] += 1
        inner = self._inner.setdefault(id(asyncio.get_running_loop()), httpx.AsyncHTTPTransport())
        return await inner.handle_async_request(request)


@pytest.fixture
def sandbox_url(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SANDBOX_SECONDS_IMAGE", "0.4")
    monkeypatch.setenv("SANDBOX_SLOW_SECONDS", "0.6")
    reload_settings()
    with serve(build_api()) as url:
        yield url


@pytest.fixture
def user(engine) -> User:
    with session_scope(engine) as s:
        return auth.create_user(s, "faults@example.com", "a long password")


def run(
    engine, storage: LocalStorage, sandbox_url: str, user: User, prompt: str, *, timeout: float = 5.0, deadline_in: float | None = None
):
    transport = CountingTransport()
    base = f"{sandbox_url}/sandbox/kie"
    provider = KieProvider(sandbox_api_key(), base, timeout=timeout, max_attempts=MAX_ATTEMPTS, backoff_base=0.01, transport=transport)
    ctx = generation.WorkerContext(
        session_factory=lambda: session_scope(engine),
        storage=storage,
        provider_for=lambda _name: provider,
        url_policy_for=lambda _name: UrlPolicy(trusted_prefix=base),
        max_download_bytes=10_000_000,
        worker_id="fault-test",
    )
    with session_scope(engine) as s:
        # a unique prompt: the sandbox counts fired faults per prompt, for the whole process
        task = generation.start_generation(s, user, "image", "nano-banana-pro", f"{prompt} {uuid.uuid4().hex}", None, "sandbox")
        if deadline_in is not None:
            task.deadline_at = utcnow() + timedelta(seconds=deadline_in)
    give_up = time.monotonic() + 60
    while generation.advance_task(ctx, task.id) is not None:
        assert time.monotonic() < give_up, "task never ended"
        time.sleep(0.1)
    with Session(engine) as s:
        return s.get(GenerationTask, task.id), transport.calls


@pytest.mark.parametrize(
    ("marker", "create_calls"),
    [("429x2", 3), ("500x1", 2), ("record500x2", 1), ("slow", 1), ("slowrecord", 1)],
)
def test_transient_faults_are_retried_and_the_task_completes(engine, storage, sandbox_url, user, marker, create_calls) -> None:
    task, calls = run(engine, storage, sandbox_url, user, f"fox [sandbox:{marker}]")
    assert task.status == TaskStatus.COMPLETED, task.error_message
    assert calls["createTask"] == create_calls
    assert storage.exists(task.output_keys[0])


def test_a_persistent_429_gives_up_at_the_limit(engine, storage, sandbox_url, user) -> None:
    task, calls = run(engine, storage, sandbox_url, user, "fox [sandbox:429]")
    assert task.status == TaskStatus.FAILED
    assert "rate limiting" in task.error_message and "gave up" in task.error_message
    assert calls["createTask"] == MAX_ATTEMPTS * generation.MAX_CONSECUTIVE_ERRORS  # never past the limit


def test_timeouts_reading_a_task_give_up_at_the_limit(engine, storage, sandbox_url, user) -> None:
    # 0.45 s: every read (answered after SANDBOX_SLOW_SECONDS, 0.6 s) times out, while the create, which
    # is not slowed, has time on a loaded machine (at 0.2 s a CI run once saw the create itself time out)
    task, calls = run(engine, storage, sandbox_url, user, "fox [sandbox:slowrecord]", timeout=0.45)
    assert task.status == TaskStatus.FAILED
    assert "Could not reach kie.ai" in task.error_message and "Timeout" in task.error_message
    assert "gave up after" in task.error_message
    assert calls["createTask"] == 1
    assert calls["recordInfo"] == MAX_ATTEMPTS * generation.MAX_CONSECUTIVE_ERRORS  # never past the limit


@pytest.mark.parametrize("marker", ["slow", "http500"])
def test_a_create_that_may_have_reached_kie_is_never_sent_twice(engine, storage, sandbox_url, user, marker) -> None:
    task, calls = run(engine, storage, sandbox_url, user, f"fox [sandbox:{marker}]", timeout=0.2)
    assert task.status == TaskStatus.FAILED
    assert "may or may not have started" in task.error_message
    assert calls["createTask"] == 1


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("fail", "failed on request"),
        ("malformed", "not JSON"),
        ("badresult", "not valid JSON"),
        ("expired", "expired"),
    ],
)
def test_terminal_faults_fail_the_task_with_a_clear_message(engine, storage, sandbox_url, user, marker, message) -> None:
    task, calls = run(engine, storage, sandbox_url, user, f"fox [sandbox:{marker}]")
    assert task.status == TaskStatus.FAILED
    assert message in task.error_message
    assert calls["createTask"] == 1 and task.output_url is None
    assert not any(Path(storage.root).rglob("*.png"))


def test_an_unknown_state_keeps_waiting_until_the_deadline(engine, storage, sandbox_url, user) -> None:
    task, calls = run(engine, storage, sandbox_url, user, "fox [sandbox:unknownstate]", deadline_in=2)
    assert task.status == TaskStatus.FAILED
    assert "in time" in task.error_message and "'paused'" in task.error_message
    assert calls["recordInfo"] >= 2


def test_fault_markers_parse() -> None:
    assert sandbox_faults.parse_faults("a [sandbox:429x2] b [SANDBOX:expired] [sandbox:nope]") == {
        "429": 2,
        "expired": sandbox_faults.UNLIMITED,
    }
    assert sandbox_faults.decode(sandbox_faults.encode({"429": 2, "slow": 5})) == {"429": 2, "slow": 5}
