"""/generations: every task of the user, a page at a time, narrowed by type, status, model, dates and
prompt text; each one can fill the form again ("Reuse settings") or run again.

The filters live in the page's URL (`?q=&type=&status=&model=&from=&to=&page=`), so a reload, the
back button or a bookmark show the same list; applying a filter is a navigation that on_load reads.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, urlencode

import reflex as rx

from smartspec_app.services import catalog, generation, rate_limit, task_media, worker
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import SmartSpecError, ValidationError
from smartspec_app.services.storage import get_storage
from smartspec_app.state.auth import AuthState
from smartspec_app.state.generation import TaskView, task_view

PAGE_SIZE = 20
ALL = "all"
STATUS_LABELS = {
    ALL: "Any status",
    "pending": "Pending",
    "running": "Running",
    "completed": "Completed",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
TYPE_LABELS = {ALL: "Any type", "image": "Images", "video": "Videos", "speech": "Speech"}


def _day(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None


def filters_from(query: dict[str, str]) -> generation.TaskFilters:
    """The URL's filters as the service takes them: `from`/`to` are whole days (UTC), both included."""
    first, last = _day(query.get("from", ""), "from"), _day(query.get("to", ""), "to")
    if first and last and last < first:
        raise ValidationError("The end date is before the start date", field="to")
    return generation.TaskFilters(
        status=query.get("status") if query.get("status", ALL) != ALL else None,
        task_type=query.get("type") if query.get("type", ALL) != ALL else None,
        model_id=query.get("model") if query.get("model", ALL) != ALL else None,
        q=query.get("q") or None,
        created_after=datetime.combine(first, datetime.min.time(), UTC) if first else None,
        created_before=datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC) if last else None,
    )


class HistoryState(AuthState):
    tasks: list[TaskView] = []
    page: int = 1
    total: int = 0
    search: str = ""
    type_filter: str = ALL
    status_filter: str = ALL
    model_filter: str = ALL
    date_from: str = ""
    date_to: str = ""
    filter_error: str = ""
    error_field: str = ""

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def filtered(self) -> bool:
        chosen = (self.type_filter, self.status_filter, self.model_filter)
        return bool(self.search or self.date_from or self.date_to) or any(value != ALL for value in chosen)

    @rx.var
    def model_options(self) -> list[dict[str, str]]:
        types = catalog.TASK_TYPES if self.type_filter == ALL else (self.type_filter,)
        models = [m for kind in types for m in catalog.models_for(kind)]
        return [{"value": ALL, "label": "Any model"}] + [{"value": m.id, "label": m.name} for m in models]

    @rx.event
    def on_load(self):
        user = self._current_user()
        if user is None:
            url = self.router.url
            return rx.redirect("/login?next=" + quote(url.path + (f"?{url.query}" if url.query else ""), safe="/"))
        query = {k: str(v) for k, v in self.router.url.query_parameters.items() if isinstance(v, str)}
        self.search, self.date_from, self.date_to = query.get("q", ""), query.get("from", ""), query.get("to", "")
        self.type_filter = query.get("type") if query.get("type") in TYPE_LABELS else ALL
        self.status_filter = query.get("status") if query.get("status") in STATUS_LABELS else ALL
        self.model_filter = query.get("model") or ALL
        page = query.get("page", "1")
        self.page = int(page) if page.isdigit() and 0 < int(page) <= 100_000 else 1
        self.filter_error, self.error_field = "", ""
        try:
            filters = filters_from(query)
            with session_scope() as session:
                found, self.total = generation.list_tasks_for_user_id(
                    session, user.id, limit=PAGE_SIZE, offset=(self.page - 1) * PAGE_SIZE, filters=filters
                )
                self.tasks = [task_view(t) for t in found]
        except SmartSpecError as exc:
            self.tasks, self.total = [], 0
            self.filter_error, self.error_field = exc.message, exc.field or ""

    def _url(self, **changes: str | int) -> str:
        params = {"q": self.search, "type": self.type_filter, "status": self.status_filter, "model": self.model_filter}
        params |= {"from": self.date_from, "to": self.date_to, "page": self.page, **changes}
        kept = {k: v for k, v in params.items() if v not in ("", ALL, 1)}
        return "/generations" + (f"?{urlencode(kept)}" if kept else "")

    @rx.event
    def apply_filters(self, form: dict):
        """The filter form: back to page 1 of the narrowed list (a model of another type is dropped)."""
        kind = str(form.get("type", ALL) or ALL)
        model = str(form.get("model", ALL) or ALL)
        if model != ALL and kind != ALL and all(m.id != model for m in catalog.models_for(kind)):
            model = ALL
        return rx.redirect(
            self._url(
                q=" ".join(str(form.get("q", "")).split()),
                type=kind,
                status=str(form.get("status", ALL) or ALL),
                model=model,
                **{"from": str(form.get("from", "")), "to": str(form.get("to", ""))},
                page=1,
            )
        )

    @rx.event
    def clear_filters(self):
        return rx.redirect("/generations")

    @rx.event
    def go_to_page(self, page: int):
        return rx.redirect(self._url(page=max(1, min(int(page), self.pages))))

    @rx.event
    def run_again(self, task_id: str):
        """Start a new task with this one's settings, then watch it on /generate."""
        user = self._current_user()
        if user is None:
            return rx.redirect("/login?next=/generations")
        try:
            rate_limit.get_limiter().check_user(user.id)  # one budget with the REST API and Generate
            with session_scope() as session:
                task = generation.run_again(session, user, task_id, worker.provider_for_new_task(user.id))
        except SmartSpecError as exc:
            return rx.toast.error(exc.message)
        worker.enqueue(task.id)
        return rx.redirect(f"/generate?task={task.id}")

    @rx.event
    def delete_task(self, task_id: str):
        user = self._current_user()
        if user is None:
            return rx.redirect("/login?next=/generations")
        try:
            with session_scope() as session:
                task_media.delete_task(session, get_storage(), user, task_id)
        except SmartSpecError as exc:
            return rx.toast.error(exc.message)
        self.tasks = [t for t in self.tasks if t.id != task_id]
        self.total = max(0, self.total - 1)
        return rx.toast.success("Generation deleted")
