"""Gallery moderation: the review queue, the admin actions (one item or a page of them) and the audit log.

Statuses: `pending` (waiting for a moderator: not public), `approved`, `rejected`. An item reaches
the public gallery only when approved, public and not marked NSFW (see `gallery.listed_clause`).

How an item enters (`apply_screening`, called when it is shared):
- the NSFW detector flags it, or should have scanned it and could not (none installed, an error)
  → `pending`, with its scores, for a moderator;
- otherwise the approval policy decides (GALLERY_AUTO_APPROVE): `approved` at once, or `pending`.
Community reports (`services.reports`) put an approved item back to `pending` at the threshold.

Every action writes a `ModerationAction` row: who (NULL for the system), what, when and why.
Each action checks the actor is an admin, whatever called it (page event or REST route).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, true, update
from sqlalchemy import delete as sa_delete
from sqlmodel import Session, col, select

from smartspec_app.models import GalleryItem, GalleryReport, ModerationAction, User, utcnow
from smartspec_app.services import gallery
from smartspec_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from smartspec_app.services.nsfw import Screening
from smartspec_app.services.storage import Storage
from smartspec_app.services.text_rules import check_text

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
FILTERS: dict[str, str] = {
    "pending": "Pending",
    "flagged": "Flagged by the detector",
    "reported": "Reported",
    "approved": "Approved",
    "rejected": "Rejected",
    "review": "Re-review requested",
    "all": "All",
}
ACTIONS: dict[str, str] = {
    "approve": "Approve",
    "reject": "Reject",
    "mark_nsfw": "Mark NSFW",
    "unmark_nsfw": "Unmark NSFW",
    "feature": "Feature",
    "unfeature": "Unfeature",
    "delete": "Delete",
}
SYSTEM_ACTIONS: dict[str, str] = {"screen": "Screened on sharing", "auto_hide": "Hidden by reports"}
AUTHOR_ACTIONS: dict[str, str] = {"review_requested": "Re-review requested by the author"}  # services/author_moderation.py
MAX_PAGE_SIZE = 100
MAX_BULK = 100
MAX_REASON = 1000


@dataclass(frozen=True)
class QueueEntry:
    item: GalleryItem
    author: str


@dataclass(frozen=True)
class QueuePage:
    entries: list[QueueEntry]
    total: int
    page: int
    page_size: int


@dataclass(frozen=True)
class AuditEntry:
    action: ModerationAction
    actor: str  # the admin's username, or "system"


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    page_size: int


@dataclass(frozen=True)
class ReportEntry:
    report: GalleryReport
    reporter: str


@dataclass(frozen=True)
class ItemDetail:
    item: GalleryItem
    author: str
    reports: list[ReportEntry]
    history: list[AuditEntry]


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # item id → why


# --- entering the gallery -------------------------------------------------------------------


def initial_status(screening: Screening, *, auto_approve: bool) -> str:
    """The approval policy: flagged or unscanned media waits; clean items follow GALLERY_AUTO_APPROVE."""
    if screening.needs_review:
        return PENDING
    return APPROVED if auto_approve else PENDING


def apply_screening(item: GalleryItem, screening: Screening, *, auto_approve: bool) -> None:
    """Copy the detector's verdict onto a new item and set its first status."""
    copy_verdict(item, screening)
    item.moderation_status = initial_status(screening, auto_approve=auto_approve)


def copy_verdict(item: GalleryItem, screening: Screening) -> None:
    """The detector's scores, flag and name on the item (`nsfw_checked_at` only when it scanned)."""
    item.nsfw_scores = dict(screening.scores)
    item.nsfw_score = screening.score
    item.nsfw_flagged = screening.flagged
    item.nsfw_detector = (f"{screening.detector} (error)" if screening.error else screening.detector)[:60]
    item.nsfw_checked_at = utcnow() if screening.scanned else None


