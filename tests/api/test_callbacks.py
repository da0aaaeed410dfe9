"""The provider callback: authenticated by the per-task secret, idempotent, and it triggers a re-check."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from smartspec_app.api import build_api
from smartspec_app.models import GenerationTask, TaskStatus
from smartspec_app.services import auth, generation, worker
from smartspec_app.services.db import session_scope
from smartspec_app.services.downloads import UrlPolicy
from smartspec_app.services.providers.kie import KieProvider
from smartspec_app.settings import reload_settings
from tests.support.sandbox import sandbox_api_key
from tests.support.servers import serve


@pytest.fixture
def app_url(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SANDBOX_SECONDS_IMAGE", "2")  # long enough that the first check always finds it running
    reload_settings()
    with serve(build_api()) as url:  # which makes `url` the app's own address: the sandbox calls back only there
        yield url


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(worker, "enqueue", calls.append)
    return calls


def test_the_sandbox_calls_back_and_the_task_is_rechecked(engine, storage, app_url, enqueued) -> None:
    base = f"{app_url}/sandbox/kie"
    ctx = generation.WorkerContext(
        session_factory=lambda: session_scope(engine),
        storage=storage,
        provider_for=lambda _n: KieProvider(sandbox_api_key(), base),
        url_policy_for=lambda _n: UrlPolicy(trusted_prefix=base),
        max_download_bytes=10_000_000,
        worker_id="cb",
        callback_base_for=lambda _n: app_url,
    )
    with session_scope(engine) as s:
        user = auth.create_user(s, "cb@example.com", "a long password")
        task = generation.start_generation(s, user, "image", "nano-banana-pro", "call me back", None, "sandbox")
    assert generation.advance_task(ctx, task.id) == pytest.approx(generation.POLL_FIRST_WITH_CALLBACK)
    deadline = time.monotonic() + 10
    while not enqueued and time.monotonic() < deadline:
        time.sleep(0.05)
    assert enqueued == [task.id]  # the sandbox's callback reached our route, which asked for a re-check

    assert generation.advance_task(ctx, task.id) is None  # the re-check reads the record and finishes
    with Session(engine) as s:
        assert s.get(GenerationTask, task.id).status == TaskStatus.COMPLETED

    late = httpx.post(f"{app_url}/api/generation/callback/{task.id}", params={"sig": task.callback_secret}, json={"code": 200})
    assert late.status_code == 200 and late.json()["status"] == "ignored"
    assert enqueued == [task.id]  # a repeated or late callback changes nothing


def test_a_wrong_or_missing_signature_is_refused(engine, app_url, enqueued) -> None:
    with session_scope(engine) as s:
        user = auth.create_user(s, "sig@example.com", "a long password")
        task = generation.start_generation(s, user, "image", "nano-banana-pro", "no forgeries", None, "sandbox")
    for params in ({"sig": "wrong"}, {}):
        response = httpx.post(
            f"{app_url}/api/generation/callback/{task.id}", params=params, json={"code": 200, "data": {"state": "success"}}
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    unknown = httpx.post(f"{app_url}/api/generation/callback/nope", params={"sig": "x"})
    assert unknown.status_code == 403
    assert enqueued == []
    with Session(engine) as s:
        assert s.get(GenerationTask, task.id).status == TaskStatus.PENDING
