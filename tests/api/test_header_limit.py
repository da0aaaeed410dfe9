"""Requests whose headers add up to more than MAX_REQUEST_HEADER_BYTES get a 431 before any route or page
runs. (Against the production server with a 200 KB header: tests/e2e/test_header_limit.py.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from smartspec_app.api.header_limit import HeaderLimitMiddleware, header_bytes
from smartspec_app.settings import get_settings, reload_settings
from tests.support.servers import serve


@pytest.fixture
def url():
    app = FastAPI()

    @app.get("/anything")
    async def anything() -> dict:
        return {"ok": True}

    app.add_middleware(HeaderLimitMiddleware, max_bytes=2048)
    with serve(app) as base:
        yield base


def test_headers_within_the_limit_pass(url: str) -> None:
    assert httpx.get(f"{url}/anything", headers={"X-Fill": "x" * 1500}).json() == {"ok": True}


def test_headers_over_the_limit_get_a_431_in_the_error_shape(url: str) -> None:
    for headers in ({"X-Fill": "x" * 2100}, {f"X-Part-{n}": "y" * 100 for n in range(25)}):  # one big header, or many
        response = httpx.get(f"{url}/anything", headers=headers)
        assert response.status_code == 431, response.text
        error = response.json()["error"]
        assert error["code"] == "request_header_fields_too_large" and error["details"] == {"max_bytes": 2048}
        assert "2 KiB" in error["message"] and response.headers["connection"] == "close"


def test_an_oversized_websocket_handshake_is_closed_before_it_is_accepted() -> None:
    sent: list[dict] = []

    async def app(scope, receive, send) -> None:
        raise AssertionError("the app must not run")

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/_event", "headers": [(b"cookie", b"c" * 5000)]}
    asyncio.run(HeaderLimitMiddleware(app, max_bytes=2048)(scope, None, send))
    assert sent == [{"type": "websocket.close", "code": 1008}]
    assert header_bytes(scope) == len("cookie") + 5000 + 4


def test_the_app_caps_headers_on_every_path(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smartspec_app.api import build_api

    assert get_settings().max_request_header_bytes == 32 * 1024  # the default
    monkeypatch.setenv("MAX_REQUEST_HEADER_BYTES", "8192")  # under the test server's own 16 KB buffer
    reload_settings()
    with serve(build_api()) as base:
        assert httpx.get(f"{base}/api/health").status_code == 200
        for path in ("/api/health", "/gallery", "/media/anything.png", "/no/such/page"):
            response = httpx.get(f"{base}{path}", headers={"Cookie": "c" * 9000})
            assert response.status_code == 431, (path, response.text)
