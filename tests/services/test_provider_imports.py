"""A kie.ai call over a real socket searches for no module: httpcore imports `sniffio` on every
async request, and while it is not installed each import fails after searching all of sys.path
(about 7 % of the embedded backend's CPU with 500 pages watching tasks)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from smartspec_app.services.providers.kie import KieProvider
from tests.support.servers import serve_handler


class _Record(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"code": 200, "msg": "success", "data": {"taskId": "t1", "state": "generating", "progress": 40}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def kie_stand_in() -> Iterator[str]:
    with serve_handler(_Record) as base_url:
        yield base_url


class _SearchRecorder:
    """A meta-path finder that records what is searched for and finds nothing."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(self, name, path=None, target=None):
        self.searched.append(name)
        return None


async def test_a_status_check_searches_for_no_module(kie_stand_in: str) -> None:
    provider = KieProvider("key", kie_stand_in)
    assert (await provider.get_task("t1")).progress == 40  # warm: whatever loads once is loaded
    recorder = _SearchRecorder()
    sys.meta_path.insert(0, recorder)
    try:
        for _ in range(3):
            await provider.get_task("t1")
    finally:
        sys.meta_path.remove(recorder)
    assert recorder.searched == []
