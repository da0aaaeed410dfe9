"""A user's history (services/generation.py: TaskFilters, list_tasks_for_user_id, settings_of, run_again)
on SQLite and PostgreSQL: every filter, paging, prompt search, and the settings of a task coming
back exactly for every model and parameter kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session

from smartspec_app.models import GenerationTask, TaskStatus, User
from smartspec_app.services import auth, catalog, generation
from smartspec_app.services.errors import NotFound, ValidationError
from smartspec_app.services.generation import TaskFilters

DAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def make_user(session: Session, name: str) -> User:
    user = auth.create_user(session, f"{name}@example.com", "a long password", username=name)
    session.commit()
    return user


def task(
    session: Session, user: User, prompt: str, *, model: str = "nano-banana-pro", status: str = "completed", days_ago: int = 0, **params
):
    kind = catalog.get_model(model).task_type
    created = generation.start_generation(session, user, kind, model, prompt, params, "sandbox")
    when = DAY - timedelta(days=days_ago)
    session.exec(update(GenerationTask).where(GenerationTask.id == created.id).values(status=status, created_at=when))
    session.commit()
    return created


def prompts(session: Session, user: User, **filters) -> list[str]:
    tasks, _total = generation.list_tasks_for_user_id(session, user.id, limit=100, filters=TaskFilters(**filters))
    return [t.prompt for t in tasks]


def test_every_filter_narrows_the_history_and_they_combine(session: Session) -> None:
    ann, bob = make_user(session, "ann"), make_user(session, "bob")
    task(session, ann, "A red fox in snow", days_ago=0)
    task(session, ann, "100% cotton shirt_mockup", days_ago=1, status="failed")
    task(session, ann, "Fox documentary intro", model="wan/2-6-text-to-video", days_ago=2, status="running")
    task(session, ann, "Hello there, fox fans", model="elevenlabs/text-to-speech-turbo-2-5", days_ago=10)
    task(session, ann, "Quiet lake", model="flux-2/pro-text-to-image", days_ago=3)
    task(session, bob, "Bob's fox", days_ago=0)

    assert len(prompts(session, ann)) == 5
    assert prompts(session, ann, q="FOX") == ["A red fox in snow", "Fox documentary intro", "Hello there, fox fans"]
    assert prompts(session, ann, q="100%") == ["100% cotton shirt_mockup"]  # LIKE wildcards are plain text
    assert prompts(session, ann, q="t_m") == ["100% cotton shirt_mockup"]
    assert prompts(session, ann, q="%") == ["100% cotton shirt_mockup"]
    assert prompts(session, ann, task_type="video") == ["Fox documentary intro"]
    assert prompts(session, ann, task_type="speech", q="fox") == ["Hello there, fox fans"]
    assert prompts(session, ann, status="failed") == ["100% cotton shirt_mockup"]
    assert prompts(session, ann, model_id="flux-2/pro-text-to-image") == ["Quiet lake"]
    assert prompts(session, ann, created_after=DAY - timedelta(days=2), created_before=DAY) == [
        "100% cotton shirt_mockup",
        "Fox documentary intro",
    ]
    naive = (DAY - timedelta(days=1)).replace(tzinfo=None)  # naive times are UTC
    assert prompts(session, ann, created_after=naive) == ["A red fox in snow", "100% cotton shirt_mockup"]
    assert prompts(session, ann, q="fox", task_type="image", status="completed") == ["A red fox in snow"]
    assert prompts(session, bob, q="fox") == ["Bob's fox"]  # never another user's
    assert prompts(session, ann, created_after=DAY, created_before=DAY - timedelta(days=1)) == []  # a reversed range holds nothing


def test_pages_are_stable_and_counted(session: Session) -> None:
    user = make_user(session, "pager")
    for n in range(7):
        task(session, user, f"Task {n}", days_ago=0)  # the same created_at: the id breaks the tie
    seen = []
    for page in range(3):
        tasks, total = generation.list_tasks_for_user_id(session, user.id, limit=3, offset=page * 3, filters=TaskFilters())
        assert total == 7
        seen += [t.id for t in tasks]
    assert len(seen) == 7 and len(set(seen)) == 7


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({"task_type": "poem"}, "task_type"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_filters_name_their_field(session: Session, filters: dict, field: str) -> None:
    user = make_user(session, f"bad{field}")
    with pytest.raises(ValidationError) as caught:
        generation.list_tasks_for_user_id(session, user.id, filters=TaskFilters(**filters))
    assert caught.value.field == field


SETTINGS = [
    # (model, parameters): every kind of parameter, values other than the defaults
    ("nano-banana-pro", {"aspect_ratio": "16:9", "resolution": "2K", "output_format": "jpg", "num_images": 2,
                         "image_input": ["https://example.com/a.png", "https://example.com/b.jpg"]}),
    ("google/imagen4-fast", {"aspect_ratio": "9:16", "num_images": "3", "seed": 42, "negative_prompt": "blurry"}),
    ("wan/2-6-text-to-video", {"duration": "10", "resolution": "720p"}),
    ("elevenlabs/text-to-speech-turbo-2-5", {"voice": "Aria", "stability": 0.3, "speed": 1.1, "timestamps": True, "language_code": "en"}),
]  # fmt: skip


@pytest.mark.parametrize(("model_id", "given"), SETTINGS)
def test_settings_come_back_exactly_and_run_again_starts_the_same_request(session: Session, model_id: str, given: dict) -> None:
    user = make_user(session, "reuser" + str(abs(hash(model_id)) % 10_000))
    model = catalog.get_model(model_id)
    given = {k: v for k, v in given.items() if model.param(k) is not None}
    first = task(session, user, "Settings to keep", model=model_id, **given)
    settings = generation.settings_of(session, user, first.id)
    assert (settings.task_type, settings.model_id, settings.prompt) == (model.task_type, model_id, "Settings to keep")
    assert settings.parameters == first.parameters
    assert set(settings.parameters) == set(model.param_names)

    again = generation.run_again(session, user, first.id, "sandbox")
    session.commit()
    assert again.id != first.id and again.status == TaskStatus.PENDING
    assert (again.model_id, again.prompt, again.parameters) == (first.model_id, first.prompt, first.parameters)
    assert again.provider_inputs == first.provider_inputs


def test_another_users_task_cannot_be_reused(session: Session) -> None:
    owner, other, admin = make_user(session, "owner_r"), make_user(session, "other_r"), make_user(session, "admin_r")
    admin.is_admin = True
    mine = task(session, owner, "Mine")
    for stranger in (other, admin):  # not even an admin fills their form with someone else's task
        with pytest.raises(NotFound):
            generation.settings_of(session, stranger, mine.id)
        with pytest.raises(NotFound):
            generation.run_again(session, stranger, mine.id, "sandbox")
