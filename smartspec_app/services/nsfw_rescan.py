"""Scan gallery items the NSFW detector has not seen: those shared before a detector was installed
(or while it failed), or, with `everything`, every image and video again (a new model or threshold).

Each verdict is recorded as a screening on sharing is (scores, `nsfw_flagged`, a "screen" row in the
audit log). A flagged item that is approved goes back to `pending`, out of the public gallery, for a
moderator. Nothing else changes status: a clean item that waits keeps waiting (a bulk approve in the
admin panel clears those), and a rejected item stays rejected. Every item is committed on its own,
so an interrupted run loses nothing and the next run carries on with what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from smartspec_app.models import GalleryItem, utcnow
from smartspec_app.services import moderation, nsfw
from smartspec_app.services.storage import Storage

SCANNABLE = ("image", "video")


@dataclass
class RescanReport:
    scanned: int = 0
    flagged: int = 0
    hidden: int = 0  # flagged items that were approved and went back to pending
    failed: dict[str, str] = field(default_factory=dict)  # item id → why it could not be scanned


def rescan(
    session: Session,
    storage: Storage,
    detector: nsfw.NsfwDetector,
    threshold: float,
    *,
    everything: bool = False,
    batch: int = 100,
    on_item: Callable[[GalleryItem, str], None] | None = None,
) -> RescanReport:
    """Scan the items that were never scanned (or every image and video), in id order;
    `on_item(item, outcome)` hears of each: "flagged", "clean", or why it could not be scanned."""
    report = RescanReport()
    last_id = ""
    while True:
        query = select(GalleryItem).where(col(GalleryItem.media_type).in_(SCANNABLE), col(GalleryItem.id) > last_id)
        if not everything:
            query = query.where(col(GalleryItem.nsfw_checked_at).is_(None))
        items = session.exec(query.order_by(col(GalleryItem.id)).limit(batch)).all()
        if not items:
            return report
        for item in items:
            last_id = item.id
            outcome = _rescan_item(session, storage, detector, threshold, item, report)
            session.commit()
            if on_item is not None:
                on_item(item, outcome)


def _rescan_item(
    session: Session, storage: Storage, detector: nsfw.NsfwDetector, threshold: float, item: GalleryItem, report: RescanReport
) -> str:
    media_key = storage.key_from_url(item.media_url)
    if media_key is None:
        report.failed[item.id] = f"its media ({item.media_url}) is not in the configured storage"
        return report.failed[item.id]
    thumb_key = storage.key_from_url(item.thumbnail_url) if item.thumbnail_url else None
    screening = nsfw.screen_media(storage, item.media_type, media_key, thumb_key, detector, threshold)
    if not screening.scanned:
        report.failed[item.id] = screening.error or "nothing to scan"
        return report.failed[item.id]
    report.scanned += 1
    moderation.copy_verdict(item, screening)
    if screening.flagged:
        report.flagged += 1
        if item.moderation_status == moderation.APPROVED:
            item.moderation_status = moderation.PENDING
            report.hidden += 1
    item.updated_at = utcnow()
    session.add(item)
    moderation.record_screening(session, item, screening)
    return "flagged" if screening.flagged else "clean"
