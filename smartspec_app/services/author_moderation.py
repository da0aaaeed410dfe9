"""What the author of a gallery item is told about its moderation, and their one re-review request.

An author sees, on their item's page, in "My gallery" and in the API, where the item stands and
why: the reason the moderator gave (a rejection, an NSFW mark), the labels the nudity detector
found (a flag), or the reports that hid it. When the item was rejected, flagged, marked NSFW or
hidden by reports, the author may ask once for another look, with a note for the moderators: a
rejected item goes back to `pending`, every such item shows under the queue's "Re-review requested"
filter until a moderator decides (services/moderation.py closes the request), and the request is
in the audit log. A second request is refused: the first one's date stays on the item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from smartspec_app.models import GalleryItem, GalleryReport, User, utcnow
from smartspec_app.services import gallery, moderation, reports
from smartspec_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from smartspec_app.services.nsfw import EXPLICIT_LABELS
from smartspec_app.services.wording import counted

MAX_NOTE = 1000
LABEL_WORDS = {
    "FEMALE_GENITALIA_EXPOSED": "exposed female genitalia",
    "MALE_GENITALIA_EXPOSED": "exposed male genitalia",
    "FEMALE_BREAST_EXPOSED": "exposed female breast",
    "BUTTOCKS_EXPOSED": "exposed buttocks",
    "ANUS_EXPOSED": "exposed anus",
}


@dataclass(frozen=True)
class DetectorLabel:
    label: str  # the detector's own name, e.g. FEMALE_BREAST_EXPOSED
    words: str  # for people: "exposed female breast"
    score: float


@dataclass(frozen=True)
class ModerationNotice:
    """Where an item stands, in words its author can act on."""

    status: str  # pending | approved | rejected
    state: str  # approved | waiting | flagged | reported | nsfw | rejected
    headline: str
    reason: str  # the moderator's words, the detector's findings or the reports, "" when there is nothing to explain
    labels: tuple[DetectorLabel, ...]
    listed: bool  # shown in the public gallery (also needs a public visibility)
    review_requested_at: datetime | None
    review_note: str
    review_open: bool
    can_request_review: bool


def detector_labels(item: GalleryItem, threshold: float) -> tuple[DetectorLabel, ...]:
    """The explicit labels that scored at or over `threshold`, highest first (the top one alone when the
    threshold was raised since the scan)."""
    explicit = sorted(((k, v) for k, v in (item.nsfw_scores or {}).items() if k in EXPLICIT_LABELS), key=lambda kv: -kv[1])
    found = [(k, v) for k, v in explicit if v >= threshold] or explicit[:1]
    return tuple(DetectorLabel(k, LABEL_WORDS.get(k, k.lower().replace("_", " ")), round(float(v), 2)) for k, v in found)


def _state(item: GalleryItem) -> str:
    if item.moderation_status == moderation.REJECTED:
        return "rejected"
    if item.is_nsfw:
        return "nsfw"
    if item.moderation_status == moderation.PENDING and item.nsfw_flagged:
        return "flagged"
    if item.moderation_status == moderation.PENDING and item.reports_count > 0:
        return "reported"
    return "waiting" if item.moderation_status == moderation.PENDING else "approved"


HEADLINES = {
    "approved": "Approved",
    "waiting": "Waiting for a moderator",
    "flagged": "Flagged by the nudity detector: waiting for a moderator",
    "reported": "Hidden after reports: waiting for a moderator",
    "nsfw": "Marked NSFW by a moderator: not shown in the gallery",
    "rejected": "Rejected by a moderator",
}
REVIEWABLE = frozenset({"rejected", "nsfw", "flagged", "reported"})


MEDIA_WORDS = {"image": "picture", "video": "video"}  # what the nudity detector scans (services/nsfw.py)


def waiting_reason(item: GalleryItem) -> str:
    """Why an item waits for a person, in the words of its media: audio is never scanned (there is no
    picture to look at), pictures and videos are, unless no detector is installed or the scan failed."""
    media = MEDIA_WORDS.get(item.media_type)
    if media is None:
        return "Audio is not scanned automatically: a moderator listens to it before it is public."
    if item.nsfw_checked_at:
        return "New items are reviewed before they are public."
    if item.nsfw_detector and item.nsfw_detector.startswith("none"):
        return f"Every {media} is checked by a person before it is public."
    return f"The {media} could not be scanned automatically, so a moderator looks at it first."


def explain(item: GalleryItem, threshold: float, report_reasons: Sequence[str] = ()) -> ModerationNotice:
    """The notice for `item` (`report_reasons`: the reason codes of its open reports, see services.reports)."""
    state = _state(item)
    labels = detector_labels(item, threshold) if state == "flagged" else ()
    if state in ("rejected", "nsfw"):
        reason = item.moderation_reason or "The moderator gave no reason."
    elif state == "flagged":
        found = ", ".join(f"{label.words} ({label.score:.2f})" for label in labels)
        reason = f"The detector found: {found}." if found else "The detector flagged it."
    elif state == "reported":
        kinds = sorted({reports.REASONS.get(code, code) for code in report_reasons})
        why = f": {'; '.join(kinds)}" if kinds else ""
        reason = f"{counted(item.reports_count, 'open report')} from viewers{why}."
    elif state == "waiting":
        reason = waiting_reason(item)
    else:
        reason = item.moderation_reason or ""
    return ModerationNotice(
        status=item.moderation_status,
        state=state,
        headline=HEADLINES[state],
        reason=reason,
        labels=labels,
        listed=gallery.is_listed(item),
        review_requested_at=item.review_requested_at,
        review_note=item.review_note or "",
        review_open=item.review_open,
        can_request_review=state in REVIEWABLE and item.review_requested_at is None,
    )


def open_report_reasons(session: Session, item_id: str) -> list[str]:
    rows = session.exec(
        select(GalleryReport.reason).where(GalleryReport.item_id == item_id, col(GalleryReport.resolved_at).is_(None))
    ).all()
    return list(rows)


def notice_for(session: Session, item: GalleryItem, threshold: float) -> ModerationNotice:
    return explain(item, threshold, open_report_reasons(session, item.id) if item.reports_count else ())


def request_review(session: Session, user: User, item_id: str, note: str, threshold: float) -> ModerationNotice:
    """The author asks, once, for another look at a rejected, flagged, NSFW-marked or reported item."""
    item = session.get(GalleryItem, item_id)
    if item is None or not gallery.can_view(item, user):
        raise NotFound("No such gallery item")
    if item.user_id != user.id:
        raise PermissionDenied("Only the author can ask for a re-review")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError(f"Keep the note under {MAX_NOTE} characters", field="note")
    if item.review_requested_at is not None:
        when = item.review_requested_at.strftime("%Y-%m-%d")
        raise Conflict(f"You already asked for a re-review of this item on {when}; each item gets one", details={"item_id": item.id})
    state = _state(item)
    if state not in REVIEWABLE:
        raise Conflict("Only a rejected, flagged, NSFW-marked or reported item can be re-reviewed", details={"state": state})
    before = item.moderation_status
    if item.moderation_status == moderation.REJECTED:
        item.moderation_status = moderation.PENDING  # back in the moderators' queue
    item.review_requested_at, item.review_note, item.review_open = utcnow(), note or None, True
    item.updated_at = utcnow()
    session.add(item)
    moderation.record_action(session, item, user, "review_requested", note, {"from": before, "state": state})
    session.flush()
    return notice_for(session, item, threshold)
