"""The generation page: the model form, Generate, and live progress of the user's tasks.

`watch_tasks` is a background event that follows the user's tasks while one of them runs. It does
not poll: the worker publishes each task change once after it commits (services/task_events), and
the watcher wakes up with the snapshots of the changed tasks and sends only those to the browser.
Now and then (TASK_WATCH_RESYNC_SECONDS), and whenever a message may have been lost, it re-reads
the tasks from the database, the source of truth, so a reload, a second tab, a missed message or a
restarted worker still converge.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

import reflex as rx

from smartspec_app.models import GenerationTask, TaskStatus, User
from smartspec_app.services import auth, catalog, credits, generation, rate_limit, task_events, task_media, worker
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import SmartSpecError
from smartspec_app.services.storage import get_storage, refresh_url
from smartspec_app.services.task_events import TaskSnapshot
from smartspec_app.services.wording import credits_text
from smartspec_app.settings import get_settings
from smartspec_app.state.auth import AuthState

HISTORY_SIZE = 20
# Without a channel from the worker to this process (a separate consumer on the SQLite queue, no
# REDIS_URL), a watching page can only re-read the database, this often.
WATCH_FALLBACK_SECONDS = 1.0


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
    charge: str = ""  # what it costs the user, in words: held, charged or refunded


def charge_words(task: GenerationTask | TaskSnapshot) -> str:
    """The task's charge as the user sees it (services/credits.py)."""
    if task.status == TaskStatus.COMPLETED:
        return credits_text(task.credits_used) if task.credits_used else ""
    if not task.credits_held:
        return ""
    if task.status in TaskStatus.ACTIVE:
        return f"{credits_text(task.credits_held)} held"
    return f"{credits_text(task.credits_held)} refunded"


def _model_name(model_id: str) -> str:
    try:
        return catalog.get_model(model_id).name
    except SmartSpecError:
        return model_id


