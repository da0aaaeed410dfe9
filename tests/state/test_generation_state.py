"""The generation page's state: Generate shares the REST API's per-user rate limit, and pushed task
changes send only what changed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlmodel import Session, select

from smartspec_app.models import GenerationTask
from smartspec_app.services import auth
from smartspec_app.services.task_events import TaskSnapshot
from smartspec_app.settings import reload_settings
from smartspec_app.state.generation import GenerationState, task_view
from tests.state.test_admin_states import call, fresh
from tests.support.gallery_data import make_user


@pytest.fixture
def signed_in(app_env: Path, session: Session, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RATE_LIMIT_USER", "2/minute")
    reload_settings()
    monkeypatch.setattr("smartspec_app.services.worker.enqueue", lambda task_id: None)  # no consumer in this test
    user = make_user(session)
    token = auth.login(session, user.email, "a long password").token
    session.commit()
    return token


def test_generate_counts_against_the_users_rate_limit(signed_in: str, session: Session) -> None:
    errors = []
    for n in range(3):
        state = fresh(GenerationState, signed_in)
        state.task_type, state.model_id, state.prompt = "image", "nano-banana-pro", f"A fox {n}"
        call(state, "generate")
        errors.append(state.form_error)
    assert errors[:2] == ["", ""]
    assert "rate limit" in errors[2].lower() or "too many" in errors[2].lower(), errors[2]
    assert len(session.exec(select(GenerationTask.id)).all()) == 2  # the refused one wrote nothing


def test_generate_refuses_an_anonymous_visitor(app_env: Path, session: Session) -> None:
    state = fresh(GenerationState, "")
    state.prompt = "A fox"
    call(state, "generate")
    assert session.exec(select(GenerationTask.id)).all() == []


def snapshot(task_id: str, status: str = "running", progress: int = 50, **extra) -> TaskSnapshot:
    return TaskSnapshot(
        id=task_id,
        user_id=1,
        task_type="image",
        model_id="nano-banana-pro",
        prompt=f"Task {task_id}",
        status=status,
        status_detail=status,
        progress=progress,
        provider="sandbox",
        created_at="2026-12-01T10:00:00+00:00",
        **extra,
    )


def watched_page() -> GenerationState:
    """A page showing one running task (followed) and two finished ones, with nothing left to send."""
    state = fresh(GenerationState, "")
    views = [task_view(snapshot(*args)) for args in (("run", "running", 40), ("old1", "completed", 100), ("old2", "failed", 0))]
    state._show_tasks(views, keep_live=False)
    state._clean()
    return state


def sent(state: GenerationState) -> set[str]:
    return {name for name in state.dirty_vars if not name.startswith("_")}


def test_a_progress_tick_sends_only_the_followed_task_and_the_panel() -> None:
    state = watched_page()
    assert [t.id for t in state.live_tasks] == ["run"] and [t.id for t in state.tasks] == ["old1", "old2"]
    assert state.current_task.id == "run"
    state._apply([snapshot("run", "running", 60)])
    assert sent(state) == {"live_tasks", "current_task"}  # the 19 other rows are not sent again
    assert state.current_task.progress == 60 and state.live_tasks[0].progress == 60


def test_completion_stays_in_the_followed_list_and_the_watch_ends() -> None:
    state = watched_page()
    state._apply([snapshot("run", "completed", 100, output_urls=["/media/x.jpg"])])
    assert sent(state) == {"live_tasks", "current_task"}
    assert state.live_tasks[0].status == "completed"
    assert [url.split("?")[0] for url in state.current_task.output_urls] == ["/media/x.jpg"]  # signed: a task's media is private
    assert "signature=" in state.current_task.output_urls[0]
    assert not state._watching_anything()


def test_a_task_from_another_tab_appears_and_a_deleted_one_goes() -> None:
    state = watched_page()
    state._apply([snapshot("new", "pending", 0)])
    assert [t.id for t in state.live_tasks] == ["new", "run"] and state.current_task.id == "run"
    state._clean()
    state._apply([TaskSnapshot(id="old2", user_id=1, deleted=True)])
    assert sent(state) == {"tasks"} and [t.id for t in state.tasks] == ["old1"]


def test_a_reread_that_finds_nothing_new_sends_nothing() -> None:
    state = watched_page()
    views = [*state.live_tasks, *state.tasks]
    state._show_tasks([dataclasses.replace(v) for v in views], keep_live=True)
    assert sent(state) == set()
    state._apply([snapshot("run", "running", 40)])  # a repeated message
    assert sent(state) == set()


def test_the_page_shows_outputs_through_signed_urls(signed_in: str, session: Session) -> None:
    """/media of a generation is not public: the owner's page gets signed URLs that load it."""
    from urllib.parse import parse_qs, urlsplit

    from smartspec_app.services.media_signing import signer_from_settings
    from smartspec_app.services.storage import get_storage
    from smartspec_app.settings import get_settings
    from tests.support.gallery_data import completed_task

    owner = auth.user_for_token(session, signed_in)
    task = completed_task(session, get_storage(), owner)
    state = fresh(GenerationState, signed_in)
    call(state, "on_load")
    shown = next(t for t in state.tasks if t.id == task.id)
    signer = signer_from_settings(get_settings())
    for url, key in ((shown.output_urls[0], task.output_keys[0]), (shown.thumbnail_url, f"thumbnails/{task.id}_thumb.jpg")):
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        assert parts.path == f"/media/{key}"
        assert signer.verify(key, query["expires"][0], query["signature"][0])


def test_generate_is_blocked_by_the_price_over_the_balance_or_the_months_quota() -> None:
    state = fresh(GenerationState, "")
    state.task_type, state.model_id = "image", "nano-banana-pro"
    state._reset_params()  # the model's defaults: 1K
    assert state.price == 18.0
    state.credit_balance, state.month_left = 500.0, -1.0
    assert state.generate_blocked == ""
    state.credit_balance = 3.0
    assert state.generate_blocked == "Needs 18.00 credits; you have 3.00"
    state.credit_balance, state.month_left = 500.0, 2.0
    assert state.generate_blocked == "This month's quota has 2.00 credits left"
    state.month_left = 18.0
    assert state.generate_blocked == ""  # exactly enough
