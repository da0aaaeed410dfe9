"""The admin pages' Reflex states, called the way the websocket calls them: every event handler of the
moderation, audit and analytics states refuses a signed-in non-admin and an anonymous visitor on the
server (nothing loaded, nothing changed), and works for an admin."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest
from reflex.state import State
from sqlmodel import Session, select

from smartspec_app.models import GalleryItem, ModerationAction
from smartspec_app.services import auth
from smartspec_app.services.storage import get_storage
from smartspec_app.state.analytics import AnalyticsState
from smartspec_app.state.moderation import AuditState, ModerationState
from tests.support.gallery_data import make_user, shared_item
from tests.support.moderation_data import FixedDetector, as_detector

FLAGGED = as_detector(FixedDetector({"FEMALE_GENITALIA_EXPOSED": 0.95}))


def handler_args(item_id: str) -> dict[str, tuple]:
    return {
        "on_load": (),
        "choose_filter": ("approved",),
        "apply_search": ({"search": "x"},),
        "go_to_page": (1,),
        "type_reason": ("because",),
        "toggle_selected": (item_id, True),
        "select_page": (True,),
        "open_detail": (item_id,),
        "set_detail_open": (True,),
        "act": ("approve", item_id),
        "bulk_act": ("approve",),
        "choose_action": ("approve",),
        "go_to_audit_page": (1,),
        "apply_range": ({"start": "2026-01-01", "end": "2026-01-31"},),
        "last_days": (7,),
    }


def own_handlers(cls: type) -> list[str]:
    return sorted(name for name, h in cls.event_handlers.items() if h.fn.__qualname__.startswith(f"{cls.__name__}."))


def fresh(cls: type, token: str):
    root = State(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    state.session_token = token
    return state


def call(state, name: str, *args):
    result = state.event_handlers[name].fn(state, *args)
    return asyncio.run(result) if inspect.iscoroutine(result) else result


@pytest.fixture
def setting(app_env: Path, session: Session) -> dict:
    admin = make_user(session, "admin")  # the first account is an admin
    owner, stranger = make_user(session), make_user(session)
    media = get_storage()  # DATA_DIR/media, signing like the served app
    item = shared_item(session, media, owner, "Waiting", detector=FLAGGED)
    tokens = {}
    for name, user in (("admin", admin), ("owner", owner), ("stranger", stranger)):
        tokens[name] = auth.login(session, user.email, "a long password").token
    session.commit()
    return {"item": item, "tokens": tokens}


@pytest.mark.parametrize("cls", [ModerationState, AuditState, AnalyticsState], ids=lambda c: c.__name__)
@pytest.mark.parametrize("who", ["owner", "stranger", "anonymous"])
def test_every_admin_event_refuses_non_admins(setting: dict, session: Session, cls: type, who: str) -> None:
    item = setting["item"]
    args = handler_args(item.id)
    handlers = own_handlers(cls)
    assert set(handlers) <= set(args), f"a new event handler needs a case here: {set(handlers) - set(args)}"
    token = "" if who == "anonymous" else setting["tokens"][who]
    for name in handlers:
        state = fresh(cls, token)
        if cls is ModerationState:
            state.selected = [item.id]
        call(state, name, *args[name])
        assert state.denied, name
        if cls is ModerationState:
            assert state.rows == [] and state.counts == {} and state.detail.id == "" and not state.detail_open, name
            assert state.reason == "", name
        if cls is AuditState:
            assert state.entries == [], name
        if cls is AnalyticsState:
            assert state.figures == {} and state.generations_by_day == [], name
    session.expire_all()
    fresh_item = session.get(GalleryItem, item.id)
    assert fresh_item is not None and fresh_item.moderation_status == "pending"
    assert [r.action for r in session.exec(select(ModerationAction)).all()] == ["screen"]


def test_the_same_events_work_for_an_admin(setting: dict, session: Session) -> None:
    item, token = setting["item"], setting["tokens"]["admin"]
    state = fresh(ModerationState, token)
    call(state, "on_load")
    assert not state.denied and [row.id for row in state.rows] == [item.id] and state.counts["flagged"] == 1
    call(state, "open_detail", item.id)
    assert state.detail_open and state.detail.scores[0].label == "FEMALE_GENITALIA_EXPOSED" and state.detail.scores[0].explicit
    call(state, "type_reason", "reviewed: a statue")
    call(state, "act", "approve", item.id)
    assert state.notice == "Item approved." and state.rows == []
    session.expire_all()
    assert session.get(GalleryItem, item.id).moderation_status == "approved"

    audit = fresh(AuditState, token)
    call(audit, "on_load")
    assert [e.action for e in audit.entries] == ["approve", "screen"] and audit.entries[0].reason == "reviewed: a statue"

    charts = fresh(AnalyticsState, token)
    call(charts, "on_load")
    assert charts.figures["items"] == "1" and charts.backlog["approved"] == 1
