"""The "Report" button and dialog on a gallery item page."""

from __future__ import annotations

import reflex as rx

from smartspec_app.state.reports import ReportState


def report_dialog() -> rx.Component:
    state = ReportState
    form = rx.form(
        rx.vstack(
            rx.text("Why should a moderator look at this item?", size="2"),
            rx.select.root(
                rx.select.trigger(placeholder="Pick a reason", id="report-reason", width="100%"),
                rx.select.content(rx.foreach(state.report_reasons, lambda o: rx.select.item(o["label"], value=o["value"]))),
                name="reason",
                required=True,
            ),
            rx.text_area(
                name="details", placeholder="Anything that helps (optional)", max_length=1000, rows="3", width="100%", id="report-details"
            ),
            rx.cond(
                state.report_error != "",
                rx.callout(state.report_error, color_scheme="red", icon="triangle_alert", id="report-error", width="100%"),
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                rx.button("Send report", type="submit", color_scheme="red", id="report-submit"),
                justify="end",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=state.submit_report,
        reset_on_submit=True,
    )
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("flag", size=16),
                rx.cond(state.report_sent, "Reported", "Report"),
                variant="ghost",
                color_scheme="gray",
                size="1",
                id="report-item",
                disabled=state.report_sent,
            )
        ),
        rx.dialog.content(rx.dialog.title("Report this item"), form, max_width="30em"),
        open=state.report_open,
        on_open_change=state.set_report_open,
    )
