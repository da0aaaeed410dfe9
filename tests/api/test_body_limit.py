"""Oversized request bodies are refused before a route reads them, declared or streamed."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request

from smartspec_app.api.body_limit import BodyLimitMiddleware
from tests.support.servers import serve


@pytest.fixture
def url():
    app = FastAPI()

    @app.post("/api/echo")
    async def echo(request: Request) -> dict:
        return {"bytes": len(await request.body())}

    @app.post("/elsewhere")
    async def elsewhere(request: Request) -> dict:
        return {"bytes": len(await request.body())}

    app.add_middleware(BodyLimitMiddleware, max_bytes=1024)
    with serve(app) as base:
        yield base


def test_a_body_within_the_limit_passes(url: str) -> None:
    assert httpx.post(f"{url}/api/echo", content=b"x" * 1024).json() == {"bytes": 1024}


def test_a_declared_oversized_body_is_refused(url: str) -> None:
    response = httpx.post(f"{url}/api/echo", content=b"x" * 1025)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert "1 KiB" in response.json()["error"]["message"]


def test_a_streamed_oversized_body_is_cut_off(url: str) -> None:
    def chunks():
        for _ in range(64):
            yield b"y" * 512

    response = httpx.post(f"{url}/api/echo", content=chunks())  # chunked: no Content-Length
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_routes_outside_the_api_are_not_limited_here(url: str) -> None:
    assert httpx.post(f"{url}/elsewhere", content=b"z" * 5000).json() == {"bytes": 5000}


def test_the_app_refuses_an_oversized_generate_request(app_env, monkeypatch) -> None:
    from smartspec_app.api import build_api
    from smartspec_app.settings import reload_settings

    monkeypatch.setenv("MAX_REQUEST_BYTES", "2048")
    reload_settings()
    with serve(build_api()) as base:
        body = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "p" * 5000, "parameters": {}}
        response = httpx.post(f"{base}/api/generation/generate", json=body, headers={"Authorization": "Bearer whatever"})
    assert response.status_code == 413, response.text


def _chunked(total: int, chunk: int = 64 * 1024):
    """A JSON-looking body of `total` bytes sent without Content-Length (Transfer-Encoding: chunked)."""
    yield b'{"prompt": "'
    sent = 12
    while sent < total:
        part = min(chunk, total - sent)
        yield b"p" * part
        sent += part


@pytest.mark.parametrize("path", ["/api/generation/generate", "/api/gallery"])
def test_the_app_refuses_a_chunked_oversized_body_with_a_413(app_env, session, path: str) -> None:
    """Streamed bodies must not reach FastAPI's body parser as anything but a 413 (it turns other
    exceptions raised while reading into a 400 "There was an error parsing the body")."""
    from smartspec_app.api import build_api
    from smartspec_app.services import keys
    from tests.support.gallery_data import make_user

    _row, token = keys.create_api_token(session, keys.get_key_manager(), make_user(session), "big")
    session.commit()
    with serve(build_api()) as base:
        for headers in ({}, {"Authorization": f"Bearer {token}"}):
            response = httpx.post(
                f"{base}{path}", content=_chunked(2 * 1024 * 1024), headers={**headers, "Content-Type": "application/json"}, timeout=30
            )
            assert response.status_code == 413, response.text
            error = response.json()["error"]
            assert error["code"] == "payload_too_large" and error["details"] == {"max_bytes": 1 << 20}
            assert error["message"] == "The request body is larger than 1 MiB"
