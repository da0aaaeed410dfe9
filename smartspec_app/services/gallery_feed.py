"""Gallery listings: filter, sort (trending, newest, most liked, most viewed) and paginate in the database.

Trending: the stored, time-invariant `trending_rank` (formula and why in services/trending.py),
so sorting by it is an index scan (ix_gallery_items_listing_trending) rather than a score computed
over every listed item on every request; moderation still applies at once through `listed_clause`.

Pagination is stable: every sort ends with (created_at, id) as tie-breakers.

Query shape (see bench/gallery_api.py for the figures at 100,000 items): the count reads the
items table alone (the author join only when filtering by username; every item has an author),
and a page is a deferred join: the sort runs over narrow (id, sort keys) rows, which the
listing indexes cover, and only the page's rows are then read in full. Each filter the gallery
offers (category, media type) has an index in its default (trending) order. The statements are
built once per listing shape with bound parameters, and a page's rows come back as plain columns
(`ListedItem`), not ORM objects.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import cache

from sqlalchemy import ColumnElement, FromClause, Integer, Row, Select, bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlmodel import Session, col, select

from smartspec_app.models import GalleryItem, GalleryItemTag, User
from smartspec_app.services import gallery_search
from smartspec_app.services.errors import ValidationError
from smartspec_app.services.gallery import (
    CATEGORIES,
    LISTED_COLUMNS,
    MEDIA_TYPES,
    GalleryEntry,
    ListedItem,
    listed_clause,
    normalize_category,
    normalize_tag,
)
from smartspec_app.services.text_rules import check_text, has_refused

SORTS = ("trending", "newest", "most_liked", "most_viewed")
SEARCH_SORTS = ("relevance", *SORTS)  # relevance needs a search query: without one it is trending
MAX_PAGE_SIZE = 100


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


def _sort_keys(
    sort_by: str, relevance: ColumnElement | None = None, columns: ReadOnlyColumnCollection | None = None
) -> list[ColumnElement]:
    """The sort keys, every one descending: the sort's own, then (created_at, id) as tie-breakers.

    `columns`: where created_at and the item id come from (the SQLite search index's copy; the
    item's own by default)."""
    tie = [columns.created_at, columns.item_id] if columns is not None else [col(GalleryItem.created_at), col(GalleryItem.id)]
    if sort_by == "relevance" and relevance is not None:
        return [relevance, *tie]
    if sort_by == "trending":
        return [col(GalleryItem.trending_rank), *tie]
    if sort_by == "most_liked":
        return [col(GalleryItem.likes_count), *tie]
    if sort_by == "most_viewed":
        return [col(GalleryItem.views_count), *tie]
    return tie


def _check_page(page: int, page_size: int, sort_by: str) -> None:
    if page < 1:
        raise ValidationError("page starts at 1", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError(f"page_size is 1 to {MAX_PAGE_SIZE}", field="page_size")
    if sort_by not in SEARCH_SORTS:
        raise ValidationError(f"sort_by is one of {', '.join(SEARCH_SORTS)}", field="sort_by")


def effective_sort(sort_by: str | None, searching: bool) -> str:
    """The sort a listing uses: relevance by default when searching, trending otherwise."""
    if not sort_by:
        return "relevance" if searching else "trending"
    return "trending" if sort_by == "relevance" and not searching else sort_by


def list_public(
    session: Session,
    page: int = 1,
    page_size: int = 24,
    category: str | None = None,
    tag: str | None = None,
    media_type: str | None = None,
    username: str | None = None,
    sort_by: str | None = None,
    q: str | None = None,
) -> GalleryPage:
    """Listed items (see `gallery.listed_clause`), filtered, searched (`q`, see `gallery_search`),
    sorted (by default: relevance when searching, else trending) and paginated in the database."""
    query = gallery_search.parse(q)
    sort_by = effective_sort(sort_by, query is not None)
    _check_page(page, page_size, sort_by)
    for field, value in (("category", category), ("tag", tag), ("username", username)):
        check_text(value or "", field, f"The {field} filter")
    category = normalize_category(category)
    if category and category not in CATEGORIES:  # nothing is filed under it: an empty page, not an error
        return GalleryPage(entries=[], page=page, page_size=page_size, total=0)
    if media_type and media_type not in MEDIA_TYPES:
        raise ValidationError(f"media_type is one of {', '.join(MEDIA_TYPES)}", field="media_type")
    params: dict[str, str | int] = {}
    if category:
        params["category"] = category
    if media_type:
        params["media_type"] = media_type
    if tag:
        params["tag"] = normalize_tag(tag)
    if username:
        params["username"] = username.strip().lower()
    conn = session.connection()  # Core statements of plain columns: nothing for the ORM to do
    dialect = conn.dialect.name
    if query is not None:
        params["search"] = gallery_search.search_param(query, dialect)
    count_query, page_query = _listing_queries(sort_by, frozenset(params), dialect)
    total = conn.execute(count_query, params).scalar_one()
    offset = (page - 1) * page_size
    if offset >= total:
        return GalleryPage([], total, page, page_size)
    rows = conn.execute(page_query, {**params, "offset": offset, "limit": page_size}).all()
    entries = [GalleryEntry(ListedItem(*row[:-1]), row[-1]) for row in rows]
    return GalleryPage(entries, total, page, page_size)


@cache
def _listing_queries(sort_by: str, filters: frozenset[str], dialect: str) -> tuple[Select, Select]:
    """The count and page statements of one listing shape, with the filter values, offset and
    limit as bound parameters: built once per shape (a few dozen exist), not once per request,
    and reused by SQLAlchemy's compiled-statement cache without recomputing its key."""
    if "search" in filters:
        return _search_queries(sort_by, filters, dialect)
    where = [listed_clause(), *_filter_clauses(filters, GalleryItem.__table__.c, col(GalleryItem.id))]
    count_query = sa_select(func.count()).select_from(GalleryItem).where(*where)
    return count_query, _page_query(_sort_keys(sort_by), GalleryItem.__table__, where)


def _search_queries(sort_by: str, filters: frozenset[str], dialect: str) -> tuple[Select, Select]:
    """A search: the matches in the search index (search_schema), whose copy of the listing columns
    filters, counts and ranks them; `gallery_items` is read for the page's rows, and for every
    match only when sorting by likes, views or trending (the counters are not copied: they change
    with every like and view)."""
    rows = gallery_search.ROWS.c
    where = [gallery_search.match_clause(dialect), listed_clause(rows), *_filter_clauses(filters, rows, rows.item_id)]
    source = gallery_search.matches(dialect)
    count_query = sa_select(func.count()).select_from(source).where(*where)
    if sort_by not in ("relevance", "newest"):
        source = source.join(GalleryItem, col(GalleryItem.id) == rows.item_id)
    keys = _sort_keys(sort_by, gallery_search.relevance(dialect), rows)
    return count_query, _page_query(keys, source, where)


def _filter_clauses(filters: frozenset[str], columns: ReadOnlyColumnCollection, item_id: ColumnElement) -> list[ColumnElement[bool]]:
    """The category, media type, tag and author filters, on the item's columns or a copy of them."""
    where: list[ColumnElement[bool]] = []
    if "category" in filters:
        where.append(columns.category == bindparam("category"))
    if "media_type" in filters:
        where.append(columns.media_type == bindparam("media_type"))
    if "tag" in filters:
        # IN, not a correlated EXISTS: SQLite then starts from the tag's rows instead of testing every listed item
        where.append(item_id.in_(sa_select(GalleryItemTag.item_id).where(GalleryItemTag.tag == bindparam("tag"))))
    if "username" in filters:
        where.append(columns.user_id.in_(sa_select(User.id).where(User.username == bindparam("username"))))
    return where


def _page_query(keys: list[ColumnElement], source: FromClause, where: list[ColumnElement[bool]]) -> Select:
    """A deferred join: sort narrow rows (the sort keys, the item id last), then read the page's rows in full."""
    ranked = (
        sa_select(*(key.label(f"k{n}") for n, key in enumerate(keys)))
        .select_from(source)
        .where(*where)
        .order_by(*(key.desc() for key in keys))
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
        .subquery("ranked")
    )
    return (
        sa_select(*LISTED_COLUMNS, User.username)
        .join(ranked, ranked.c[f"k{len(keys) - 1}"] == GalleryItem.id)
        .join(User, col(User.id) == GalleryItem.user_id)
        .order_by(*(column.desc() for column in ranked.c))
    )


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


def listed_version(session: Session) -> tuple[int, str]:
    """(listed items, the latest change among them): anything that changes what a sitemap lists changes this."""
    count, latest = session.exec(select(func.count(), func.max(GalleryItem.updated_at)).where(listed_clause())).one()
    return count, str(latest or "")


def listed_categories(session: Session) -> list[tuple[str, int]]:
    """(category, listed items) for every category that has some, in CATEGORIES order."""
    rows = dict(session.exec(select(GalleryItem.category, func.count()).where(listed_clause()).group_by(GalleryItem.category)).all())
    return [(name, rows[name]) for name in CATEGORIES if rows.get(name)]


def user_exists(session: Session, username: str) -> bool:
    if has_refused(username):
        return False
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


def iter_listed_rows(session: Session, *columns, offset: int = 0, limit: int | None = None, batch: int = 5000) -> Iterator[Row]:
    """Like `iter_listed`, but plain rows of (GalleryItem.id, *columns): no ORM objects, so walking
    100,000 items stays cheap (sitemaps). Items only, no author."""
    for rows in listed_row_batches(lambda: nullcontext(session), *columns, offset=offset, limit=limit, batch=batch):
        yield from rows


def listed_row_batches(
    session_factory: Callable[[], AbstractContextManager[Session]], *columns, offset: int = 0, limit: int | None = None, batch: int = 5000
) -> Iterator[list[Row]]:
    """`iter_listed_rows` a batch at a time, each batch read in a session of its own (keyset by id).

    For answers streamed to a client (the sitemap): no connection is held while the client reads, so
    slow readers cannot drain the pool for everyone else."""
    base = select(col(GalleryItem.id), *columns).where(listed_clause())
    last_id: str | None = None
    if offset:
        with session_factory() as session:
            start = session.exec(
                select(GalleryItem.id).where(listed_clause()).order_by(col(GalleryItem.id)).offset(offset).limit(1)
            ).first()
        if start is None:
            return
        base = base.where(col(GalleryItem.id) >= start)
    remaining = limit
    while remaining is None or remaining > 0:
        size = batch if remaining is None else min(batch, remaining)
        query = base if last_id is None else base.where(col(GalleryItem.id) > last_id)
        with session_factory() as session:
            rows = session.connection().execute(query.order_by(col(GalleryItem.id)).limit(size)).all()  # rows, even of one column
        if rows:
            yield rows
        if len(rows) < size:
            return
        last_id = rows[-1][0]
        if remaining is not None:
            remaining -= len(rows)
