"""/api/generation/*: generate, follow and list tasks, the model catalog — over real HTTP, with Bearer tokens."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from smartspec_app.api import build_api
from smartspec_app.models import GenerationTask, TaskStatus, User
from smartspec_app.services import auth, catalog, generation, keys, worker
from smartspec_app.services.db import session_scope
from smartspec_app.services.downloads import UrlPolicy
from smartspec_app.services.providers.kie import KieProvider
from smartspec_app.services.storage import get_storage
from smartspec_app.settings import reload_settings
from tests.support.gallery_data import completed_task, make_user
from tests.support.sandbox import sandbox_api_key
from tests.support.servers import serve

TASK_FIELDS = {
    "id",
    "task_type",
    "model_id",
    "prompt",
    "parameters",
    "status",
    "progress",
    "status_detail",
    "output_url",
    "output_urls",
    "thumbnail_url",
    "error_message",
    "credits_used",
    "estimated_credits",
    "provider",
    "created_at",
    "updated_at",
    "completed_at",
}


@pytest.fixture
def app_url(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SANDBOX_SECONDS_IMAGE", "0.3")
    monkeypatch.setenv("RATE_LIMIT_USER", "1000/minute")  # limits have their own tests
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "1000/minute")
    reload_settings()
    with serve(build_api()) as url:
        yield url


@pytest.fixture
def client(app_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_url, timeout=30) as c:
        yield c


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(worker, "enqueue", calls.append)
    return calls


def api_token(session: Session, user: User, name: str = "sdk") -> tuple[int, str]:
    row, plain = keys.create_api_token(session, keys.get_key_manager(), user, name)
    session.commit()
    return row.id, plain


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def is_iso(text: str) -> bool:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None


def finish(app_url: str, task_id: str) -> None:
    """Run the worker's steps (against the sandbox this server hosts) until the task ends."""
    base = f"{app_url}/sandbox/kie"
    ctx = generation.WorkerContext(
        session_factory=session_scope,
        storage=get_storage(),
        provider_for=lambda _task: KieProvider(sandbox_api_key(), base),
        url_policy_for=lambda _name: UrlPolicy(trusted_prefix=base),
        max_download_bytes=10_000_000,
        worker_id="api-test",
    )
    deadline = time.monotonic() + 30
    while (delay := generation.advance_task(ctx, task_id)) is not None:
        assert time.monotonic() < deadline, "the sandbox task did not finish"
        time.sleep(min(delay, 0.3))


def test_generate_then_follow_the_task_to_its_media(client: httpx.Client, app_url: str, session: Session, enqueued) -> None:
    user = make_user(session)
    _id, token = api_token(session, user)
    body = {
        "task_type": "image",
        "model_id": "nano-banana-pro",
        "prompt": "  A red kite over dunes ",
        "parameters": {"aspect_ratio": "16:9"},
    }

    response = client.post("/api/generation/generate", json=body, headers=bearer(token))
    assert response.status_code == 202, response.text
    task = response.json()
    assert set(task) == TASK_FIELDS
    assert (task["task_type"], task["model_id"], task["prompt"]) == ("image", "nano-banana-pro", "A red kite over dunes")
    assert task["status"] == "pending" and task["progress"] == 0 and task["provider"] == "sandbox"
    assert task["parameters"]["aspect_ratio"] == "16:9"  # validated and completed with the model's defaults
    assert set(task["parameters"]) == {p.name for p in catalog.get_model("nano-banana-pro").params}
    assert task["output_url"] is None and task["output_urls"] == [] and task["thumbnail_url"] is None
    assert task["completed_at"] is None and is_iso(task["created_at"]) and is_iso(task["updated_at"])
    assert enqueued == [task["id"]]  # handed to the queue, as the generation page does
    row = session.get(GenerationTask, task["id"])
    assert row is not None and row.user_id == user.id and row.status == TaskStatus.PENDING

    finish(app_url, task["id"])
    done = client.get(f"/api/generation/tasks/{task['id']}", headers=bearer(token))
    assert done.status_code == 200
    result = done.json()
    assert set(result) == TASK_FIELDS
    assert result["status"] == "completed" and result["progress"] == 100 and result["error_message"] is None
    assert is_iso(result["completed_at"])
    assert result["output_url"].startswith(f"{app_url}/media/") and result["output_urls"] == [result["output_url"]]
    assert result["thumbnail_url"].startswith(f"{app_url}/media/")
    picture = httpx.get(result["output_url"])
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert httpx.get(result["thumbnail_url"]).headers["content-type"] == "image/jpeg"


