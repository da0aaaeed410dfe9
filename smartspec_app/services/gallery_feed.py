"""Gallery listings: filter, sort (trending, newest, most liked, most viewed) and paginate in the database.

Trending score (computed in SQL, so it sorts and paginates on SQLite and PostgreSQL alike):

    score = (likes * 2 + views * 0.1 + 1) / (age_hours + 2) ** 1.5

- likes weigh twenty times a view; the +1 lets brand-new items with no engagement still rank by age;
- age_hours is the time since the item was shared (never negative); the +2 keeps a fresh item's
  score finite and damps the first hours;
- the 1.5 power is the gravity: a score halves when the age (plus 2) grows by about 59 %, so
  yesterday's hit needs roughly 18x the engagement of an item shared an hour ago to rank above it.
`trending_score` is the same formula in Python, the reference the tests check the SQL against.

Pagination is stable: every sort ends with (created_at, id) as tie-breakers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Float, String, bindparam, cast, exists, func, literal
from sqlalchemy.types import DateTime
from sqlmodel import Session, col, select

from smartspec_app.models import GalleryItem, GalleryItemTag, User, utcnow
from smartspec_app.services.errors import ValidationError
from smartspec_app.services.gallery import CATEGORIES, MEDIA_TYPES, GalleryEntry, listed_clause, normalize_tag

SORTS = ("trending", "newest", "most_liked", "most_viewed")
MAX_PAGE_SIZE = 100
LIKE_WEIGHT = 2.0
VIEW_WEIGHT = 0.1
BASE_POINTS = 1.0
AGE_OFFSET_HOURS = 2.0
GRAVITY = 1.5


@dataclass(frozen=True)
class GalleryPage:
    entries: list[GalleryEntry]
    total: int
    page: int
    page_size: int

    @property
    def has_more(self) -> bool:
        return self.page * self.page_size < self.total

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def trending_score(likes: int, views: int, age_hours: float) -> float:
    """The trending formula of the module docstring."""
    return (likes * LIKE_WEIGHT + views * VIEW_WEIGHT + BASE_POINTS) / (max(age_hours, 0.0) + AGE_OFFSET_HOURS) ** GRAVITY


def _age_hours(dialect: str, now: datetime) -> ColumnElement[float]:
    if dialect == "sqlite":  # datetimes are stored as naive UTC text, which julianday() reads
        stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        age = (func.julianday(bindparam("trending_now", stamp, type_=String)) - func.julianday(GalleryItem.created_at)) * 24.0
        return func.max(age, 0.0)
    now_param = bindparam("trending_now", now.astimezone(UTC), type_=DateTime(timezone=True))
    age = func.extract("epoch", now_param - GalleryItem.created_at) / 3600.0
    return func.greatest(age, 0.0)


def trending_expression(dialect: str, now: datetime) -> ColumnElement[float]:
    """The trending score as a SQL expression for `dialect` ("sqlite" or "postgresql")."""
    points = cast(GalleryItem.likes_count, Float) * LIKE_WEIGHT + cast(GalleryItem.views_count, Float) * VIEW_WEIGHT + BASE_POINTS
    return points / func.power(_age_hours(dialect, now) + AGE_OFFSET_HOURS, literal(GRAVITY, Float))


def prepare_connection(session: Session) -> str:
    """The dialect name; on SQLite also makes sure power() exists (not every SQLite build has math functions)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        raw = session.connection().connection.dbapi_connection
        raw.create_function("power", 2, _power, deterministic=True)
    return dialect


def _power(base: float | None, exponent: float | None) -> float | None:
    return None if base is None or exponent is None else math.pow(base, exponent)


def _order_by(sort_by: str, dialect: str, now: datetime) -> list:
    tie = [col(GalleryItem.created_at).desc(), col(GalleryItem.id).desc()]
    if sort_by == "trending":
        return [trending_expression(dialect, now).desc(), *tie]
    if sort_by == "most_liked":
        return [col(GalleryItem.likes_count).desc(), *tie]
    if sort_by == "most_viewed":
        return [col(GalleryItem.views_count).desc(), *tie]
    return tie


