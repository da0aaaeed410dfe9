"""Secrets never travel to the browser or into logs: every websocket frame the server sends is read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect

from tests.e2e.test_generation_flow import sign_up
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e
USER_KEY = "kieUSER-5f1d2c3b4a59687766554433"
OPERATOR_KEY = "kieOPER-0a9b8c7d6e5f4a3b2c1d0e9f"
MAKE_ADMIN = """
import sys
from smartspec_app.services import auth
from smartspec_app.services.db import session_scope
with session_scope() as s:
    auth.make_admin(s, sys.argv[1] if len(sys.argv) > 1 else "{email}")
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """Its own app, with kie.ai pointed at a closed local port so balance checks fail fast."""
    live = LiveApp(tmp_path_factory.mktemp("secrets") / "data", extra_env={"KIE_AI_BASE_URL": "http://127.0.0.1:9"})
    with live.running():
        yield live


class FrameLog:
    """Every frame the server pushes over the page's websockets."""

    def __init__(self, page: Page) -> None:
        self.frames: list[str] = []
        page.on("websocket", self._attach)

    def _attach(self, ws: WebSocket) -> None:
        ws.on(
            "framereceived", lambda payload: self.frames.append(payload if isinstance(payload, str) else payload.decode("utf-8", "replace"))
        )

    def containing(self, secret: str) -> list[str]:
        return [frame for frame in self.frames if secret in frame]


def test_keys_and_tokens_stay_on_the_server(app: LiveApp, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    frames = FrameLog(page)
    try:
        email = sign_up(page, app)
        app.run_python(MAKE_ADMIN.format(email=email))

        # A user's own kie.ai key: saved, then only ever shown masked.
        page.goto(app.base_url + "/account")
        page.fill("#kie-key", USER_KEY)
        page.click("#save-kie-key")
        expect(page.locator("#kie-key-hint")).to_have_text(f"{USER_KEY[:4]}…{USER_KEY[-4:]}")

        # An API token: shown in full once, at creation.
        page.fill("#token-name", "laptop")
        page.click("#create-token")
        expect(page.locator("#new-token")).to_have_value(re.compile(r"^ssp_.{20,}"))
        token = page.locator("#new-token").input_value()
        assert len(token) > 20
        expect(page.locator(".token-row")).to_have_count(1)
        frames_before_leaving = len(frames.frames)

        # The operator's key on /admin, and a balance check that fails (kie.ai is not reachable here).
        page.goto(app.base_url + "/admin")
        page.fill("#operator-key", OPERATOR_KEY)
        page.click("#save-operator-key")
        expect(page.locator("#balance-error")).to_be_visible(timeout=30_000)
        expect(page.locator("#key-source")).to_contain_text("saved here")

        page.goto(app.base_url + "/account")  # a fresh load of everything the account page holds
        expect(page.locator(".token-row")).to_have_count(1)
        expect(page.locator("#kie-key-hint")).to_be_visible()
    finally:
        context.close()

    assert len(frames.frames) > 10, "the page's websocket frames were not captured"
    assert frames.containing(USER_KEY) == []
    assert frames.containing(OPERATOR_KEY) == []
    later = [frame for frame in frames.frames[frames_before_leaving:] if token in frame]
    assert later == [], "the API token was sent to the browser again after its creation"
    log = app.log_path.read_text(errors="replace")
    assert USER_KEY not in log and OPERATOR_KEY not in log and token not in log
    database = Path(app.data_dir / "smartspec.db").read_bytes()
    assert USER_KEY.encode() not in database and OPERATOR_KEY.encode() not in database and token.encode() not in database
