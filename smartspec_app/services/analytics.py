"""Admin analytics: plain SQL aggregates (GROUP BY day/type/model) that run on SQLite and PostgreSQL.

A day is a UTC calendar day of the row's `created_at`. A range `[start, end]` includes both days.
- generations: tasks created in the range, by day and type, and by model; a task's duration is
  `completed_at - created_at` (what the user waited), averaged over completed tasks; the success
  rate is completed / (completed + failed) (running, pending and cancelled tasks are left out);
  credits are the sum of `credits_used`.
- gallery: items shared, likes given and counted views (one per viewer and hour) per day.
- moderation backlog: the queue's counts now, and how long the oldest pending item has waited.
Days without rows are filled with zeros so charts have an even axis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, case, cast, func
from sqlmodel import Session, col, select

from smartspec_app.models import GalleryItem, GalleryLike, GalleryView, GenerationTask, TaskStatus, utcnow
from smartspec_app.services import moderation
from smartspec_app.services.errors import ValidationError

TASK_TYPES = ("image", "video", "speech")
MAX_DAYS = 366


@dataclass
class ModelStats:
    model_id: str
    total: int
    completed: int
    failed: int
    avg_seconds: float | None
    credits: float

    @property
    def success_rate(self) -> float | None:
        finished = self.completed + self.failed
        return self.completed / finished if finished else None


@dataclass
class Analytics:
    start: date
    end: date
    generations_by_day: list[dict[str, Any]] = field(default_factory=list)  # {day, image, video, speech, total, completed, failed, credits}
    by_model: list[ModelStats] = field(default_factory=list)
    total: int = 0
    completed: int = 0
    failed: int = 0
    avg_seconds: float | None = None
    credits: float = 0.0
    gallery_by_day: list[dict[str, Any]] = field(default_factory=list)  # {day, items, likes, views}
    backlog: dict[str, int] = field(default_factory=dict)  # moderation.FILTERS → count
    oldest_pending_hours: float | None = None

    @property
    def success_rate(self) -> float | None:
        finished = self.completed + self.failed
        return self.completed / finished if finished else None

    @property
    def failure_rate(self) -> float | None:
        rate = self.success_rate
        return None if rate is None else 1.0 - rate


def _day(dialect: str, column: Any) -> ColumnElement[str]:
    """The UTC day of a timestamp column as 'YYYY-MM-DD' text."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d", column)  # stored as UTC text
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")  # timestamptz: the UTC day whatever the session's zone


def _seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[float]:
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00 UTC, end+1 00:00 UTC)."""
    return datetime.combine(start, time.min, tzinfo=UTC), datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)


def days(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def check_range(start: date, end: date) -> None:
    if end < start:
        raise ValidationError("The end date is before the start date", field="end")
    if (end - start).days >= MAX_DAYS:
        raise ValidationError(f"Pick at most {MAX_DAYS} days", field="start")


def _shift(day: date, days: int) -> date:
    """`day` moved by `days`, stopping at the calendar's ends instead of overflowing."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def requested_range(start: date | None, end: date | None, today: date, length: int = 30) -> tuple[date, date]:
    """The days an API caller asked for, as a range the dashboard can count (the REST route's rule;
    the page's form refuses a bad range instead).

    Neither: the last `length` days up to today; one of them: `length` days from or up to it (not
    past today); dates in the wrong order are swapped; a range over MAX_DAYS keeps its last MAX_DAYS
    days. The last day of the calendar cannot be counted (its next midnight does not exist)."""
    last = date.max - timedelta(days=1)
    if end is None:
        end = today if start is None else min(today, _shift(start, length - 1))
    if start is None:
        start = _shift(min(end, last), -(length - 1))
    start, end = min(start, end), min(max(start, end), last)
    return max(min(start, end), _shift(end, -(MAX_DAYS - 1))), end