def test_twenty_concurrent_generates_stall_nobody(client: httpx.Client, app_url: str, session: Session, enqueued) -> None:
    """The embedded default's pool (SQLite, 5 + 10 connections): 20 generates at once from one user
    (under the limit) all answer quickly, and another user's reads are not held up. Each commit
    used to take a second connection while holding its first: the pool ran dry on its own waiters,
    requests took 30 s and some answered 500 (QueuePool limit ... reached)."""
    one, other = make_user(session), make_user(session)
    _id, token = api_token(session, one)
    _id, other_token = api_token(session, other)
    body = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "A lighthouse in a storm"}

    def generate(_n: int) -> tuple[int, float]:
        began = time.monotonic()
        with httpx.Client(base_url=app_url, timeout=60) as c:
            status = c.post("/api/generation/generate", json=body, headers=bearer(token)).status_code
        return status, time.monotonic() - began

    def credits_read() -> tuple[int, float]:
        time.sleep(0.2)  # while the generates are in flight
        began = time.monotonic()
        with httpx.Client(base_url=app_url, timeout=60) as c:
            status = c.get("/api/credits", headers=bearer(other_token)).status_code
        return status, time.monotonic() - began

    with ThreadPoolExecutor(max_workers=21) as pool:
        reader = pool.submit(credits_read)
        results = list(pool.map(generate, range(20)))
        read_status, read_seconds = reader.result()
    assert [status for status, _ in results] == [202] * 20
    assert max(seconds for _, seconds in results) < 10, results  # 30 s each when the pool deadlocked
    assert read_status == 200 and read_seconds < 5
    assert len(enqueued) == 20


def test_the_specifications_generate_request_works_as_written(client: httpx.Client, app_url: str, session: Session, enqueued) -> None:
    _id, token = api_token(session, make_user(session))
    spec_body = """{"task_type": "image", "model_id": "kie-ai/nano-banana-pro", "prompt": "A beautiful sunset over mountains",
 "parameters": {"width": 1024, "height": 1024, "num_images": 1}}"""
    response = client.post("/api/generation/generate", content=spec_body, headers={**bearer(token), "Content-Type": "application/json"})
    assert response.status_code == 202, response.text
    task = response.json()
    assert task["model_id"] == "nano-banana-pro"  # the canonical id, as GET /models lists it
    assert (task["parameters"]["aspect_ratio"], task["parameters"]["resolution"], task["parameters"]["num_images"]) == ("1:1", "1K", 1)
    finish(app_url, task["id"])
    done = client.get(f"/api/generation/tasks/{task['id']}", headers=bearer(token)).json()
    assert done["status"] == "completed" and done["model_id"] == "nano-banana-pro" and len(done["output_urls"]) == 1
    assert done["credits_used"] == 18


def test_no_key_and_the_sandbox_switched_off_is_a_clear_503(app_env: Path, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_ENABLED", "false")
    reload_settings()
    _id, token = api_token(session, make_user(session))
    body = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "a fox"}
    with serve(build_api()) as url:
        response = httpx.post(f"{url}/api/generation/generate", json=body, headers=bearer(token))
    assert response.status_code == 503 and response.json()["error"]["code"] == "service_unavailable"
    assert "SANDBOX_ENABLED" in response.json()["error"]["message"]
    assert session.exec(select(GenerationTask)).all() == []  # nothing saved, nothing queued


