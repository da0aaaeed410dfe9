"""A task's live progress and result, and the "My generations" list; a completed task can be shared from
either (pages put the one `share_dialog` beside them)."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.gallery_forms import share_button
from smartspec_app.state.generation import GenerationState, TaskView

STATUS_COLORS = {"pending": "gray", "running": "blue", "completed": "green", "failed": "red", "cancelled": "gray"}


def status_badge(task: rx.Var[TaskView], element_id: str = "") -> rx.Component:
    return rx.badge(
        task.status,
        color_scheme=rx.match(task.status, *STATUS_COLORS.items(), "gray"),
        id=element_id or None,
        variant="soft",
    )


def media(task: rx.Var[TaskView], url: rx.Var[str]) -> rx.Component:
    return rx.match(
        task.task_type,
        ("video", rx.el.video(src=url, controls=True, class_name="result-video", style={"width": "100%", "border-radius": "8px"})),
        ("speech", rx.el.audio(src=url, controls=True, class_name="result-audio", style={"width": "100%"})),
        rx.image(src=url, alt=task.prompt, class_name="result-image", width="100%", border_radius="8px"),
    )


def sandbox_label(task: rx.Var[TaskView]) -> rx.Component:
    return rx.cond(
        task.provider == "sandbox",
        rx.tooltip(
            rx.badge("sandbox", color_scheme="orange", class_name="sandbox-badge"),
            content="Rendered locally by the offline sandbox, not by an AI model",
        ),
    )


def current_task_panel() -> rx.Component:
    task = GenerationState.current_task
    return rx.cond(
        task.id != "",
        rx.card(
            rx.vstack(
                rx.hstack(
                    status_badge(task, "task-status"),
                    sandbox_label(task),
                    rx.text(task.model_name, weight="medium"),
                    rx.spacer(),
                    rx.text(task.progress.to_string() + "%", id="task-progress-text", size="2"),
                    width="100%",
                    align="center",
                ),
                rx.progress(value=task.progress, max=100, id="task-progress", width="100%"),
                rx.hstack(
                    rx.text(task.status_detail, id="task-detail", size="2", color_scheme="gray"),
                    rx.spacer(),
                    rx.cond(
                        task.active,
                        rx.button(
                            rx.icon("square", size=14),
                            "Cancel",
                            id="cancel-task",
                            size="1",
                            variant="soft",
                            color_scheme="gray",
                            on_click=GenerationState.cancel_task(task.id),
                        ),
                    ),
                    width="100%",
                    align="center",
                ),
                rx.cond(
                    task.error_message != "",
                    rx.callout(
                        task.error_message,
                        color_scheme=rx.cond(task.status == "cancelled", "gray", "red"),
                        icon="circle_x",
                        id="task-error",
                        width="100%",
                    ),
                ),
                rx.cond(
                    task.status == "completed",
                    rx.grid(
                        rx.foreach(task.output_urls, lambda url: media(task, url)), columns="2", spacing="3", width="100%", id="task-result"
                    ),
                ),
                rx.text(task.prompt, size="2", color_scheme="gray", trim="end"),
                rx.hstack(
                    rx.cond(task.status == "completed", share_button(task.id, task.prompt, "share-to-gallery")),
                    reuse_link(task, "reuse-current"),
                    rx.cond(~task.active, run_again_button(GenerationState.run_again(task.id), "run-again-current")),
                    wrap="wrap",
                    spacing="2",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="current-task",
        ),
    )


def reuse_link(task: rx.Var[TaskView], element_id: str = "") -> rx.Component:
    """Back to the form with this task's model, parameters and prompt filled in."""
    return rx.link(
        rx.button(rx.icon("sliders_horizontal", size=14), "Reuse settings", variant="soft", size="1"),
        href="/generate?reuse=" + task.id,
        class_name="reuse-settings",
        id=element_id or None,
        title="Open the form with this generation's model, prompt and parameters",
    )


