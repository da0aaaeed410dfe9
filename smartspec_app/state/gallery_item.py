"""/gallery/[gallery_slug]: one item — media, likes, views, share links, "generate similar", the author's edits."""

from __future__ import annotations

import dataclasses
from urllib.parse import quote, urlencode

import reflex as rx

from smartspec_app.models import User
from smartspec_app.services import author_moderation, gallery, gallery_engagement
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import NotFound, SmartSpecError
from smartspec_app.services.gallery import CATEGORIES
from smartspec_app.services.storage import get_storage
from smartspec_app.services.text_rules import without_bidi
from smartspec_app.settings import get_settings
from smartspec_app.state.auth import AuthState
from smartspec_app.state.gallery import GalleryItemView, item_view, route_arg


@dataclasses.dataclass
class ModerationView:
    """The author's view of the item's moderation (services/author_moderation.ModerationNotice)."""

    shown: bool = False
    state: str = ""
    headline: str = ""
    reason: str = ""
    labels: list[str] = dataclasses.field(default_factory=list)
    listed: bool = False
    review_requested: str = ""  # the date of the author's re-review request, "" if none
    review_note: str = ""
    review_open: bool = False
    can_request_review: bool = False


def moderation_view(notice: author_moderation.ModerationNotice) -> ModerationView:
    return ModerationView(
        shown=True,
        state=notice.state,
        headline=notice.headline,
        reason=notice.reason,
        labels=[f"{label.words} ({label.score:.2f})" for label in notice.labels],
        listed=notice.listed,
        review_requested=notice.review_requested_at.strftime("%Y-%m-%d") if notice.review_requested_at else "",
        review_note=notice.review_note,
        review_open=notice.review_open,
        can_request_review=notice.can_request_review,
    )


class GalleryItemState(AuthState):
    item: GalleryItemView = GalleryItemView()
    moderation: ModerationView = ModerationView()  # for the author (and admins) only
    is_author: bool = False
    review_dialog_open: bool = False
    review_error: str = ""
    found: bool = False
    loaded: bool = False
    liked: bool = False
    likes_count: int = 0
    is_owner: bool = False
    page_url: str = ""
    edit_open: bool = False
    edit_error: str = ""
    edit_field: str = ""

    @rx.var
    def page_title(self) -> str:
        """The document's <title>: no bidi marks (text_rules.without_bidi), nothing isolates them there."""
        return f"{without_bidi(self.item.title)} · SmartSpec Pro Gallery" if self.found else "Gallery · SmartSpec Pro"

    @rx.var
    def share_x_url(self) -> str:
        return "https://twitter.com/intent/tweet?" + urlencode({"url": self.page_url, "text": self.item.title})

    @rx.var
    def share_facebook_url(self) -> str:
        return "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": self.page_url})

    @rx.var
    def share_reddit_url(self) -> str:
        return "https://www.reddit.com/submit?" + urlencode({"url": self.page_url, "title": self.item.title})

    @rx.var
    def generate_similar_url(self) -> str:
        return "/generate?" + urlencode({"prompt": self.item.prompt, "model": self.item.model_id})

    @rx.var
    def category_options(self) -> list[dict[str, str]]:
        return [{"value": k, "label": v} for k, v in CATEGORIES.items()]

    def _viewer_key(self, user: User | None) -> str:
        if user is not None:
            return gallery_engagement.viewer_key(user_id=user.id)
        return gallery_engagement.viewer_key(ip=self.router.session.client_ip, user_agent=self.router.headers.user_agent)

    @rx.event
    def on_load(self):
        user = self._current_user()
        slug = route_arg(self, "gallery_slug")
        self.loaded, self.found, self.edit_open, self.review_dialog_open = False, False, False, False
        self.moderation, self.is_author = ModerationView(), False
        with session_scope() as session:
            try:
                match = gallery.get_for_viewer(session, slug, user)
            except NotFound:
                self.item, self.loaded = GalleryItemView(), True
                return
            item = match.entry.item
            if match.moved:
                return rx.redirect(f"/gallery/{quote(item.slug)}", replace=True)
            gallery_engagement.record_view(session, item.id, self._viewer_key(user))
            session.refresh(item)
            self.item = item_view(match.entry)
            self.likes_count = item.likes_count
            self.liked = gallery_engagement.has_liked(session, user, item.id)
            self.is_owner = gallery.can_edit(item, user)
            self.is_author = user is not None and user.id == item.user_id
            threshold = get_settings().nsfw_threshold
            self.moderation = moderation_view(author_moderation.notice_for(session, item, threshold)) if self.is_owner else ModerationView()
        base = get_settings().public_base_url or self.router.url.origin
        self.page_url = f"{base.rstrip('/')}/gallery/{quote(self.item.slug)}"
        self.found, self.loaded = True, True

    @rx.event
    def toggle_like(self):
        user = self._current_user()
        if user is None:
            return rx.redirect(f"/login?next=/gallery/{quote(self.item.slug)}")
        try:
            with session_scope() as session:
                state = gallery_engagement.toggle_like(session, user, self.item.id)
        except SmartSpecError as exc:
            return rx.toast.error(exc.message)
        self.liked, self.likes_count = state.liked, state.likes_count

    @rx.event
    def delete_item(self):
        """The author (or an admin) deletes the item and its media; checked on the server."""
        user = self._current_user()
        if user is None:
            return rx.redirect(f"/login?next=/gallery/{quote(self.item.slug)}")
        try:
            with session_scope() as session:
                gallery.delete_item(session, get_storage(), user, self.item.id)
        except SmartSpecError as exc:
            return rx.toast.error(exc.message)
        self.found, self.item = False, GalleryItemView()
        return [rx.redirect(f"/gallery/user/{quote(user.username)}"), rx.toast.success("Deleted from the gallery")]

    @rx.event
    def set_review_dialog_open(self, value: bool):
        self.review_dialog_open, self.review_error = value, ""

    @rx.event
    def request_review(self, form: dict):
        """The author asks, once, for a moderator to look again (checked on the server)."""
        user = self._current_user()
        if user is None:
            return rx.redirect(f"/login?next=/gallery/{quote(self.item.slug)}")
        try:
            with session_scope() as session:
                notice = author_moderation.request_review(
                    session, user, self.item.id, str(form.get("note", "")), get_settings().nsfw_threshold
                )
        except SmartSpecError as exc:
            self.review_error = exc.message
            return
        self.moderation, self.review_dialog_open = moderation_view(notice), False
        return rx.toast.success("Re-review requested: a moderator will look again")

    @rx.event
    def copy_link(self):
        return [rx.set_clipboard(self.page_url), rx.toast.success("Link copied")]

    @rx.event
    def set_edit_open(self, value: bool):
        self.edit_open = value
        self.edit_error, self.edit_field = "", ""

    @rx.event
    def save_edit(self, form: dict):
        """The author edits title, description, category, tags and visibility; a new title moves the URL."""
        user = self._current_user()
        if user is None:
            return rx.redirect(f"/login?next=/gallery/{quote(self.item.slug)}")
        try:
            with session_scope() as session:
                item = gallery.update_item(
                    session,
                    user,
                    self.item.id,
                    title=str(form.get("title", "")),
                    description=str(form.get("description", "")),
                    category=str(form.get("category", "") or self.item.category),
                    tags=str(form.get("tags", "")),
                    visibility=str(form.get("visibility", "") or self.item.visibility),
                )
                slug = item.slug
        except SmartSpecError as exc:
            self.edit_error, self.edit_field = exc.message, exc.field or ""
            return
        self.edit_open = False
        return rx.redirect(f"/gallery/{quote(slug)}", replace=True)