def test_cancel_a_running_task_then_delete_it(client: httpx.Client, app_url: str, session: Session, enqueued) -> None:
    owner, stranger = make_user(session), make_user(session)
    _id, token = api_token(session, owner)
    _id, other = api_token(session, stranger)
    body = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "A red kite over dunes"}
    task = client.post("/api/generation/generate", json=body, headers=bearer(token)).json()
    refused = client.delete(f"/api/generation/tasks/{task['id']}", headers=bearer(token))
    assert refused.status_code == 409 and "cancel it" in refused.json()["error"]["message"]

    url = f"/api/generation/tasks/{task['id']}/cancel"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=bearer(other)).status_code == 404
    cancelled = client.post(url, headers=bearer(token))
    assert cancelled.status_code == 200, cancelled.text
    assert set(cancelled.json()) == TASK_FIELDS
    assert (cancelled.json()["status"], cancelled.json()["credits_used"]) == ("cancelled", 0)
    again = client.post(url, headers=bearer(token))
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    finish(app_url, task["id"])  # the worker's next step does nothing
    assert client.get(f"/api/generation/tasks/{task['id']}", headers=bearer(token)).json()["status"] == "cancelled"
    assert client.delete(f"/api/generation/tasks/{task['id']}", headers=bearer(token)).status_code == 204


def test_absolute_urls_use_the_public_base_url(app_env: Path, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://studio.example")
    reload_settings()
    user = make_user(session)
    task = completed_task(session, get_storage(), user)
    _id, token = api_token(session, user)
    with serve(build_api()) as url:
        body = httpx.get(f"{url}/api/generation/tasks/{task.id}", headers=bearer(token), timeout=30).json()
    # signed (a task's media is private), on the public base
    assert body["output_url"].startswith(f"https://studio.example/media/{task.output_keys[0]}?expires=")
    assert body["thumbnail_url"].startswith(f"https://studio.example/media/thumbnails/{task.id}_thumb.jpg?expires=")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"task_type": "music", "model_id": "nano-banana-pro", "prompt": "x"}, "task_type"),
        ({"task_type": "image", "model_id": "no-such-model", "prompt": "x"}, "model_id"),
        ({"task_type": "video", "model_id": "nano-banana-pro", "prompt": "x"}, "task_type"),  # nano-banana-pro makes images
        ({"task_type": "image", "model_id": "nano-banana-pro", "prompt": "   "}, "prompt"),
        ({"task_type": "image", "model_id": "nano-banana-pro"}, "prompt"),
        ({"task_type": "image", "model_id": "nano-banana-pro", "prompt": "x", "parameters": {"colour": "red"}}, "parameters.colour"),
        ({"task_type": "image", "model_id": "nano-banana-pro", "prompt": "x", "parameters": {"num_images": 99}}, "parameters.num_images"),
        ({"task_type": "image", "model_id": "nano-banana-pro", "prompt": "x", "parameters": ["a"]}, "parameters"),
        ({"task_type": "image", "model_id": "nano-banana-pro", "prompt": "x\x00"}, "prompt"),
        ({"task_type": "image", "model_id": "nano-banana-pro", "prompt": "x", "colour": "red"}, "colour"),  # not a field
        (
            {"task_type": "image", "model_id": "google/imagen4", "prompt": "x", "parameters": {"negative_prompt": "\x1b[2J"}},
            "parameters.negative_prompt",
        ),
        ({"task_type": "image", "model_id": "nano-banana-pro", "prompt": "x", "parameters": {"width": 512}}, "parameters.height"),
        ({"task_type": "image", "model_id": "nano-banana-pro", "prompt": "x", "parameters": {"num_images": "2"}}, "parameters.num_images"),
        ({"task_type": "image", "model_id": "seedream/4.5-text-to-image", "prompt": "x" * 3001}, "prompt"),  # this model takes 3,000
        ({"task_type": "image", "model_id": "flux-2/pro-text-to-image", "prompt": " ab "}, "prompt"),  # 3 characters at least
    ],
)
def test_invalid_requests_name_the_field(client: httpx.Client, session: Session, enqueued, body: dict, field: str) -> None:
    user = make_user(session)
    _id, token = api_token(session, user)
    response = client.post("/api/generation/generate", json=body, headers=bearer(token))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["details"]["field"] == field and error["message"]
    assert enqueued == [] and session.exec(select(GenerationTask)).all() == []


