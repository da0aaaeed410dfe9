"""What an author is told about their item's moderation, and the one re-review request
(services/author_moderation.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from smartspec_app.models import GalleryItem, ModerationAction, User, utcnow
from smartspec_app.services import author_moderation, moderation, reports
from smartspec_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from smartspec_app.services.storage import LocalStorage
from tests.support.gallery_data import make_user, shared_item
from tests.support.moderation_data import FixedDetector, as_detector, landscape_png, share_showing

THRESHOLD = 0.6
TORSO_SCORES = {"FEMALE_BREAST_EXPOSED": 0.82, "BUTTOCKS_EXPOSED": 0.61, "FACE_FEMALE": 0.9, "ANUS_EXPOSED": 0.1}


def make_admin(session: Session) -> User:
    admin = make_user(session, "moderator")
    admin.is_admin = True
    session.add(admin)
    session.commit()
    return admin


def flagged_item(session: Session, storage: LocalStorage, author: User) -> GalleryItem:
    detector = as_detector(FixedDetector(TORSO_SCORES))
    return share_showing(session, storage, author, landscape_png(), title="Beach day", detector=detector)


def notice(session: Session, item: GalleryItem) -> author_moderation.ModerationNotice:
    session.refresh(item)
    return author_moderation.notice_for(session, item, THRESHOLD)


def test_each_state_is_explained(session: Session, storage: LocalStorage) -> None:
    author, admin, viewers = make_user(session), make_admin(session), [make_user(session) for _ in range(3)]

    fine = notice(session, shared_item(session, storage, author, "Fine"))
    assert (fine.state, fine.headline, fine.listed, fine.can_request_review) == ("approved", "Approved", True, False)

    flagged = notice(session, flagged_item(session, storage, author))
    assert flagged.status == "pending" and flagged.state == "flagged" and not flagged.listed
    assert [(label.label, label.score) for label in flagged.labels] == [("FEMALE_BREAST_EXPOSED", 0.82), ("BUTTOCKS_EXPOSED", 0.61)]
    assert flagged.reason == "The detector found: exposed female breast (0.82), exposed buttocks (0.61)."
    assert flagged.can_request_review
    raised = author_moderation.explain(session.get(GalleryItem, flagged_item(session, storage, author).id), 0.95)
    assert [label.label for label in raised.labels] == ["FEMALE_BREAST_EXPOSED"]  # the threshold went up since: the top label

    rejected_item = shared_item(session, storage, author, "Off topic")
    moderation.reject(session, admin, rejected_item.id, "Screenshots of other apps are not allowed")
    session.commit()
    rejected = notice(session, rejected_item)
    assert (rejected.state, rejected.reason) == ("rejected", "Screenshots of other apps are not allowed")

    marked_item = shared_item(session, storage, author, "Marked")
    moderation.mark_nsfw(session, admin, marked_item.id, True, "Too graphic for the public gallery")
    session.commit()
    marked = notice(session, marked_item)
    assert (marked.state, marked.reason, marked.listed) == ("nsfw", "Too graphic for the public gallery", False)

    reported_item = shared_item(session, storage, author, "Reported")
    for viewer, why in zip(viewers, ("spam", "spam", "copyright"), strict=True):
        reports.report_item(session, viewer, reported_item.id, why, threshold=3)
    session.commit()
    hidden = notice(session, reported_item)
    assert hidden.state == "reported" and hidden.status == "pending"
    assert hidden.reason == "3 open reports from viewers: Copyright or someone else's work; Spam or scam."


def test_one_re_review_per_item_back_to_the_queue_until_a_moderator_decides(session: Session, storage: LocalStorage) -> None:
    author, admin = make_user(session), make_admin(session)
    item = shared_item(session, storage, author, "Rejected lake")
    moderation.reject(session, admin, item.id, "Looks like stock photography")
    session.commit()

    answer = author_moderation.request_review(session, author, item.id, "  I drew this myself; here is the prompt.  ", THRESHOLD)
    session.commit()
    assert answer.review_open and answer.review_requested_at is not None and not answer.can_request_review
    assert answer.status == "pending"  # back in the queue
    assert answer.review_note == "I drew this myself; here is the prompt."
    assert [e.item.id for e in moderation.queue(session, "review").entries] == [item.id]
    assert item.id in [e.item.id for e in moderation.queue(session, "pending").entries]
    row = session.exec(select(ModerationAction).where(ModerationAction.action == "review_requested")).one()
    assert (row.actor_id, row.item_id, row.reason, row.details["from"]) == (author.id, item.id, answer.review_note, "rejected")

    with pytest.raises(Conflict, match="already asked"):
        author_moderation.request_review(session, author, item.id, "again", THRESHOLD)

    moderation.approve(session, admin, item.id, "Fair enough")
    session.commit()
    decided = notice(session, item)
    assert decided.state == "approved" and not decided.review_open and decided.review_requested_at is not None
    assert moderation.queue(session, "review").total == 0
    approval = session.exec(select(ModerationAction).where(ModerationAction.action == "approve")).one()
    assert approval.details["review_answered"] is True

    moderation.reject(session, admin, item.id, "On second thought, no")
    session.commit()
    again = notice(session, item)
    assert again.state == "rejected" and not again.can_request_review  # once per item, whatever happens next
    with pytest.raises(Conflict):
        author_moderation.request_review(session, author, item.id, "please", THRESHOLD)


def test_a_flagged_item_stays_pending_and_the_note_is_optional(session: Session, storage: LocalStorage) -> None:
    author = make_user(session)
    item = flagged_item(session, storage, author)
    answer = author_moderation.request_review(session, author, item.id, "", THRESHOLD)
    session.commit()
    assert (answer.status, answer.state, answer.review_open, answer.review_note) == ("pending", "flagged", True, "")
    assert moderation.queue(session, "flagged").total == 1 and moderation.queue(session, "review").total == 1


def test_who_may_ask_and_for_what(session: Session, storage: LocalStorage) -> None:
    author, stranger, admin = make_user(session), make_user(session), make_admin(session)
    approved = shared_item(session, storage, author, "Fine")
    waiting = shared_item(session, storage, author, "Waiting", auto_approve=False)
    private = shared_item(session, storage, author, "Private", visibility="private")
    moderation.reject(session, admin, private.id, "No")
    rejected = shared_item(session, storage, author, "Rejected")
    moderation.reject(session, admin, rejected.id, "No")
    session.commit()

    with pytest.raises(Conflict, match="Only a rejected"):
        author_moderation.request_review(session, author, approved.id, "", THRESHOLD)
    with pytest.raises(Conflict, match="Only a rejected"):
        author_moderation.request_review(session, author, waiting.id, "", THRESHOLD)  # it is waiting already
    with pytest.raises(NotFound):
        author_moderation.request_review(session, stranger, private.id, "", THRESHOLD)  # never revealed
    with pytest.raises(NotFound):
        author_moderation.request_review(session, stranger, rejected.id, "", THRESHOLD)
    with pytest.raises(PermissionDenied):
        author_moderation.request_review(session, admin, rejected.id, "", THRESHOLD)  # the author's request, not an admin's
    with pytest.raises(NotFound):
        author_moderation.request_review(session, author, "no-such-item", "", THRESHOLD)
    with pytest.raises(ValidationError) as long_note:
        author_moderation.request_review(session, author, rejected.id, "x" * 1001, THRESHOLD)
    assert long_note.value.field == "note"
    session.rollback()
    assert session.get(GalleryItem, rejected.id).review_requested_at is None  # nothing was written


@pytest.mark.parametrize(
    ("media_type", "detector", "checked", "reason"),
    [
        ("audio", "nudenet", False, "Audio is not scanned automatically: a moderator listens to it before it is public."),
        ("audio", "none", False, "Audio is not scanned automatically: a moderator listens to it before it is public."),
        ("image", "nudenet", True, "New items are reviewed before they are public."),
        ("image", "none", False, "Every picture is checked by a person before it is public."),
        ("video", "none", False, "Every video is checked by a person before it is public."),
        ("image", "nudenet (error)", False, "The picture could not be scanned automatically, so a moderator looks at it first."),
        ("video", "nudenet (error)", False, "The video could not be scanned automatically, so a moderator looks at it first."),
    ],
)
def test_a_waiting_item_is_explained_in_the_words_of_its_media(media_type: str, detector: str, checked: bool, reason: str) -> None:
    item = GalleryItem(
        id="x",
        user_id=1,
        slug="x",
        title="x",
        media_type=media_type,
        media_url="/media/x",
        moderation_status=moderation.PENDING,
        nsfw_detector=detector,
        nsfw_checked_at=utcnow() if checked else None,
    )
    notice = author_moderation.explain(item, THRESHOLD)
    assert (notice.state, notice.reason) == ("waiting", reason)


def test_a_waiting_audio_item_after_a_re_review_request_says_audio_is_not_scanned(session: Session, storage: LocalStorage) -> None:
    author, admin = make_user(session), make_admin(session)
    voice = shared_item(session, storage, author, "Night ferry greeting", task_type="speech")
    moderation.reject(session, admin, voice.id, "Too quiet to judge")
    answer = author_moderation.request_review(session, author, voice.id, "", THRESHOLD)
    assert answer.state == "waiting" and answer.reason.startswith("Audio is not scanned automatically")
    one = author_moderation.explain(GalleryItem(id="y", user_id=1, slug="y", title="y", media_type="image", reports_count=1), THRESHOLD)
    assert one.reason == "1 open report from viewers."