def record_screening(session: Session, item: GalleryItem, screening: Screening) -> ModerationAction:
    """The audit row of the automatic decision made when an item is shared."""
    if screening.flagged:
        why = f"flagged by {screening.detector}: explicit score {screening.score:.2f}"
    elif screening.error:
        why = f"manual review: {screening.error}"
    elif screening.scanned:
        why = f"clean by {screening.detector} (explicit score {screening.score or 0.0:.2f})"
    else:
        why = "not scanned (no picture to look at)"
    details = {"status": item.moderation_status, "scores": dict(screening.scores), "frames": screening.frames}
    return record_action(session, item, None, "screen", why, details)


# --- the audit log ---------------------------------------------------------------------------


def record_action(
    session: Session, item: GalleryItem | None, actor: User | None, action: str, reason: str = "", details: dict[str, Any] | None = None
) -> ModerationAction:
    """Write one audit row (the caller commits)."""
    row = ModerationAction(
        item_id=item.id if item else None,
        item_title=(item.title if item else "")[:200],
        actor_id=actor.id if actor else None,
        action=action,
        reason=reason,
        details=details or {},
    )
    session.add(row)
    return row


def _usernames(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.exec(select(User.id, User.username).where(col(User.id).in_(wanted))).all())  # type: ignore[arg-type]


def _audit_entries(session: Session, rows: list[ModerationAction]) -> list[AuditEntry]:
    names = _usernames(session, (row.actor_id for row in rows))
    return [AuditEntry(row, names.get(row.actor_id, "system") if row.actor_id else "system") for row in rows]


