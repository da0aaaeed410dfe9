"""Analytics figures checked against a database seeded with known rows (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from smartspec_app.models import GalleryItem, GalleryLike, GalleryView, GenerationTask, User
from smartspec_app.services import analytics
from smartspec_app.services.errors import ValidationError
from smartspec_app.services.storage import LocalStorage
from tests.support.gallery_data import make_user, shared_item
from tests.support.moderation_data import FixedDetector, as_detector

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def task(
    session: Session, user: User, day: date, hour: int, task_type: str, model: str, status: str, seconds: int | None, credits: float
) -> None:
    created = at(day, hour)
    session.add(
        GenerationTask(
            user_id=user.id,
            task_type=task_type,
            model_id=model,
            prompt="p",
            status=status,
            credits_used=credits,
            created_at=created,
            completed_at=created + timedelta(seconds=seconds) if seconds is not None else None,
        )
    )


@pytest.fixture
def seeded(session: Session, storage: LocalStorage) -> dict:
    user = make_user(session)
    other = make_user(session)
    rows = [
        (D1, 1, "image", "nano", "completed", 10, 2.0),
        (D1, 23, "image", "nano", "completed", 20, 2.0),
        (D1, 12, "video", "wan", "failed", None, 0.0),
        (D2, 0, "image", "flux", "completed", 30, 1.5),
        (D2, 5, "speech", "tts", "completed", 4, 0.5),
        (D2, 6, "video", "wan", "completed", 90, 10.0),
        (D2, 7, "image", "nano", "running", None, 0.0),
        (D3, 9, "image", "nano", "failed", None, 0.0),
        (date(2026, 2, 28), 23, "image", "nano", "completed", 5, 99.0),  # the day before: outside
        (date(2026, 3, 4), 0, "video", "wan", "completed", 5, 99.0),  # the day after: outside
    ]
    for row in rows:
        task(session, user, *row)
    session.commit()
    detector = as_detector(FixedDetector({}))
    first = shared_item(session, storage, user, "First", detector=detector, created_at=at(D1, 8))
    second = shared_item(session, storage, user, "Second", detector=detector, created_at=at(D3, 8))
    shared_item(session, storage, user, "Waiting", detector=detector, auto_approve=False, created_at=at(D3, 9))
    shared_item(session, storage, user, "Too late", detector=detector, created_at=at(date(2026, 3, 5), 1))
    session.add(GalleryLike(item_id=first.id, user_id=user.id, created_at=at(D1, 9)))
    session.add(GalleryLike(item_id=first.id, user_id=other.id, created_at=at(D2, 9)))
    session.add(GalleryLike(item_id=second.id, user_id=other.id, created_at=at(D2, 10)))
    for n, day in enumerate([D1, D1, D3]):
        session.add(GalleryView(item_id=first.id, viewer_key=f"v{n}", hour=n, created_at=at(day, 12)))
    session.commit()
    return {"user": user}


def test_generations_by_day_type_and_model(session: Session, seeded: dict) -> None:
    report = analytics.summary(session, D1, D3)
    by_day = {row["day"]: row for row in report.generations_by_day}
    assert list(by_day) == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert {k: by_day["2026-03-01"][k] for k in ("image", "video", "speech", "total", "completed", "failed")} == {
        "image": 2,
        "video": 1,
        "speech": 0,
        "total": 3,
        "completed": 2,
        "failed": 1,
    }
    assert (by_day["2026-03-02"]["image"], by_day["2026-03-02"]["video"], by_day["2026-03-02"]["speech"]) == (2, 1, 1)
    assert by_day["2026-03-02"]["credits"] == 12.0
    assert (by_day["2026-03-03"]["total"], by_day["2026-03-03"]["failed"]) == (1, 1)

    models = {m.model_id: m for m in report.by_model}
    assert report.by_model[0].model_id == "nano"  # most tasks first
    nano = models["nano"]
    assert (nano.total, nano.completed, nano.failed, nano.credits) == (4, 2, 1, 4.0)
    assert nano.avg_seconds == pytest.approx(15.0, abs=0.01)
    assert nano.success_rate == pytest.approx(2 / 3)
    assert (models["wan"].total, models["wan"].completed, models["wan"].failed) == (2, 1, 1)
    assert models["wan"].avg_seconds == pytest.approx(90.0, abs=0.01)
    assert models["tts"].success_rate == 1.0


def test_totals_rates_duration_and_credits(session: Session, seeded: dict) -> None:
    report = analytics.summary(session, D1, D3)
    assert (report.total, report.completed, report.failed) == (8, 5, 2)
    assert report.success_rate == pytest.approx(5 / 7)
    assert report.failure_rate == pytest.approx(2 / 7)
    assert report.avg_seconds == pytest.approx((10 + 20 + 30 + 4 + 90) / 5, abs=0.01)
    assert report.credits == pytest.approx(16.0)


def test_gallery_activity_and_backlog(session: Session, seeded: dict) -> None:
    report = analytics.summary(session, D1, D3, now=at(D3, 21))
    assert report.gallery_by_day == [
        {"day": "2026-03-01", "items": 1, "likes": 1, "views": 2},
        {"day": "2026-03-02", "items": 0, "likes": 2, "views": 0},
        {"day": "2026-03-03", "items": 2, "likes": 0, "views": 1},
    ]
    assert report.backlog["pending"] == 1 and report.backlog["all"] == 4
    assert report.oldest_pending_hours == pytest.approx(12.0, abs=0.01)


def test_an_empty_range_has_zero_days_and_no_rates(session: Session, seeded: dict) -> None:
    report = analytics.summary(session, date(2025, 1, 1), date(2025, 1, 2))
    assert [row["total"] for row in report.generations_by_day] == [0, 0]
    assert report.success_rate is None and report.avg_seconds is None and report.credits == 0.0
    assert report.by_model == []


def test_range_checks() -> None:
    with pytest.raises(ValidationError):
        analytics.check_range(D3, D1)
    with pytest.raises(ValidationError):
        analytics.check_range(date(2024, 1, 1), date(2026, 1, 1))
    assert analytics.default_range(D3) == (D3 - timedelta(days=29), D3)


def test_no_pending_items_means_no_backlog_age(session: Session) -> None:
    report = analytics.summary(session, D1, D1)
    assert report.oldest_pending_hours is None and report.backlog["pending"] == 0
    assert isinstance(report.backlog, dict) and session.get(GalleryItem, "x") is None


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (date(2026, 2, 9), date(2026, 3, 10))),  # the last 30 days
        (date(2026, 1, 1), None, (date(2026, 1, 1), date(2026, 1, 30))),
        (date(2026, 3, 1), None, (date(2026, 3, 1), date(2026, 3, 10))),  # not past today
        (None, date(2026, 1, 1), (date(2025, 12, 3), date(2026, 1, 1))),
        (date(2026, 5, 1), date(2026, 1, 1), (date(2026, 1, 1), date(2026, 5, 1))),  # swapped
        (date(2000, 1, 1), date(2026, 1, 1), (date(2025, 1, 1), date(2026, 1, 1))),  # the last 366 days
        (date.min, None, (date.min, date(1, 1, 30))),
        (None, date.max, (date(9999, 12, 1), date(9999, 12, 30))),  # the calendar's last day has no next midnight
        (date.min, date.max, (date(9998, 12, 30), date(9999, 12, 30))),
    ],
)
def test_an_api_range_is_always_one_the_dashboard_can_count(start, end, expected) -> None:
    """GET /api/admin/gallery/analytics takes any two dates (a 422 for a range no schema can describe would
    fail every schema-valid request that has one); the page's form refuses bad ranges instead."""
    result = analytics.requested_range(start, end, today=date(2026, 3, 10))
    assert result == expected
    analytics.check_range(*result)
