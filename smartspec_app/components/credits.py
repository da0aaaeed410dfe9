"""Credit pieces: the user's balance card with their ledger (/account) and a ledger table (admins too)."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.pager import pager
from smartspec_app.state.credits import CreditsState, LedgerView

KIND_COLORS = (("grant", "green"), ("refund", "green"), ("adjustment", "blue"), ("hold", "amber"), ("settle", "gray"))


def ledger_row(entry: rx.Var[LedgerView], with_user: bool = False) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(entry.when, size="1")),
        *([rx.table.cell(rx.text(entry.username, size="2"))] if with_user else []),
        rx.table.cell(rx.badge(entry.what, color_scheme=rx.match(entry.kind, *KIND_COLORS, "gray"), variant="soft")),
        rx.table.cell(rx.text(entry.amount, size="2", weight="medium"), text_align="right"),
        rx.table.cell(rx.text(entry.balance_after, size="2"), text_align="right"),
        rx.table.cell(
            rx.hstack(
                rx.cond(entry.provider == "sandbox", rx.badge("sandbox", color_scheme="orange", class_name="sandbox-credit")),
                rx.cond(entry.provider == "kie", rx.badge("kie.ai", color_scheme="violet")),
                rx.text(entry.note, size="1", color_scheme="gray"),
                spacing="2",
                align="center",
                wrap="wrap",
            )
        ),
        class_name="ledger-row",
    )


def ledger_table(entries: rx.Var[list[LedgerView]], element_id: str, with_user: bool = False) -> rx.Component:
    headers = ["When", *(["User"] if with_user else []), "What", "Credits", "Balance", ""]
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(rx.foreach(entries, lambda e: ledger_row(e, with_user))),
        width="100%",
        size="1",
        id=element_id,
    )


def _figure(label: str, value: rx.Var | str, element_id: str) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray"), rx.text(value, size="5", weight="bold", id=element_id), spacing="0")


def credits_card() -> rx.Component:
    s = CreditsState.summary
    return rx.card(
        rx.vstack(
            rx.heading("Credits", size="5"),
            rx.text(
                "Each generation costs its model's kie.ai price for the settings you pick (shown on the Generate button). "
                "It is held when you start it, kept when it completes and given back when it fails or is cancelled. "
                "Generations in the offline sandbox are charged the same, marked sandbox.",
                size="2",
                color_scheme="gray",
            ),
            rx.hstack(
                _figure("Balance", s.balance, "credits-balance"),
                _figure("Held for running generations", s.held, "credits-held"),
                rx.cond(
                    s.quota != "",
                    _figure("Left this month (" + s.month + ")", s.month_left + " of " + s.quota, "credits-month-left"),
                    _figure("Spent this month (" + s.month + ")", s.month_spent, "credits-month-spent"),
                ),
                spacing="6",
                wrap="wrap",
            ),
            rx.text("All time: ", s.kie_spent, " on kie.ai, ", s.sandbox_spent, " in the sandbox.", size="1", color_scheme="gray"),
            ledger_table(CreditsState.ledger, "credits-ledger"),
            pager(CreditsState.ledger_page, CreditsState.ledger_pages, CreditsState.ledger_total, "entry", CreditsState.go_to_ledger_page),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="credits",
    )
