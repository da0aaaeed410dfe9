"""Trending: engagement decayed by age, stored per item so listing by it is an index scan.

    score(now) = (likes * 2 + views * 0.1 + 1) * 10 ** (-age_seconds / DECADE_SECONDS)

- a like weighs twenty views; the +1 lets a brand-new item with no engagement still rank by age;
- engagement loses a factor of ten every DECADE_SECONDS (12.5 hours; it halves in about 3.8 hours),
  so an item needs ten times the engagement to rank above one shared 12.5 hours later.

Because the decay is exponential, every item's score shrinks by the same factor as time passes, so
their order never changes by itself. Sorting by score is therefore sorting by

    rank = log10(likes * 2 + views * 0.1 + 1) + created_epoch / DECADE_SECONDS

which depends only on the item's counts and its creation time. `rank` is stored in
`gallery_items.trending_rank` and recomputed whenever a like or view changes the counts; no
periodic job, no per-request computation over every item.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from smartspec_app.models import GalleryItem

LIKE_WEIGHT = 2.0
VIEW_WEIGHT = 0.1
BASE_POINTS = 1.0
DECADE_SECONDS = 45_000.0


def points(likes: int, views: int) -> float:
    return max(likes, 0) * LIKE_WEIGHT + max(views, 0) * VIEW_WEIGHT + BASE_POINTS


def score(likes: int, views: int, age_hours: float) -> float:
    """The decayed engagement of the module docstring (age below zero counts as zero)."""
    return points(likes, views) * 10 ** (-max(age_hours, 0.0) * 3600 / DECADE_SECONDS)


def rank(likes: int, views: int, created_at: datetime) -> float:
    """The stored sort key: orders items exactly as `score` does at any moment."""
    created = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    return math.log10(points(likes, views)) + created.timestamp() / DECADE_SECONDS


def refresh(session: Session, item_ids: Iterable[str] | None = None) -> int:
    """Recompute the stored rank of the given items (all items when None); returns how many."""
    query = select(GalleryItem.id, GalleryItem.likes_count, GalleryItem.views_count, GalleryItem.created_at)
    if item_ids is not None:
        wanted = list(item_ids)
        if not wanted:
            return 0
        query = query.where(col(GalleryItem.id).in_(wanted))
    rows = session.exec(query).all()
    for item_id, likes, views, created_at in rows:
        session.exec(update(GalleryItem).where(col(GalleryItem.id) == item_id).values(trending_rank=rank(likes, views, created_at)))
    return len(rows)
