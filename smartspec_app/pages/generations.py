"""/generations: the user's whole history, filtered and paged, with "Share to gallery" (completed ones),
"Reuse settings" and "Run again"."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.forms import form_error
from smartspec_app.components.gallery_forms import share_dialog
from smartspec_app.components.nav import page_frame
from smartspec_app.components.pager import pager
from smartspec_app.components.tasks import task_row
from smartspec_app.state.generation import TaskView
from smartspec_app.state.history import STATUS_LABELS, TYPE_LABELS, HistoryState


def _select(name: str, labels: dict[str, str], value: rx.Var[str], element_id: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id=element_id, aria_label=name),
        rx.select.content(*[rx.select.item(label, value=key) for key, label in labels.items()]),
        name=name,
        default_value=value,
        key=value,
    )


def _labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray"), control, spacing="1")


def filter_form() -> rx.Component:
    state = HistoryState
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    name="q",
                    type="search",
                    default_value=state.search,
                    key=state.search,
                    placeholder="Search your prompts…",
                    max_length=200,
                    aria_label="Search your prompts",
                    id="history-search",
                    width="100%",
                ),
                rx.button("Apply", type="submit", id="history-apply"),
                rx.cond(
                    state.filtered,
                    rx.button("Clear", variant="soft", type="button", on_click=state.clear_filters, id="history-clear"),
                ),
                width="100%",
            ),
            rx.hstack(
                _labelled("Type", _select("type", TYPE_LABELS, state.type_filter, "history-type")),
                _labelled("Status", _select("status", STATUS_LABELS, state.status_filter, "history-status")),
                _labelled(
                    "Model",
                    rx.select.root(
                        rx.select.trigger(id="history-model", aria_label="model"),
                        rx.select.content(rx.foreach(state.model_options, lambda o: rx.select.item(o["label"], value=o["value"]))),
                        name="model",
                        default_value=state.model_filter,
                        key=state.model_filter,
                    ),
                ),
                _labelled(
                    "From",
                    rx.input(type="date", name="from", default_value=state.date_from, key=state.date_from, id="history-from"),
                ),
                _labelled("To", rx.input(type="date", name="to", default_value=state.date_to, key=state.date_to, id="history-to")),
                wrap="wrap",
                spacing="4",
                align="end",
            ),
            form_error(state.filter_error, "history-error"),
            width="100%",
            spacing="3",
        ),
        on_submit=state.apply_filters,
        role="search",
        width="100%",
    )


def _row(task: rx.Var[TaskView]) -> rx.Component:
    return task_row(task, HistoryState.delete_task(task.id), HistoryState.run_again(task.id))


def _empty() -> rx.Component:
    return rx.cond(
        HistoryState.filtered,
        rx.text("No generation matches these filters.", color_scheme="gray", id="history-empty"),
        rx.text("Nothing generated yet. ", rx.link("Make something", href="/generate"), ".", color_scheme="gray", id="history-empty"),
    )


def generations_page() -> rx.Component:
    return page_frame(
        rx.hstack(
            rx.heading("My generations", size="7"),
            rx.spacer(),
            rx.link(rx.button(rx.icon("sparkles", size=16), "Generate"), href="/generate"),
            width="100%",
            align="center",
        ),
        filter_form(),
        rx.cond(
            HistoryState.tasks.length() > 0,
            rx.vstack(
                rx.vstack(rx.foreach(HistoryState.tasks, _row), width="100%", spacing="1", id="history-list"),
                pager(HistoryState.page, HistoryState.pages, HistoryState.total, "generation", HistoryState.go_to_page),
                width="100%",
                spacing="3",
            ),
            _empty(),
        ),
        share_dialog(),  # "Share to gallery" of any completed row
    )