def _created_label(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC") if iso else ""


def task_view(task: GenerationTask | TaskSnapshot) -> TaskView:
    """The task as the page shows it; its media through signed, expiring URLs (only its owner sees them)."""
    snap = task if isinstance(task, TaskSnapshot) else TaskSnapshot.of(task)
    storage = get_storage()
    return TaskView(
        id=snap.id,
        task_type=snap.task_type,
        model_name=_model_name(snap.model_id),
        prompt=snap.prompt,
        status=snap.status,
        status_detail=snap.status_detail,
        progress=snap.progress,
        output_urls=[refresh_url(storage, url, signed=True) or "" for url in snap.output_urls],
        thumbnail_url=refresh_url(storage, snap.thumbnail_url, signed=True) or "",
        error_message=snap.error_message,
        provider=snap.provider,
        created_at=_created_label(snap.created_at),
        active=snap.status in TaskStatus.ACTIVE,
        charge=charge_words(snap),
    )


def recent_task_views(user_id: int) -> list[TaskView]:
    with session_scope() as session:
        return [task_view(t) for t in generation.recent_tasks(session, user_id, limit=HISTORY_SIZE)]


def _user_id_for_token(token: str) -> int | None:
    with session_scope() as session:
        user = auth.user_for_token(session, token)
    return None if user is None else user.id


def _views_for_token(token: str) -> list[TaskView] | None:
    """None when the token no longer belongs to a signed-in user."""
    user_id = _user_id_for_token(token)
    return None if user_id is None else recent_task_views(user_id)


def _credit_summary(user_id: int) -> credits.CreditSummary:
    with session_scope() as session:
        return credits.summary(session, user_id)


def _resync_seconds() -> float:
    """How long a watcher waits for pushed changes before it re-reads the database (jittered, so
    pages opened together do not re-read together)."""
    every = get_settings().task_watch_resync_seconds if task_events.reaches_watchers() else WATCH_FALLBACK_SECONDS
    return every * random.uniform(0.8, 1.2)


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
    # The history in two lists, so a progress tick sends only the tasks being followed: `live_tasks`
    # are those that were running while this page watched (they stay there when they finish),
    # `tasks` the rest, newest first.
    live_tasks: list[TaskView] = []
    tasks: list[TaskView] = []
    sandbox_mode: bool = True
    credit_balance: float = 0.0  # the user's app credits (services/credits.py), refreshed on load and after Generate
    month_left: float = -1.0  # what is left of the monthly quota; -1: no quota
    _watcher: str = ""  # the newest watcher of this tab; an older one (any process) stops at its next turn

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
    def price(self) -> float:
        """What Generate would cost now: the model's price for the parameters as set (-1 while they are
        invalid). The prompt counts only for models priced by its length; an empty one is priced as one character."""
        try:
            model = catalog.get_model(self.model_id)
            prompt = self.prompt if self.prompt.strip() else "x" * max(1, model.min_prompt_chars)
            request = catalog.validate_request(self.task_type, self.model_id, prompt[: model.max_prompt_chars], dict(self.param_values))
            return request.estimated_credits
        except SmartSpecError:
            return -1.0

    @rx.var
    def price_label(self) -> str:
        return "" if self.price < 0 else credits_text(self.price, short=True)

    @rx.var
    def balance_label(self) -> str:
        quota = "" if self.month_left < 0 else f" · {self.month_left:,.2f} left this month"
        return f"Balance: {credits_text(self.credit_balance)}{quota}"

    @rx.var
    def generate_blocked(self) -> str:
        """Why Generate is disabled: the price is over the balance or this month's quota ("" when it is not,
        or while the parameters are invalid: Generate then says what is wrong)."""
        if self.price < 0:
            return ""
        return credits.shortfall(self.price, self.credit_balance, self.month_left if self.month_left >= 0 else None)

    def _load_credits(self, user_id: int) -> None:
        self._show_credits(_credit_summary(user_id))

    def _show_credits(self, summary: credits.CreditSummary) -> None:
        month_left = summary.month_left if summary.month_left is not None else -1.0
        if (self.credit_balance, self.month_left) != (summary.balance, month_left):  # unchanged: nothing to send
            self.credit_balance, self.month_left = summary.balance, month_left

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
        self._load_credits(user.id)
        if not self.param_values:
            self._reset_params()
        self._prefill_from_query(user)
        wanted = str(self.router.url.query_parameters.get("task", "") or "")
        if wanted:  # /generate?task=<id>: follow that task (e.g. one just started by "Run again" in the history)
            self.current_task = TaskView(id=wanted)
        self._load_tasks(user.id)
        return GenerationState.watch_tasks

    def _prefill_from_query(self, user: User) -> None:
        """/generate?prompt=...&model=... (the gallery's "Generate similar") fills in the form;
        /generate?reuse=<task id> ("Reuse settings") fills it with one of the user's tasks."""
        query = self.router.url.query_parameters
        reuse = str(query.get("reuse", "") or "")
        if reuse:
            self._reuse(user, reuse)
            return
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

    def _reuse(self, user: User, task_id: str) -> None:
        """The form as the task was asked for: its kind, model, prompt and every parameter."""
        self.form_error, self.error_field = "", ""
        try:
            with session_scope() as session:
                settings = generation.settings_of(session, user, task_id)
        except SmartSpecError as exc:
            self.form_error = exc.message
            return
        self.prompt = settings.prompt
        try:
            model = catalog.get_model(settings.model_id)
        except SmartSpecError:
            self.form_error = f"The model of that generation ({settings.model_id}) is no longer offered; pick another one."
            return
        self.task_type, self.model_id = model.task_type, model.id
        self.param_values = {p.name: _as_text(settings.parameters.get(p.name, p.default_value())) for p in model.params}

    def _load_tasks(self, user_id: int) -> None:
        self._show_tasks(recent_task_views(user_id), keep_live=False)

    def _all_tasks(self) -> list[TaskView]:
        return [*self.live_tasks, *self.tasks]

    def _show_tasks(self, views: list[TaskView], *, keep_live: bool) -> None:
        """Show a fresh read of the history; only the lists that differ are sent again."""
        followed = {t.id for t in self.live_tasks} if keep_live else set()
        live = [v for v in views if v.active or v.id in followed]
        rest = [v for v in views if not (v.active or v.id in followed)]
        if live != self.live_tasks:
            self.live_tasks = live
        if rest != self.tasks:
            self.tasks = rest
        current_id = self.current_task.id
        match = next((t for t in views if t.id == current_id), None)
        if match is None:  # a new tab or a reload: show the newest active task, else the newest
            match = next((t for t in views if t.active), views[0] if views else None)
        self._set_current(match or TaskView())

    def _set_current(self, view: TaskView) -> None:
        if view != self.current_task:
            self.current_task = view

    def _apply(self, changes: list[TaskSnapshot]) -> None:
        """Pushed changes: replace, add or drop those tasks; untouched lists are not sent."""
        live, rest = list(self.live_tasks), list(self.tasks)
        for snap in changes:
            live = [t for t in live if t.id != snap.id] if snap.deleted else live
            rest = [t for t in rest if t.id != snap.id] if snap.deleted else rest
            if snap.deleted:
                if self.current_task.id == snap.id:
                    self._set_current(next((t for t in live if t.active), TaskView()))
                continue
            view = task_view(snap)
            for group in (live, rest):
                index = next((i for i, t in enumerate(group) if t.id == view.id), None)
                if index is not None:
                    group[index] = view
                    break
            else:  # a task this page has not seen yet (started in another tab, or by the API)
                live.insert(0, view)
            if self.current_task.id == view.id or (not self.current_task.active and view.active and not self.current_task.id):
                self._set_current(view)
        if live != self.live_tasks:
            self.live_tasks = live
        if rest != self.tasks:
            self.tasks = rest

    def _watching_anything(self) -> bool:
        return any(t.active for t in self.live_tasks) or any(t.active for t in self.tasks)

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
        except SmartSpecError as exc:  # a 402 (over the balance or the monthly quota) lands here too
            self.form_error, self.error_field = exc.message, exc.field or ""
            self._load_credits(user.id)
            return
        worker.enqueue(task.id)
        self._load_credits(user.id)
        self.current_task = task_view(task)
        self.live_tasks = [self.current_task, *[t for t in self.live_tasks if t.id != task.id]]
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
        self.live_tasks = [t for t in self.live_tasks if t.id != task_id]
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
                cancelled = TaskSnapshot.of(generation.cancel_task(session, user, task_id))
        except SmartSpecError as exc:
            return rx.toast.error(exc.message)
        self._apply([cancelled])  # the watcher gets the same change pushed; applying it twice changes nothing
        return rx.toast.info("Generation cancelled")

    @rx.event
    def run_again(self, task_id: str):
        """A new task with the settings of one of the user's tasks, followed live here."""
        user = self._current_user()
        if user is None:
            return rx.redirect("/login?next=/generate")
        try:
            rate_limit.get_limiter().check_user(user.id)
            with session_scope() as session:
                task = generation.run_again(session, user, task_id, worker.provider_for_new_task(user.id))
        except SmartSpecError as exc:
            return rx.toast.error(exc.message)
        worker.enqueue(task.id)
        self._load_credits(user.id)
        self.current_task = task_view(task)
        self.live_tasks = [self.current_task, *[t for t in self.live_tasks if t.id != task.id]]
        return GenerationState.watch_tasks

    @rx.event
    def show_task(self, task_id: str):
        match = next((t for t in self._all_tasks() if t.id == task_id), None)
        if match is not None:
            self.current_task = match

    @rx.event(background=True)
    async def watch_tasks(self):
        """Follow the user's tasks while one is running: wait for pushed changes, re-read now and then."""
        me = uuid.uuid4().hex
        async with self:
            self._watcher = me  # supersedes an earlier watcher of this tab, in this process or another
            token = self.session_token
        user_id = await asyncio.to_thread(_user_id_for_token, token)
        if user_id is None:
            return
        async with task_events.get_broadcaster().subscribe(user_id) as inbox:
            # Subscribed first, then read: a change committed in between is in the inbox.
            views: list[TaskView] | None = await asyncio.to_thread(recent_task_views, user_id)
            changes: list[TaskSnapshot] = []
            followed = False
            while True:
                async with self:
                    if self._watcher != me:
                        return
                    if views is not None:
                        self._show_tasks(views, keep_live=True)
                    if changes:
                        self._apply(changes)
                    if not self._watching_anything():
                        break
                    followed = True
                batch = await inbox.next(_resync_seconds())
                views, changes = None, []
                if batch is None or batch.resync:  # nothing for a while, or messages may have been lost
                    views = await asyncio.to_thread(_views_for_token, token)
                    if views is None:  # signed out meanwhile
                        return
                else:
                    changes = batch.changes
        if not followed:
            return
        # every followed task has ended: a refund (failed, cancelled) or a settled price changed the balance,
        # and with it what Generate allows
        summary = await asyncio.to_thread(_credit_summary, user_id)
        async with self:
            if self._watcher == me:
                self._show_credits(summary)
