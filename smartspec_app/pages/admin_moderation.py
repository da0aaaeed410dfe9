"""/admin/moderation: the review queue with filters, bulk actions on a page, and an item's detail."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.admin_nav import admin_nav, denied_callout
from smartspec_app.components.nav import page_frame
from smartspec_app.components.pager import pager
from smartspec_app.components.wording import counted
from smartspec_app.state.moderation import ModerationState, QueueRow, ReportRow, ScoreRow

STATUS_COLORS = {"pending": "amber", "approved": "green", "rejected": "red"}


def status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        ("approved", rx.badge("approved", color_scheme="green")),
        ("rejected", rx.badge("rejected", color_scheme="red")),
        rx.badge(status, color_scheme="amber"),
    )


def _flags(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.cond(row.flagged, rx.badge("flagged", color_scheme="red", variant="soft")),
        rx.cond(row.is_nsfw, rx.badge("NSFW", color_scheme="red")),
        rx.cond(row.is_featured, rx.badge("featured", color_scheme="violet")),
        rx.cond(row.reports_count > 0, rx.badge(counted(row.reports_count, "report"), color_scheme="orange")),
        spacing="1",
        wrap="wrap",
    )


def _filters() -> rx.Component:
    return rx.hstack(
        rx.foreach(
            ModerationState.filter_options,
            lambda option: rx.button(
                option["label"],
                size="2",
                variant=rx.cond(ModerationState.queue_filter == option["value"], "solid", "outline"),
                on_click=ModerationState.choose_filter(option["value"]),
                id="filter-" + option["value"],
            ),
        ),
        rx.spacer(),
        rx.form(
            rx.hstack(
                rx.input(name="search", placeholder="Search title or prompt", default_value=ModerationState.search, width="16em"),
                rx.button("Search", type="submit", variant="soft"),
            ),
            on_submit=ModerationState.apply_search,
        ),
        wrap="wrap",
        width="100%",
        align="center",
    )


def _bulk_bar() -> rx.Component:
    def bulk(label: str, action: str, color: str = "violet") -> rx.Component:
        return rx.button(
            label,
            size="1",
            color_scheme=color,
            variant="soft",
            on_click=ModerationState.bulk_act(action),
            disabled=ModerationState.selected.length() == 0,
            id=f"bulk-{action}",
        )

    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(ModerationState.selected.length().to_string() + " selected", size="2", id="selected-count"),
                bulk("Approve", "approve", "green"),
                bulk("Reject", "reject", "red"),
                bulk("Mark NSFW", "mark_nsfw", "orange"),
                bulk("Feature", "feature"),
                bulk("Unfeature", "unfeature", "gray"),
                bulk("Delete", "delete", "red"),
                wrap="wrap",
                align="center",
                spacing="2",
            ),
            rx.input(
                placeholder="Reason (required to reject; written to the audit log)",
                value=ModerationState.reason,
                on_change=ModerationState.type_reason,
                width="100%",
                id="moderation-reason",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _row(row: rx.Var[QueueRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(
                checked=ModerationState.selected.contains(row.id),
                on_change=lambda checked: ModerationState.toggle_selected(row.id, checked),
                class_name="row-select",
            )
        ),
        rx.table.cell(
            rx.cond(
                row.thumbnail_url != "",
                rx.image(src=row.thumbnail_url, width="64px", height="64px", object_fit="cover", border_radius="6px"),
                rx.badge(row.media_type),
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.link(row.title, on_click=ModerationState.open_detail(row.id), class_name="row-title", cursor="pointer"),
                rx.text(row.author, " · ", row.media_type, " · ", row.created_at, size="1", color_scheme="gray"),
                _flags(row),
                spacing="1",
            )
        ),
        rx.table.cell(status_badge(row.status), class_name="row-status"),
        rx.table.cell(rx.text(rx.cond(row.score != "", row.score, "—"), size="2")),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Approve", size="1", color_scheme="green", on_click=ModerationState.act("approve", row.id), class_name="row-approve"
                ),
                rx.button("Reject", size="1", color_scheme="red", variant="soft", on_click=ModerationState.act("reject", row.id)),
                rx.button("Details", size="1", variant="outline", on_click=ModerationState.open_detail(row.id)),
                spacing="1",
            )
        ),
        id="mod-row-" + row.id,
        class_name="mod-row",
        align="center",
    )


def _table() -> rx.Component:
    return rx.cond(
        ModerationState.rows.length() > 0,
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(
                        rx.checkbox(checked=ModerationState.all_selected, on_change=ModerationState.select_page, id="select-page")
                    ),
                    rx.table.column_header_cell(""),
                    rx.table.column_header_cell("Item"),
                    rx.table.column_header_cell("Status"),
                    rx.table.column_header_cell("NSFW score"),
                    rx.table.column_header_cell("Actions"),
                )
            ),
            rx.table.body(rx.foreach(ModerationState.rows, _row)),
            width="100%",
            id="moderation-queue",
        ),
        rx.callout("Nothing here.", icon="check", color_scheme="gray", id="queue-empty"),
    )


def _pager() -> rx.Component:
    return pager(ModerationState.page, ModerationState.pages, ModerationState.total, "item", ModerationState.go_to_page)


def _score_row(score: rx.Var[ScoreRow]) -> rx.Component:
    return rx.hstack(
        rx.text(score.label, size="2", weight=rx.cond(score.explicit, "bold", "regular")),
        rx.spacer(),
        rx.text(score.score, size="2"),
        width="100%",
    )


def _report_row(report: rx.Var[ReportRow]) -> rx.Component:
    return rx.vstack(
        rx.text(rx.text.strong(report.reporter), " · ", report.reason, " · ", report.created_at, size="2"),
        rx.cond(report.details != "", rx.text(report.details, size="2", color_scheme="gray")),
        rx.cond(report.resolution != "", rx.badge("closed: " + report.resolution, variant="soft", color_scheme="gray")),
        spacing="1",
        width="100%",
    )


def _detail_dialog() -> rx.Component:
    d = ModerationState.detail
    actions = rx.hstack(
        rx.button("Approve", color_scheme="green", on_click=ModerationState.act("approve", d.id), id="detail-approve"),
        rx.button("Reject", color_scheme="red", variant="soft", on_click=ModerationState.act("reject", d.id), id="detail-reject"),
        rx.cond(
            d.is_nsfw,
            rx.button("Unmark NSFW", variant="soft", on_click=ModerationState.act("unmark_nsfw", d.id)),
            rx.button(
                "Mark NSFW", color_scheme="orange", variant="soft", on_click=ModerationState.act("mark_nsfw", d.id), id="detail-nsfw"
            ),
        ),
        rx.cond(
            d.is_featured,
            rx.button("Unfeature", variant="soft", on_click=ModerationState.act("unfeature", d.id)),
            rx.button("Feature", variant="soft", on_click=ModerationState.act("feature", d.id), id="detail-feature"),
        ),
        rx.button("Delete", color_scheme="red", on_click=ModerationState.act("delete", d.id), id="detail-delete"),
        wrap="wrap",
        spacing="2",
    )
    media = rx.match(
        d.media_type,
        # native elements, as everywhere else in the app: rx.video/rx.audio bundle react-player's
        # hls.js and dash.js engines (1.9 MB of chunks the build warns about) for plain media files
        ("video", rx.el.video(src=d.media_url, controls=True, id="detail-video", style={"width": "100%", "height": "auto"})),
        ("audio", rx.el.audio(src=d.media_url, controls=True, id="detail-audio", style={"width": "100%"})),
        rx.image(src=d.media_url, width="100%", max_height="24em", object_fit="contain"),
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(d.title),
            rx.vstack(
                media,
                rx.hstack(
                    status_badge(d.status),
                    rx.text("by ", d.author, " · ", d.visibility, size="2"),
                    rx.link("Open page", href=d.href, size="2"),
                ),
                rx.cond(d.moderation_reason != "", rx.text("Reason: ", d.moderation_reason, size="2")),
                rx.cond(
                    d.review_open,
                    rx.callout(
                        rx.text(rx.text.strong("The author asks for a re-review"), rx.cond(d.review_note != "", ": " + d.review_note, ".")),
                        icon="message_square_reply",
                        color_scheme="blue",
                        size="1",
                        id="detail-review-request",
                    ),
                ),
                rx.text(d.prompt, size="2", color_scheme="gray"),
                rx.card(
                    rx.vstack(
                        rx.text(
                            rx.text.strong("NSFW"),
                            " · detector: ",
                            rx.cond(d.detector != "", d.detector, "—"),
                            " · explicit score: ",
                            rx.cond(d.score != "", d.score, "—"),
                            rx.cond(d.flagged, " · flagged", ""),
                            size="2",
                            id="detail-scores",
                        ),
                        rx.foreach(d.scores, _score_row),
                        spacing="1",
                        width="100%",
                    ),
                    width="100%",
                ),
                rx.cond(
                    d.reports.length() > 0,
                    rx.card(rx.vstack(rx.text(rx.text.strong("Reports")), rx.foreach(d.reports, _report_row), width="100%"), width="100%"),
                ),
                rx.input(
                    placeholder="Reason (required to reject)",
                    value=ModerationState.reason,
                    on_change=ModerationState.type_reason,
                    width="100%",
                    id="detail-reason",
                ),
                actions,
                rx.text(rx.text.strong("History"), size="2"),
                rx.foreach(
                    d.history,
                    lambda h: rx.text(h.when, " · ", h.actor, " · ", h.action, rx.cond(h.reason != "", " — " + h.reason, ""), size="1"),
                ),
                rx.hstack(rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")), justify="end", width="100%"),
                spacing="3",
                width="100%",
            ),
            max_width="44em",
        ),
        open=ModerationState.detail_open,
        on_open_change=ModerationState.set_detail_open,
    )


def admin_moderation_page() -> rx.Component:
    return page_frame(
        rx.heading("Moderation", size="7"),
        admin_nav("moderation"),
        rx.cond(
            ModerationState.denied,
            denied_callout(),
            rx.vstack(
                _filters(),
                rx.cond(
                    ModerationState.notice != "",
                    rx.callout(ModerationState.notice, icon="check", color_scheme="green", id="moderation-notice"),
                ),
                rx.cond(
                    ModerationState.error != "",
                    rx.callout(ModerationState.error, icon="triangle_alert", color_scheme="red", id="moderation-error"),
                ),
                _bulk_bar(),
                _table(),
                _pager(),
                _detail_dialog(),
                spacing="4",
                width="100%",
            ),
        ),
    )