def default_range(today: date | None = None, length: int = 30) -> tuple[date, date]:
    """The last `length` days up to today (UTC)."""
    today = today or utcnow().astimezone(UTC).date()
    return today - timedelta(days=length - 1), today


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def generations(session: Session, start: date, end: date, report: Analytics) -> None:
    dialect = session.get_bind().dialect.name
    low, high = _bounds(start, end)
    created = col(GenerationTask.created_at)
    in_range = (created >= low) & (created < high)
    status = col(GenerationTask.status)
    completed, failed = status == TaskStatus.COMPLETED, status == TaskStatus.FAILED
    duration = case(
        (completed & col(GenerationTask.completed_at).is_not(None), _seconds_between(dialect, created, GenerationTask.completed_at))
    )
    credits = func.coalesce(func.sum(cast(GenerationTask.credits_used, Float)), 0.0)

    day = _day(dialect, created).label("day")
    rows = session.exec(
        select(day, GenerationTask.task_type, func.count(), _count_if(completed), _count_if(failed), credits)
        .where(in_range)
        .group_by(day, GenerationTask.task_type)
    ).all()
    by_day = {
        d: {"day": d, **dict.fromkeys(TASK_TYPES, 0), "total": 0, "completed": 0, "failed": 0, "credits": 0.0} for d in days(start, end)
    }
    for d, task_type, n, ok, bad, spent in rows:
        bucket = by_day.get(str(d))
        if bucket is None:
            continue
        bucket[task_type] = bucket.get(task_type, 0) + int(n)
        bucket["total"] += int(n)
        bucket["completed"] += int(ok or 0)
        bucket["failed"] += int(bad or 0)
        bucket["credits"] = round(bucket["credits"] + float(spent or 0.0), 4)
    report.generations_by_day = list(by_day.values())

    model_rows = session.exec(
        select(GenerationTask.model_id, func.count(), _count_if(completed), _count_if(failed), func.avg(duration), credits)
        .where(in_range)
        .group_by(GenerationTask.model_id)
        .order_by(func.count().desc(), GenerationTask.model_id)
    ).all()
    report.by_model = [
        ModelStats(str(m), int(n), int(ok or 0), int(bad or 0), None if avg is None else float(avg), float(spent or 0.0))
        for m, n, ok, bad, avg, spent in model_rows
    ]
    total, ok, bad, avg, spent = session.exec(
        select(func.count(), _count_if(completed), _count_if(failed), func.avg(duration), credits).where(in_range)
    ).one()
    report.total, report.completed, report.failed = int(total), int(ok or 0), int(bad or 0)
    report.avg_seconds = None if avg is None else float(avg)
    report.credits = float(spent or 0.0)


def _per_day(session: Session, dialect: str, column: Any, low: datetime, high: datetime) -> dict[str, int]:
    day = _day(dialect, column).label("day")
    rows = session.exec(select(day, func.count()).where(column >= low, column < high).group_by(day)).all()
    return {str(d): int(n) for d, n in rows}


def gallery_activity(session: Session, start: date, end: date, report: Analytics) -> None:
    dialect = session.get_bind().dialect.name
    low, high = _bounds(start, end)
    items = _per_day(session, dialect, col(GalleryItem.created_at), low, high)
    likes = _per_day(session, dialect, col(GalleryLike.created_at), low, high)
    views = _per_day(session, dialect, col(GalleryView.created_at), low, high)
    report.gallery_by_day = [
        {"day": d, "items": items.get(d, 0), "likes": likes.get(d, 0), "views": views.get(d, 0)} for d in days(start, end)
    ]


def backlog(session: Session, report: Analytics, now: datetime | None = None) -> None:
    report.backlog = moderation.counts(session)
    oldest = session.exec(select(func.min(GalleryItem.created_at)).where(GalleryItem.moderation_status == moderation.PENDING)).one()
    if oldest is None:
        report.oldest_pending_hours = None
        return
    if isinstance(oldest, str):  # some SQLite builds hand back text for an aggregate
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is not None:
        oldest = oldest.astimezone(UTC).replace(tzinfo=None)
    now = (now or utcnow()).astimezone(UTC).replace(tzinfo=None)
    report.oldest_pending_hours = max(0.0, (now - oldest).total_seconds() / 3600)


def summary(session: Session, start: date, end: date, *, now: datetime | None = None) -> Analytics:
    """Every figure of the analytics dashboard for the days start..end (UTC, inclusive)."""
    check_range(start, end)
    report = Analytics(start=start, end=end)
    generations(session, start, end, report)
    gallery_activity(session, start, end, report)
    backlog(session, report, now)
    return report