def run_again_button(on_click: rx.event.EventSpec, element_id: str = "") -> rx.Component:
    return rx.button(
        rx.icon("rotate_cw", size=14),
        "Run again",
        variant="soft",
        size="1",
        class_name="run-again",
        id=element_id or None,
        title="Start a new generation with the same settings",
        on_click=on_click,
    )


def _thumb(task: rx.Var[TaskView]) -> rx.Component:
    return rx.box(
        rx.cond(
            task.thumbnail_url != "",
            rx.image(src=task.thumbnail_url, width="64px", height="64px", object_fit="cover", border_radius="6px"),
            rx.center(
                rx.match(task.task_type, ("video", rx.icon("film")), ("speech", rx.icon("audio_lines")), rx.icon("image")),
                width="64px",
                height="64px",
                background="var(--gray-a3)",
                border_radius="6px",
            ),
        ),
        flex_shrink="0",
    )


def task_row(
    task: rx.Var[TaskView],
    on_delete: rx.event.EventSpec,
    on_run_again: rx.event.EventSpec,
    on_open: rx.event.EventSpec | None = None,
) -> rx.Component:
    """One generation in a list: what it was, how it went, and what can be done with it."""
    return rx.hstack(
        _thumb(task),
        rx.vstack(
            rx.hstack(status_badge(task), sandbox_label(task), rx.text(task.model_name, size="2", weight="medium"), align="center"),
            rx.text(task.prompt, size="2", trim="end", max_width="40em", class_name="task-prompt"),
            rx.cond(task.active, rx.progress(value=task.progress, max=100, width="12em")),
            rx.cond(task.error_message != "", rx.text(task.error_message, size="1", color_scheme="red")),
            rx.hstack(
                rx.cond(task.status == "completed", share_button(task.id, task.prompt, size="1")),
                reuse_link(task),
                rx.cond(~task.active, run_again_button(on_run_again.stop_propagation)),
                spacing="2",
                on_click=rx.stop_propagation,
            ),
            spacing="1",
            align="start",
        ),
        rx.spacer(),
        rx.vstack(
            rx.text(task.created_at, size="1", color_scheme="gray"),
            rx.cond(task.charge != "", rx.text(task.charge, size="1", color_scheme="gray", class_name="task-charge")),
            spacing="0",
            align="end",
        ),
        rx.cond(
            ~task.active,
            rx.icon_button(
                rx.icon("trash_2", size=14),
                size="1",
                variant="ghost",
                color_scheme="red",
                class_name="delete-task",
                title="Delete this generation and its files",
                on_click=on_delete.stop_propagation,
            ),
        ),
        class_name="task-row",
        width="100%",
        align="center",
        padding="0.5em",
        border_radius="8px",
        cursor="pointer" if on_open is not None else "default",
        _hover={"background": "var(--gray-a3)"},
        on_click=on_open,
    )


def _recent_row(task: rx.Var[TaskView]) -> rx.Component:
    return task_row(task, GenerationState.delete_task(task.id), GenerationState.run_again(task.id), GenerationState.show_task(task.id))


def task_history() -> rx.Component:
    """The latest generations under the form; /generations has all of them."""
    return rx.vstack(
        rx.hstack(
            rx.heading("Recent generations", size="5"),
            rx.spacer(),
            rx.link("All generations, with search and filters →", href="/generations", size="2", id="all-generations"),
            width="100%",
            align="center",
        ),
        rx.cond(
            GenerationState.live_tasks.length() + GenerationState.tasks.length() > 0,
            rx.vstack(
                rx.foreach(GenerationState.live_tasks, _recent_row),  # followed live: a progress tick resends only these
                rx.foreach(GenerationState.tasks, _recent_row),
                width="100%",
                spacing="1",
                id="task-history",
            ),
            rx.text("Nothing generated yet.", color_scheme="gray"),
        ),
        width="100%",
        spacing="3",
    )
