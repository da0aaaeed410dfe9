"""/api/admin/gallery/* over real HTTP: every route refuses non-admins (403) and anonymous callers (401);
admins see the queue, an item's scores, reports and history, act on one item or many, and read the
audit log. Also POST /api/gallery/item/{id}/report for signed-in users."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from smartspec_app.api import build_api
from smartspec_app.models import GalleryItem, GenerationTask, ModerationAction, User
from smartspec_app.services import auth
from smartspec_app.services.storage import LocalStorage, get_storage
from smartspec_app.settings import reload_settings
from tests.support.gallery_data import make_user, shared_item
from tests.support.moderation_data import FixedDetector, as_detector
from tests.support.servers import serve

CLEAN = as_detector(FixedDetector({"FACE_MALE": 0.4}))
FLAGGED = as_detector(FixedDetector({"BUTTOCKS_EXPOSED": 0.77}))
ROUTES = [
    ("GET", "/api/admin/gallery/queue", None),
    ("GET", "/api/admin/gallery/items/{id}", None),
    ("POST", "/api/admin/gallery/items/{id}/approve", {}),
    ("POST", "/api/admin/gallery/items/{id}/reject", {"reason": "no"}),
    ("POST", "/api/admin/gallery/items/{id}/nsfw", {"nsfw": True}),
    ("POST", "/api/admin/gallery/items/{id}/feature", {"featured": True}),
    ("DELETE", "/api/admin/gallery/items/{id}", None),
    ("POST", "/api/admin/gallery/bulk", {"action": "approve", "item_ids": ["{id}"]}),
    ("GET", "/api/admin/gallery/audit", None),
    ("GET", "/api/admin/gallery/analytics", None),
]


@pytest.fixture
def media(app_env: Path) -> LocalStorage:
    return get_storage()  # DATA_DIR/media, signing like the served app


@pytest.fixture
def client(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    monkeypatch.setenv("RATE_LIMIT_USER", "10000/minute")
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "10000/minute")
    reload_settings()
    with serve(build_api()) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


def token_for(session: Session, user: User) -> str:
    token = auth.login(session, user.email, "a long password").token
    session.commit()
    return token


@pytest.fixture
def people(session: Session) -> dict:
    admin = make_user(session, "boss")  # the first account is an admin
    owner, reader = make_user(session, "owner"), make_user(session, "reader")
    assert admin.is_admin and not owner.is_admin and not reader.is_admin
    return {
        "admin": admin,
        "owner": owner,
        "reader": reader,
        "as_admin": {"Authorization": f"Bearer {token_for(session, admin)}"},
        "as_owner": {"Authorization": f"Bearer {token_for(session, owner)}"},
        "as_reader": {"Authorization": f"Bearer {token_for(session, reader)}"},
    }


def _call(client: httpx.Client, method: str, path: str, body: dict | None, headers: dict | None, item_id: str) -> httpx.Response:
    path = path.replace("{id}", item_id)
    if body is not None and "item_ids" in body:
        body = {**body, "item_ids": [item_id]}
    return client.request(method, path, json=body, headers=headers or {})


def test_every_admin_route_refuses_non_admins_and_anonymous_callers(
    client: httpx.Client, session: Session, media: LocalStorage, people: dict
) -> None:
    item = shared_item(session, media, people["owner"], "Waiting", detector=FLAGGED)
    for method, path, body in ROUTES:
        for headers in (people["as_owner"], people["as_reader"]):
            response = _call(client, method, path, body, headers, item.id)
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["error"]["code"] == "permission_denied"
        response = _call(client, method, path, body, None, item.id)
        assert response.status_code == 401, (method, path, response.text)
        assert _call(client, method, path, body, {"Authorization": "Bearer nonsense"}, item.id).status_code == 401
    session.expire_all()
    fresh = session.get(GalleryItem, item.id)
    assert fresh is not None and fresh.moderation_status == "pending" and not fresh.is_nsfw and not fresh.is_featured
    assert [r.action for r in session.exec(select(ModerationAction)).all()] == ["screen"]


def test_queue_and_item_detail(client: httpx.Client, session: Session, media: LocalStorage, people: dict) -> None:
    flagged = shared_item(session, media, people["owner"], "Flagged", detector=FLAGGED)
    clean = shared_item(session, media, people["owner"], "Clean", detector=CLEAN)
    assert (
        client.post(
            f"/api/gallery/item/{clean.id}/report", json={"reason": "spam", "details": "ads"}, headers=people["as_reader"]
        ).status_code
        == 201
    )

    queue = client.get("/api/admin/gallery/queue", params={"filter": "flagged"}, headers=people["as_admin"]).json()
    assert [i["id"] for i in queue["items"]] == [flagged.id]
    assert queue["items"][0]["nsfw_scores"] == {"BUTTOCKS_EXPOSED": 0.77} and queue["items"][0]["nsfw_flagged"] is True
    assert queue["counts"] == {"pending": 1, "flagged": 1, "reported": 1, "approved": 1, "rejected": 0, "review": 0, "all": 2}
    reported = client.get("/api/admin/gallery/queue", params={"filter": "reported"}, headers=people["as_admin"]).json()
    assert [i["id"] for i in reported["items"]] == [clean.id]
    assert client.get("/api/admin/gallery/queue", params={"filter": "bogus"}, headers=people["as_admin"]).status_code == 422

    detail = client.get(f"/api/admin/gallery/items/{clean.id}", headers=people["as_admin"]).json()
    assert detail["author"] == "owner" and detail["nsfw_score"] == 0.0 and detail["nsfw_scores"] == {"FACE_MALE": 0.4}
    assert [(r["reporter"], r["reason"], r["details"]) for r in detail["reports"]] == [("reader", "spam", "ads")]
    assert [h["action"] for h in detail["history"]] == ["screen"]
    assert client.get("/api/admin/gallery/items/missing", headers=people["as_admin"]).status_code == 404


def _last_action(session: Session, item_id: str) -> ModerationAction:
    session.expire_all()
    return session.exec(select(ModerationAction).where(ModerationAction.item_id == item_id).order_by(ModerationAction.id.desc())).first()


def test_each_action_with_its_audit_row(client: httpx.Client, session: Session, media: LocalStorage, people: dict) -> None:
    item_id = shared_item(session, media, people["owner"], "Decide", detector=FLAGGED).id
    admin, h = people["admin"], people["as_admin"]
    base = f"/api/admin/gallery/items/{item_id}"

    body = client.post(f"{base}/approve", json={"reason": "art"}, headers=h).json()
    assert body["moderation_status"] == "approved"
    assert (_last_action(session, item_id).action, _last_action(session, item_id).actor_id) == ("approve", admin.id)

    body = client.post(f"{base}/feature", json={"featured": True}, headers=h).json()
    assert body["is_featured"] is True and body["featured_at"]
    assert _last_action(session, item_id).action == "feature"
    assert client.post(f"{base}/feature", json={"featured": False}, headers=h).json()["featured_at"] is None
    assert _last_action(session, item_id).action == "unfeature"

    assert client.post(f"{base}/nsfw", json={"nsfw": True, "reason": "explicit"}, headers=h).json()["is_nsfw"] is True
    row = _last_action(session, item_id)
    assert (row.action, row.reason) == ("mark_nsfw", "explicit")
    assert client.post(f"{base}/nsfw", json={"nsfw": False}, headers=h).json()["is_nsfw"] is False
    assert _last_action(session, item_id).action == "unmark_nsfw"

    assert client.post(f"{base}/reject", json={"reason": ""}, headers=h).status_code == 422
    body = client.post(f"{base}/reject", json={"reason": "off-topic"}, headers=h).json()
    assert body["moderation_status"] == "rejected" and body["moderation_reason"] == "off-topic"
    assert (_last_action(session, item_id).action, _last_action(session, item_id).reason) == ("reject", "off-topic")

    assert client.delete(base, params={"reason": "spam"}, headers=h).json() == {"id": item_id, "deleted": True}
    row = _last_action(session, item_id)
    assert (row.action, row.reason, row.actor_id, row.item_title) == ("delete", "spam", admin.id, "Decide")
    assert session.get(GalleryItem, item_id) is None
    assert client.post(f"{base}/approve", headers=h).status_code == 404

    audit = client.get("/api/admin/gallery/audit", params={"item_id": item_id}, headers=h).json()
    assert [e["action"] for e in audit["entries"]] == [
        "delete",
        "reject",
        "unmark_nsfw",
        "mark_nsfw",
        "unfeature",
        "feature",
        "approve",
        "screen",
    ]
    assert audit["entries"][0]["actor"] == "boss" and audit["entries"][-1]["actor"] == "system"


def test_bulk_action(client: httpx.Client, session: Session, media: LocalStorage, people: dict) -> None:
    items = [shared_item(session, media, people["owner"], f"Bulk {n}", detector=FLAGGED) for n in range(3)]
    ids = [i.id for i in items]
    response = client.post(
        "/api/admin/gallery/bulk", json={"action": "approve", "item_ids": [*ids, "gone"], "reason": "ok"}, headers=people["as_admin"]
    )
    assert response.status_code == 200
    assert response.json()["done"] == ids and list(response.json()["failed"]) == ["gone"]
    for item_id in ids:
        row = _last_action(session, item_id)
        assert (row.action, row.reason, row.actor_id) == ("approve", "ok", people["admin"].id)
    public = client.get("/api/gallery", params={"sort_by": "newest"}).json()
    assert {i["id"] for i in public["items"]} == set(ids)
    bad = client.post("/api/admin/gallery/bulk", json={"action": "explode", "item_ids": ids}, headers=people["as_admin"])
    assert bad.status_code == 422


def test_reporting_over_http(client: httpx.Client, session: Session, media: LocalStorage, people: dict) -> None:
    item = shared_item(session, media, people["owner"], "Reported", detector=CLEAN)
    url = f"/api/gallery/item/{item.id}/report"
    assert client.post(url, json={"reason": "spam"}).status_code == 401
    assert client.post(url, json={"reason": "because"}, headers=people["as_reader"]).status_code == 422
    assert client.post(url, json={"reason": "spam"}, headers=people["as_owner"]).status_code == 403
    first = client.post(url, json={"reason": "spam"}, headers=people["as_reader"])
    assert first.status_code == 201 and first.json()["reports_count"] == 1
    assert client.post(url, json={"reason": "nsfw"}, headers=people["as_reader"]).status_code == 409


def test_analytics_over_http(client: httpx.Client, session: Session, media: LocalStorage, people: dict) -> None:
    """The dashboard's figures as JSON for a chosen range; a bad range is a 422 naming the field."""
    day = date(2026, 3, 2)
    moment = datetime(2026, 3, 2, 10, tzinfo=UTC)
    for status, seconds, credits in (("completed", 30, 2.0), ("completed", 10, 1.0), ("failed", None, 0.0)):
        session.add(
            GenerationTask(
                user_id=people["owner"].id, task_type="image", model_id="nano-banana-pro", prompt="p", status=status,
                credits_used=credits, created_at=moment,
                completed_at=moment + timedelta(seconds=seconds) if seconds is not None else None,
            )
        )  # fmt: skip
    session.commit()
    shared_item(session, media, people["owner"], "Waiting", detector=FLAGGED)

    answer = client.get("/api/admin/gallery/analytics", params={"start": "2026-03-01", "end": "2026-03-03"}, headers=people["as_admin"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["start"], body["end"]) == ("2026-03-01", "2026-03-03")
    generations = body["generations"]
    assert (generations["total"], generations["completed"], generations["failed"]) == (3, 2, 1)
    assert generations["success_rate"] == pytest.approx(2 / 3) and generations["avg_seconds"] == pytest.approx(20)
    assert generations["credits"] == pytest.approx(3.0)
    assert [d["day"] for d in generations["by_day"]] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert [d["image"] for d in generations["by_day"]] == [0, 3, 0]
    (model,) = generations["by_model"]
    assert model["model_id"] == "nano-banana-pro" and model["total"] == 3 and model["success_rate"] == pytest.approx(2 / 3)
    assert body["moderation"]["backlog"]["pending"] == 1 and body["moderation"]["oldest_pending_hours"] is not None
    assert day.isoformat() in [d["day"] for d in body["gallery_by_day"]]

    default = client.get("/api/admin/gallery/analytics", headers=people["as_admin"]).json()
    assert len(default["gallery_by_day"]) == 30 and default["gallery_by_day"][-1]["items"] == 1  # the item shared today

    # any two dates make a range (so every request the document admits is answered): the answer says which days
    for params, days in (
        ({"start": "2026-03-05", "end": "2026-03-01"}, ("2026-03-01", "2026-03-05")),  # swapped
        ({"start": "2025-01-01", "end": "2026-03-01"}, ("2025-03-01", "2026-03-01")),  # the last 366 days
        ({"start": "0001-01-01"}, ("0001-01-01", "0001-01-30")),
        ({"end": "9999-12-31"}, ("9999-12-01", "9999-12-30")),  # the calendar's last day has no next midnight
    ):
        answer = client.get("/api/admin/gallery/analytics", params=params, headers=people["as_admin"])
        assert answer.status_code == 200 and (answer.json()["start"], answer.json()["end"]) == days, answer.text
    not_a_date = client.get("/api/admin/gallery/analytics", params={"start": "March"}, headers=people["as_admin"])
    assert not_a_date.status_code == 422 and not_a_date.json()["error"]["details"]["field"] == "start"