def test_malformed_json_is_a_400(client: httpx.Client, session: Session, enqueued) -> None:
    _id, token = api_token(session, make_user(session))
    response = client.post(
        "/api/generation/generate", content=b'{"task_type": ', headers={**bearer(token), "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"


def test_auth_failures(client: httpx.Client, session: Session, enqueued) -> None:
    user = make_user(session)
    _token_id, token = api_token(session, user)
    revoked_id, revoked = api_token(session, user, "old")
    keys.revoke_api_token(session, user, revoked_id)
    session.commit()
    body = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "a cat"}
    cases = {
        "missing": ({}, "Missing API token"),
        "not bearer": ({"Authorization": f"Token {token}"}, "Bearer"),
        "bearer alone": ({"Authorization": "Bearer"}, "Bearer"),
        "unknown": (bearer("sk-not-a-real-token"), "Invalid API token"),
        "revoked": (bearer(revoked), "revoked"),
    }
    for name, (headers, words) in cases.items():
        for method, path, kwargs in (
            ("POST", "/api/generation/generate", {"json": body}),
            ("GET", "/api/generation/tasks", {}),
            ("GET", "/api/generation/tasks/whatever", {}),
        ):
            response = client.request(method, path, headers=headers, **kwargs)
            assert response.status_code == 401, (name, path, response.text)
            error = response.json()["error"]
            assert error["code"] == "unauthenticated" and words in error["message"], (name, error)
    assert enqueued == []

    assert client.get("/api/generation/tasks", headers=bearer(token)).status_code == 200
    session_token = auth.login(session, user.email, "a long password").token  # a browser session works too
    session.commit()
    assert client.get("/api/generation/tasks", headers=bearer(session_token)).status_code == 200
    # an optional-auth route still refuses a bad token rather than answering as anonymous
    assert client.get("/api/generation/models", headers=bearer(revoked)).status_code == 401


def test_another_users_task_is_not_found(client: httpx.Client, session: Session) -> None:
    make_user(session, "first_admin")  # the first account is an admin; the two below are not
    alice, bob = make_user(session, "alice_t"), make_user(session, "bob_t")
    task = completed_task(session, get_storage(), alice)
    _a, alice_token = api_token(session, alice)
    _b, bob_token = api_token(session, bob)
    assert client.get(f"/api/generation/tasks/{task.id}", headers=bearer(alice_token)).status_code == 200
    theirs = client.get(f"/api/generation/tasks/{task.id}", headers=bearer(bob_token))
    missing = client.get("/api/generation/tasks/0123456789abcdef", headers=bearer(bob_token))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert theirs.json()["error"]["code"] == "not_found"
    assert client.get("/api/generation/tasks", headers=bearer(bob_token)).json()["total"] == 0


def test_list_my_tasks(client: httpx.Client, session: Session, enqueued) -> None:
    alice, bob = make_user(session), make_user(session)
    _a, token = api_token(session, alice)
    done = completed_task(session, get_storage(), alice)
    started = []
    for prompt in ("one", "two", "three"):
        body = {"task_type": "speech", "model_id": "elevenlabs/text-to-speech-turbo-2-5", "prompt": prompt}
        started.append(client.post("/api/generation/generate", json=body, headers=bearer(token)).json()["id"])
    completed_task(session, get_storage(), bob)

    listing = client.get("/api/generation/tasks", headers=bearer(token)).json()
    assert [t["id"] for t in listing["items"]] == [*reversed(started), done.id]  # newest first, only mine
    assert (listing["page"], listing["page_size"], listing["total"], listing["has_more"]) == (1, 20, 4, False)
    assert all(set(t) == TASK_FIELDS for t in listing["items"])

    first = client.get("/api/generation/tasks", params={"page_size": 3}, headers=bearer(token)).json()
    second = client.get("/api/generation/tasks", params={"page_size": 3, "page": 2}, headers=bearer(token)).json()
    assert first["has_more"] and not second["has_more"] and second["total"] == 4
    assert [t["id"] for t in first["items"] + second["items"]] == [t["id"] for t in listing["items"]]

    finished = client.get("/api/generation/tasks", params={"status": "completed"}, headers=bearer(token)).json()
    assert [t["id"] for t in finished["items"]] == [done.id] and finished["total"] == 1
    pending = client.get("/api/generation/tasks", params={"status": "pending"}, headers=bearer(token)).json()
    assert pending["total"] == 3

    for params, field in (({"status": "lost"}, "status"), ({"page": 0}, "page"), ({"page_size": 101}, "page_size")):
        response = client.get("/api/generation/tasks", params=params, headers=bearer(token))
        assert response.status_code == 422 and response.json()["error"]["details"]["field"] == field


def test_filter_my_tasks(client: httpx.Client, session: Session, enqueued) -> None:
    user = make_user(session)
    _id, token = api_token(session, user)
    image = completed_task(session, get_storage(), user, prompt="A quiet harbour at night")
    body = {"task_type": "speech", "model_id": "elevenlabs/text-to-speech-turbo-2-5", "prompt": "Harbour announcements"}
    speech = client.post("/api/generation/generate", json=body, headers=bearer(token)).json()["id"]
    with session_scope() as s:  # the image was made a week ago
        old = s.get(GenerationTask, image.id)
        old.created_at = datetime.fromisoformat("2026-11-01T09:00:00+00:00")
        s.add(old)

    def ids(**params) -> list[str]:
        response = client.get("/api/generation/tasks", params=params, headers=bearer(token))
        assert response.status_code == 200, response.text
        return [t["id"] for t in response.json()["items"]]

    assert ids(q="HARBOUR") == [speech, image.id]
    assert ids(q="night") == [image.id]
    assert ids(task_type="speech") == [speech]
    assert ids(model_id="nano-banana-pro") == [image.id]
    assert ids(q="harbour", status="completed", task_type="image") == [image.id]
    assert ids(created_after="2026-11-01", created_before="2026-11-02") == [image.id]
    assert ids(created_before="2026-11-01T09:00:00Z") == []  # exclusive
    assert ids(created_after="2026-11-01T09:00:00Z", created_before="2026-11-01T10:00:00+01:00") == []
    assert ids(created_after="2026-11-02") == [speech]
    assert ids(created_after="2026-11-05", created_before="2026-11-01") == []  # a range ending before it starts holds nothing
    for params, field in (
        ({"task_type": "poem"}, "task_type"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"q": "x" * 201}, "q"),
        ({"created_before": "0.5"}, "created_before"),  # a number is not a time (pydantic would read it as a Unix time)
        ({"created_after": "2026-13-01"}, "created_after"),
    ):
        response = client.get("/api/generation/tasks", params=params, headers=bearer(token))
        assert response.status_code == 422 and response.json()["error"]["details"]["field"] == field, response.text


def test_models_name_the_callers_provider(client: httpx.Client, session: Session) -> None:
    anonymous = client.get("/api/generation/models")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"provider": "sandbox", "models": catalog.catalog_as_dicts()}

    own_key, other = make_user(session), make_user(session)
    keys.set_provider_key(session, keys.get_key_manager(), "kie_user_own_key_1234", own_key)
    session.commit()
    _a, own_token = api_token(session, own_key)
    _b, other_token = api_token(session, other)
    assert client.get("/api/generation/models", headers=bearer(own_token)).json()["provider"] == "kie"
    assert client.get("/api/generation/models", headers=bearer(other_token)).json()["provider"] == "sandbox"
    assert client.get("/api/generation/models").json()["provider"] == "sandbox"
