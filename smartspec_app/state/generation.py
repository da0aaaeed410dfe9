"""The generation page: the model form, Generate, and live progress of the user's tasks.

`watch_tasks` is a background event: it reads the user's active tasks from the database (the
source of truth) a few times a second and streams status and progress to the browser, so a
reload or a second tab picks the same task up again.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any
from urllib.parse import quote

import reflex as rx

from smartspec_app.models import GenerationTask, TaskStatus
from smartspec_app.services import auth, catalog, generation, rate_limit, task_media, worker
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import SmartSpecError
from smartspec_app.services.storage import get_storage
from smartspec_app.state.auth import AuthState

WATCH_INTERVAL = 0.4
HISTORY_SIZE = 20


@dataclasses.dataclass
class ParamField:
    name: str = ""
    label: str = ""
    kind: str = "text"  # select, searchable (a long list: type to search), number, integer, bool, text
    options: list[str] = dataclasses.field(default_factory=list)
    option_items: list[dict[str, str]] = dataclasses.field(default_factory=list)  # {"value", "label"} of a searchable list
    minimum: str = ""  # the number input's min/max attributes; "" sets no bound
    maximum: str = ""
    step: float = 1
    help: str = ""


@dataclasses.dataclass
class TaskView:
    id: str = ""
    task_type: str = ""
    model_name: str = ""
    prompt: str = ""
    status: str = ""
    status_detail: str = ""
    progress: int = 0
    output_urls: list[str] = dataclasses.field(default_factory=list)
    thumbnail_url: str = ""
    error_message: str = ""
    provider: str = ""
    created_at: str = ""
    active: bool = False


def _model_name(model_id: str) -> str:
    try:
        return catalog.get_model(model_id).name
    except SmartSpecError:
        return model_id


def task_view(task: GenerationTask) -> TaskView:
    return TaskView(
        id=task.id,
        task_type=task.task_type,
        model_name=_model_name(task.model_id),
        prompt=task.prompt,
        status=task.status,
        status_detail=task.status_detail,
        progress=task.progress,
        output_urls=list(task.output_urls),
        thumbnail_url=task.thumbnail_url or "",
        error_message=task.error_message or "",
        provider=task.provider,
        created_at=task.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        active=task.status in TaskStatus.ACTIVE,
    )


def recent_task_views(user_id: int) -> list[TaskView]:
    with session_scope() as session:
        tasks, _total = generation.list_tasks_for_user_id(session, user_id, limit=HISTORY_SIZE)
        return [task_view(t) for t in tasks]


def _views_for_token(token: str) -> list[TaskView] | None:
    """None when the token no longer belongs to a signed-in user."""
    with session_scope() as session:
        user = auth.user_for_token(session, token)
    return None if user is None else recent_task_views(user.id)


def _field(spec: catalog.ParamSpec) -> ParamField:
    searchable = spec.kind == "select" and spec.searchable
    return ParamField(
        name=spec.name,
        label=spec.label,
        kind="searchable" if searchable else spec.kind,
        options=[] if searchable else list(spec.options),
        option_items=[{"value": option, "label": spec.label_of(option)} for option in spec.options] if searchable else [],
        minimum="" if spec.minimum is None else f"{spec.minimum:g}",
        maximum="" if spec.maximum is None else f"{spec.maximum:g}",
        step=spec.step or (1 if spec.kind == "integer" else 0.05),
        help=spec.help,
    )


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


class GenerationState(AuthState):
    task_type: str = "image"
    model_id: str = "nano-banana-pro"
    prompt: str = ""
    param_values: dict[str, str] = {}
    form_error: str = ""
    error_field: str = ""
    submitting: bool = False
    current_task: TaskView = TaskView()
    tasks: list[TaskView] = []
    sandbox_mode: bool = True
    _watching: bool = False

    @rx.var
    def model_options(self) -> list[dict[str, str]]:
        return [{"id": m.id, "name": f"{m.name} · {m.vendor}"} for m in catalog.models_for(self.task_type)]

    @rx.var
    def param_fields(self) -> list[ParamField]:
        try:
            return [_field(p) for p in catalog.get_model(self.model_id).params]
        except SmartSpecError:
            return []

    @rx.var
    def prompt_limit(self) -> int:
        try:
            return catalog.get_model(self.model_id).max_prompt_chars
        except SmartSpecError:
            return 0

    @rx.var
    def model_description(self) -> str:
        try:
            return catalog.get_model(self.model_id).description
        except SmartSpecError:
            return ""

    def _reset_params(self) -> None:
        self.param_values = {p.name: _as_text(p.default) for p in catalog.get_model(self.model_id).params}

    @rx.event
    def on_load(self):
        user = self._current_user()
        if user is None:  # keep the query ("Generate similar" from the gallery) across the log-in
            url = self.router.url
            return rx.redirect("/login?next=" + quote(url.path + (f"?{url.query}" if url.query else ""), safe="/"))
        self.sandbox_mode = worker.provider_name(user.id) == "sandbox"
        if not self.param_values:
            self._reset_params()
        self._prefill_from_query()
        self._load_tasks(user.id)
        return GenerationState.watch_tasks

    def _prefill_from_query(self) -> None:
        """/generate?prompt=...&model=... (the gallery's "Generate similar") fills in the form."""
        query = self.router.url.query_parameters
        model_id, prompt = str(query.get("model", "") or ""), str(query.get("prompt", "") or "")
        if model_id and model_id != self.model_id:
            try:
                model = catalog.get_model(model_id)
            except SmartSpecError:
                model = None
            if model is not None:
                self.task_type, self.model_id = model.task_type, model.id
                self._reset_params()
        if prompt:
            self.prompt = prompt[: self.prompt_limit or len(prompt)]

    def _load_tasks(self, user_id: int) -> None:
        self._show_tasks(recent_task_views(user_id))

    def _show_tasks(self, views: list[TaskView]) -> None:
        self.tasks = views
        current_id = self.current_task.id
        match = next((t for t in self.tasks if t.id == current_id), None)
        if match is None:  # a new tab or a reload: show the newest active task, else the newest
            match = next((t for t in self.tasks if t.active), self.tasks[0] if self.tasks else None)
        self.current_task = match or TaskView()

    @rx.event
    def set_task_type(self, value: str | list[str]):
        value = value[0] if isinstance(value, list) else value
        if value not in catalog.TASK_TYPES:
            return
        self.task_type = value
        self.model_id = catalog.models_for(value)[0].id
        self._reset_params()
        self.form_error, self.error_field = "", ""

    @rx.event
    def set_model_id(self, value: str):
        self.model_id = value
        self._reset_params()
        self.form_error, self.error_field = "", ""

    @rx.event
    def set_prompt(self, value: str):
        self.prompt = value

    @rx.event
    def set_param(self, name: str, value: Any):
        if isinstance(value, list):  # sliders send [value]
            value = value[0] if value else ""
        self.param_values[name] = _as_text(value)

    @rx.event
    def generate(self):
        user = self._current_user()
        if user is None:
            return rx.redirect("/login?next=/generate")
        self.form_error, self.error_field = "", ""
        try:
            rate_limit.get_limiter().check_user(user.id)  # one budget with the REST API
            with session_scope() as session:
                task = generation.start_generation(
                    session,
                    user,
                    self.task_type,
                    self.model_id,
                    self.prompt,
                    dict(self.param_values),
                    worker.provider_for_new_task(user.id),
                )
        except SmartSpecError as exc:
            self.form_error, self.error_field = exc.message, exc.field or ""
            return
        worker.enqueue(task.id)
        self.current_task = task_view(task)
        self.tasks = [self.current_task, *self.tasks][:HISTORY_SIZE]
        return GenerationState.watch_tasks

    @rx.event
    def delete_task(self, task_id: str):
        """Delete one of the user's finished tasks and its stored media (checked on the server)."""
        user = self._current_user()
        if user is None:
            return rx.redirect("/login?next=/generations")
        try:
            with session_scope() as session:
                task_media.delete_task(session, get_storage(), user, task_id)
        except SmartSpecError as exc:
            return rx.toast.error(exc.message)
        self.tasks = [t for t in self.tasks if t.id != task_id]
        if self.current_task.id == task_id:
            self.current_task = TaskView()
        return rx.toast.success("Generation deleted")

    @rx.event
    def cancel_task(self, task_id: str):
        """Cancel one of the user's running tasks (checked on the server)."""
        user = self._current_user()
        if user is None:
            return rx.redirect("/login?next=/generate")
        try:
            with session_scope() as session:
                view = task_view(generation.cancel_task(session, user, task_id))
        except SmartSpecError as exc:
            return rx.toast.error(exc.message)
        self.tasks = [view if t.id == task_id else t for t in self.tasks]
        if self.current_task.id == task_id:
            self.current_task = view
        return rx.toast.info("Generation cancelled")

    @rx.event
    def show_task(self, task_id: str):
        match = next((t for t in self.tasks if t.id == task_id), None)
        if match is not None:
            self.current_task = match

    @rx.event(background=True)
    async def watch_tasks(self):
        """Stream the user's active tasks until none is left running."""
        async with self:
            if self._watching:
                return
            self._watching = True
        try:
            while True:
                async with self:
                    token = self.session_token
                views = await asyncio.to_thread(_views_for_token, token)
                async with self:
                    if views is None:
                        return
                    self._show_tasks(views)
                if not any(t.active for t in views):
                    return
                await asyncio.sleep(WATCH_INTERVAL)
        finally:
            async with self:
                self._watching = False
