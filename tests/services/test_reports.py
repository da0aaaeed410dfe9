"""Community reports: who may report, one report per user, the threshold that hides an item, and
how a moderator's decision closes the reports."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from smartspec_app.models import GalleryReport, GalleryVisibility, ModerationAction
from smartspec_app.services import gallery, moderation, reports
from smartspec_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from smartspec_app.services.storage import LocalStorage
from tests.support.gallery_data import make_user, shared_item
from tests.support.moderation_data import FixedDetector, as_detector

CLEAN = as_detector(FixedDetector({}))


@pytest.fixture
def admin(session: Session):
    return make_user(session, "admin")  # the first account is an admin


def test_a_signed_in_user_reports_with_a_reason(session: Session, storage: LocalStorage, admin) -> None:
    owner, reader = make_user(session), make_user(session)
    item = shared_item(session, storage, owner, "Sunset", detector=CLEAN)
    outcome = reports.report_item(session, reader, item.id, " Spam ", "a link to a shop", threshold=3)
    session.commit()
    assert (outcome.reports_count, outcome.hidden) == (1, False)
    assert (outcome.report.reason, outcome.report.details, outcome.report.resolved_at) == ("spam", "a link to a shop", None)
    session.refresh(item)
    assert item.reports_count == 1 and item.moderation_status == "approved"
    assert reports.has_reported(session, reader, item.id) and not reports.has_reported(session, owner, item.id)


def test_report_checks(session: Session, storage: LocalStorage, admin) -> None:
    owner, reader = make_user(session), make_user(session)
    item = shared_item(session, storage, owner, "Sunset", detector=CLEAN)
    private = shared_item(session, storage, owner, "Mine only", detector=CLEAN, visibility=GalleryVisibility.PRIVATE)
    with pytest.raises(ValidationError):
        reports.report_item(session, reader, item.id, "because", threshold=3)
    with pytest.raises(ValidationError):
        reports.report_item(session, reader, item.id, "other", "x" * (reports.MAX_DETAILS + 1), threshold=3)
    with pytest.raises(ValidationError) as caught:
        reports.report_item(session, reader, item.id, "other", "see \x00 here", threshold=3)
    assert caught.value.field == "details"  # on both databases
    with pytest.raises(PermissionDenied):  # not a validation error: nothing in the request could make it right
        reports.report_item(session, owner, item.id, "spam", threshold=3)
    with pytest.raises(NotFound):
        reports.report_item(session, reader, private.id, "spam", threshold=3)
    with pytest.raises(NotFound):
        reports.report_item(session, reader, "nope", "spam", threshold=3)
    reports.report_item(session, reader, item.id, "spam", threshold=3)
    session.commit()
    with pytest.raises(Conflict):
        reports.report_item(session, reader, item.id, "nsfw", threshold=3)
    session.rollback()
    assert len(session.exec(select(GalleryReport)).all()) == 1


def test_the_threshold_hides_an_item_pending_review(session: Session, storage: LocalStorage, admin) -> None:
    owner = make_user(session)
    item = shared_item(session, storage, owner, "Contested", detector=CLEAN)
    moderation.feature(session, admin, item.id)
    session.commit()
    readers = [make_user(session) for _ in range(3)]
    hidden = [reports.report_item(session, r, item.id, "nsfw", threshold=3).hidden for r in readers]
    session.commit()
    assert hidden == [False, False, True]
    session.refresh(item)
    assert item.moderation_status == "pending" and item.reports_count == 3 and not item.is_featured
    assert not gallery.is_listed(item)
    assert [e.item.id for e in moderation.queue(session, "reported").entries] == [item.id]
    auto = session.exec(select(ModerationAction).where(ModerationAction.action == "auto_hide")).one()
    assert auto.actor_id is None and auto.item_id == item.id and "3 open reports" in auto.reason


def test_approving_closes_the_reports_and_counting_starts_again(session: Session, storage: LocalStorage, admin) -> None:
    owner = make_user(session)
    item = shared_item(session, storage, owner, "Contested", detector=CLEAN)
    first, second, third = make_user(session), make_user(session), make_user(session)
    reports.report_item(session, first, item.id, "nsfw", threshold=2)
    reports.report_item(session, second, item.id, "nsfw", threshold=2)
    session.commit()
    moderation.approve(session, admin, item.id, "it is fine")
    session.commit()
    session.refresh(item)
    assert item.moderation_status == "approved" and item.reports_count == 0 and gallery.is_listed(item)
    rows = session.exec(select(GalleryReport).where(GalleryReport.item_id == item.id)).all()
    assert {(r.resolution, r.resolved_at is not None) for r in rows} == {("approved", True)}
    approve_row = moderation.audit_log(session, action="approve").entries[0].action
    assert approve_row.details["reports_closed"] == 2
    assert moderation.counts(session)["reported"] == 0

    outcome = reports.report_item(session, third, item.id, "nsfw", threshold=2)  # one new open report: still listed
    session.commit()
    assert (outcome.reports_count, outcome.hidden) == (1, False)


def test_rejecting_closes_the_reports(session: Session, storage: LocalStorage, admin) -> None:
    owner, reader = make_user(session), make_user(session)
    item = shared_item(session, storage, owner, "Bad", detector=CLEAN)
    reports.report_item(session, reader, item.id, "hate", threshold=5)
    moderation.reject(session, admin, item.id, "hateful")
    session.commit()
    (row,) = session.exec(select(GalleryReport)).all()
    assert row.resolution == "rejected" and item.reports_count == 0


def test_a_pending_item_is_not_reportable_by_strangers(session: Session, storage: LocalStorage, admin) -> None:
    owner, reader = make_user(session), make_user(session)
    waiting = shared_item(session, storage, owner, "Waiting", detector=CLEAN, auto_approve=False)
    with pytest.raises(NotFound):
        reports.report_item(session, reader, waiting.id, "spam", threshold=1)
