"""A queue worker thread's event loop and HTTP clients, kept for the thread's life.

Without them every step ran `asyncio.run` (a new event loop) and opened new connections for its
provider call and its download: with hundreds of tasks finishing a minute, connecting was a good part
of each step, on both ends when the provider is this app's own sandbox. A thread that calls `open_thread()` gets
one loop (an `asyncio.Runner`) and two pooled clients that keep connections alive between steps;
`close_thread()` ends them (the queue consumer calls both from its worker threads' start and stop hooks).
A thread that never opened (a test, a CLI) runs each step as before: `run` falls back to
`asyncio.run` and the clients are None, so callers make their own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from smartspec_app.services.tls import client_tls

T = TypeVar("T")
KEEPALIVE_CONNECTIONS = 8  # per client: a step talks to one provider and one result host at a time


@dataclass
class _ThreadIO:
    runner: asyncio.Runner
    provider_client: httpx.AsyncClient  # used only inside `runner`'s loop
    download_client: httpx.Client


_local = threading.local()


def _limits() -> httpx.Limits:
    return httpx.Limits(max_connections=KEEPALIVE_CONNECTIONS * 2, max_keepalive_connections=KEEPALIVE_CONNECTIONS, keepalive_expiry=30)


def open_thread() -> None:
    """Give this thread its loop and clients (once; a second call changes nothing)."""
    if getattr(_local, "io", None) is not None:
        return
    _local.io = _ThreadIO(
        runner=asyncio.Runner(),
        provider_client=httpx.AsyncClient(verify=client_tls(), limits=_limits(), follow_redirects=False),
        download_client=httpx.Client(verify=client_tls(), limits=_limits(), follow_redirects=False),
    )


def close_thread() -> None:
    """Close this thread's clients and loop, if it opened them."""
    io: _ThreadIO | None = getattr(_local, "io", None)
    if io is None:
        return
    _local.io = None
    try:
        io.download_client.close()
        io.runner.run(io.provider_client.aclose())
    finally:
        io.runner.close()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a step's coroutine on this thread's loop, or on a new one for a thread that never opened."""
    io: _ThreadIO | None = getattr(_local, "io", None)
    if io is None:
        return asyncio.run(coro)
    return io.runner.run(coro)


def provider_client() -> httpx.AsyncClient | None:
    """This thread's pooled async client (valid only inside `run`), or None."""
    io: _ThreadIO | None = getattr(_local, "io", None)
    return None if io is None else io.provider_client


def download_client() -> httpx.Client | None:
    """This thread's pooled client for result downloads, or None."""
    io: _ThreadIO | None = getattr(_local, "io", None)
    return None if io is None else io.download_client
