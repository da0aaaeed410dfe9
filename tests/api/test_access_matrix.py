"""Who may do what, for every operation in the OpenAPI document: anonymous, another user, the owner, an admin.

The owner has a private completed task and a private gallery item. Nobody but the owner may read
or act on them (an admin only through the moderation routes); every admin route refuses everyone
but admins. A route added to the API without a row here fails `test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from smartspec_app.api import build_api
from smartspec_app.models import ApiToken, GalleryItem, GenerationTask
from smartspec_app.services import keys
from smartspec_app.services.storage import get_storage
from smartspec_app.settings import reload_settings
from tests.support.gallery_data import completed_task, make_user, shared_item
from tests.support.servers import serve

WHO = ("anonymous", "stranger", "owner", "admin")
OK = "2xx"
# (method, path) -> (body, expected status per caller: anonymous, stranger, owner, admin)
MATRIX: dict[tuple[str, str], tuple[dict | None, tuple]] = {
    ("GET", "/api/health"): (None, (OK, OK, OK, OK)),
    ("GET", "/api/generation/models"): (None, (OK, OK, OK, OK)),
    ("POST", "/api/generation/generate"): (
        {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "a fox", "parameters": {}},
        (401, OK, OK, OK),
    ),
    ("GET", "/api/generation/tasks"): (None, (401, OK, OK, OK)),
    ("GET", "/api/generation/tasks/{task_id}"): (None, (401, 404, OK, OK)),  # admins may read any task (support)
    ("DELETE", "/api/generation/tasks/{task_id}"): (None, (401, 404, None, None)),  # owner: test_owners_delete_...
    # the task has ended: a 409 for those who may cancel it (the owner, and admins for support)
    ("POST", "/api/generation/tasks/{task_id}/cancel"): (None, (401, 404, 409, 409)),
    ("DELETE", "/api/gallery/item/{item_id}"): (None, (401, 404, None, None)),
    ("GET", "/api/generation/sdk/{language}"): (None, (OK, OK, OK, OK)),
    ("GET", "/api/gallery"): (None, (OK, OK, OK, OK)),
    ("POST", "/api/gallery"): ({"task_id": "{spare_task_id}", "title": "Mine"}, (401, 404, OK, 404)),
    # admins see every item (moderation); a private item does not exist for anyone else
    ("GET", "/api/gallery/item/{item_id}"): (None, (404, 404, OK, OK)),
    ("POST", "/api/gallery/item/{item_id}/like"): ({"action": "like"}, (401, 404, OK, OK)),
    ("DELETE", "/api/gallery/item/{item_id}/like"): (None, (401, 404, OK, OK)),
    ("POST", "/api/gallery/item/{item_id}/report"): ({"reason": "spam"}, (401, 404, "4xx", OK)),
    # the item is approved: nothing to re-review (409) for its author; an admin may not ask in the author's name
    ("POST", "/api/gallery/item/{item_id}/review"): ({"note": "please"}, (401, 404, 409, 403)),
    ("GET", "/api/admin/gallery/queue"): (None, (401, 403, 403, OK)),
    ("GET", "/api/admin/gallery/items/{item_id}"): (None, (401, 403, 403, OK)),
    ("DELETE", "/api/admin/gallery/items/{item_id}"): (None, (401, 403, 403, None)),  # None: not run (would delete)
    ("POST", "/api/admin/gallery/items/{item_id}/approve"): ({}, (401, 403, 403, OK)),
    ("POST", "/api/admin/gallery/items/{item_id}/reject"): ({"reason": "no"}, (401, 403, 403, OK)),
    ("POST", "/api/admin/gallery/items/{item_id}/nsfw"): ({"nsfw": False}, (401, 403, 403, OK)),
    ("POST", "/api/admin/gallery/items/{item_id}/feature"): ({"featured": False}, (401, 403, 403, OK)),
    ("POST", "/api/admin/gallery/bulk"): ({"action": "approve", "item_ids": ["{item_id}"]}, (401, 403, 403, OK)),
    ("GET", "/api/admin/gallery/audit"): (None, (401, 403, 403, OK)),
    ("POST", "/api/generation/estimate"): (
        {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "a fox", "parameters": {}},
        (401, OK, OK, OK),
    ),
    ("GET", "/api/credits"): (None, (401, OK, OK, OK)),
    ("GET", "/api/credits/ledger"): (None, (401, OK, OK, OK)),
    ("GET", "/api/admin/credits/accounts"): (None, (401, 403, 403, OK)),
    ("GET", "/api/admin/credits/ledger"): (None, (401, 403, 403, OK)),
    ("POST", "/api/admin/credits/accounts/{user_id}/adjust"): ({"amount": 5, "reason": "matrix"}, (401, 403, 403, OK)),
    ("PUT", "/api/admin/credits/accounts/{user_id}/quota"): ({"monthly_quota": None}, (401, 403, 403, OK)),
    ("GET", "/api/admin/gallery/analytics"): (None, (401, 403, 403, OK)),
}


@pytest.fixture
def world(app_env: Path, session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    monkeypatch.setenv("RATE_LIMIT_USER", "10000/minute")
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "10000/minute")
    reload_settings()
    media = get_storage()  # DATA_DIR/media, signing like the served app
    admin = make_user(session, "admin")  # the first account is an admin
    owner, stranger = make_user(session, "owner"), make_user(session, "stranger")
    task = completed_task(session, media, owner)
    spare = completed_task(session, media, owner, prompt="Not shared yet")
    item = shared_item(session, media, owner, "Private work", visibility="private")
    headers = {}
    for name, user in (("admin", admin), ("owner", owner), ("stranger", stranger)):
        _, plain = keys.create_api_token(session, keys.get_key_manager(), user, "matrix")
        headers[name] = {"Authorization": f"Bearer {plain}"}
    session.commit()
    headers["anonymous"] = {}
    with serve(build_api()) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield {
            "client": client,
            "headers": headers,
            "task_id": task.id,
            "spare_task_id": spare.id,
            "item_id": item.id,
            "user_id": str(owner.id),
        }


def _fill(value, world: dict):
    if isinstance(value, str):
        for name in ("task_id", "spare_task_id", "item_id", "user_id"):
            value = value.replace("{" + name + "}", world[name])
        return value.replace("{language}", "python")
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


def _matches(status: int, expected) -> bool:
    if expected == OK:
        return 200 <= status < 300
    if expected == "4xx":
        return 400 <= status < 500
    return status == expected


def test_every_route_is_in_the_matrix(app_env: Path) -> None:
    spec = build_api().openapi()
    operations = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    assert operations == set(MATRIX), f"missing: {operations - set(MATRIX)}; stale: {set(MATRIX) - operations}"


@pytest.mark.parametrize("who", WHO)
def test_each_caller_gets_exactly_what_they_may(world: dict, who: str, session: Session) -> None:
    wrong = []
    for (method, path), (body, expected_by_caller) in MATRIX.items():
        expected = expected_by_caller[WHO.index(who)]
        if expected is None:
            continue
        if (method, path) == ("POST", "/api/gallery") and who == "owner":
            continue  # sharing is checked on its own below (it would consume the spare task)
        response = world["client"].request(method, _fill(path, world), json=_fill(body, world), headers=world["headers"][who])
        if not _matches(response.status_code, expected):
            wrong.append(f"{method} {path}: {response.status_code} (expected {expected}) {response.text[:160]}")
        elif response.status_code >= 400:
            assert set(response.json()) == {"error"}, f"{method} {path}: not the API's error shape"
    assert wrong == [], "\n".join(wrong)

    # Nothing of the owner's changed hands: the private item and the spare task are still the owner's alone.
    item = session.get(GalleryItem, world["item_id"])
    session.refresh(item)
    assert item.visibility == "private" and item.likes_count in (0, 1)
    assert session.exec(select(GalleryItem).where(GalleryItem.task_id == world["spare_task_id"])).first() is None
    assert session.get(GenerationTask, world["task_id"]).user_id == item.user_id


def test_only_the_owner_can_share_their_task(world: dict, session: Session) -> None:
    body = {"task_id": world["spare_task_id"], "title": "Mine"}
    assert world["client"].post("/api/gallery", json=body, headers=world["headers"]["stranger"]).status_code == 404
    assert world["client"].post("/api/gallery", json=body, headers=world["headers"]["owner"]).status_code == 201


def test_a_token_can_only_embed_its_owners_tokens_in_sdk_code(world: dict, session: Session) -> None:
    owner_token_id = session.exec(select(ApiToken.id).where(ApiToken.name == "matrix").order_by(ApiToken.id)).all()[1]
    params = {"include_api_key": "true", "token_id": owner_token_id}
    assert world["client"].get("/api/generation/sdk/python", params=params, headers=world["headers"]["owner"]).status_code == 200
    for who in ("stranger", "admin"):
        response = world["client"].get("/api/generation/sdk/python", params=params, headers=world["headers"][who])
        assert response.status_code == 404, (who, response.text)
    assert world["client"].get("/api/generation/sdk/python", params=params).status_code == 401


def test_owners_delete_their_task_and_item_with_the_media(world: dict, session: Session, app_env: Path) -> None:
    client, owner = world["client"], world["headers"]["owner"]
    media = app_env / "media"
    item_id, task_id = world["item_id"], world["task_id"]
    item_files = list((media / "gallery" / item_id).rglob("*"))
    task_files = [media / key for key in session.get(GenerationTask, task_id).output_keys]
    assert item_files and task_files and all(path.exists() for path in task_files)

    assert client.delete(f"/api/gallery/item/{item_id}", headers=owner).status_code == 204
    assert client.delete(f"/api/generation/tasks/{task_id}", headers=owner).status_code == 204
    assert not any(path.exists() for path in item_files + task_files)
    session.expire_all()
    assert session.get(GalleryItem, item_id) is None and session.get(GenerationTask, task_id) is None
    assert client.delete(f"/api/generation/tasks/{task_id}", headers=owner).status_code == 404  # gone, and says so
