"""/admin/moderation and /admin/audit: the review queue, item detail, single and bulk actions, the audit log.

Every event checks the admin on the server (`AdminState._admin()`), and the services check again.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from smartspec_app.models import GalleryItem
from smartspec_app.services import gallery, moderation, text_rules
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import SmartSpecError
from smartspec_app.services.moderation import AuditEntry
from smartspec_app.services.nsfw import EXPLICIT_LABELS
from smartspec_app.services.storage import get_storage
from smartspec_app.services.wording import counted
from smartspec_app.state.admin import AdminState

PAGE_SIZE = 24
AUDIT_PAGE_SIZE = 50
DONE_WORDS = {
    "approve": "approved",
    "reject": "rejected",
    "mark_nsfw": "marked NSFW",
    "unmark_nsfw": "unmarked NSFW",
    "feature": "featured",
    "unfeature": "unfeatured",
    "delete": "deleted",
}


@dataclasses.dataclass
class QueueRow:
    id: str = ""
    title: str = ""
    author: str = ""
    href: str = ""
    media_type: str = ""
    thumbnail_url: str = ""
    status: str = ""
    score: str = ""  # the explicit score, "" when not scanned
    flagged: bool = False
    is_nsfw: bool = False
    is_featured: bool = False
    reports_count: int = 0
    created_at: str = ""


@dataclasses.dataclass
class ScoreRow:
    label: str = ""
    score: str = ""
    explicit: bool = False


@dataclasses.dataclass
class ReportRow:
    reporter: str = ""
    reason: str = ""
    details: str = ""
    created_at: str = ""
    resolution: str = ""  # "" while open


@dataclasses.dataclass
class AuditRow:
    id: int = 0
    when: str = ""
    actor: str = ""
    action: str = ""
    item_id: str = ""
    item_title: str = ""
    reason: str = ""


@dataclasses.dataclass
class ItemDetailView:
    id: str = ""
    title: str = ""
    href: str = ""
    author: str = ""
    media_type: str = ""
    media_url: str = ""
    thumbnail_url: str = ""
    prompt: str = ""
    visibility: str = ""
    status: str = ""
    moderation_reason: str = ""
    review_open: bool = False  # the author asked for a re-review and nobody has decided since
    review_note: str = ""
    is_nsfw: bool = False
    is_featured: bool = False
    featured_at: str = ""
    detector: str = ""
    score: str = ""
    flagged: bool = False
    scores: list[ScoreRow] = dataclasses.field(default_factory=list)
    reports: list[ReportRow] = dataclasses.field(default_factory=list)
    history: list[AuditRow] = dataclasses.field(default_factory=list)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def queue_row(item: GalleryItem, author: str) -> QueueRow:
    return QueueRow(
        id=item.id,
        title=item.title,
        author=author,
        href=f"/gallery/{item.slug}",
        media_type=item.media_type,
        thumbnail_url=gallery.shown_media_url(get_storage(), item, item.thumbnail_url),
        status=item.moderation_status,
        score=_score(item.nsfw_score),
        flagged=item.nsfw_flagged,
        is_nsfw=item.is_nsfw,
        is_featured=item.is_featured,
        reports_count=item.reports_count,
        created_at=_when(item.created_at),
    )


def audit_row(entry: AuditEntry) -> AuditRow:
    row = entry.action
    return AuditRow(
        id=row.id or 0,
        when=_when(row.created_at),
        actor=entry.actor,
        action=row.action,
        item_id=row.item_id or "",
        item_title=row.item_title,
        reason=row.reason,
    )


class ModerationState(AdminState):
    queue_filter: str = "pending"
    search: str = ""
    page: int = 1
    total: int = 0
    counts: dict[str, int] = {}
    rows: list[QueueRow] = []
    selected: list[str] = []
    reason: str = ""
    detail: ItemDetailView = ItemDetailView()
    detail_open: bool = False
    notice: str = ""
    error: str = ""

    @rx.var
    def filter_options(self) -> list[dict[str, str]]:
        return [{"value": k, "label": f"{v} ({self.counts.get(k, 0)})"} for k, v in moderation.FILTERS.items()]

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def all_selected(self) -> bool:
        return bool(self.rows) and all(row.id in self.selected for row in self.rows)

    def _load(self) -> None:
        with session_scope() as session:
            result = moderation.queue(session, self.queue_filter, page=self.page, page_size=PAGE_SIZE, search=self.search)
            if not result.entries and self.page > 1:
                self.page = max(1, -(-result.total // PAGE_SIZE))
                result = moderation.queue(session, self.queue_filter, page=self.page, page_size=PAGE_SIZE, search=self.search)
            self.counts = moderation.counts(session)
            self.rows = [queue_row(e.item, e.author) for e in result.entries]
            self.total = result.total
        on_page = {row.id for row in self.rows}
        self.selected = [i for i in self.selected if i in on_page]

    def _load_detail(self, item_id: str) -> bool:
        try:
            with session_scope() as session:
                found = moderation.item_detail(session, item_id)
        except SmartSpecError as exc:
            self.error, self.detail_open = exc.message, False
            return False
        item, storage = found.item, get_storage()
        scores = sorted((item.nsfw_scores or {}).items(), key=lambda kv: -kv[1])
        self.detail = ItemDetailView(
            id=item.id,
            title=item.title,
            href=f"/gallery/{item.slug}",
            author=found.author,
            media_type=item.media_type,
            media_url=gallery.shown_media_url(storage, item, item.media_url),
            thumbnail_url=gallery.shown_media_url(storage, item, item.thumbnail_url),
            prompt=item.prompt,
            visibility=item.visibility,
            status=item.moderation_status,
            moderation_reason=item.moderation_reason or "",
            review_open=item.review_open,
            review_note=item.review_note or "",
            is_nsfw=item.is_nsfw,
            is_featured=item.is_featured,
            featured_at=_when(item.featured_at),
            detector=item.nsfw_detector or "",
            score=_score(item.nsfw_score),
            flagged=item.nsfw_flagged,
            scores=[ScoreRow(label, f"{value:.2f}", label in EXPLICIT_LABELS) for label, value in scores],
            reports=[
                ReportRow(r.reporter, r.report.reason, r.report.details, _when(r.report.created_at), r.report.resolution or "")
                for r in found.reports
            ],
            history=[audit_row(e) for e in found.history],
        )
        return True

    @rx.event
    def on_load(self):
        if self._admin() is None:
            return rx.redirect("/login?next=/admin/moderation") if not self.signed_in else None
        self.notice = self.error = ""
        self.detail_open = False
        self._load()

    @rx.event
    def choose_filter(self, value: str):
        if self._admin() is None:
            return
        if value not in moderation.FILTERS:
            return
        self.queue_filter, self.page, self.selected = value, 1, []
        self._load()

    @rx.event
    def apply_search(self, form: dict):
        if self._admin() is None:
            return
        search = str(form.get("search", ""))[:200]
        if problem := text_rules.problem(search, "The search"):
            self.error = problem
            return
        self.search, self.page, self.error = search, 1, ""
        self._load()

    @rx.event
    def go_to_page(self, page: int):
        if self._admin() is None:
            return
        self.page = max(1, min(int(page), self.pages))
        self._load()

    @rx.event
    def type_reason(self, value: str):
        if self._admin() is None:
            return
        self.reason = value[: moderation.MAX_REASON]

    @rx.event
    def toggle_selected(self, item_id: str, checked: bool):
        if self._admin() is None:
            return
        if checked and item_id not in self.selected:
            self.selected = [*self.selected, item_id]
        elif not checked:
            self.selected = [i for i in self.selected if i != item_id]

    @rx.event
    def select_page(self, checked: bool):
        if self._admin() is None:
            return
        self.selected = [row.id for row in self.rows] if checked else []

    @rx.event
    def open_detail(self, item_id: str):
        if self._admin() is None:
            return
        self.error = ""
        self.detail_open = self._load_detail(item_id)

    @rx.event
    def set_detail_open(self, value: bool):
        self.detail_open = value and self._admin() is not None

    @rx.event
    def act(self, action: str, item_id: str):
        """One action on one item (from its row or its detail dialog), with the reason typed in the panel."""
        admin = self._admin()
        if admin is None:
            return
        try:
            with session_scope() as session:
                moderation.perform(session, get_storage(), admin, action, item_id, self.reason)
        except SmartSpecError as exc:
            self.error, self.notice = exc.message, ""
            return rx.toast.error(exc.message)
        self.error, self.reason = "", ""
        self.notice = f"Item {DONE_WORDS.get(action, action)}."
        if action == "delete":
            self.detail_open = False
        elif self.detail_open:
            self._load_detail(item_id)
        self._load()
        return rx.toast.success(self.notice)

    @rx.event
    def bulk_act(self, action: str):
        """The action on every selected item of the page."""
        admin = self._admin()
        if admin is None:
            return
        try:
            with session_scope() as session:
                result = moderation.bulk(session, get_storage(), admin, action, self.selected, self.reason)
        except SmartSpecError as exc:
            self.error, self.notice = exc.message, ""
            return rx.toast.error(exc.message)
        done = len(result.done)
        self.notice = f"{counted(done, 'item')} {DONE_WORDS.get(action, action)}."
        self.error = "; ".join(f"{i[:8]}…: {why}" for i, why in result.failed.items())
        self.reason, self.selected = "", []
        self._load()
        return rx.toast.success(self.notice)


class AuditState(AdminState):
    entries: list[AuditRow] = []
    audit_page: int = 1
    audit_total: int = 0
    action_filter: str = "all"

    @rx.var
    def audit_pages(self) -> int:
        return max(1, -(-self.audit_total // AUDIT_PAGE_SIZE))

    @rx.var
    def action_options(self) -> list[str]:
        return ["all", *moderation.ACTIONS, *moderation.SYSTEM_ACTIONS, *moderation.AUTHOR_ACTIONS]

    def _load(self) -> None:
        action = None if self.action_filter == "all" else self.action_filter
        with session_scope() as session:
            result = moderation.audit_log(session, page=self.audit_page, page_size=AUDIT_PAGE_SIZE, action=action)
            self.entries = [audit_row(e) for e in result.entries]
            self.audit_total = result.total

    @rx.event
    def on_load(self):
        if self._admin() is None:
            return rx.redirect("/login?next=/admin/audit") if not self.signed_in else None
        self.audit_page = 1
        self._load()

    @rx.event
    def choose_action(self, value: str):
        if self._admin() is None:
            return
        known = ("all", *moderation.ACTIONS, *moderation.SYSTEM_ACTIONS, *moderation.AUTHOR_ACTIONS)
        self.action_filter = value if value in known else "all"
        self.audit_page = 1
        self._load()

    @rx.event
    def go_to_audit_page(self, page: int):
        if self._admin() is None:
            return
        self.audit_page = max(1, min(int(page), self.audit_pages))
        self._load()
