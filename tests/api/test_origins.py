"""api/origins.py: which pages may open the websocket, and the CORS list Reflex gets (CORS_ORIGINS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from smartspec_app.api import build_api
from smartspec_app.api.origins import POLICY_VIOLATION, cors_allowed_origins, let_guard_check_socket_origins, normalize_origin
from smartspec_app.settings import ConfigurationError, reload_settings


@pytest.fixture
def env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://smartspec.example")
    monkeypatch.setenv("CORS_ORIGINS", "https://partner.example, http://localhost:5173/")
    reload_settings()
    return monkeypatch


def socket_client() -> TestClient:
    """The app with a websocket where Reflex mounts its own (/_event), inside the same middleware."""
    api = build_api()

    @api.websocket("/_event/")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    return TestClient(api)  # Host: testserver


def opens(client: TestClient, origin: str | None, **headers: str) -> bool:
    if origin is not None:
        headers["origin"] = origin
    try:
        with client.websocket_connect("/_event/?EIO=4&transport=websocket", headers=headers) as socket:
            return socket.receive_text() == "hello"
    except WebSocketDisconnect as refused:
        assert refused.code == POLICY_VIOLATION
        return False


@pytest.fixture
def client(env: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with socket_client() as c:
        yield c


def test_the_sites_own_pages_and_configured_origins_open_the_websocket(client: TestClient) -> None:
    assert opens(client, "http://testserver")  # the Host it was asked for, same scheme
    assert opens(client, "https://smartspec.example")  # PUBLIC_BASE_URL (a proxy may rewrite Host)
    assert opens(client, "https://partner.example")
    assert opens(client, "http://localhost:5173")
    assert opens(client, None)  # no browser: SDKs, tests, the socket.io client


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://testserver:3001",
        "https://testserver",  # not how the client reached the site
        "http://partner.example",
        "https://partner.example.evil.example",
        "null",  # sandboxed frames, file: pages
        "",
    ],
)
def test_other_pages_are_refused(client: TestClient, origin: str) -> None:
    assert not opens(client, origin)


def test_behind_a_trusted_proxy_the_forwarded_scheme_counts(env: pytest.MonkeyPatch) -> None:
    env.setenv("TRUSTED_PROXIES", "1")
    reload_settings()
    with socket_client() as client:
        assert opens(client, "https://testserver", **{"x-forwarded-proto": "https"})
        assert not opens(client, "http://testserver", **{"x-forwarded-proto": "https"})


def test_http_requests_are_not_the_guards_business(client: TestClient) -> None:
    assert client.get("/api/health", headers={"origin": "https://evil.example"}).status_code == 200


def test_cors_origins_settings(env: pytest.MonkeyPatch) -> None:
    from smartspec_app.settings import get_settings

    assert cors_allowed_origins(get_settings()) == ["https://partner.example", "http://localhost:5173"]
    env.delenv("CORS_ORIGINS")
    assert cors_allowed_origins(reload_settings()) == []  # same origin only
    for bad in ("*", "https://*.example", "https://partner.example/app", "partner.example"):
        env.setenv("CORS_ORIGINS", bad)
        with pytest.raises(ConfigurationError):
            reload_settings()
    env.delenv("CORS_ORIGINS")
    reload_settings()


def test_normalize_origin() -> None:
    assert normalize_origin("HTTPS://Example.COM:443") == "https://example.com"
    assert normalize_origin("http://example.com:80/") == "http://example.com"
    assert normalize_origin("http://[::1]:3000") == "http://[::1]:3000"
    assert normalize_origin("null") == normalize_origin("ftp://example.com") == normalize_origin("http://x:bad") == ""


def test_engineio_leaves_the_decision_to_the_guard() -> None:
    class Engine:
        cors_allowed_origins = ["https://partner.example"]  # what Reflex hands it: the site's own is missing

    class Server:
        eio = Engine()

    server = Server()
    let_guard_check_socket_origins(server)
    assert server.eio.cors_allowed_origins == []
    let_guard_check_socket_origins(None)
