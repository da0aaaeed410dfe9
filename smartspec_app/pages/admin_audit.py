"""/admin/audit: every moderation action — who, what, when, why — newest first."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.admin_nav import admin_nav, denied_callout
from smartspec_app.components.nav import page_frame
from smartspec_app.components.pager import pager
from smartspec_app.state.moderation import AuditRow, AuditState


def _row(entry: rx.Var[AuditRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(entry.when, size="2")),
        rx.table.cell(entry.actor),
        rx.table.cell(rx.badge(entry.action, variant="soft")),
        rx.table.cell(rx.text(entry.item_title, size="2"), rx.text(entry.item_id, size="1", color_scheme="gray")),
        rx.table.cell(rx.text(entry.reason, size="2")),
        class_name="audit-row",
    )


def _log() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Action:", size="2"),
            rx.select(AuditState.action_options, value=AuditState.action_filter, on_change=AuditState.choose_action, id="audit-action"),
            align="center",
        ),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ("When", "Who", "What", "Item", "Why")])),
            rx.table.body(rx.foreach(AuditState.entries, _row)),
            width="100%",
            id="audit-log",
        ),
        pager(
            AuditState.audit_page,
            AuditState.audit_pages,
            AuditState.audit_total,
            "entry",
            AuditState.go_to_audit_page,
            labels=("Newer", "Older"),
        ),
        spacing="4",
        width="100%",
    )


def admin_audit_page() -> rx.Component:
    return page_frame(
        rx.heading("Audit log", size="7"),
        admin_nav("audit"),
        rx.cond(AuditState.denied, denied_callout(), _log()),
    )