def audit_log(session: Session, *, page: int = 1, page_size: int = 50, item_id: str | None = None, action: str | None = None) -> AuditPage:
    """The audit log, newest first, optionally for one item or one kind of action."""
    page, page_size = max(1, page), max(1, min(page_size, MAX_PAGE_SIZE))
    check_text(item_id or "", "item_id", "The item filter")
    check_text(action or "", "action", "The action filter")
    conditions: list[ColumnElement[bool]] = []
    if item_id:
        conditions.append(col(ModerationAction.item_id) == item_id)
    if action:
        conditions.append(col(ModerationAction.action) == action)
    where = and_(true(), *conditions)
    total = session.exec(select(func.count()).select_from(ModerationAction).where(where)).one()
    rows = session.exec(
        select(ModerationAction)
        .where(where)
        .order_by(col(ModerationAction.created_at).desc(), col(ModerationAction.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return AuditPage(_audit_entries(session, list(rows)), int(total), page, page_size)


# --- the queue -------------------------------------------------------------------------------


def filter_clause(name: str) -> ColumnElement[bool]:
    """SQL for a queue filter (see FILTERS)."""
    status = col(GalleryItem.moderation_status)
    clauses: dict[str, ColumnElement[bool]] = {
        "pending": status == PENDING,
        "flagged": and_(status == PENDING, col(GalleryItem.nsfw_flagged) == true()),
        "reported": col(GalleryItem.reports_count) > 0,
        "approved": status == APPROVED,
        "rejected": status == REJECTED,
        "review": col(GalleryItem.review_open) == true(),
        "all": true(),
    }
    if name not in clauses:
        raise ValidationError(f"Unknown filter {name!r}; use one of {', '.join(FILTERS)}", field="filter")
    return clauses[name]


def queue(session: Session, filter_name: str = "pending", *, page: int = 1, page_size: int = 24, search: str = "") -> QueuePage:
    """A page of items for review, oldest first for pending work, newest first otherwise."""
    page, page_size = max(1, page), max(1, min(page_size, MAX_PAGE_SIZE))
    where = filter_clause(filter_name)
    search = check_text(search or "", "q", "The search")
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        where = and_(where, or_(func.lower(GalleryItem.title).like(pattern), func.lower(GalleryItem.prompt).like(pattern)))
    total = session.exec(select(func.count()).select_from(GalleryItem).where(where)).one()
    created = col(GalleryItem.created_at)
    order = (
        (created.asc(), col(GalleryItem.id).asc())
        if filter_name in ("pending", "flagged", "reported", "review")
        else (created.desc(), col(GalleryItem.id).desc())
    )
    rows = session.exec(
        select(GalleryItem, User.username)
        .join(User, col(User.id) == GalleryItem.user_id)
        .where(where)
        .order_by(*order)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return QueuePage([QueueEntry(item, author) for item, author in rows], int(total), page, page_size)


def counts(session: Session) -> dict[str, int]:
    """How many items each filter holds (the backlog)."""
    return {name: int(session.exec(select(func.count()).select_from(GalleryItem).where(filter_clause(name))).one()) for name in FILTERS}


def item_detail(session: Session, item_id: str) -> ItemDetail:
    """An item with its author, every report (open first) and its moderation history."""
    item = session.get(GalleryItem, item_id)
    if item is None:
        raise NotFound("No such gallery item")
    author = session.exec(select(User.username).where(User.id == item.user_id)).one()
    report_rows = session.exec(
        select(GalleryReport, User.username)
        .join(User, col(User.id) == GalleryReport.user_id)
        .where(GalleryReport.item_id == item_id)
        .order_by(col(GalleryReport.resolved_at).is_not(None), col(GalleryReport.created_at).desc())
    ).all()
    history = audit_log(session, item_id=item_id, page_size=MAX_PAGE_SIZE).entries
    return ItemDetail(item, author, [ReportEntry(r, name) for r, name in report_rows], history)


# --- actions ---------------------------------------------------------------------------------


def require_admin(actor: User | None) -> User:
    if actor is None or not actor.is_admin or not actor.is_active:
        raise PermissionDenied("Only admins can moderate the gallery")
    return actor


def _item(session: Session, item_id: str) -> GalleryItem:
    item = session.get(GalleryItem, item_id)
    if item is None:
        raise NotFound("No such gallery item")
    return item


def _clean_reason(reason: str | None) -> str:
    reason = check_text(reason or "", "reason", "The reason").strip()
    if len(reason) > MAX_REASON:
        raise ValidationError(f"Keep the reason under {MAX_REASON} characters", field="reason")
    return reason


def resolve_reports(session: Session, item: GalleryItem, resolution: str) -> int:
    """Close the item's open reports with `resolution`; returns how many were open."""
    result = session.exec(
        update(GalleryReport)
        .where(col(GalleryReport.item_id) == item.id, col(GalleryReport.resolved_at).is_(None))
        .values(resolved_at=utcnow(), resolution=resolution)
    )
    item.reports_count = 0
    return int(result.rowcount or 0)


def _touch(session: Session, item: GalleryItem) -> None:
    item.updated_at = utcnow()
    session.add(item)


def _decide(item: GalleryItem, details: dict[str, Any]) -> dict[str, Any]:
    """A moderator's decision answers the author's open re-review request, if any (noted in the audit row)."""
    if item.review_open:
        item.review_open = False
        details["review_answered"] = True
    return details


def approve(session: Session, actor: User, item_id: str, reason: str = "") -> GalleryItem:
    """Approve: the item may be public (if its owner made it public and it is not marked NSFW); open reports close."""
    require_admin(actor)
    item, reason = _item(session, item_id), _clean_reason(reason)
    before = item.moderation_status
    item.moderation_status, item.moderation_reason = APPROVED, reason or None
    closed = resolve_reports(session, item, "approved")
    _touch(session, item)
    record_action(session, item, actor, "approve", reason, _decide(item, {"from": before, "reports_closed": closed}))
    session.flush()
    return item


def reject(session: Session, actor: User, item_id: str, reason: str) -> GalleryItem:
    """Reject with a reason (required): never public; unfeatured; open reports close."""
    require_admin(actor)
    item, reason = _item(session, item_id), _clean_reason(reason)
    if not reason:
        raise ValidationError("Say why the item is rejected", field="reason")
    before = item.moderation_status
    item.moderation_status, item.moderation_reason = REJECTED, reason
    item.is_featured, item.featured_at = False, None
    closed = resolve_reports(session, item, "rejected")
    _touch(session, item)
    record_action(session, item, actor, "reject", reason, _decide(item, {"from": before, "reports_closed": closed}))
    session.flush()
    return item


def mark_nsfw(session: Session, actor: User, item_id: str, nsfw: bool = True, reason: str = "") -> GalleryItem:
    """Mark (or unmark) NSFW: a marked item is never listed or viewable by link; it is also unfeatured."""
    require_admin(actor)
    item, reason = _item(session, item_id), _clean_reason(reason)
    item.is_nsfw = nsfw
    if nsfw:
        item.is_featured, item.featured_at = False, None
        item.moderation_reason = reason or None  # what the author is told (services/author_moderation.py)
    _touch(session, item)
    record_action(session, item, actor, "mark_nsfw" if nsfw else "unmark_nsfw", reason, _decide(item, {}))
    session.flush()
    return item


def feature(session: Session, actor: User, item_id: str, featured: bool = True, reason: str = "") -> GalleryItem:
    """Feature (sets featured_at) or unfeature. Only an approved item that is not NSFW can be featured."""
    require_admin(actor)
    item, reason = _item(session, item_id), _clean_reason(reason)
    if featured and (item.moderation_status != APPROVED or item.is_nsfw):
        raise Conflict("Only approved items that are not NSFW can be featured", details={"moderation_status": item.moderation_status})
    item.is_featured = featured
    item.featured_at = utcnow() if featured else None
    _touch(session, item)
    record_action(session, item, actor, "feature" if featured else "unfeature", reason)
    session.flush()
    return item


def delete(session: Session, storage: Storage, actor: User, item_id: str, reason: str = "") -> None:
    """Delete the item, its reports, likes, views and media; the audit row keeps its id and title."""
    require_admin(actor)
    item, reason = _item(session, item_id), _clean_reason(reason)
    record_action(session, item, actor, "delete", reason, {"slug": item.slug, "author_id": item.user_id, "status": item.moderation_status})
    session.exec(sa_delete(GalleryReport).where(col(GalleryReport.item_id) == item.id))
    session.flush()
    gallery.delete_item(session, storage, actor, item.id)


def perform(session: Session, storage: Storage, actor: User, action: str, item_id: str, reason: str = "") -> GalleryItem | None:
    """Run one named action (see ACTIONS) on one item; None after a delete."""
    require_admin(actor)
    if action == "approve":
        return approve(session, actor, item_id, reason)
    if action == "reject":
        return reject(session, actor, item_id, reason)
    if action in ("mark_nsfw", "unmark_nsfw"):
        return mark_nsfw(session, actor, item_id, action == "mark_nsfw", reason)
    if action in ("feature", "unfeature"):
        return feature(session, actor, item_id, action == "feature", reason)
    if action == "delete":
        delete(session, storage, actor, item_id, reason)
        return None
    raise ValidationError(f"Unknown action {action!r}; use one of {', '.join(ACTIONS)}", field="action")


def bulk(session: Session, storage: Storage, actor: User, action: str, item_ids: Iterable[str], reason: str = "") -> BulkResult:
    """The same action on several items. An item that cannot take it (gone, not featurable) is reported in
    `failed` and the others go ahead; every check runs before anything is written, so a failed item is untouched."""
    require_admin(actor)
    if action not in ACTIONS:
        raise ValidationError(f"Unknown action {action!r}; use one of {', '.join(ACTIONS)}", field="action")
    ids = list(dict.fromkeys(str(i) for i in item_ids if i))
    if not ids:
        raise ValidationError("Select at least one item", field="item_ids")
    if len(ids) > MAX_BULK:
        raise ValidationError(f"Select at most {MAX_BULK} items at a time", field="item_ids")
    reason = _clean_reason(reason)  # once, up front: a bad reason is the request's fault, not each item's
    if action == "reject" and not reason:
        raise ValidationError("Say why the items are rejected", field="reason")
    result = BulkResult()
    for item_id in ids:
        try:
            perform(session, storage, actor, action, item_id, reason)
        except (NotFound, Conflict, ValidationError) as exc:
            result.failed[item_id] = exc.message
        else:
            result.done.append(item_id)
    return result
