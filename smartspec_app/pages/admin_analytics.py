"""/admin/analytics: generations, success rates, durations, credits, gallery activity and the moderation backlog."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.admin_nav import admin_nav, denied_callout
from smartspec_app.components.nav import page_frame
from smartspec_app.state.analytics import AnalyticsState

COLORS = {"image": "#8b5cf6", "video": "#0ea5e9", "speech": "#f59e0b", "completed": "#22c55e", "failed": "#ef4444"}


def _stat(label: str, key: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="1", color_scheme="gray"),
            rx.text(AnalyticsState.figures[key], size="5", weight="bold", id=f"stat-{key}"),
            spacing="1",
        )
    )


def _chart_card(title: str, chart: rx.Component) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="4"), chart, width="100%"), width="100%")


def _axes() -> list[rx.Component]:
    return [
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        rx.recharts.x_axis(data_key="day"),
        rx.recharts.y_axis(allow_decimals=False),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
    ]


def _range_form() -> rx.Component:
    return rx.hstack(
        rx.form(
            rx.hstack(
                rx.input(type="date", name="start", default_value=AnalyticsState.start, key=AnalyticsState.start, id="range-start"),
                rx.text("to"),
                rx.input(type="date", name="end", default_value=AnalyticsState.end, key=AnalyticsState.end, id="range-end"),
                rx.button("Show", type="submit", id="range-apply"),
                align="center",
            ),
            on_submit=AnalyticsState.apply_range,
        ),
        rx.button("7 days", variant="soft", on_click=AnalyticsState.last_days(7)),
        rx.button("30 days", variant="soft", on_click=AnalyticsState.last_days(30)),
        rx.button("90 days", variant="soft", on_click=AnalyticsState.last_days(90)),
        wrap="wrap",
        align="center",
    )


def _by_model_table() -> rx.Component:
    headers = ("Model", "Tasks", "Completed", "Failed", "Success", "Avg duration", "Credits")
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(
            rx.foreach(
                AnalyticsState.by_model,
                lambda m: rx.table.row(
                    rx.table.cell(m["model"]),
                    rx.table.cell(m["total"]),
                    rx.table.cell(m["completed"]),
                    rx.table.cell(m["failed"]),
                    rx.table.cell(m["success"]),
                    rx.table.cell(m["avg"]),
                    rx.table.cell(m["credits"]),
                ),
            )
        ),
        width="100%",
        id="by-model",
    )


def _dashboard() -> rx.Component:
    data = AnalyticsState.generations_by_day
    return rx.vstack(
        _range_form(),
        rx.cond(AnalyticsState.range_error != "", rx.callout(AnalyticsState.range_error, icon="triangle_alert", color_scheme="red")),
        rx.grid(
            _stat("Generations", "total"),
            _stat("Success rate", "success_rate"),
            _stat("Failure rate", "failure_rate"),
            _stat("Average duration", "avg_duration"),
            _stat("Credits used", "credits"),
            _stat("Gallery items", "items"),
            _stat("Likes", "likes"),
            _stat("Views", "views"),
            columns=rx.breakpoints(initial="2", md="4"),
            spacing="3",
            width="100%",
        ),
        _chart_card(
            "Generations per day by type",
            rx.recharts.bar_chart(
                *[rx.recharts.bar(data_key=t, stack_id="type", fill=COLORS[t]) for t in ("image", "video", "speech")],
                *_axes(),
                data=data,
                height=280,
                width="100%",
            ),
        ),
        _chart_card(
            "Completed and failed per day",
            rx.recharts.line_chart(
                rx.recharts.line(data_key="completed", stroke=COLORS["completed"], type_="monotone"),
                rx.recharts.line(data_key="failed", stroke=COLORS["failed"], type_="monotone"),
                *_axes(),
                data=data,
                height=240,
                width="100%",
            ),
        ),
        _chart_card(
            "Credits used per day",
            rx.recharts.area_chart(
                rx.recharts.area(data_key="credits", stroke="#8b5cf6", fill="#c4b5fd", type_="monotone"),
                *_axes(),
                data=data,
                height=220,
                width="100%",
            ),
        ),
        _chart_card("By model", _by_model_table()),
        _chart_card(
            "Gallery: items shared, likes and views per day",
            rx.recharts.line_chart(
                rx.recharts.line(data_key="items", stroke="#8b5cf6", type_="monotone"),
                rx.recharts.line(data_key="likes", stroke="#ec4899", type_="monotone"),
                rx.recharts.line(data_key="views", stroke="#0ea5e9", type_="monotone"),
                *_axes(),
                data=AnalyticsState.gallery_by_day,
                height=260,
                width="100%",
            ),
        ),
        _chart_card(
            "Moderation backlog (now)",
            rx.hstack(
                rx.foreach(
                    AnalyticsState.backlog,
                    lambda kv: rx.link(rx.badge(kv[0], ": ", kv[1], size="2", variant="soft"), href="/admin/moderation"),
                ),
                rx.cond(AnalyticsState.oldest_pending != "", rx.text("oldest pending: ", AnalyticsState.oldest_pending, size="2")),
                wrap="wrap",
                id="backlog",
            ),
        ),
        spacing="4",
        width="100%",
    )


def admin_analytics_page() -> rx.Component:
    return page_frame(
        rx.heading("Analytics", size="7"),
        admin_nav("analytics"),
        rx.cond(AnalyticsState.denied, denied_callout(), _dashboard()),
    )
