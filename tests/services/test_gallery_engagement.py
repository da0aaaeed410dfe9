"""Likes (one per user, atomic counter) and views (one per viewer per hour) on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from smartspec_app.models import GalleryItem, GalleryLike, GalleryView, utcnow
from smartspec_app.services import gallery_engagement as engagement
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import NotFound
from smartspec_app.services.storage import LocalStorage
from tests.support.gallery_data import make_user, shared_item


def likes_in_db(session: Session, item_id: str) -> tuple[int, int]:
    session.expire_all()
    rows = session.exec(select(func.count()).select_from(GalleryLike).where(GalleryLike.item_id == item_id)).one()
    return session.get(GalleryItem, item_id).likes_count, rows


def test_like_is_one_per_user_and_unlike_takes_it_back(session: Session, storage: LocalStorage) -> None:
    owner, fan = make_user(session), make_user(session)
    item = shared_item(session, storage, owner, "Likeable")
    assert engagement.like(session, fan, item.id) == engagement.LikeState(True, 1)
    assert engagement.like(session, fan, item.id) == engagement.LikeState(True, 1)
    assert engagement.like(session, owner, item.id) == engagement.LikeState(True, 2)
    session.commit()
    assert likes_in_db(session, item.id) == (2, 2)
    assert engagement.has_liked(session, fan, item.id) and not engagement.has_liked(session, None, item.id)

    assert engagement.unlike(session, fan, item.id) == engagement.LikeState(False, 1)
    assert engagement.unlike(session, fan, item.id) == engagement.LikeState(False, 1)
    session.commit()
    assert likes_in_db(session, item.id) == (1, 1)


def test_toggle(session: Session, storage: LocalStorage) -> None:
    owner, fan = make_user(session), make_user(session)
    item = shared_item(session, storage, owner, "Toggle")
    states = [engagement.toggle_like(session, fan, item.id) for _ in range(3)]
    assert states == [engagement.LikeState(True, 1), engagement.LikeState(False, 0), engagement.LikeState(True, 1)]


def test_no_likes_on_what_the_user_cannot_see(session: Session, storage: LocalStorage) -> None:
    owner, stranger = make_user(session), make_user(session)
    private = shared_item(session, storage, owner, "Private", visibility="private")
    with pytest.raises(NotFound):
        engagement.like(session, stranger, private.id)
    with pytest.raises(NotFound):
        engagement.toggle_like(session, stranger, "no-such-item")
    assert engagement.like(session, owner, private.id).likes_count == 1


def test_concurrent_likes_are_all_counted(engine: Engine, session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    item = shared_item(session, storage, owner, "Popular")
    fans = [make_user(session) for _ in range(8)]
    barrier = threading.Barrier(len(fans) * 2)
    errors: list[BaseException] = []

    def click(user, times: int) -> None:
        try:
            barrier.wait()
            for _ in range(times):
                with session_scope(engine) as s:
                    engagement.like(s, user, item.id)
        except BaseException as exc:
            errors.append(exc)

    # each fan likes from two "tabs" at once, three times each: still one like per fan
    threads = [threading.Thread(target=click, args=(fan, 3)) for fan in fans for _tab in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert likes_in_db(session, item.id) == (8, 8)

    def unclick(user) -> None:
        try:
            with session_scope(engine) as s:
                engagement.unlike(s, user, item.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=unclick, args=(fan,)) for fan in fans[:5] for _tab in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert likes_in_db(session, item.id) == (3, 3)


def test_views_count_once_per_viewer_per_hour(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    item = shared_item(session, storage, owner, "Seen")
    now = utcnow().replace(minute=10)
    viewer = engagement.viewer_key(user_id=42)
    assert engagement.record_view(session, item.id, viewer, now=now)
    assert not engagement.record_view(session, item.id, viewer, now=now + timedelta(minutes=30))
    assert engagement.record_view(session, item.id, viewer, now=now + timedelta(hours=1))
    anon = engagement.viewer_key(ip="203.0.113.9", user_agent="Firefox", now=now)
    assert engagement.record_view(session, item.id, anon, now=now)
    assert not engagement.record_view(session, item.id, engagement.viewer_key(ip="203.0.113.9", user_agent="Firefox", now=now), now=now)
    session.commit()
    session.expire_all()
    assert session.get(GalleryItem, item.id).views_count == 3


def test_anonymous_viewer_keys_hide_the_ip_and_change_hourly() -> None:
    now = utcnow()
    key = engagement.viewer_key(ip="203.0.113.9", user_agent="Firefox", now=now)
    assert "203.0.113.9" not in key and len(key) <= 64
    assert key != engagement.viewer_key(ip="203.0.113.9", user_agent="Chrome", now=now)
    assert key != engagement.viewer_key(ip="203.0.113.9", user_agent="Firefox", now=now + timedelta(hours=1))
    assert engagement.viewer_key(user_id=7) == "user:7"


def test_prune_views_keeps_the_current_hours(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    item = shared_item(session, storage, owner, "Pruned")
    now = utcnow()
    for hours_ago in (0, 1, 5, 30):
        engagement.record_view(session, item.id, "user:1", now=now - timedelta(hours=hours_ago))
    session.commit()
    assert engagement.prune_views(session, now=now) == 2
    session.commit()
    assert len(session.exec(select(GalleryView)).all()) == 2
    session.expire_all()
    assert session.get(GalleryItem, item.id).views_count == 4  # counted views stay counted
