"""SQL injection and script payloads in every text the REST API takes: never a 5xx, stored as plain
text when accepted, no table touched. (How the HTML pages escape such text: test_gallery_http.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from smartspec_app.api import build_api
from smartspec_app.models import GalleryItem, GenerationTask, User
from smartspec_app.services import keys, worker
from smartspec_app.services.storage import get_storage
from smartspec_app.settings import reload_settings
from tests.support.gallery_data import completed_task, make_user, shared_item
from tests.support.servers import serve

PAYLOADS = [
    "'; DROP TABLE users; --",
    '" OR 1=1 --',
    "x' UNION SELECT email, password_hash FROM users --",
    "%' OR '%'='",
    "<script>alert(1)</script>",
    "</script><img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} #{7*7}",
    "\\'; SELECT pg_sleep(5); --",
]


@pytest.fixture
def api(app_env: Path, session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    monkeypatch.setenv("RATE_LIMIT_USER", "10000/minute")
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "10000/minute")
    reload_settings()
    monkeypatch.setattr(worker, "enqueue", lambda _task_id: None)
    media = get_storage()  # DATA_DIR/media, signing like the served app
    make_user(session, "admin")  # the first account is an admin
    user, reporter = make_user(session, "writer"), make_user(session, "reader")
    tasks = [completed_task(session, media, user, prompt=f"Task {n}") for n in range(len(PAYLOADS))]
    target = shared_item(session, media, user, "Reported one")
    headers = {}
    for name, who in (("writer", user), ("reader", reporter)):
        _, plain = keys.create_api_token(session, keys.get_key_manager(), who, "hostile")
        headers[name] = {"Authorization": f"Bearer {plain}"}
    session.commit()
    with serve(build_api()) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield {"client": client, "headers": headers, "tasks": [t.id for t in tasks], "target": target.id}


def _users(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(User)).one()


def test_prompts_are_stored_as_text(api: dict, session: Session) -> None:
    before = _users(session)
    for payload in PAYLOADS:
        body = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": payload, "parameters": {}}
        response = api["client"].post("/api/generation/generate", json=body, headers=api["headers"]["writer"])
        assert response.status_code == 202, response.text
        task_id = response.json()["id"]
        assert api["client"].get(f"/api/generation/tasks/{task_id}", headers=api["headers"]["writer"]).json()["prompt"] == payload
    assert _users(session) == before
    assert session.exec(select(func.count()).select_from(GenerationTask).where(GenerationTask.prompt.in_(PAYLOADS))).one() == len(PAYLOADS)


def test_model_and_parameter_values_are_refused_cleanly(api: dict) -> None:
    for payload in PAYLOADS:
        for body in (
            {"task_type": "image", "model_id": payload, "prompt": "a fox", "parameters": {}},
            {"task_type": payload, "model_id": "nano-banana-pro", "prompt": "a fox", "parameters": {}},
            {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "a fox", "parameters": {"aspect_ratio": payload}},
            {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "a fox", "parameters": {payload: 1}},
        ):
            response = api["client"].post("/api/generation/generate", json=body, headers=api["headers"]["writer"])
            assert response.status_code in (400, 422), (body, response.status_code, response.text)
            assert set(response.json()) == {"error"}


def test_gallery_text_is_stored_as_text(api: dict, session: Session) -> None:
    before = _users(session)
    for task_id, payload in zip(api["tasks"], PAYLOADS, strict=True):
        body = {"task_id": task_id, "title": payload, "description": payload, "tags": [payload[:30]], "visibility": "public"}
        response = api["client"].post("/api/gallery", json=body, headers=api["headers"]["writer"])
        assert response.status_code in (201, 422), response.text  # a tag may be refused by its rules, clearly
        if response.status_code == 201:
            item = response.json()
            assert item["title"] == payload and item["description"] == payload
            assert session.get(GalleryItem, item["id"]).title == payload
    assert _users(session) == before


@pytest.mark.parametrize("parameter", ["category", "tag", "username", "sort_by", "media_type", "page"])
def test_listing_filters_never_break_the_query(api: dict, parameter: str, session: Session) -> None:
    before = _users(session)
    for payload in PAYLOADS:
        response = api["client"].get("/api/gallery", params={parameter: payload})
        assert response.status_code in (200, 422), (parameter, payload, response.text)
        if response.status_code == 200:
            assert response.json()["items"] == []  # nothing matches a hostile filter: it was not an OR 1=1
    assert api["client"].get("/api/gallery").json()["total"] >= 1  # and the data is all still there
    assert _users(session) == before


def test_report_details_are_stored_as_text(api: dict) -> None:
    for payload in PAYLOADS:
        response = api["client"].post(
            f"/api/gallery/item/{api['target']}/report", json={"reason": payload}, headers=api["headers"]["reader"]
        )
        assert response.status_code == 422, response.text  # not one of the listed reasons
    response = api["client"].post(
        f"/api/gallery/item/{api['target']}/report",
        json={"reason": "spam", "details": " ".join(PAYLOADS)},
        headers=api["headers"]["reader"],
    )
    assert response.status_code == 201, response.text


def test_ids_in_paths_are_just_unknown_ids(api: dict) -> None:
    for payload in PAYLOADS:
        for path in (f"/api/generation/tasks/{payload}", f"/api/gallery/item/{payload}"):
            response = api["client"].get(path, headers=api["headers"]["writer"])
            assert response.status_code in (404, 422), (path, response.status_code)


def test_numeric_ids_past_what_the_database_stores_are_refused_not_crashed(api: dict) -> None:
    """schemathesis found it: a token_id of 2**63 reached SQLite ("Python int too large") as a 500."""
    for huge in (2**31, 2**63, 10**30):
        response = api["client"].get(
            "/api/generation/sdk/python", params={"include_api_key": "true", "token_id": huge}, headers=api["headers"]["writer"]
        )
        assert response.status_code == 422, (huge, response.text)
        assert "token_id" in response.text
    largest = api["client"].get(
        "/api/generation/sdk/python", params={"include_api_key": "true", "token_id": 2**31 - 1}, headers=api["headers"]["writer"]
    )
    assert largest.status_code == 404, largest.text  # the largest id there can be: just not one of the caller's tokens


NUL, RLO = "\x00", "\u202e"


def _refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["details"]["field"] == field, error
    assert NUL not in error["message"] and RLO not in error["message"]


def test_control_and_bidi_characters_are_refused_naming_the_field(api: dict, session: Session) -> None:
    """The same answer on SQLite and PostgreSQL (which cannot store a NUL): a 422 naming the field,
    nothing written. Bidi overrides and isolates are refused in titles and tags, not in prose."""
    client, writer, reader = api["client"], api["headers"]["writer"], api["headers"]["reader"]
    generate = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "a fox", "parameters": {}}
    for body, field in (
        ({**generate, "prompt": f"a fox{NUL}"}, "prompt"),
        ({**generate, "prompt": "a \x1b[2J fox"}, "prompt"),
        ({**generate, "model_id": "google/imagen4", "parameters": {"negative_prompt": f"blur{NUL}"}}, "parameters.negative_prompt"),
        ({**generate, "parameters": {"image_input": [f"https://example.com/a{NUL}.png"]}}, "parameters.image_input.0"),
    ):
        _refused(client.post("/api/generation/generate", json=body, headers=writer), field)
    share = {"task_id": api["tasks"][0], "title": "Fine"}
    for changes, field in (
        ({"title": f"Sun{NUL}set"}, "title"),
        ({"title": f"Sun{RLO}set"}, "title"),
        ({"title": "Sun\u2066set"}, "title"),
        ({"description": f"one{NUL}two"}, "description"),
        ({"description": "one\x85two"}, "description"),
        ({"tags": ["ok", f"b{NUL}d"]}, "tags.1"),
        ({"tags": [f"b{RLO}d"]}, "tags.0"),
        ({"category": f"art{NUL}"}, "category"),
        ({"task_id": f"{api['tasks'][0][:8]}{NUL}"}, "task_id"),
    ):
        _refused(client.post("/api/gallery", json={**share, **changes}, headers=writer), field)
    report = f"/api/gallery/item/{api['target']}/report"
    _refused(client.post(report, json={"reason": "spam", "details": f"see{NUL}"}, headers=reader), "details")
    _refused(client.post(report, json={"reason": f"spam{NUL}"}, headers=reader), "reason")
    for parameter in ("tag", "username", "category"):
        _refused(client.get("/api/gallery", params={parameter: f"x{NUL}"}), parameter)
    for path in (f"/api/gallery/item/{api['target']}%00", "/api/generation/tasks/a%00b", "/api/gallery/item/a%01"):
        assert client.get(path, headers=writer).status_code == 404, path  # PostgreSQL could not even look a NUL up
    assert session.exec(select(func.count()).select_from(GalleryItem)).one() == 1  # only the reported one, made by the fixture

    # prose may hold right-to-left marks and isolates; a carriage return becomes a newline
    made = client.post("/api/gallery", json={**share, "description": f"Arabic: \u2067مرحبا\u2069\r\nsecond line{RLO}"}, headers=writer)
    assert made.status_code == 201, made.text
    assert made.json()["description"] == f"Arabic: \u2067مرحبا\u2069\nsecond line{RLO}"


@pytest.mark.parametrize("title", ["\u200b\u200c\u200d", "\ufeff\u2060", "\u0301", "\u3164\u2800", " \ufe0f "])
def test_a_title_of_invisible_characters_is_refused(api: dict, session: Session, title: str) -> None:
    client, writer = api["client"], api["headers"]["writer"]
    response = client.post("/api/gallery", json={"task_id": api["tasks"][0], "title": title}, headers=writer)
    _refused(response, "title")
    assert "visible character" in response.json()["error"]["message"]
    assert session.exec(select(func.count()).select_from(GalleryItem)).one() == 1  # only the fixture's
    made = client.post("/api/gallery", json={"task_id": api["tasks"][0], "title": "\u200bCafe\u0301 ☕\ufe0f"}, headers=writer)
    assert made.status_code == 201 and made.json()["title"] == "\u200bCafe\u0301 ☕\ufe0f", made.text


def test_admin_reasons_and_filters_follow_the_rule(api: dict, session: Session) -> None:
    client = api["client"]
    admin_user = session.exec(select(User).where(User.username == "admin")).one()
    _, plain = keys.create_api_token(session, keys.get_key_manager(), admin_user, "admin")
    session.commit()
    admin = {"Authorization": f"Bearer {plain}"}
    item = f"/api/admin/gallery/items/{api['target']}"
    _refused(client.post(f"{item}/reject", json={"reason": f"no{NUL}"}, headers=admin), "reason")
    _refused(client.post(f"{item}/reject", json={"reason": "   "}, headers=admin), "reason")
    _refused(client.post(f"{item}/approve", json={"reason": f"ok{NUL}"}, headers=admin), "reason")
    _refused(
        client.post("/api/admin/gallery/bulk", json={"action": "reject", "item_ids": [api["target"]], "reason": f"x{NUL}"}, headers=admin),
        "reason",
    )
    _refused(client.get("/api/admin/gallery/queue", params={"q": f"x{NUL}"}, headers=admin), "q")
    _refused(client.get("/api/admin/gallery/audit", params={"action": f"x{NUL}"}, headers=admin), "action")
    session.expire_all()
    assert session.get(GalleryItem, api["target"]).moderation_status == "approved"
