"""/account: API tokens and the user's own kie.ai key."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.credits import credits_card
from smartspec_app.components.forms import form_error
from smartspec_app.components.nav import page_frame
from smartspec_app.state.account import AccountState, TokenView

# compiled into the bundle (rx.run_script), never evaluated from a string: the pages' CSP has no 'unsafe-eval'
COPY_NEW_TOKEN = "navigator.clipboard.writeText(document.getElementById('new-token').value)"
TOKEN_FIELD_STYLE = {
    "font_family": "var(--code-font-family, monospace)",
    "width": "min(36em, 60vw)",
    "padding": "2px 6px",
    "border": "1px solid var(--gray-a6)",
    "border_radius": "var(--radius-2)",
    "background": "var(--gray-a2)",
}


def _token_row(token: rx.Var[TokenView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(token.name),
        rx.table.cell(rx.code(token.hint)),
        rx.table.cell(token.created_at),
        rx.table.cell(token.last_used_at),
        rx.table.cell(rx.button("Revoke", color_scheme="red", variant="soft", size="1", on_click=AccountState.revoke_token(token.id))),
        class_name="token-row",
    )


def tokens_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("API tokens", size="5"),
            rx.text("For the REST API and the SDKs: send ", rx.code("Authorization: Bearer <token>"), ".", size="2"),
            rx.box(  # always in the page (hidden) so create_token can fill in its field
                # block content beside callout.text, never inside it: a <div> in the callout's <p> is split
                # by the browser's parser and the prerendered page no longer hydrates (React error #418)
                rx.callout.root(
                    rx.callout.icon(rx.icon("key_round")),
                    rx.vstack(
                        rx.callout.text("New token “", AccountState.new_token_name, "”. Copy it now; it is shown here only once:"),
                        rx.hstack(
                            # filled in by AccountState.create_token with rx.set_value (a value, not a script)
                            rx.el.input(id="new-token", read_only=True, aria_label="New API token", style=TOKEN_FIELD_STYLE),
                            rx.button(rx.icon("copy", size=14), "Copy", size="1", on_click=rx.run_script(COPY_NEW_TOKEN)),
                        ),
                        rx.button("Done", size="1", variant="soft", on_click=AccountState.dismiss_new_token),
                    ),
                    color_scheme="green",
                    width="100%",
                ),
                display=rx.cond(AccountState.showing_new_token, "block", "none"),
                id="new-token-box",
                width="100%",
            ),
            rx.form(
                rx.hstack(
                    rx.input(name="name", id="token-name", placeholder="Token name, e.g. laptop", required=True, width="20em"),
                    rx.button("Create token", id="create-token", type="submit"),
                ),
                on_submit=AccountState.create_token,
                reset_on_submit=True,
            ),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ("Name", "Token", "Created", "Last used", "")])),
                rx.table.body(rx.foreach(AccountState.tokens, _token_row)),
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def kie_key_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Your kie.ai key", size="5"),
            rx.text(
                "Bring your own key: your generations then run on your kie.ai account. "
                "It is stored encrypted and never shown again in full.",
                size="2",
            ),
            rx.cond(
                AccountState.kie_key_hint != "",
                rx.hstack(
                    rx.text("Saved key: "),
                    rx.code(AccountState.kie_key_hint, id="kie-key-hint"),
                    rx.button("Remove", size="1", color_scheme="red", variant="soft", on_click=AccountState.remove_kie_key),
                    align="center",
                ),
                rx.text("No key saved: your generations use the site's key.", size="2", color_scheme="gray"),
            ),
            rx.form(
                rx.hstack(
                    rx.input(name="api_key", id="kie-key", type="password", placeholder="kie.ai API key", required=True, width="24em"),
                    rx.button("Save key", id="save-kie-key", type="submit"),
                ),
                on_submit=AccountState.save_kie_key,
                reset_on_submit=True,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def account_page() -> rx.Component:
    return page_frame(
        rx.heading("Account", size="7"),
        form_error(AccountState.account_error, "account-error"),
        rx.cond(AccountState.account_notice != "", rx.callout(AccountState.account_notice, icon="check", color_scheme="green")),
        credits_card(),
        tokens_card(),
        kie_key_card(),
    )
