"""Security headers, CORS and the websocket's origin check against the real built app (Reflex's
production server), and the browser enforcing the pages' Content-Security-Policy."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import pytest
import websocket
from playwright.sync_api import Page
from sqlmodel import Session

from smartspec_app.services.db import get_engine
from smartspec_app.services.storage import LocalStorage
from tests.support.browser import ConsoleErrors
from tests.support.csp import blocked_inline_scripts, check_page_policy
from tests.support.gallery_data import make_user, shared_item
from tests.support.live_app import LiveApp
from tests.support.moderation_data import FixedDetector, as_detector

pytestmark = pytest.mark.e2e
CLEAN = as_detector(FixedDetector({}))
FOREIGN = "https://evil.example"
PARTNER = "https://partner.example"


@pytest.fixture(scope="module")
def items(live_app: LiveApp) -> dict[str, str]:
    engine = get_engine(f"sqlite:///{live_app.data_dir / 'smartspec.db'}")
    media = LocalStorage(live_app.data_dir / "media")
    with Session(engine, expire_on_commit=False) as session:
        owner = make_user(session, "headerwriter")
        listed = shared_item(session, media, owner, "Lit harbour", detector=CLEAN)
        unlisted = shared_item(session, media, owner, "Quiet cove", visibility="unlisted", detector=CLEAN)
        session.commit()
        return {"listed": listed.slug, "unlisted": unlisted.slug, "unlisted_id": unlisted.id}


@pytest.fixture
def client(live_app: LiveApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_app.base_url, follow_redirects=False, timeout=20) as c:
        yield c


@pytest.fixture(scope="module")
def partner_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """A second app (backend only) with a configured CORS origin, behind one trusted proxy."""
    app = LiveApp(
        tmp_path_factory.mktemp("partner") / "data",
        backend_only=True,
        extra_env={"CORS_ORIGINS": PARTNER, "TRUSTED_PROXIES": "1"},
    )
    with app.running():
        yield app


def test_every_page_carries_the_policy_its_own_scripts_pass(client: httpx.Client, items: dict[str, str]) -> None:
    pages = ["/", "/login", "/generate", "/account", "/gallery", f"/gallery/{items['listed']}", f"/gallery/{items['unlisted']}"]
    for path in [*pages, "/no-such-page", "/gallery/no-such-item"]:
        answer = client.get(path, headers={"Accept-Encoding": "identity"}, follow_redirects=False)  # bare paths are pages
        assert answer.headers["content-type"].startswith("text/html"), path
        header = answer.headers.get("content-security-policy")
        check_page_policy(header)
        assert blocked_inline_scripts(answer.text, header) == [], path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["x-frame-options"] == "DENY", path
        assert "geolocation=()" in answer.headers["permissions-policy"], path
        assert "strict-transport-security" not in answer.headers, path
        expected = "no-referrer" if path.endswith(items["unlisted"]) else "strict-origin-when-cross-origin"
        assert answer.headers["referrer-policy"] == expected, path
    # brotli from the build's sidecar files: the same headers
    assert client.get("/", headers={"Accept-Encoding": "br"}).headers["content-security-policy"]
    # the server itself does not believe a forwarded scheme (no proxy is trusted here)
    assert "strict-transport-security" not in client.get("/", headers={"X-Forwarded-Proto": "https"}).headers


def test_signed_media_and_private_api_answers(client: httpx.Client, items: dict[str, str]) -> None:
    detail = client.get(f"/api/gallery/item/{items['unlisted_id']}")
    assert detail.status_code == 200 and detail.headers["cache-control"] == "no-store"
    signed = httpx.URL(detail.json()["media_url"])
    file = client.get(signed.raw_path.decode())
    assert file.status_code == 200 and file.headers["referrer-policy"] == "no-referrer"
    assert client.get("/api/generation/tasks").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/api/gallery").headers.get("cache-control", "")


def test_a_script_injected_into_a_page_is_refused_and_fails_the_test(live_app: LiveApp, page: Page, console_errors: ConsoleErrors) -> None:
    console_errors.expect(r"Content Security Policy", "this test injects an inline script on purpose")
    page.goto(live_app.base_url + "/")
    with contextlib.suppress(Exception):  # Playwright may report the refused script as an error too
        page.add_script_tag(content="window.__injected = true;")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__injected === undefined")


def _handshake(base_url: str, origin: str | None, **headers: str) -> str:
    """Open Reflex's websocket as a browser at `origin` would; its first engine.io packet, or the refusal."""
    url = base_url.replace("http://", "ws://") + "/_event/?EIO=4&transport=websocket"
    options = {"suppress_origin": True} if origin is None else {"origin": origin}
    try:
        socket = websocket.create_connection(url, timeout=10, header=[f"{k}: {v}" for k, v in headers.items()], **options)
    except websocket.WebSocketBadStatusException as refused:
        return f"refused {refused.status_code}"
    try:
        return socket.recv()[:1]  # "0": engine.io's open packet
    finally:
        socket.close()


def test_the_websocket_refuses_other_sites_pages(live_app: LiveApp) -> None:
    assert _handshake(live_app.base_url, live_app.base_url) == "0"
    assert _handshake(live_app.base_url, None) == "0"  # not a browser
    assert _handshake(live_app.base_url, FOREIGN) == "refused 403"
    assert _handshake(live_app.base_url, PARTNER) == "refused 403"


def test_cors_answers_no_foreign_origin(client: httpx.Client) -> None:
    preflight = client.options(
        "/api/generation/tasks",
        headers={"Origin": FOREIGN, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
    )
    assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers
    simple = client.get("/api/generation/models", headers={"Origin": FOREIGN, "Cookie": "a=b"})
    assert simple.status_code == 200 and "access-control-allow-origin" not in simple.headers


def test_a_configured_origin_gets_cors_and_the_websocket(partner_app: LiveApp) -> None:
    base = partner_app.base_url
    with httpx.Client(base_url=base, timeout=20) as client:
        preflight = client.options(
            "/api/generation/tasks",
            headers={"Origin": PARTNER, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == PARTNER  # never "*": credentials are allowed
        assert preflight.headers["access-control-allow-credentials"] == "true"
        foreign = client.options("/api/generation/tasks", headers={"Origin": FOREIGN, "Access-Control-Request-Method": "GET"})
        assert foreign.status_code == 400
        simple = client.get("/api/generation/models", headers={"Origin": PARTNER})
        assert simple.headers["access-control-allow-origin"] == PARTNER
        # behind the one trusted proxy: HSTS when it says the client came over HTTPS
        assert client.get("/api/health", headers={"X-Forwarded-Proto": "https"}).headers["strict-transport-security"].startswith("max-age=")
        assert "strict-transport-security" not in client.get("/api/health").headers
    assert _handshake(base, PARTNER) == "0"
    assert _handshake(base, base) == "0"  # the site's own pages still (engineio's own list would refuse them)
    assert _handshake(base, FOREIGN) == "refused 403"
    assert _handshake(base, "https://" + base.removeprefix("http://"), **{"X-Forwarded-Proto": "https"}) == "0"
