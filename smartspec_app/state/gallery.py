"""The gallery grid (/gallery and its category, tag and user routes) and the views every gallery page shows.

Route arguments come from Reflex's dynamic route vars (`gallery_category`, `gallery_tag`,
`gallery_user`, `gallery_slug`, set up by the routes in smartspec_app.py; they live on the root
state and every substate reads them); query parameters from `self.router.url.query_parameters`.
Every change resolves the user on the server.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import quote, urlencode

import reflex as rx

from smartspec_app.models import User
from smartspec_app.services import author_moderation, gallery, gallery_feed, gallery_search
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import NotFound, SmartSpecError
from smartspec_app.services.gallery import CATEGORIES, GalleryEntry
from smartspec_app.services.seo import SEO_BLOCK_ID, SEO_STYLE_ID
from smartspec_app.services.storage import get_storage
from smartspec_app.settings import get_settings
from smartspec_app.state.auth import AuthState

PAGE_SIZE = 24
SORT_LABELS = {"trending": "Trending", "newest": "Newest", "most_liked": "Most liked", "most_viewed": "Most viewed"}
SEARCH_SORT_LABELS = {"relevance": "Relevance", **SORT_LABELS}
# the server-rendered page gives way to the live one (whose root its style hides) once that has its data;
# one expression (rx.run_script compiles it into the bundle as an arrow function: no eval, api/content_security.py)
REMOVE_SEO_BLOCK = f"(document.getElementById('{SEO_BLOCK_ID}')?.remove(), document.getElementById('{SEO_STYLE_ID}')?.remove())"


@dataclasses.dataclass
class GalleryCard:
    id: str = ""
    href: str = ""
    title: str = ""
    author: str = ""
    media_type: str = ""
    media_url: str = ""
    thumbnail_url: str = ""
    likes_count: int = 0
    views_count: int = 0
    visibility: str = ""
    moderation_status: str = ""
    picture_src: str = ""
    picture_srcset: str = ""
    picture_width: int = 0
    picture_height: int = 0
    moderation_headline: str = ""  # the author's own page: where it stands and why (services/author_moderation.py)
    moderation_reason: str = ""


@dataclasses.dataclass
class GalleryItemView:
    id: str = ""
    slug: str = ""
    title: str = ""
    description: str = ""
    media_type: str = ""
    media_url: str = ""
    thumbnail_url: str = ""
    prompt: str = ""
    model_id: str = ""
    model_name: str = ""
    author: str = ""
    category: str = ""
    category_label: str = ""
    tags: list[str] = dataclasses.field(default_factory=list)
    views_count: int = 0
    visibility: str = ""
    moderation_status: str = ""
    created_at: str = ""
    picture_src: str = ""
    picture_srcset: str = ""
    picture_width: int = 0
    picture_height: int = 0


def _url(item: gallery.GalleryItem | gallery.ListedItem, url: str | None) -> str:
    return gallery.shown_media_url(get_storage(), item, url) if url else ""


def card_view(entry: GalleryEntry, explain: bool = False) -> GalleryCard:
    """A grid card; `explain` (the author's own page): with the moderation headline and reason."""
    item = entry.item
    picture = gallery.shown_picture(get_storage(), item) if item.thumbnail_url or item.media_type == "image" else None
    notice = author_moderation.explain(item, get_settings().nsfw_threshold) if explain else None  # type: ignore[arg-type]
    return GalleryCard(
        id=item.id,
        href=f"/gallery/{item.slug}",
        title=item.title,
        author=entry.author,
        media_type=item.media_type,
        media_url=_url(item, item.media_url),
        thumbnail_url=_url(item, item.thumbnail_url),
        likes_count=item.likes_count,
        views_count=item.views_count,
        visibility=item.visibility,
        moderation_status=item.moderation_status,
        picture_src=picture.src if picture else "",
        picture_srcset=picture.srcset if picture else "",
        picture_width=picture.width if picture else 0,
        picture_height=picture.height if picture else 0,
        moderation_headline=notice.headline if notice and notice.state != "approved" else "",
        moderation_reason=notice.reason if notice and notice.state != "approved" else "",
    )


def item_view(entry: GalleryEntry) -> GalleryItemView:
    item = entry.item
    picture = gallery.shown_picture(get_storage(), item)
    return GalleryItemView(
        id=item.id,
        slug=item.slug,
        title=item.title,
        description=item.description,
        media_type=item.media_type,
        media_url=_url(item, item.media_url),
        thumbnail_url=_url(item, item.thumbnail_url),
        prompt=item.prompt,
        model_id=item.model_id,
        model_name=gallery.model_name(item.model_id),
        author=entry.author,
        category=item.category,
        category_label=CATEGORIES.get(item.category, item.category),
        tags=list(item.tags),
        views_count=item.views_count,
        visibility=item.visibility,
        moderation_status=item.moderation_status,
        created_at=item.created_at.strftime("%Y-%m-%d"),
        picture_src=picture.src,
        picture_srcset=picture.srcset,
        picture_width=picture.width,
        picture_height=picture.height,
    )


def _query(state: rx.State, name: str) -> str:
    return str(state.router.url.query_parameters.get(name, "") or "")


def route_arg(state: rx.State, name: str) -> str:
    """A dynamic route argument ("" on routes without it)."""
    return str(getattr(state, name, "") or "")


class GalleryState(AuthState):
    cards: list[GalleryCard] = []
    page: int = 1
    total: int = 0
    has_more: bool = False
    sort_by: str = "trending"
    media_filter: str = "all"
    category_filter: str = "all"
    tag_filter: str = ""
    author_filter: str = ""
    own_view: bool = False  # the signed-in author on their own page: every item, with its visibility
    search_text: str = ""  # the applied search (?q=), as understood
    not_found: bool = False
    list_error: str = ""
    loaded: bool = False  # on_load has run: the page shows its data (and takes over from the server-rendered one)

    @rx.var
    def heading(self) -> str:
        if self.author_filter:
            return "My gallery" if self.own_view else f"Shared by {self.author_filter}"
        if self.tag_filter:
            return f"#{self.tag_filter}"
        if self.category_filter != "all":
            return CATEGORIES.get(self.category_filter, self.category_filter)
        return "Gallery"

    @rx.var
    def sort_options(self) -> list[dict[str, str]]:
        labels = SEARCH_SORT_LABELS if self.search_text else SORT_LABELS
        return [{"value": k, "label": v} for k, v in labels.items()]

    @rx.var
    def category_options(self) -> list[dict[str, str]]:
        return [{"value": "all", "label": "All categories"}] + [{"value": k, "label": v} for k, v in CATEGORIES.items()]

    @rx.event
    def on_load(self):
        user = self._current_user()
        self.category_filter = route_arg(self, "gallery_category") or "all"
        self.tag_filter = gallery.normalize_tag(route_arg(self, "gallery_tag"))
        self.author_filter = route_arg(self, "gallery_user").strip().lower()
        self.own_view = bool(self.author_filter) and user is not None and user.username == self.author_filter
        search = gallery_search.parse(_query(self, "q"))
        self.search_text = search.text if search else ""
        sort_by = _query(self, "sort")
        self.sort_by = gallery_feed.effective_sort(sort_by if sort_by in gallery_feed.SEARCH_SORTS else None, bool(self.search_text))
        media = _query(self, "type")
        self.media_filter = media if media in gallery.MEDIA_TYPES else "all"
        self._load(user, page=1)
        self.loaded = True

    def _load(self, user: User | None, page: int) -> None:
        self.list_error, self.not_found = "", False
        try:
            with session_scope() as session:
                if self.own_view and user is not None:
                    result = gallery_feed.list_own(session, user, page, PAGE_SIZE)
                else:
                    if self.author_filter and not gallery_feed.user_exists(session, self.author_filter):
                        raise NotFound("No such user")
                    if self.category_filter != "all" and self.category_filter not in CATEGORIES:
                        raise NotFound("No such category")
                    result = gallery_feed.list_public(
                        session,
                        page,
                        PAGE_SIZE,
                        category=None if self.category_filter == "all" else self.category_filter,
                        tag=self.tag_filter or None,
                        media_type=None if self.media_filter == "all" else self.media_filter,
                        username=self.author_filter or None,
                        sort_by=self.sort_by,
                        q=self.search_text or None,
                    )
                new_cards = [card_view(e, explain=self.own_view) for e in result.entries]
        except SmartSpecError as exc:
            self.cards, self.total, self.has_more = [], 0, False
            self.not_found = isinstance(exc, NotFound) or exc.field == "category"
            self.list_error = exc.message
            return
        self.cards = new_cards if page == 1 else self.cards + new_cards
        self.page, self.total, self.has_more = page, result.total, result.has_more

    @rx.event
    def load_more(self):
        if self.has_more:
            self._load(self._current_user(), self.page + 1)

    @rx.event
    def search(self, form_data: dict):
        """The search box: the listing's own URL with ?q= (so it can be shared and reloaded)."""
        search = gallery_search.parse(str(form_data.get("q", "") or ""))
        params = {"q": search.text} if search else {}
        if self.media_filter != "all":
            params["type"] = self.media_filter
        if self.sort_by not in ("relevance", "trending"):
            params["sort"] = self.sort_by
        path = self.router.url.path or "/gallery"
        return rx.redirect(path + (f"?{urlencode(params)}" if params else ""))

    @rx.event
    def set_sort(self, value: str):
        if value in gallery_feed.SEARCH_SORTS:
            self.sort_by = value
            self._load(self._current_user(), 1)

    @rx.event
    def set_media_filter(self, value: str | list[str]):
        value = value[0] if isinstance(value, list) else value
        if value == "all" or value in gallery.MEDIA_TYPES:
            self.media_filter = value
            self._load(self._current_user(), 1)

    @rx.event
    def choose_category(self, value: str):
        path = "/gallery" if value == "all" else f"/gallery/category/{quote(value)}"
        return rx.redirect(path + (f"?{urlencode({'q': self.search_text})}" if self.search_text else ""))

    @rx.event
    def set_visibility(self, item_id: str, visibility: str):
        """The author changes an item's visibility from their own page."""
        user = self._current_user()
        if user is None:
            return rx.redirect("/login?next=/gallery")
        try:
            with session_scope() as session:
                gallery.update_item(session, user, item_id, visibility=visibility)
        except SmartSpecError as exc:
            return rx.toast.error(exc.message)
        self.cards = [dataclasses.replace(c, visibility=visibility) if c.id == item_id else c for c in self.cards]
        return rx.toast.success(f"Now {visibility}")
