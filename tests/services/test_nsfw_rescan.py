"""Rescanning gallery items the detector never saw (shared before it was installed)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from smartspec_app.models import GalleryItem, ModerationAction, User
from smartspec_app.services import gallery, moderation, nsfw
from smartspec_app.services.nsfw import NoDetector
from smartspec_app.services.nsfw_rescan import rescan
from smartspec_app.services.storage import LocalStorage
from tests.support.gallery_data import make_user, shared_item
from tests.support.moderation_data import BrokenDetector, FixedDetector, as_detector, landscape_png, schematic_torso_png, share_showing

FLAGGING = FixedDetector({"FEMALE_BREAST_EXPOSED": 0.91})
CLEAN = FixedDetector({"FACE_FEMALE": 0.3})
THRESHOLD = 0.6


def admin(session: Session) -> User:
    user = make_user(session, "moderator")
    user.is_admin = True
    session.add(user)
    session.commit()
    return user


def actions(session: Session, item_id: str) -> list[str]:
    rows = session.exec(select(ModerationAction).where(ModerationAction.item_id == item_id).order_by(ModerationAction.id)).all()
    return [r.action for r in rows]


def unscanned(session: Session, storage: LocalStorage, owner: User, media: bytes, title: str) -> GalleryItem:
    return share_showing(session, storage, owner, media, title=title, detector=NoDetector(), auto_approve=True)


def test_items_shared_without_a_detector_are_scanned_and_flagged_ones_leave_the_gallery(session: Session, storage: LocalStorage) -> None:
    owner, moderator = make_user(session), admin(session)
    waiting = unscanned(session, storage, owner, schematic_torso_png(), "Still waiting")
    approved = unscanned(session, storage, owner, schematic_torso_png(), "Approved by hand")
    moderation.approve(session, moderator, approved.id)
    rejected = unscanned(session, storage, owner, schematic_torso_png(), "Rejected")
    moderation.reject(session, moderator, rejected.id, "off-topic")
    voice = shared_item(session, storage, owner, "A voice", task_type="speech", detector=NoDetector())
    session.commit()
    assert gallery.is_listed(approved) and approved.nsfw_checked_at is None

    seen: list[tuple[str, str]] = []
    report = rescan(session, storage, as_detector(FLAGGING), THRESHOLD, on_item=lambda item, outcome: seen.append((item.id, outcome)))

    assert (report.scanned, report.flagged, report.hidden, report.failed) == (3, 3, 1, {})
    assert sorted(seen) == sorted((i.id, "flagged") for i in (waiting, approved, rejected))  # audio has nothing to look at
    session.expire_all()
    statuses = {i.title: (i.moderation_status, i.nsfw_flagged, i.nsfw_score) for i in session.exec(select(GalleryItem)).all()}
    assert statuses == {
        "Still waiting": ("pending", True, 0.91),
        "Approved by hand": ("pending", True, 0.91),  # out of the public gallery until a moderator looks again
        "Rejected": ("rejected", True, 0.91),
        "A voice": ("approved", False, None),
    }
    assert actions(session, approved.id) == ["screen", "approve", "screen"]
    assert [e.item.id for e in moderation.queue(session, "flagged").entries if e.item.id == approved.id] == [approved.id]
    assert session.get(GalleryItem, voice.id).nsfw_checked_at is None

    again = rescan(session, storage, as_detector(FLAGGING), THRESHOLD)  # nothing left to scan
    assert (again.scanned, again.failed) == (0, {})


def test_clean_items_keep_their_status_and_everything_rescans_all(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    item = unscanned(session, storage, owner, landscape_png(), "Mountains")
    assert item.moderation_status == "pending"
    report = rescan(session, storage, as_detector(CLEAN), THRESHOLD)
    session.refresh(item)
    assert (report.scanned, report.flagged) == (1, 0)
    assert item.moderation_status == "pending" and not item.nsfw_flagged and item.nsfw_checked_at is not None
    assert rescan(session, storage, as_detector(CLEAN), THRESHOLD).scanned == 0
    assert rescan(session, storage, as_detector(CLEAN), THRESHOLD, everything=True).scanned == 1


def test_items_that_cannot_be_scanned_are_reported_and_left_alone(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    gone = unscanned(session, storage, owner, landscape_png(), "Media deleted")
    for key, _size in list(storage.list_objects(f"gallery/{gone.id}/")):
        storage.delete(key)
    elsewhere = unscanned(session, storage, owner, landscape_png(), "Media elsewhere")
    elsewhere.media_url, elsewhere.thumbnail_url = "https://cdn.example.com/x.png", None
    session.add(elsewhere)
    session.commit()
    broken = rescan(session, storage, as_detector(BrokenDetector()), THRESHOLD)
    assert set(broken.failed) == {gone.id, elsewhere.id} and broken.scanned == 0
    assert "unreadable media" in broken.failed[gone.id] and "not in the configured storage" in broken.failed[elsewhere.id]
    session.refresh(gone)
    assert gone.moderation_status == "pending" and gone.nsfw_checked_at is None and actions(session, gone.id) == ["screen"]


def test_the_real_detector_finds_what_sharing_without_it_let_through(session: Session, storage: LocalStorage) -> None:
    detector = nsfw.get_detector("nudenet")
    if not detector.available:
        pytest.skip("nudenet is not installed")
    owner, moderator = make_user(session), admin(session)
    safe = unscanned(session, storage, owner, landscape_png(), "Mountains")
    bare = unscanned(session, storage, owner, schematic_torso_png(), "Torso")
    for item in (safe, bare):
        moderation.approve(session, moderator, item.id)
    report = rescan(session, storage, detector, THRESHOLD)
    session.refresh(safe)
    session.refresh(bare)
    assert (report.scanned, report.flagged, report.hidden) == (2, 1, 1)
    assert gallery.is_listed(safe) and not gallery.is_listed(bare) and bare.nsfw_detector.startswith("nudenet")
