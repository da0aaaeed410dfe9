"""The production server (`reflex run --env prod`, Granian) with a 200 KB request header: it buffered
up to about 400 KiB of request head and handed it all to the app, which answered 200. Now a 431 from
api/header_limit.py, over a real socket, and the server goes on serving."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e


def _raw_get(app: LiveApp, path: str, extra_header: bytes) -> tuple[str, bytes]:
    """Send one GET with `extra_header` as written; the status line and the body that came back."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{app.port}\r\nConnection: close\r\n".encode() + extra_header + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", app.port), timeout=30) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0].decode(), body


@pytest.mark.parametrize("path", ["/api/health", "/", "/gallery"])
def test_a_200_kb_header_is_refused_with_a_431(live_app: LiveApp, path: str) -> None:
    status, body = _raw_get(live_app, path, b"X-Padding: " + b"a" * (200 * 1024))
    assert status.startswith("HTTP/1.1 431"), status
    assert json.loads(body)["error"]["code"] == "request_header_fields_too_large"
    assert httpx.get(f"{live_app.base_url}/api/health", timeout=10).status_code == 200  # still serving


def test_ordinary_headers_pass(live_app: LiveApp) -> None:
    status, _ = _raw_get(live_app, "/api/health", b"Cookie: " + b"c" * 8000)
    assert status.startswith("HTTP/1.1 200"), status
