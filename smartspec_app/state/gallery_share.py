"""The "Share to gallery" dialog of a completed task on the generation page."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from smartspec_app.models import GalleryVisibility
from smartspec_app.services import gallery
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import Conflict, SmartSpecError
from smartspec_app.services.gallery import CATEGORIES
from smartspec_app.services.storage import get_storage
from smartspec_app.settings import get_settings
from smartspec_app.state.auth import AuthState


class GalleryShareState(AuthState):
    share_open: bool = False
    share_task_id: str = ""
    share_title: str = ""
    share_error: str = ""
    share_field: str = ""
    visibility_options: list[str] = list(GalleryVisibility.ALL)

    @rx.var
    def category_options(self) -> list[dict[str, str]]:
        return [{"value": k, "label": v} for k, v in CATEGORIES.items()]

    @rx.event
    def open_share(self, task_id: str, prompt: str):
        self.share_task_id = task_id
        self.share_title = gallery.suggest_title(prompt)
        self.share_error, self.share_field = "", ""
        self.share_open = True

    @rx.event
    def set_share_open(self, value: bool):
        self.share_open = value

    @rx.event
    def share(self, form: dict):
        user = self._current_user()
        if user is None:
            return rx.redirect("/login?next=/generate")
        try:
            with session_scope() as session:
                item = gallery.share_to_gallery(
                    session,
                    get_storage(),
                    user,
                    self.share_task_id,
                    str(form.get("title", "")),
                    str(form.get("description", "")),
                    str(form.get("category", "") or "general"),
                    str(form.get("tags", "")),
                    str(form.get("visibility", "") or GalleryVisibility.PUBLIC),
                    auto_approve=get_settings().gallery_auto_approve,
                )
                slug = item.slug
        except Conflict as exc:
            if "slug" in exc.details:  # already shared: go to it
                self.share_open = False
                return rx.redirect(f"/gallery/{quote(str(exc.details['slug']))}")
            self.share_error, self.share_field = exc.message, exc.field or ""
            return
        except SmartSpecError as exc:
            self.share_error, self.share_field = exc.message, exc.field or ""
            return
        self.share_open = False
        return rx.redirect(f"/gallery/{quote(slug)}")
