"""A queue worker thread's loop and pooled clients (services/step_io.py): steps reuse one event loop and
kept-alive connections, for the provider's API and for result downloads, against a real HTTP/1.1 server."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from smartspec_app.services import step_io, worker
from smartspec_app.services.downloads import UrlPolicy, download_result
from smartspec_app.services.providers.kie import KieProvider
from smartspec_app.services.storage import LocalStorage, generation_key
from tests.support.servers import serve_handler

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class _KeepAlive(BaseHTTPRequestHandler):
    """HTTP/1.1 with Content-Length, so a client may keep the connection; records each request's
    client port (one port = one connection) and Authorization header."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[int, str, str]] = []

    def do_GET(self) -> None:
        type(self).seen.append((self.client_address[1], self.path.split("?")[0], self.headers.get("Authorization", "")))
        if self.path.startswith("/result.png"):
            body, content_type = PNG, "image/png"
        else:
            body, content_type = json.dumps({"code": 200, "msg": "success", "data": 42}).encode(), "application/json"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _KeepAlive.seen.clear()
    with serve_handler(_KeepAlive) as url:
        yield url


def _in_thread(fn: Callable[[], Any]) -> Any:
    """Run `fn` in a new thread, as a queue worker thread, and return what it returned."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # handed back to the test
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    if "error" in result:
        raise result["error"]
    return result["value"]


def _download(server: str, storage: LocalStorage, name: str, client) -> tuple[str, int]:
    return download_result(
        f"{server}/result.png",
        task_type="image",
        storage=storage,
        key_for_ext=lambda ext: generation_key("image", 1, name, ext),
        policy=UrlPolicy(trusted_prefix=server),
        max_bytes=1024,
        default_ext="png",
        client=client,
    )


async def _loop_and_credits(provider: KieProvider) -> tuple[asyncio.AbstractEventLoop, float]:
    return asyncio.get_running_loop(), await provider.get_credits()


def test_an_opened_thread_keeps_one_loop_and_one_connection_per_host(server: str, storage: LocalStorage) -> None:
    def steps() -> dict[str, Any]:
        step_io.open_thread()
        step_io.open_thread()  # a second open changes nothing
        client, downloads = step_io.provider_client(), step_io.download_client()
        users = [KieProvider(f"key-{n}", server, client=client) for n in (1, 2)]  # one provider (and key) per task
        first = step_io.run(_loop_and_credits(users[0]))
        second = step_io.run(_loop_and_credits(users[1]))
        stored = [_download(server, storage, f"task{n}", downloads) for n in (1, 2)]
        open_while_running = not client.is_closed and not downloads.is_closed
        step_io.close_thread()
        return {"loops": (first[0], second[0]), "credits": (first[1], second[1]), "stored": stored, "open": open_while_running,
                "closed": (client.is_closed, downloads.is_closed, first[0].is_closed())}  # fmt: skip

    out = _in_thread(steps)
    assert out["loops"][0] is out["loops"][1]  # one event loop for every step of the thread
    assert out["credits"] == (42.0, 42.0) and out["open"]
    api = [s for s in _KeepAlive.seen if s[1] == "/api/v1/chat/credit"]
    files = [s for s in _KeepAlive.seen if s[1] == "/result.png"]
    assert [auth for _port, _path, auth in api] == ["Bearer key-1", "Bearer key-2"]  # each call carries its own key
    assert len({port for port, _path, _auth in api}) == 1  # the second call reused the first one's connection
    assert len(files) == 2 and len({port for port, _path, _auth in files}) == 1
    assert [size for _key, size in out["stored"]] == [len(PNG), len(PNG)]
    assert storage.read_bytes(out["stored"][1][0]) == PNG
    assert out["closed"] == (True, True, True)  # closing the thread closes its clients and its loop


def test_a_thread_that_never_opened_gets_a_loop_and_a_connection_per_step(server: str, storage: LocalStorage) -> None:
    def steps() -> dict[str, Any]:
        assert step_io.provider_client() is None and step_io.download_client() is None
        provider = KieProvider("key-1", server)
        runs = [step_io.run(_loop_and_credits(provider)) for _ in range(2)]
        _download(server, storage, "task1", step_io.download_client())
        step_io.close_thread()  # nothing to close: no error
        return {"loops": [loop for loop, _credits in runs]}

    out = _in_thread(steps)
    assert out["loops"][0] is not out["loops"][1] and all(loop.is_closed() for loop in out["loops"])
    api_ports = {port for port, path, _auth in _KeepAlive.seen if path == "/api/v1/chat/credit"}
    assert len(api_ports) == 2  # a client per call, as before the pool


def test_queue_worker_threads_open_and_close_their_clients() -> None:
    assert worker.huey._startup.get("open_step_io") is worker.open_step_io
    assert worker.huey._shutdown.get("close_step_io") is worker.close_step_io

    def hooks() -> tuple[bool, bool]:
        worker.open_step_io()
        opened = step_io.provider_client() is not None
        worker.close_step_io()
        return opened, step_io.provider_client() is None

    assert _in_thread(hooks) == (True, True)


def test_a_step_in_a_worker_thread_sends_through_the_threads_client(monkeypatch: pytest.MonkeyPatch) -> None:
    from smartspec_app.models import GenerationTask

    task = GenerationTask(user_id=1, task_type="image", model_id="nano-banana-pro", prompt="A fox", provider="sandbox")

    def build() -> tuple[bool, bool]:
        outside = worker.build_provider(task)._shared is None
        step_io.open_thread()
        try:
            return outside, worker.build_provider(task)._shared is step_io.provider_client()
        finally:
            step_io.close_thread()

    assert _in_thread(build) == (True, True)
