"""The kie.ai sandbox over real HTTP: it serves this app only (its secret, signed result files, callbacks
to this app's own route), inside the API's rate and body limits, as strict as kie.ai's docs, and gone
when the operator switches it off."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from smartspec_app.api import build_api
from smartspec_app.api import sandbox as sandbox_api
from smartspec_app.models import SandboxJob
from smartspec_app.services import sandbox_access
from smartspec_app.settings import reload_settings
from tests.support.live_app import free_port
from tests.support.sandbox import sandbox_api_key
from tests.support.servers import serve

CREATE = "/sandbox/kie/api/v1/jobs/createTask"
RECORD = "/sandbox/kie/api/v1/jobs/recordInfo"
NANO_INPUT = {"prompt": "a fox", "aspect_ratio": "1:1", "resolution": "1K", "output_format": "png", "image_input": []}


class Listener:
    """A plain HTTP server on 127.0.0.1 that records every request it gets (an 'internal' service)."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()

            do_GET = do_POST  # noqa: N815

            def log_message(self, *_args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def app_url(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SANDBOX_SECONDS_IMAGE", "0.3")
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "5/minute")
    reload_settings()
    with serve(build_api()) as url:
        yield url


def own() -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox_api_key()}"}


def jobs(engine) -> list[SandboxJob]:
    with Session(engine) as s:
        return list(s.exec(select(SandboxJob)).all())


def test_the_probe_from_outside_is_refused_and_nothing_is_called(engine, app_url: str, listener: Listener) -> None:
    """The outside tester's request, as sent: any Bearer, a callback to an internal address."""
    body = {"model": "nano-banana-pro", "callBackUrl": f"{listener.url}/internal-admin?x=1", "input": NANO_INPUT}
    answer = httpx.post(app_url + CREATE, json=body, headers={"Authorization": "Bearer anything"})
    assert answer.json()["code"] == 401 and answer.json()["data"] is None
    assert httpx.post(app_url + CREATE, json=body).json()["code"] == 401
    assert httpx.get(app_url + "/sandbox/kie/api/v1/chat/credit", headers={"Authorization": "Bearer anything"}).json()["code"] == 401
    assert jobs(engine) == []
    time.sleep(1.0)  # longer than the job would take
    assert listener.hits == []


def test_even_the_app_cannot_make_it_call_anything_but_its_own_callback_route(engine, app_url: str, listener: Listener) -> None:
    for url in (
        f"{listener.url}/internal-admin?x=1",
        f"{listener.url}/api/generation/callback/t1?sig=x",  # the right path on another host
        app_url.replace("127.0.0.1", "localhost") + "/api/generation/callback/t1",
        f"{app_url}/api/admin/gallery/bulk",
        f"{app_url}/api/generation/callback/../../admin",
        f"http://user@{app_url.split('//')[1]}/api/generation/callback/t1",
        12,
    ):
        answer = httpx.post(app_url + CREATE, json={"model": "nano-banana-pro", "callBackUrl": url, "input": NANO_INPUT}, headers=own())
        assert answer.json()["code"] == 422, url
        assert "callBackUrl must be this app's own callback route" in answer.json()["msg"]
    assert jobs(engine) == []
    time.sleep(0.8)
    assert listener.hits == []
    good = {"model": "nano-banana-pro", "callBackUrl": f"{app_url}/api/generation/callback/t1?sig=abc", "input": NANO_INPUT}
    assert httpx.post(app_url + CREATE, json=good, headers=own()).json()["code"] == 200


@pytest.mark.parametrize(
    ("model", "input", "msg"),
    [
        ("elevenlabs/text-to-speech-multilingual-v2", {"text": "Hallo", "voice": "Rachel", "language_code": "de"}, "language enforcement"),
        ("nano-banana-pro", {**NANO_INPUT, "nsfw": True}, "input.nsfw is not a field of nano-banana-pro"),
        ("wan/2-6-text-to-video", {"prompt": "a fox", "duration": 5}, "input.duration must be of type string"),
        ("flux-2/pro-text-to-image", {"prompt": "a fox", "aspect_ratio": "auto", "resolution": "1K"}, "input.aspect_ratio must be one of"),
        ("google/imagen4-fast", {"prompt": "a fox", "num_images": "9"}, "input.num_images must be one of 1, 2, 3, 4"),
        ("kie-ai/nano-banana-pro", NANO_INPUT, "is not supported"),
    ],
)
def test_create_task_refuses_what_kie_ai_refuses_with_its_envelope(engine, app_url: str, model: str, input: dict, msg: str) -> None:
    answer = httpx.post(app_url + CREATE, json={"model": model, "input": input}, headers=own())
    assert answer.status_code == 200  # kie.ai answers errors in the envelope
    body = answer.json()
    assert body["code"] == 422 and msg in body["msg"] and body["data"] is None
    assert jobs(engine) == []


