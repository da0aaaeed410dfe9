"""The pages' forms refuse control characters (and bidi controls in labels) the way the REST API does:
their event handlers, called as the websocket calls them, show the services' error naming the field,
and nothing is written. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from smartspec_app.models import ApiToken, GalleryItem, GalleryReport, GenerationTask
from smartspec_app.services import auth
from smartspec_app.services.storage import LocalStorage
from smartspec_app.state.account import AccountState
from smartspec_app.state.gallery_item import GalleryItemState
from smartspec_app.state.gallery_share import GalleryShareState
from smartspec_app.state.generation import GenerationState
from smartspec_app.state.moderation import ModerationState
from smartspec_app.state.reports import ReportState
from tests.state.test_admin_states import call, fresh
from tests.support.gallery_data import completed_task, make_user, shared_item
from tests.support.moderation_data import FixedDetector, as_detector

CLEAN = as_detector(FixedDetector({}))


@pytest.fixture
def people(app_env: Path, session: Session) -> dict:
    admin = make_user(session, "admin")  # the first account is an admin
    owner, reader = make_user(session), make_user(session)
    media = LocalStorage(app_env / "media")
    task = completed_task(session, media, owner)
    item = shared_item(session, media, owner, "On the page", detector=CLEAN)
    tokens = {
        name: auth.login(session, user.email, "a long password").token
        for name, user in (("admin", admin), ("owner", owner), ("reader", reader))
    }
    session.commit()
    return {"tokens": tokens, "task": task, "item": item}


def _count(session: Session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_the_share_dialog_names_the_field(people: dict, session: Session) -> None:
    state = fresh(GalleryShareState, people["tokens"]["owner"])
    state.share_task_id = people["task"].id
    before = _count(session, GalleryItem)
    for form, field in (
        ({"title": "Sun\x00set"}, "title"),
        ({"title": "Sunset", "tags": "ok, \u202ebad"}, "tags"),
        ({"title": "Sunset", "description": "\x1b[2J"}, "description"),
    ):
        call(state, "share", form)
        assert state.share_field == field and "control character" in state.share_error, state.share_error
    assert _count(session, GalleryItem) == before


def test_the_edit_form_names_the_field(people: dict, session: Session) -> None:
    state = fresh(GalleryItemState, people["tokens"]["owner"])
    state.item.id = people["item"].id
    call(state, "save_edit", {"title": "\u202eevil", "description": "", "tags": ""})
    assert state.edit_field == "title" and "bidirectional" in state.edit_error
    session.expire_all()
    assert session.get(GalleryItem, people["item"].id).title == "On the page"


def test_the_forms_refuse_a_title_with_nothing_visible(people: dict, session: Session) -> None:
    share = fresh(GalleryShareState, people["tokens"]["owner"])
    share.share_task_id = people["task"].id
    before = _count(session, GalleryItem)
    call(share, "share", {"title": "\u200b\u200d\ufeff", "description": "kept?"})
    assert share.share_field == "title" and "visible character" in share.share_error, share.share_error
    assert _count(session, GalleryItem) == before

    edit = fresh(GalleryItemState, people["tokens"]["owner"])
    edit.item.id = people["item"].id
    call(edit, "save_edit", {"title": "\u3164\u2800", "description": "changed", "tags": "new"})
    assert edit.edit_field == "title" and "visible character" in edit.edit_error
    session.expire_all()
    stored = session.get(GalleryItem, people["item"].id)
    assert stored.title == "On the page" and stored.description != "changed" and "new" not in stored.tags


def test_the_report_dialog_refuses_control_characters(people: dict, session: Session) -> None:
    state = fresh(ReportState, people["tokens"]["reader"])
    state.item.id = people["item"].id
    call(state, "submit_report", {"reason": "spam", "details": "look\x00here"})
    assert "control character" in state.report_error
    assert _count(session, GalleryReport) == 0


def test_the_generate_form_names_the_prompt(people: dict, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from smartspec_app.services import worker

    monkeypatch.setattr(worker, "enqueue", lambda _task_id: None)
    state = fresh(GenerationState, people["tokens"]["owner"])
    state.task_type, state.model_id, state.prompt = "image", "nano-banana-pro", "a fox\x00"
    before = _count(session, GenerationTask)
    call(state, "generate")
    assert state.error_field == "prompt" and "U+0000" in state.form_error
    assert _count(session, GenerationTask) == before


def test_the_token_form_refuses_bidi_controls_in_names(people: dict, session: Session) -> None:
    state = fresh(AccountState, people["tokens"]["owner"])
    call(state, "create_token", {"name": "ci\u202e"})
    assert "bidirectional" in state.account_error and not state.showing_new_token
    assert _count(session, ApiToken) == 0


def test_the_moderation_search_refuses_control_characters(people: dict) -> None:
    state = fresh(ModerationState, people["tokens"]["admin"])
    call(state, "apply_search", {"search": "x\x00"})
    assert "control character" in state.error and state.search == ""


def test_the_item_pages_title_has_no_bidi_marks(people: dict) -> None:
    """The document's <title> comes from this var; a title may hold LRM/RLM/ALM, which nothing isolates there."""
    state = fresh(GalleryItemState, people["tokens"]["reader"])
    state.found, state.item.title = True, "Cafe\u200f \u061cnoir\u200e"
    assert state.page_title == "Cafe noir · SmartSpec Pro Gallery"
