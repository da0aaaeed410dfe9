"""Make the WebP renditions (services/pictures.py) of gallery items shared before they existed.

Items without a recorded picture size are the ones left; with `everything`, every item again.
Each item is committed on its own, so an interrupted run loses nothing and the next run carries
on with what is left. Items whose picture cannot be made are reported and tried again next time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from smartspec_app.models import GalleryItem
from smartspec_app.services import gallery, pictures
from smartspec_app.services.storage import Storage
from smartspec_app.services.wording import counted


@dataclass
class BackfillReport:
    made: int = 0
    renditions: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # item id → why


def backfill(
    session: Session,
    storage: Storage,
    *,
    everything: bool = False,
    batch: int = 100,
    on_item: Callable[[GalleryItem, str], None] | None = None,
) -> BackfillReport:
    """Render the items that have no renditions (or all), in id order; `on_item(item, outcome)` hears of each."""
    report = BackfillReport()
    last_id = ""
    while True:
        query = select(GalleryItem).where(col(GalleryItem.id) > last_id)
        if not everything:
            query = query.where(col(GalleryItem.picture_width).is_(None))
        items = session.exec(query.order_by(col(GalleryItem.id)).limit(batch)).all()
        if not items:
            return report
        for item in items:
            last_id = item.id
            outcome = _backfill_item(session, storage, item, report)
            session.commit()
            if on_item is not None:
                on_item(item, outcome)


def _backfill_item(session: Session, storage: Storage, item: GalleryItem, report: BackfillReport) -> str:
    media_key = storage.key_from_url(item.media_url)
    thumb_key = storage.key_from_url(item.thumbnail_url) if item.thumbnail_url else None
    source = pictures.picture_key(item.media_type, media_key, thumb_key)
    if not source:
        report.failed[item.id] = "it has no picture in the configured storage (no thumbnail, or media stored elsewhere)"
        return report.failed[item.id]
    try:
        picture, keys = pictures.make_renditions(storage, item.id, source)
    except (pictures.PictureError, OSError) as exc:
        report.failed[item.id] = f"{source}: {exc}"
        return report.failed[item.id]
    gallery.apply_picture(item, picture)
    session.add(item)
    report.made += 1
    report.renditions += len(keys)
    return f"{counted(len(keys), 'rendition')} ({', '.join(f'{w}w' for w in picture.widths)})"