def _check_page(page: int, page_size: int, sort_by: str) -> None:
    if page < 1:
        raise ValidationError("page starts at 1", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError(f"page_size is 1 to {MAX_PAGE_SIZE}", field="page_size")
    if sort_by not in SORTS:
        raise ValidationError(f"sort_by is one of {', '.join(SORTS)}", field="sort_by")


def list_public(
    session: Session,
    page: int = 1,
    page_size: int = 24,
    category: str | None = None,
    tag: str | None = None,
    media_type: str | None = None,
    username: str | None = None,
    sort_by: str = "trending",
    *,
    now: datetime | None = None,
) -> GalleryPage:
    """Listed items (see `gallery.listed_clause`), filtered, sorted and paginated in the database."""
    _check_page(page, page_size, sort_by)
    query = select(GalleryItem, User.username).join(User, col(User.id) == GalleryItem.user_id).where(listed_clause())
    if category:
        if category not in CATEGORIES:
            raise ValidationError(f"Unknown category {category!r}", field="category")
        query = query.where(GalleryItem.category == category)
    if media_type:
        if media_type not in MEDIA_TYPES:
            raise ValidationError(f"media_type is one of {', '.join(MEDIA_TYPES)}", field="media_type")
        query = query.where(GalleryItem.media_type == media_type)
    if tag:
        tagged = exists().where(GalleryItemTag.item_id == GalleryItem.id, GalleryItemTag.tag == normalize_tag(tag))
        query = query.where(tagged)
    if username:
        query = query.where(User.username == username.strip().lower())
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    dialect = prepare_connection(session)
    ordered = query.order_by(*_order_by(sort_by, dialect, now or utcnow()))
    rows = session.exec(ordered.offset((page - 1) * page_size).limit(page_size)).all()
    return GalleryPage([GalleryEntry(item, author) for item, author in rows], total, page, page_size)


def list_own(session: Session, user: User, page: int = 1, page_size: int = 24) -> GalleryPage:
    """Every item of `user` whatever its visibility or moderation state, newest first."""
    _check_page(page, page_size, "newest")
    query = select(GalleryItem).where(GalleryItem.user_id == user.id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(GalleryItem.created_at).desc(), col(GalleryItem.id).desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return GalleryPage([GalleryEntry(item, user.username) for item in rows], total, page, page_size)


def count_listed(session: Session) -> int:
    return session.exec(select(func.count()).select_from(GalleryItem).where(listed_clause())).one()


def listed_categories(session: Session) -> list[tuple[str, int]]:
    """(category, listed items) for every category that has some, in CATEGORIES order."""
    rows = dict(session.exec(select(GalleryItem.category, func.count()).where(listed_clause()).group_by(GalleryItem.category)).all())
    return [(name, rows[name]) for name in CATEGORIES if rows.get(name)]


def user_exists(session: Session, username: str) -> bool:
    return session.exec(select(User.id).where(User.username == username.strip().lower())).first() is not None


def iter_listed(session: Session, *, offset: int = 0, limit: int | None = None, batch: int = 1000) -> Iterator[GalleryEntry]:
    """Listed items in id order from position `offset`, fetched `batch` at a time by keyset (for sitemaps)."""
    base = select(GalleryItem, User.username).join(User, col(User.id) == GalleryItem.user_id).where(listed_clause())
    last_id: str | None = None
    if offset:
        start = session.exec(select(GalleryItem.id).where(listed_clause()).order_by(col(GalleryItem.id)).offset(offset).limit(1)).first()
        if start is None:
            return
        base = base.where(col(GalleryItem.id) >= start)
    remaining = limit
    while remaining is None or remaining > 0:
        size = batch if remaining is None else min(batch, remaining)
        query = base if last_id is None else base.where(col(GalleryItem.id) > last_id)
        rows = session.exec(query.order_by(col(GalleryItem.id)).limit(size)).all()
        for item, author in rows:
            yield GalleryEntry(item, author)
        if len(rows) < size:
            return
        last_id = rows[-1][0].id
        if remaining is not None:
            remaining -= len(rows)
