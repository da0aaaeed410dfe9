"""Rate limits on the REST API over real HTTP: headers, 429 and recovery, exempt routes, per-user
budgets shared with the generation page, proxies, and counts shared through Redis by two servers."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from sqlmodel import Session

from smartspec_app.api import build_api
from smartspec_app.models import User
from smartspec_app.services import generation, keys, rate_limit, worker
from smartspec_app.services.errors import RateLimited
from smartspec_app.settings import reload_settings
from tests.services.test_rate_limit import REDIS_URL, needs_redis
from tests.support.gallery_data import make_user
from tests.support.sandbox import sandbox_api_key
from tests.support.servers import serve


def limits(monkeypatch: pytest.MonkeyPatch, user: str, anonymous: str) -> None:
    monkeypatch.setenv("RATE_LIMIT_USER", user)
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", anonymous)
    reload_settings()


@pytest.fixture
def served(app_env: Path) -> Iterator[httpx.Client]:
    """The API on a real port; set the limits before asking for it."""
    with serve(build_api()) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def token_for(session: Session, user: User) -> str:
    _row, plain = keys.create_api_token(session, keys.get_key_manager(), user, "sdk")
    session.commit()
    return plain


@pytest.fixture
def short_anonymous(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    limits(monkeypatch, "100/minute", "3/2 seconds")


def test_anonymous_clients_get_429_then_recover(short_anonymous, served: httpx.Client) -> None:
    seen = []
    for expected in (2, 1, 0):
        response = served.get("/api/gallery")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert response.headers["X-RateLimit-Remaining"] == str(expected)
        seen.append(int(response.headers["X-RateLimit-Reset"]))
    assert seen[0] >= int(time.time())

    refused = served.get("/api/generation/models")  # one budget for every limited route
    assert refused.status_code == 429
    assert refused.json() == {
        "error": {
            "code": "rate_limited",
            "message": refused.json()["error"]["message"],
            "details": {"limit": 3, "window": "2 seconds", "scope": "anonymous", "retry_after": int(refused.headers["Retry-After"])},
        }
    }
    assert "3 per 2 seconds" in refused.json()["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 2
    assert refused.headers["X-RateLimit-Remaining"] == "0" and refused.headers["X-RateLimit-Limit"] == "3"
    wait = int(refused.headers["X-RateLimit-Reset"]) - time.time()
    assert 0 < wait <= 3

    # the exempt routes answer while the client is limited
    assert served.get("/api/health").status_code == 200
    assert served.get("/api/openapi.json").status_code == 200
    assert served.get("/api/docs").status_code == 200
    assert served.post("/api/generation/callback/nope", params={"sig": "x"}).status_code == 403  # checked, not limited
    assert served.get("/media/nothing-here.png").status_code == 404
    assert served.get("/robots.txt").status_code == 200  # server-rendered SEO routes
    assert served.post("/sandbox/kie/api/v1/jobs/createTask", json={}).status_code == 429  # a stranger at the sandbox: limited
    own = {"Authorization": f"Bearer {sandbox_api_key()}"}
    assert served.post("/sandbox/kie/api/v1/jobs/createTask", json={}, headers=own).status_code != 429  # the app's own calls
    for path in ("/api/health", "/media/nothing-here.png", "/robots.txt"):
        assert "X-RateLimit-Limit" not in served.get(path).headers, path

    time.sleep(2.1)  # the window moves on
    recovered = served.get("/api/gallery")
    assert recovered.status_code == 200 and recovered.headers["X-RateLimit-Remaining"] == "2"


def test_errors_count_and_carry_the_headers(short_anonymous, served: httpx.Client) -> None:
    assert served.get("/api/nowhere").status_code == 404
    invalid = served.get("/api/gallery", params={"page": 0})
    assert invalid.status_code == 422 and invalid.headers["X-RateLimit-Remaining"] == "1"
    unauthorized = served.get("/api/generation/tasks", headers={"Authorization": "Bearer not-a-token"})
    assert unauthorized.status_code == 401 and unauthorized.headers["X-RateLimit-Remaining"] == "0"
    assert served.get("/api/gallery").status_code == 429  # bad tokens count against the address


def test_signed_in_users_have_their_own_budget(app_env: Path, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    limits(monkeypatch, "3/minute", "2/minute")
    alice, bob = make_user(session), make_user(session)
    alice_h, bob_h = {"Authorization": f"Bearer {token_for(session, alice)}"}, {"Authorization": f"Bearer {token_for(session, bob)}"}
    with serve(build_api()) as url, httpx.Client(base_url=url) as client:
        answers = [client.get("/api/generation/tasks", headers=alice_h) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert answers[0].headers["X-RateLimit-Limit"] == "3"
        refused = client.get("/api/gallery", headers=alice_h)
        assert refused.status_code == 429 and refused.json()["error"]["details"]["scope"] == "user"
        assert client.get("/api/generation/tasks", headers=bob_h).status_code == 200  # same address, another user
        anonymous = client.get("/api/gallery")
        assert anonymous.status_code == 200 and anonymous.headers["X-RateLimit-Limit"] == "2"

        # the generation page's Generate button counts against the same budget
        with pytest.raises(RateLimited):
            rate_limit.get_limiter().check_user(alice.id)
        for _ in range(2):
            rate_limit.get_limiter().check_user(bob.id)
        assert client.get("/api/generation/tasks", headers=bob_h).status_code == 429


def test_generate_is_refused_over_the_limit_without_creating_a_task(
    app_env: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits(monkeypatch, "2/minute", "10/minute")
    monkeypatch.setattr(worker, "enqueue", lambda _task_id: None)
    user = make_user(session)
    headers = {"Authorization": f"Bearer {token_for(session, user)}"}
    body = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "a cat"}
    with serve(build_api()) as url, httpx.Client(base_url=url) as client:
        codes = [client.post("/api/generation/generate", json=body, headers=headers).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    assert generation.list_tasks_for_user_id(session, user.id)[1] == 2


async def test_forwarded_addresses_are_trusted_only_when_configured(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process (ASGI) so the peer address is a stranger's: uvicorn itself already applies
    X-Forwarded-For from 127.0.0.1 (its forwarded_allow_ips), which would hide our own rule."""
    limits(monkeypatch, "100/minute", "1/minute")

    def client_for(app) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=("192.0.2.50", 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async with client_for(build_api()) as client:
        assert (await client.get("/api/gallery", headers={"X-Forwarded-For": "198.51.100.1"})).status_code == 200
        spoofed = await client.get("/api/gallery", headers={"X-Forwarded-For": "198.51.100.2"})
        assert spoofed.status_code == 429  # without TRUSTED_PROXIES the header changes nothing

    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    reload_settings()
    async with client_for(build_api()) as client:
        # the proxy appends the address it saw; what the client put in front is not trusted
        assert (await client.get("/api/gallery", headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.1"})).status_code == 200
        assert (await client.get("/api/gallery", headers={"X-Forwarded-For": "203.0.113.7, 198.51.100.1"})).status_code == 429
        assert (await client.get("/api/gallery", headers={"X-Forwarded-For": "198.51.100.2"})).status_code == 200
        assert (await client.get("/api/gallery")).status_code == 200  # no header: the peer's own address


@needs_redis
def test_two_servers_share_counts_through_redis(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = f"smartspec-test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setattr(rate_limit, "REDIS_KEY_PREFIX", prefix)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    limits(monkeypatch, "100/minute", "3/minute")
    first_app = build_api()
    reload_settings()  # the second server gets a limiter object of its own, as another process would
    second_app = build_api()
    try:
        with serve(first_app) as first, serve(second_app) as second:
            assert httpx.get(f"{first}/api/gallery").headers["X-RateLimit-Remaining"] == "2"
            assert httpx.get(f"{second}/api/gallery").headers["X-RateLimit-Remaining"] == "1"
            assert httpx.get(f"{first}/api/gallery").status_code == 200
            refused = httpx.get(f"{second}/api/gallery")
            assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 50
        assert redis.Redis.from_url(REDIS_URL).keys(f"{prefix}:*")
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