def test_result_files_download_only_with_their_signature(engine, app_url: str) -> None:
    created = httpx.post(app_url + CREATE, json={"model": "nano-banana-pro", "input": NANO_INPUT}, headers=own()).json()
    task_id = created["data"]["taskId"]
    for _ in range(100):
        record = httpx.get(app_url + RECORD, params={"taskId": task_id}, headers=own()).json()["data"]
        if record["state"] == "success":
            break
        time.sleep(0.1)
    (url,) = json.loads(record["resultJson"])["resultUrls"]
    assert "?sig=" in url
    assert httpx.get(url).status_code == 200
    bare = url.split("?", 1)[0]
    assert httpx.get(bare).status_code == 404
    assert httpx.get(bare + "?sig=" + "0" * 32).status_code == 404
    assert httpx.get(app_url + RECORD, params={"taskId": task_id}, headers={"Authorization": "Bearer guess"}).json()["code"] == 401


def test_anonymous_callers_share_the_apis_rate_and_body_limits(app_url: str) -> None:
    for _ in range(5):
        assert httpx.post(app_url + CREATE, json={}).json()["code"] == 401
    limited = httpx.post(app_url + CREATE, json={})
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert (
        httpx.post(app_url + CREATE, json={"model": "x", "input": {}}, headers=own()).status_code == 200
    )  # the app's own calls never count
    huge = httpx.post(
        app_url + CREATE, content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers={**own(), "Content-Type": "application/json"}
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("env", "mounted"),
    [
        ({}, True),
        ({"SANDBOX_ENABLED": "false"}, False),
        ({"KIE_AI_API_KEY": "kie_operator_key_123"}, False),
        ({"KIE_AI_API_KEY": "kie_operator_key_123", "SANDBOX_ENABLED": "true"}, True),
    ],
)
def test_the_operator_decides_whether_it_is_mounted(app_env: Path, monkeypatch: pytest.MonkeyPatch, env: dict, mounted: bool) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reload_settings()
    with serve(build_api()) as url:
        answer = httpx.post(url + CREATE, json={"model": "nano-banana-pro", "input": NANO_INPUT}, headers=own())
        assert (answer.status_code != 404) is mounted, answer.text


def test_the_secret_is_generated_once_private_and_shared(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = sandbox_api_key()
    path = app_env / sandbox_access.SECRET_FILE_NAME
    assert path.read_text().strip() == secret and len(secret) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sandbox_access.load_or_create_secret(app_env) == secret  # another process of the deployment reads the same
    monkeypatch.setenv("SANDBOX_SECRET", "an-operator-chosen-secret-value")
    reload_settings()
    assert sandbox_api_key() == "an-operator-chosen-secret-value"


def _finished_result_url(app_url: str) -> str:
    created = httpx.post(app_url + CREATE, json={"model": "nano-banana-pro", "input": NANO_INPUT}, headers=own()).json()
    for _ in range(100):
        record = httpx.get(app_url + RECORD, params={"taskId": created["data"]["taskId"]}, headers=own()).json()["data"]
        if record["state"] == "success":
            return json.loads(record["resultJson"])["resultUrls"][0]
        time.sleep(0.1)
    raise AssertionError("the sandbox job never finished")


def test_a_result_file_is_the_same_whether_served_from_memory_or_streamed(engine, app_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _finished_result_url(app_url)
    small = httpx.get(url)  # a rendered image is under SMALL_FILE_BYTES: read in one thread hop
    monkeypatch.setattr(sandbox_api, "SMALL_FILE_BYTES", 0)  # every file streamed by a FileResponse
    streamed = httpx.get(url)
    assert small.status_code == streamed.status_code == 200
    assert small.headers["content-type"] == streamed.headers["content-type"] == "image/png"
    assert small.content == streamed.content and small.content.startswith(b"\x89PNG")
    assert int(small.headers["content-length"]) == len(small.content)


async def test_callbacks_share_one_client_per_event_loop() -> None:
    first = sandbox_api._callback_client()
    assert sandbox_api._callback_client() is first  # kept-alive connections are reused
    await sandbox_api.close_callback_client()
    assert first.is_closed
    again = sandbox_api._callback_client()
    assert again is not first and not again.is_closed
    await sandbox_api.close_callback_client()


def test_a_finished_loops_callback_client_is_dropped() -> None:
    import asyncio

    loop = asyncio.new_event_loop()
    stale = loop.run_until_complete(_make_client())
    loop.close()
    assert stale in sandbox_api._callback_clients.values()
    fresh_loop = asyncio.new_event_loop()
    try:
        fresh = fresh_loop.run_until_complete(_make_client())
        assert fresh is not stale
        assert stale not in sandbox_api._callback_clients.values()  # a closed loop's client is let go
        fresh_loop.run_until_complete(sandbox_api.close_callback_client())
    finally:
        fresh_loop.close()


async def _make_client() -> httpx.AsyncClient:
    return sandbox_api._callback_client()
