"""A browser tab without the browser: Reflex's websocket event protocol over a real socket.io client.

Reflex 0.10.1's frontend (reflex_base/.templates/web/utils/state.js) connects socket.io at `/_event` (path and namespace)
with its tab token in the query string and the `hydrate_and_load` event in the CONNECT packet's
auth; every later event is an `event` message `{name, payload, router_data}` where `name` is the
handler's full state path, and the backend answers with `event` messages carrying
`{"delta": {state: {var: value}}, "events": [...], "final": ...}`. This client does the same, keeps
the merged state per substate, and counts what it receives, so benchmarks and tests can open
hundreds of sessions without a browser each.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import socketio

NAMESPACE = "/_event"  # both the socket.io path and its namespace
ROOT = "reflex___state____state"
AUTH = f"{ROOT}.smartspec_app___state___auth____auth_state"
GENERATION = f"{AUTH}.smartspec_app___state___generation____generation_state"
ON_LOAD_INTERNAL = f"{ROOT}.reflex___state____on_load_internal_state.on_load_internal"
SESSION_TOKEN_VAR = f"{AUTH}.session_token"  # rx.LocalStorage: the browser sends it back on every hydrate


def run_async(coro) -> Any:
    """Run a coroutine to completion on a loop of its own thread (pytest may already run a loop
    in this one: Playwright's sync API keeps one for the session)."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target, name="reflex-client")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _var(name: str) -> str:
    """Reflex suffixes every frontend var name with `_rx_state_` in deltas."""
    return f"{name}_rx_state_"


@dataclass
class Received:
    at: float
    delta: dict[str, dict[str, Any]]
    events: list[dict[str, Any]]
    size: int


@dataclass
class ReflexTab:
    """One tab: a socket.io connection, the merged state it was sent, and what it received."""

    base_url: str
    token: str = field(default_factory=lambda: str(uuid.uuid4()))
    local_storage: dict[str, str] = field(default_factory=dict)  # full var name -> value, as the browser keeps it
    path: str = "/"
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    bytes_received: int = 0
    updates_received: int = 0
    on_update: Callable[[ReflexTab, Received], None] | None = None
    _sio: socketio.AsyncClient | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    # --- connection -------------------------------------------------------------------------

    async def open(self, path: str, *, timeout: float = 30) -> None:
        """Connect (or reconnect) on `path` the way a page load does: hydrate, then on_load."""
        await self.close()
        self.path = path
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("event", self._receive, namespace=NAMESPACE)
        sio.on("new_token", self._new_token, namespace=NAMESPACE)
        boot = self._event(f"{ROOT}.hydrate_and_load", {"vars": dict(self.local_storage)} if self.local_storage else {})
        url = f"{self.base_url}?token={self.token}"
        await sio.connect(
            url, socketio_path=NAMESPACE, namespaces=[NAMESPACE], transports=["websocket"], auth={"event": boot}, wait_timeout=timeout
        )
        self._sio = sio

    async def close(self) -> None:
        if self._sio is not None:
            sio, self._sio = self._sio, None
            with contextlib.suppress(Exception):  # a socket the server already dropped
                await sio.disconnect()

    @property
    def connected(self) -> bool:
        return self._sio is not None and self._sio.connected

    async def reconnect(self, *, timeout: float = 120) -> None:
        """What the browser does when its socket drops: connect again (hydrate + on_load of the
        page it is on), retrying while the backend is away."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                await self.open(self.path, timeout=10)
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)

    async def navigate(self, path: str) -> None:
        """A client-side navigation: the page's on_load events, same socket."""
        self.path = path
        await self.send(ON_LOAD_INTERNAL)

    async def send(self, name: str, payload: dict[str, Any] | None = None) -> None:
        if self._sio is None:
            raise RuntimeError("the tab is not connected")
        await self._sio.emit("event", self._event(name, payload or {}), namespace=NAMESPACE)

    def _event(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        router_data: dict[str, Any] = {"pathname": path, "asPath": self.path}
        if query:
            router_data["query"] = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
        return {"name": name, "payload": payload, "router_data": router_data}

    # --- receiving ----------------------------------------------------------------------------

    async def _receive(self, update: dict[str, Any]) -> None:
        # The frame's size as the JSON it carries (the socket.io header `42["event",` and `]` included).
        size = len(json.dumps(update, separators=(",", ":"), ensure_ascii=False).encode()) + 12
        self.bytes_received += size
        self.updates_received += 1
        delta = update.get("delta") or {}
        for substate, values in delta.items():
            self.state.setdefault(substate, {}).update(values)
        token_value = delta.get(AUTH, {}).get(_var("session_token"))
        if token_value is not None:  # a synced LocalStorage var: the browser writes it to localStorage
            self.local_storage[SESSION_TOKEN_VAR] = token_value
        received = Received(time.time(), delta, update.get("events") or [], size)
        if self.on_update is not None:
            self.on_update(self, received)
        self._changed.set()

    async def _new_token(self, new_token: str) -> None:
        self.token = new_token

    def get(self, substate: str, name: str, default: Any = None) -> Any:
        return self.state.get(substate, {}).get(_var(name), default)

    async def wait_for(self, predicate: Callable[[ReflexTab], bool], timeout: float = 30) -> None:
        """Wait until `predicate(self)` holds after some update (or already holds)."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met in {timeout}s; state: {json.dumps(self.state)[:2000]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    # --- the app's own flows -----------------------------------------------------------------------

    async def sign_in(self, email: str, password: str, *, timeout: float = 60) -> None:
        """Open /login and submit the form, as the log-in page does; the session token comes back
        as a synced localStorage var."""
        await self.open("/login", timeout=timeout)
        await self.send(f"{AUTH}.login", {"form": {"email": email, "password": password}})
        await self.wait_for(lambda tab: bool(tab.local_storage.get(SESSION_TOKEN_VAR)) or bool(tab.get(AUTH, "auth_error")), timeout)
        if not self.local_storage.get(SESSION_TOKEN_VAR):
            raise RuntimeError(f"sign-in failed: {self.get(AUTH, 'auth_error')}")

    async def open_generate(self, *, timeout: float = 30) -> None:
        """Navigate to /generate (its on_load loads the task list and starts watching)."""
        await self.navigate("/generate")
        await self.wait_for(lambda tab: tab.get(GENERATION, "tasks") is not None, timeout)

    async def generate_image(self, prompt: str, **params: str) -> None:
        await self.send(f"{GENERATION}.set_prompt", {"value": prompt})
        for name, value in params.items():
            await self.send(f"{GENERATION}.set_param", {"name": name, "value": value})
        await self.send(f"{GENERATION}.generate")

    def tasks(self) -> list[dict[str, Any]]:
        return list(self.get(GENERATION, "tasks") or [])

    def current_task(self) -> dict[str, Any]:
        return dict(self.get(GENERATION, "current_task") or {})

    def task_status(self, task_id: str) -> str | None:
        """What the page shows for a task: the history row, or the current-task panel."""
        current = self.current_task()
        if current.get("id") == task_id:
            return current.get("status")
        return next((t.get("status") for t in self.tasks() if t.get("id") == task_id), None)
