"""Real HTTP servers in a thread for service tests: the app's own API (with the sandbox), or a
test's own request handler."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import uvicorn

from smartspec_app.settings import reload_settings
from tests.support.live_app import free_port


@contextmanager
def serve(asgi_app) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1; yields its base URL, which is also the app's own address
    (SMARTSPEC_INTERNAL_URL) while it runs, as in production: the sandbox calls back only there."""
    port = free_port()
    before = os.environ.get("SMARTSPEC_INTERNAL_URL")
    os.environ["SMARTSPEC_INTERNAL_URL"] = f"http://127.0.0.1:{port}"
    reload_settings()
    server = uvicorn.Server(uvicorn.Config(asgi_app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        if before is None:
            os.environ.pop("SMARTSPEC_INTERNAL_URL", None)
        else:
            os.environ["SMARTSPEC_INTERNAL_URL"] = before
        reload_settings()


@contextmanager
def serve_handler(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve a plain request handler on 127.0.0.1 until the block ends; yields the base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
