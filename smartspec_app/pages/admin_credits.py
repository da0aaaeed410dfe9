"""/admin/credits: every user's balance, monthly quota and spending; adjust a balance or set a quota
(recorded in the user's ledger with the admin's name and reason); the ledger of everyone or one user."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.admin_nav import admin_nav, denied_callout
from smartspec_app.components.credits import ledger_table
from smartspec_app.components.forms import form_error
from smartspec_app.components.nav import page_frame
from smartspec_app.components.pager import pager
from smartspec_app.state.credits import AccountView, AdminCreditsState


def _account_row(account: rx.Var[AccountView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(account.username, weight="medium"), rx.text(account.email, size="1", color_scheme="gray")),
        rx.table.cell(account.balance, text_align="right"),
        rx.table.cell(account.month_spent, text_align="right"),
        rx.table.cell(rx.cond(account.quota != "", account.quota, "none"), rx.cond(account.quota_is_own, rx.badge("own", size="1"))),
        rx.table.cell(
            rx.button("Manage", size="1", variant="soft", on_click=AdminCreditsState.select_user(account.user_id, account.username))
        ),
        class_name="account-row",
    )


def _accounts() -> rx.Component:
    state = AdminCreditsState
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.input(name="q", placeholder="Username or e-mail", default_value=state.search, id="credits-search"),
                rx.button("Find", type="submit", variant="soft"),
            ),
            on_submit=state.find,
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(*[rx.table.column_header_cell(h) for h in ("User", "Balance", "Spent this month", "Monthly quota", "")])
            ),
            rx.table.body(rx.foreach(state.accounts, _account_row)),
            width="100%",
            id="credit-accounts",
        ),
        pager(state.accounts_page, state.accounts_pages, state.accounts_total, "user", state.go_to_accounts_page),
        width="100%",
        spacing="3",
    )


def _manage() -> rx.Component:
    state = AdminCreditsState
    return rx.cond(
        state.selected_user_id > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading("Manage " + state.selected_username, size="4"),
                    rx.spacer(),
                    rx.button("Everyone's ledger", size="1", variant="ghost", on_click=state.select_user(0, "")),
                    width="100%",
                ),
                rx.form(
                    rx.hstack(
                        rx.input(name="amount", placeholder="+100 or -25", id="adjust-amount", width="10em"),
                        rx.input(name="reason", placeholder="Why (kept in their ledger)", id="adjust-reason", width="100%"),
                        rx.button("Adjust balance", type="submit", id="adjust-submit"),
                        width="100%",
                    ),
                    on_submit=state.adjust,
                    reset_on_submit=True,
                ),
                rx.form(
                    rx.hstack(
                        rx.input(name="monthly_quota", placeholder="Credits a month (empty: default)", id="quota-amount", width="16em"),
                        rx.input(name="reason", placeholder="Why (optional)", width="100%"),
                        rx.button("Set monthly quota", type="submit", variant="soft", id="quota-submit"),
                        width="100%",
                    ),
                    on_submit=state.set_quota,
                    reset_on_submit=True,
                ),
                form_error(state.credits_error, "credits-error"),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="credit-manage",
        ),
    )


def _ledger() -> rx.Component:
    state = AdminCreditsState
    return rx.vstack(
        rx.hstack(
            rx.heading(rx.cond(state.selected_user_id > 0, "Ledger of " + state.selected_username, "Everyone's ledger"), size="4"),
            rx.spacer(),
            rx.select(["all", "kie", "sandbox"], value=state.provider_filter, on_change=state.choose_provider, id="ledger-provider"),
            width="100%",
            align="center",
        ),
        ledger_table(state.entries, "admin-ledger", with_user=True),
        pager(state.entries_page, state.entries_pages, state.entries_total, "entry", state.go_to_entries_page, labels=("Newer", "Older")),
        width="100%",
        spacing="3",
    )


def admin_credits_page() -> rx.Component:
    return page_frame(
        rx.heading("Credits", size="7"),
        admin_nav("credits"),
        rx.cond(
            AdminCreditsState.denied,
            denied_callout(),
            rx.vstack(
                rx.text(
                    "App credits: what this site charges for generations. Sandbox charges are marked and are not kie.ai spend.",
                    size="2",
                    color_scheme="gray",
                ),
                _accounts(),
                _manage(),
                _ledger(),
                width="100%",
                spacing="5",
            ),
        ),
    )
