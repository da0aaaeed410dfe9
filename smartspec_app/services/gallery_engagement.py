"""Likes and views of gallery items.

Likes: one row per (item, user) in `gallery_likes`; `likes_count` moves only when a row is really
inserted or deleted, with `UPDATE ... SET likes_count = likes_count ± 1`, so concurrent clicks
never lose or double a like.

Views: one counted view per item, viewer and hour. The viewer is "user:<id>" when signed in,
otherwise a SHA-256 of IP, user agent and the hour (so no raw IP is stored and the key changes
every hour). A row in `gallery_views` with that key and hour makes later views in the hour free.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from smartspec_app.models import GalleryItem, GalleryLike, GalleryView, User, utcnow
from smartspec_app.services import trending
from smartspec_app.services.errors import NotFound
from smartspec_app.services.gallery import can_view


@dataclass(frozen=True)
class LikeState:
    liked: bool
    likes_count: int


def _insert_ignore(session: Session, model: type[SQLModel], values: dict[str, Any]) -> bool:
    """INSERT that does nothing on a duplicate key; True when a row was written."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        result = session.exec(insert(model).values(**values).on_conflict_do_nothing())
        return result.rowcount == 1
    try:  # other databases: a savepoint keeps the outer transaction usable after a duplicate
        with session.begin_nested():
            session.add(model(**values))
        return True
    except IntegrityError:
        return False


def _viewable_item(session: Session, user: User | None, item_id: str) -> GalleryItem:
    item = session.get(GalleryItem, item_id)
    if item is None or not can_view(item, user):
        raise NotFound("No such gallery item")
    return item


def _likes_count(session: Session, item_id: str) -> int:
    return session.exec(select(GalleryItem.likes_count).where(GalleryItem.id == item_id)).one()


def has_liked(session: Session, user: User | None, item_id: str) -> bool:
    if user is None:
        return False
    return session.get(GalleryLike, (item_id, user.id)) is not None


def like(session: Session, user: User, item_id: str) -> LikeState:
    """Like the item (a second like does nothing)."""
    _viewable_item(session, user, item_id)
    if _insert_ignore(session, GalleryLike, {"item_id": item_id, "user_id": user.id, "created_at": utcnow()}):
        session.exec(update(GalleryItem).where(col(GalleryItem.id) == item_id).values(likes_count=GalleryItem.likes_count + 1))
        trending.refresh(session, [item_id])
    return LikeState(True, _likes_count(session, item_id))


def unlike(session: Session, user: User, item_id: str) -> LikeState:
    """Take the like back (nothing happens when there was none)."""
    _viewable_item(session, user, item_id)
    removed = session.exec(delete(GalleryLike).where(col(GalleryLike.item_id) == item_id, col(GalleryLike.user_id) == user.id))
    if removed.rowcount == 1:
        session.exec(
            update(GalleryItem)
            .where(col(GalleryItem.id) == item_id, col(GalleryItem.likes_count) > 0)
            .values(likes_count=GalleryItem.likes_count - 1)
        )
        trending.refresh(session, [item_id])
    return LikeState(False, _likes_count(session, item_id))


def toggle_like(session: Session, user: User, item_id: str) -> LikeState:
    return unlike(session, user, item_id) if has_liked(session, user, item_id) else like(session, user, item_id)


def hour_of(moment: datetime) -> int:
    """Whole hours since the Unix epoch (UTC)."""
    return int(moment.astimezone(UTC).timestamp() // 3600)


def viewer_key(*, user_id: int | None = None, ip: str = "", user_agent: str = "", now: datetime | None = None) -> str:
    """Who is viewing, for de-duplication: the account, or an hourly hash of IP and user agent."""
    if user_id is not None:
        return f"user:{user_id}"
    hour = hour_of(now or utcnow())
    return "anon:" + hashlib.sha256(f"{ip}\n{user_agent}\n{hour}".encode()).hexdigest()[:58]


def record_view(session: Session, item_id: str, viewer: str, *, now: datetime | None = None) -> bool:
    """Count a view unless this viewer was already counted for the item this hour; True when counted."""
    now = now or utcnow()
    values = {"item_id": item_id, "viewer_key": viewer[:64], "hour": hour_of(now), "created_at": now}
    if not _insert_ignore(session, GalleryView, values):
        return False
    session.exec(update(GalleryItem).where(col(GalleryItem.id) == item_id).values(views_count=GalleryItem.views_count + 1))
    trending.refresh(session, [item_id])
    return True


def prune_views(session: Session, *, keep: timedelta = timedelta(hours=2), now: datetime | None = None) -> int:
    """Delete de-duplication rows older than `keep` (they guard hours that are over); returns how many."""
    cutoff = hour_of((now or utcnow()) - keep)
    return session.exec(delete(GalleryView).where(col(GalleryView.hour) < cutoff)).rowcount
