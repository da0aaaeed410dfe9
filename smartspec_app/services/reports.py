"""Community reports: a signed-in user reports a gallery item with a reason.

One report per user and item (a second one is a Conflict); authors cannot report their own items.
`reports_count` on the item is the number of open reports, recounted on every report. When it
reaches GALLERY_REPORT_THRESHOLD an approved item goes back to `pending` (hidden from the public)
until a moderator approves or rejects it, which closes the reports (`moderation.resolve_reports`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from smartspec_app.models import GalleryItem, GalleryReport, User, utcnow
from smartspec_app.services import gallery, moderation
from smartspec_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from smartspec_app.services.text_rules import check_text

REASONS: dict[str, str] = {
    "nsfw": "Sexual or explicit content",
    "violence": "Violence or gore",
    "hate": "Hate or harassment",
    "spam": "Spam or scam",
    "copyright": "Copyright or someone else's work",
    "other": "Something else",
}
MAX_DETAILS = 1000


@dataclass(frozen=True)
class ReportOutcome:
    report: GalleryReport
    reports_count: int  # open reports on the item, this one included
    hidden: bool  # this report put the item back into review


def clean_reason(reason: str) -> str:
    reason = check_text(reason or "", "reason", "The reason").strip().lower()
    if reason not in REASONS:
        raise ValidationError(f"Pick a reason: {', '.join(REASONS)}", field="reason")
    return reason


def open_reports_count(session: Session, item_id: str) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(GalleryReport)
            .where(GalleryReport.item_id == item_id, col(GalleryReport.resolved_at).is_(None))
        ).one()
    )


def has_reported(session: Session, user: User | None, item_id: str) -> bool:
    if user is None:
        return False
    found = session.exec(select(GalleryReport.id).where(GalleryReport.item_id == item_id, GalleryReport.user_id == user.id)).first()
    return found is not None


def _insert_once(session: Session, values: dict[str, Any]) -> bool:
    """INSERT the report unless (item, user) already has one; True when written. No savepoint (pysqlite's are unreliable)."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        return session.exec(insert(GalleryReport).values(**values).on_conflict_do_nothing()).rowcount == 1
    try:
        with session.begin_nested():
            session.add(GalleryReport(**values))
        return True
    except IntegrityError:
        return False


def report_item(session: Session, user: User, item_id: str, reason: str, details: str = "", *, threshold: int) -> ReportOutcome:
    """Record `user`'s report; at `threshold` open reports an approved item is hidden pending review."""
    item = session.get(GalleryItem, item_id)
    if item is None or not gallery.can_view(item, user):
        raise NotFound("No such gallery item")
    if item.user_id == user.id:
        raise PermissionDenied("You cannot report your own item")
    reason, details = clean_reason(reason), check_text(details or "", "details", "The details").strip()
    if len(details) > MAX_DETAILS:
        raise ValidationError(f"Keep the details under {MAX_DETAILS} characters", field="details")
    if has_reported(session, user, item_id):
        raise Conflict("You have already reported this item")
    if not _insert_once(session, {"item_id": item.id, "user_id": user.id, "reason": reason, "details": details, "created_at": utcnow()}):
        raise Conflict("You have already reported this item")  # the same user reporting twice at the same moment
    report = session.exec(select(GalleryReport).where(GalleryReport.item_id == item.id, GalleryReport.user_id == user.id)).one()
    count = open_reports_count(session, item.id)
    item.reports_count = count
    hidden = count >= threshold and item.moderation_status == moderation.APPROVED
    if hidden:
        item.moderation_status = moderation.PENDING
        item.is_featured, item.featured_at = False, None
        moderation.record_action(session, item, None, "auto_hide", f"{count} open reports (threshold {threshold})", {"reports": count})
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    return ReportOutcome(report=report, reports_count=count, hidden=hidden)
