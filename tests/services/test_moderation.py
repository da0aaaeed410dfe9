"""Moderation: the approval policy on sharing, the queue, each admin action and bulk action with its
audit row, and non-admins refused by every action."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from smartspec_app.models import GalleryItem, GalleryReport, ModerationAction, User
from smartspec_app.services import gallery, moderation, nsfw, reports
from smartspec_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from smartspec_app.services.nsfw import NoDetector
from smartspec_app.services.storage import LocalStorage, gallery_prefix
from tests.support.gallery_data import make_user, shared_item
from tests.support.moderation_data import BrokenDetector, FixedDetector, as_detector, landscape_png, schematic_torso_png, share_showing

CLEAN = as_detector(FixedDetector({"FACE_FEMALE": 0.3}))
FLAGGED = as_detector(FixedDetector({"FEMALE_BREAST_EXPOSED": 0.91}))


def make_admin(session: Session, name: str = "admin") -> User:
    user = make_user(session, name)
    user.is_admin = True
    session.add(user)
    session.commit()
    return user


def audit_rows(session: Session, item_id: str) -> list[ModerationAction]:
    return list(session.exec(select(ModerationAction).where(ModerationAction.item_id == item_id).order_by(ModerationAction.id)).all())


def listed(session: Session, item: GalleryItem) -> bool:
    session.refresh(item)
    return gallery.is_listed(item)


# --- the approval policy ------------------------------------------------------------------


def test_a_clean_image_is_approved_at_once_with_auto_approve(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    item = share_showing(session, storage, owner, landscape_png(), detector=CLEAN, auto_approve=True)
    assert item.moderation_status == "approved" and listed(session, item)
    assert item.nsfw_scores == {"FACE_FEMALE": 0.3} and item.nsfw_score == 0.0 and not item.nsfw_flagged
    assert item.nsfw_detector == "fixed" and item.nsfw_checked_at is not None
    (row,) = audit_rows(session, item.id)
    assert row.action == "screen" and row.actor_id is None and row.details["status"] == "approved"


def test_review_everything_keeps_clean_items_pending(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    item = share_showing(session, storage, owner, landscape_png(), detector=CLEAN, auto_approve=False)
    assert item.moderation_status == "pending" and not item.nsfw_flagged and not listed(session, item)


def test_a_flagged_item_waits_with_its_scores_whatever_the_policy(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    item = share_showing(session, storage, owner, schematic_torso_png(), detector=FLAGGED, auto_approve=True)
    assert item.moderation_status == "pending" and item.nsfw_flagged and item.nsfw_score == 0.91
    assert not listed(session, item)
    assert [e.item.id for e in moderation.queue(session, "flagged").entries] == [item.id]
    (row,) = audit_rows(session, item.id)
    assert "flagged" in row.reason and row.details["scores"] == {"FEMALE_BREAST_EXPOSED": 0.91}


def test_the_configured_real_detector_runs_when_sharing(session: Session, storage: LocalStorage) -> None:
    if not isinstance(nsfw.get_detector(), nsfw.NudeNetDetector):
        pytest.skip("nudenet is not installed")
    owner = make_user(session)
    safe = share_showing(session, storage, owner, landscape_png(), title="Mountains")
    bare = share_showing(session, storage, owner, schematic_torso_png(), title="Torso")
    assert safe.moderation_status == "approved" and not safe.nsfw_flagged
    assert bare.moderation_status == "pending" and bare.nsfw_flagged
    assert bare.nsfw_scores["FEMALE_BREAST_EXPOSED"] >= 0.6 and bare.nsfw_detector.startswith("nudenet")


@pytest.mark.parametrize("detector", [NoDetector(), BrokenDetector()], ids=["no-detector", "broken-detector"])
def test_sharing_works_without_a_working_detector_and_waits_for_review(
    session: Session, storage: LocalStorage, detector: nsfw.NsfwDetector
) -> None:
    owner = make_user(session)
    item = share_showing(session, storage, owner, landscape_png(), detector=detector, auto_approve=True)
    assert item.moderation_status == "pending" and not item.nsfw_flagged and item.nsfw_checked_at is None
    assert item.nsfw_detector.endswith("(error)")
    assert "manual review" in audit_rows(session, item.id)[0].reason


def test_audio_has_no_picture_and_follows_the_policy(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    item = shared_item(session, storage, owner, "A voice", task_type="speech", detector=NoDetector())
    assert item.moderation_status == "approved" and item.nsfw_detector == "none"


# --- the queue -----------------------------------------------------------------------------


def test_queue_filters_and_counts(session: Session, storage: LocalStorage) -> None:
    owner, reporter = make_user(session), make_user(session)
    approved = shared_item(session, storage, owner, "Approved", detector=CLEAN)
    pending = shared_item(session, storage, owner, "Pending", detector=CLEAN, auto_approve=False)
    flagged = shared_item(session, storage, owner, "Flagged", detector=FLAGGED)
    rejected = shared_item(session, storage, owner, "Rejected", detector=CLEAN)
    admin = make_admin(session)
    moderation.reject(session, admin, rejected.id, "off-topic")
    reports.report_item(session, reporter, approved.id, "spam", threshold=5)
    session.commit()

    def ids(name: str) -> set[str]:
        return {e.item.id for e in moderation.queue(session, name).entries}

    assert ids("pending") == {pending.id, flagged.id}
    assert ids("flagged") == {flagged.id}
    assert ids("reported") == {approved.id}
    assert ids("approved") == {approved.id}
    assert ids("rejected") == {rejected.id}
    assert ids("all") == {approved.id, pending.id, flagged.id, rejected.id}
    assert moderation.counts(session) == {"pending": 2, "flagged": 1, "reported": 1, "approved": 1, "rejected": 1, "review": 0, "all": 4}
    page = moderation.queue(session, "all", page=2, page_size=3)
    assert page.total == 4 and len(page.entries) == 1
    assert [e.item.id for e in moderation.queue(session, "all", search="flag").entries] == [flagged.id]
    with pytest.raises(ValidationError):
        moderation.queue(session, "everything")


def test_item_detail_has_scores_reports_and_history(session: Session, storage: LocalStorage) -> None:
    owner, reporter, admin = make_user(session), make_user(session, "reporter"), make_admin(session)
    item = shared_item(session, storage, owner, "Look", detector=FLAGGED)
    moderation.approve(session, admin, item.id, "fine in context")
    reports.report_item(session, reporter, item.id, "nsfw", "too much", threshold=5)
    session.commit()
    detail = moderation.item_detail(session, item.id)
    assert detail.item.nsfw_scores == {"FEMALE_BREAST_EXPOSED": 0.91}
    assert [(r.reporter, r.report.reason, r.report.details) for r in detail.reports] == [("reporter", "nsfw", "too much")]
    assert [e.action.action for e in detail.history] == ["approve", "screen"]  # newest first
    assert [e.actor for e in detail.history] == ["admin", "system"]


# --- actions -------------------------------------------------------------------------------


def test_approve(session: Session, storage: LocalStorage) -> None:
    owner, admin = make_user(session), make_admin(session)
    item = shared_item(session, storage, owner, "Wait", detector=FLAGGED)
    moderation.approve(session, admin, item.id, "a painting, not a photo")
    session.commit()
    assert item.moderation_status == "approved" and listed(session, item)
    row = audit_rows(session, item.id)[-1]
    assert (row.action, row.actor_id, row.reason, row.details["from"]) == ("approve", admin.id, "a painting, not a photo", "pending")
    assert row.created_at is not None


def test_reject_needs_a_reason(session: Session, storage: LocalStorage) -> None:
    owner, admin = make_user(session), make_admin(session)
    item = shared_item(session, storage, owner, "Spam", detector=CLEAN)
    with pytest.raises(ValidationError):
        moderation.reject(session, admin, item.id, "  ")
    moderation.reject(session, admin, item.id, "advertising")
    session.commit()
    assert item.moderation_status == "rejected" and item.moderation_reason == "advertising" and not listed(session, item)
    row = audit_rows(session, item.id)[-1]
    assert (row.action, row.actor_id, row.reason) == ("reject", admin.id, "advertising")


def test_mark_and_unmark_nsfw(session: Session, storage: LocalStorage) -> None:
    owner, admin = make_user(session), make_admin(session)
    item = shared_item(session, storage, owner, "Beach", detector=CLEAN)
    moderation.feature(session, admin, item.id)
    moderation.mark_nsfw(session, admin, item.id, True, "swimwear close-up")
    session.commit()
    assert item.is_nsfw and not item.is_featured and not listed(session, item)
    moderation.mark_nsfw(session, admin, item.id, False)
    session.commit()
    assert not item.is_nsfw and listed(session, item)
    assert [r.action for r in audit_rows(session, item.id)] == ["screen", "feature", "mark_nsfw", "unmark_nsfw"]
    assert audit_rows(session, item.id)[2].reason == "swimwear close-up"


def test_feature_and_unfeature(session: Session, storage: LocalStorage) -> None:
    owner, admin = make_user(session), make_admin(session)
    item = shared_item(session, storage, owner, "Star", detector=CLEAN)
    waiting = shared_item(session, storage, owner, "Waiting", detector=FLAGGED)
    moderation.feature(session, admin, item.id)
    session.commit()
    assert item.is_featured and item.featured_at is not None
    with pytest.raises(Conflict):
        moderation.feature(session, admin, waiting.id)
    moderation.feature(session, admin, item.id, False)
    session.commit()
    assert not item.is_featured and item.featured_at is None
    assert [r.action for r in audit_rows(session, item.id)] == ["screen", "feature", "unfeature"]
    assert [r.action for r in audit_rows(session, waiting.id)] == ["screen"]


def test_delete_removes_item_reports_and_media_but_keeps_the_log(session: Session, storage: LocalStorage) -> None:
    owner, reporter, admin = make_user(session), make_user(session), make_admin(session)
    item = shared_item(session, storage, owner, "Gone soon", detector=CLEAN)
    reports.report_item(session, reporter, item.id, "copyright", threshold=5)
    session.commit()
    assert list(storage.list_objects(gallery_prefix(item.id)))
    moderation.delete(session, storage, admin, item.id, "stolen artwork")
    session.commit()
    assert session.get(GalleryItem, item.id) is None
    assert session.exec(select(GalleryReport).where(GalleryReport.item_id == item.id)).all() == []
    assert list(storage.list_objects(gallery_prefix(item.id))) == []
    row = audit_rows(session, item.id)[-1]
    assert (row.action, row.actor_id, row.reason, row.item_title) == ("delete", admin.id, "stolen artwork", "Gone soon")
    with pytest.raises(NotFound):
        moderation.approve(session, admin, item.id)


def test_audit_log_pages_newest_first(session: Session, storage: LocalStorage) -> None:
    owner, admin = make_user(session), make_admin(session)
    item = shared_item(session, storage, owner, "Logged", detector=CLEAN)
    for _ in range(3):
        moderation.feature(session, admin, item.id)
        moderation.feature(session, admin, item.id, False)
    session.commit()
    log = moderation.audit_log(session, page=1, page_size=4)
    assert log.total == 7 and [e.action.action for e in log.entries] == ["unfeature", "feature", "unfeature", "feature"]
    assert moderation.audit_log(session, action="screen").entries[0].actor == "system"
    assert moderation.audit_log(session, page=2, page_size=4).entries[-1].action.action == "screen"


# --- bulk ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "check"),
    [
        ("approve", lambda i: i.moderation_status == "approved"),
        ("reject", lambda i: i.moderation_status == "rejected" and i.moderation_reason == "bulk reason"),
        ("mark_nsfw", lambda i: i.is_nsfw),
        ("unmark_nsfw", lambda i: not i.is_nsfw),
        ("unfeature", lambda i: not i.is_featured),
    ],
)
def test_bulk_actions_write_one_audit_row_per_item(session: Session, storage: LocalStorage, action: str, check) -> None:
    owner, admin = make_user(session), make_admin(session)
    items = [shared_item(session, storage, owner, f"Item {n}", detector=FLAGGED) for n in range(3)]
    result = moderation.bulk(session, storage, admin, action, [i.id for i in items], "bulk reason")
    session.commit()
    assert result.done == [i.id for i in items] and result.failed == {}
    for item in items:
        session.refresh(item)
        assert check(item)
        row = audit_rows(session, item.id)[-1]
        assert (row.action, row.actor_id, row.reason) == (action, admin.id, "bulk reason")


def test_bulk_feature_and_delete_report_items_that_cannot_take_it(session: Session, storage: LocalStorage) -> None:
    owner, admin = make_user(session), make_admin(session)
    good = shared_item(session, storage, owner, "Good", detector=CLEAN)
    waiting = shared_item(session, storage, owner, "Waiting", detector=FLAGGED)
    result = moderation.bulk(session, storage, admin, "feature", [good.id, waiting.id, "missing"])
    session.commit()
    assert result.done == [good.id] and set(result.failed) == {waiting.id, "missing"}
    session.refresh(good)
    session.refresh(waiting)
    assert good.is_featured and not waiting.is_featured
    assert [r.action for r in audit_rows(session, waiting.id)] == ["screen"]

    result = moderation.bulk(session, storage, admin, "delete", [good.id, waiting.id], "clean-up")
    session.commit()
    assert result.done == [good.id, waiting.id]
    assert session.exec(select(GalleryItem)).all() == []
    assert [r.action for r in audit_rows(session, good.id)][-1] == "delete"


def test_bulk_input_checks(session: Session, storage: LocalStorage) -> None:
    admin = make_admin(session)
    with pytest.raises(ValidationError):
        moderation.bulk(session, storage, admin, "explode", ["a"])
    with pytest.raises(ValidationError):
        moderation.bulk(session, storage, admin, "approve", [])
    with pytest.raises(ValidationError):
        moderation.bulk(session, storage, admin, "approve", [str(n) for n in range(moderation.MAX_BULK + 1)])
    with pytest.raises(ValidationError):
        moderation.bulk(session, storage, admin, "reject", ["a"], "")


# --- who may -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda s, st, u, i: moderation.approve(s, u, i),
        lambda s, st, u, i: moderation.reject(s, u, i, "no"),
        lambda s, st, u, i: moderation.mark_nsfw(s, u, i),
        lambda s, st, u, i: moderation.feature(s, u, i),
        lambda s, st, u, i: moderation.delete(s, st, u, i),
        lambda s, st, u, i: moderation.perform(s, st, u, "approve", i),
        lambda s, st, u, i: moderation.bulk(s, st, u, "approve", [i]),
    ],
    ids=["approve", "reject", "mark_nsfw", "feature", "delete", "perform", "bulk"],
)
def test_non_admins_are_refused_by_every_action(session: Session, storage: LocalStorage, call) -> None:
    make_admin(session)  # the first account is an admin; the others are not
    owner = make_user(session)
    item = shared_item(session, storage, owner, "Mine", detector=FLAGGED)
    for who in (owner, make_user(session), None):
        assert who is None or not who.is_admin
        with pytest.raises(PermissionDenied):
            call(session, storage, who, item.id)
    session.rollback()
    session.refresh(item)
    assert item.moderation_status == "pending" and [r.action for r in audit_rows(session, item.id)] == ["screen"]
