"""Gallery listings: filters, sorts, trending in SQL against the Python formula, stable pagination."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from smartspec_app.models import GalleryItem, utcnow
from smartspec_app.services import gallery_feed, trending
from smartspec_app.services.errors import ValidationError
from smartspec_app.services.gallery import ListedItem
from smartspec_app.services.gallery_feed import list_public
from smartspec_app.services.storage import LocalStorage
from tests.support.gallery_data import make_user, shared_item


def ids(page: gallery_feed.GalleryPage) -> list[str]:
    return [e.item.id for e in page.entries]


def test_trending_formula() -> None:
    assert trending.score(0, 0, 0) == pytest.approx(1.0)
    assert trending.score(10, 100, 12.5) == pytest.approx((10 * 2 + 100 * 0.1 + 1) / 10)  # a tenth every 12.5 h
    assert trending.score(0, 0, -5) == trending.score(0, 0, 0)  # clock skew never boosts an item
    assert trending.score(5, 0, 3) > trending.score(4, 0, 3) > trending.score(4, 0, 4)
    assert trending.score(1, 0, 10) == pytest.approx(trending.score(0, 20, 10))  # a like is worth twenty views


def test_the_stored_rank_orders_exactly_as_the_score_at_any_moment() -> None:
    now = utcnow()
    specs = [(0, 0, 0.5), (3, 10, 1), (10, 0, 24), (40, 400, 72), (1, 1, 5), (0, 200, 2), (7, 3, 0.1), (900, 0, 200)]
    by_rank = sorted(specs, key=lambda s: -trending.rank(s[0], s[1], now - timedelta(hours=s[2])))
    for later in (0, 5, 100, 1000):  # the order of scores never changes as time passes
        assert by_rank == sorted(specs, key=lambda s: -trending.score(s[0], s[1], s[2] + later))


def test_trending_listing_follows_the_score(session: Session, storage: LocalStorage) -> None:
    now = utcnow()
    user = make_user(session)
    specs = [(0, 0, 0.5), (3, 10, 1), (10, 0, 24), (40, 400, 72), (1, 1, 5), (0, 200, 2), (7, 3, 0.1)]
    items = [
        shared_item(session, storage, user, f"Item {n}", likes=likes, views=views, created_at=now - timedelta(hours=age))
        for n, (likes, views, age) in enumerate(specs)
    ]
    expected = [i.id for i, _s in sorted(zip(items, specs, strict=True), key=lambda p: -trending.score(*p[1]))]
    assert ids(list_public(session, page_size=100, sort_by="trending")) == expected


def test_likes_and_views_move_an_item_up_at_once(session: Session, storage: LocalStorage) -> None:
    from smartspec_app.services import gallery_engagement

    now = utcnow()
    author, fans = make_user(session), [make_user(session) for _ in range(3)]
    older = shared_item(session, storage, author, "Older", created_at=now - timedelta(hours=6))
    newer = shared_item(session, storage, author, "Newer", created_at=now - timedelta(hours=1))
    assert ids(list_public(session, sort_by="trending")) == [newer.id, older.id]
    for fan in fans:  # 7 points against 1, five hours older: 7 × 10^(-5/12.5) ≈ 2.6 > 1
        gallery_engagement.like(session, fan, older.id)
    session.commit()
    assert ids(list_public(session, sort_by="trending")) == [older.id, newer.id]
    for fan in fans:
        gallery_engagement.unlike(session, fan, older.id)
    session.commit()
    assert ids(list_public(session, sort_by="trending")) == [newer.id, older.id]


def test_fresh_engagement_beats_old_fame(session: Session, storage: LocalStorage) -> None:
    now = utcnow()
    user = make_user(session)
    old_hit = shared_item(session, storage, user, "Old hit", likes=30, views=500, created_at=now - timedelta(days=3))
    fresh = shared_item(session, storage, user, "Fresh", likes=3, views=20, created_at=now - timedelta(hours=1))
    quiet = shared_item(session, storage, user, "Quiet", likes=0, views=0, created_at=now - timedelta(days=2))
    assert ids(list_public(session, sort_by="trending")) == [fresh.id, old_hit.id, quiet.id]
    assert ids(list_public(session, sort_by="most_liked")) == [old_hit.id, fresh.id, quiet.id]
    assert ids(list_public(session, sort_by="newest")) == [fresh.id, quiet.id, old_hit.id]


def test_sorts_by_likes_views_and_age(session: Session, storage: LocalStorage) -> None:
    now = utcnow()
    user = make_user(session)
    a = shared_item(session, storage, user, "A", likes=5, views=1, created_at=now - timedelta(hours=3))
    b = shared_item(session, storage, user, "B", likes=1, views=50, created_at=now - timedelta(hours=2))
    c = shared_item(session, storage, user, "C", likes=9, views=9, created_at=now - timedelta(hours=1))
    assert ids(list_public(session, sort_by="newest")) == [c.id, b.id, a.id]
    assert ids(list_public(session, sort_by="most_liked")) == [c.id, a.id, b.id]
    assert ids(list_public(session, sort_by="most_viewed")) == [b.id, c.id, a.id]


def test_filters(session: Session, storage: LocalStorage) -> None:
    alice, bob = make_user(session, "alice_g"), make_user(session, "bob_g")
    fox = shared_item(session, storage, alice, "Fox", category="nature", tags="animals, snow")
    song = shared_item(session, storage, alice, "Song", task_type="speech", category="music", tags="voice")
    clip = shared_item(session, storage, bob, "Clip", task_type="video", category="nature", tags="Animals")
    shared_item(session, storage, bob, "Hidden fox", category="nature", tags="animals", visibility="unlisted")

    assert set(ids(list_public(session, category="nature"))) == {fox.id, clip.id}
    assert set(ids(list_public(session, tag="animals"))) == {fox.id, clip.id}
    assert ids(list_public(session, tag="Animals ")) == ids(list_public(session, tag="animals"))
    assert ids(list_public(session, media_type="audio")) == [song.id]
    assert ids(list_public(session, media_type="video")) == [clip.id]
    assert set(ids(list_public(session, username="alice_g"))) == {fox.id, song.id}
    assert ids(list_public(session, username="bob_g", category="nature", tag="animals", media_type="video")) == [clip.id]
    assert list_public(session, tag="nothing-tagged").total == 0
    assert list_public(session, username="nobody").total == 0


def test_listed_entries_carry_the_stored_fields(session: Session, storage: LocalStorage) -> None:
    """Listings read plain columns (ListedItem), not ORM objects: the same values the item has."""
    user = make_user(session, "carol_g")
    item = shared_item(session, storage, user, "Fox in snow", category="nature", tags="animals, snow", likes=3, views=5)
    (entry,) = list_public(session, category="nature").entries
    session.expire_all()
    stored = session.get(GalleryItem, item.id)
    assert isinstance(entry.item, ListedItem) and entry.author == "carol_g"
    assert {name: getattr(entry.item, name) for name in ListedItem.__slots__} == {
        name: getattr(stored, name) for name in ListedItem.__slots__
    }
    assert entry.item.tags == ["animals", "snow"] and entry.item.likes_count == 3


def test_pagination_is_stable_with_ties(session: Session, storage: LocalStorage) -> None:
    same_moment = utcnow() - timedelta(hours=1)
    user = make_user(session)
    made = {shared_item(session, storage, user, f"Tie {n}", likes=2, views=2, created_at=same_moment).id for n in range(7)}
    for sort_by in gallery_feed.SORTS:
        seen: list[str] = []
        page = 1
        while True:
            result = list_public(session, page=page, page_size=3, sort_by=sort_by)
            assert result.total == 7 and result.pages == 3
            seen.extend(ids(result))
            if not result.has_more:
                break
            page += 1
        assert len(seen) == len(set(seen)) == 7 and set(seen) == made, sort_by
        assert seen == ids(list_public(session, page_size=7, sort_by=sort_by)), sort_by


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page": 0},
        {"page_size": 0},
        {"page_size": 101},
        {"sort_by": "random"},
        {"media_type": "gif"},
        {"category": "na\x00ture"},
        {"tag": "a\x01b"},
        {"username": "bob\x00"},
    ],
)
def test_bad_listing_arguments(session: Session, kwargs: dict) -> None:
    with pytest.raises(ValidationError) as caught:
        list_public(session, **kwargs)
    assert caught.value.field == next(iter(kwargs))  # on both databases (PostgreSQL cannot even compare a NUL)


def test_a_category_nobody_files_under_lists_an_empty_page(session: Session, storage: LocalStorage) -> None:
    shared_item(session, storage, make_user(session), "Fox", category="landscape")
    empty = list_public(session, category="nope", page=2, page_size=10)
    assert (empty.entries, empty.total, empty.page, empty.page_size, empty.has_more) == ([], 0, 2, 10, False)
    assert [e.item.title for e in list_public(session, category=" Landscape ").entries] == ["Fox"]


def test_own_items_include_every_visibility(session: Session, storage: LocalStorage) -> None:
    owner, other = make_user(session), make_user(session)
    made = [shared_item(session, storage, owner, f"V {v}", visibility=v) for v in ("public", "unlisted", "private")]
    shared_item(session, storage, other, "Not mine")
    own = gallery_feed.list_own(session, owner)
    assert own.total == 3
    assert [e.item.visibility for e in own.entries] == ["private", "unlisted", "public"]
    assert {e.item.id for e in own.entries} == {m.id for m in made}


def test_iter_listed_walks_every_item_in_windows(session: Session, storage: LocalStorage) -> None:
    user = make_user(session)
    made = sorted(shared_item(session, storage, user, f"S {n}").id for n in range(7))
    shared_item(session, storage, user, "Private", visibility="private")
    assert [e.item.id for e in gallery_feed.iter_listed(session, batch=2)] == made
    assert [e.item.id for e in gallery_feed.iter_listed(session, offset=2, limit=3, batch=2)] == made[2:5]
    assert [e.item.id for e in gallery_feed.iter_listed(session, offset=6, limit=10, batch=2)] == made[6:]
    assert list(gallery_feed.iter_listed(session, offset=7)) == []
    assert gallery_feed.count_listed(session) == 7


def test_iter_listed_rows_reads_plain_columns_in_windows(session: Session, storage: LocalStorage) -> None:
    user = make_user(session)
    made = sorted((shared_item(session, storage, user, f"R {n}") for n in range(5)), key=lambda item: item.id)
    shared_item(session, storage, user, "Private", visibility="private")
    rows = list(gallery_feed.iter_listed_rows(session, GalleryItem.slug, batch=2))
    assert [tuple(row) for row in rows] == [(item.id, item.slug) for item in made]
    assert [row[0] for row in gallery_feed.iter_listed_rows(session, offset=1, limit=3, batch=2)] == [i.id for i in made[1:4]]
    assert list(gallery_feed.iter_listed_rows(session, offset=5)) == []


def test_a_page_past_the_end_is_empty_but_counted(session: Session, storage: LocalStorage) -> None:
    user = make_user(session)
    for n in range(3):
        shared_item(session, storage, user, f"E {n}")
    for sort_by in gallery_feed.SORTS:
        result = list_public(session, page=2, page_size=3, sort_by=sort_by)
        assert result.entries == [] and result.total == 3 and not result.has_more
        assert len(list_public(session, page=1, page_size=2, sort_by=sort_by, username=user.username.upper()).entries) == 2
