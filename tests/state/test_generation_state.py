"""The generation page's Generate event shares the REST API's per-user rate limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from smartspec_app.models import GenerationTask
from smartspec_app.services import auth
from smartspec_app.settings import reload_settings
from smartspec_app.state.generation import GenerationState
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
