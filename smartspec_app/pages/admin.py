"""/admin: the provider key, the kie.ai balance and the encryption keys."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.admin_nav import admin_nav
from smartspec_app.components.forms import form_error
from smartspec_app.components.nav import page_frame
from smartspec_app.state.admin import AdminState


def provider_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("kie.ai", size="5"),
            rx.text("Key in use: ", rx.text.strong(AdminState.key_source, id="key-source")),
            rx.hstack(
                rx.text("Balance: "),
                rx.cond(
                    AdminState.balance_error != "",
                    rx.text(AdminState.balance_error, color_scheme="red", id="balance-error"),
                    rx.text.strong(AdminState.balance, id="balance"),
                ),
                rx.button("Test the key", size="1", variant="soft", on_click=AdminState.test_key, id="test-key"),
                align="center",
            ),
            rx.form(
                rx.hstack(
                    rx.input(name="api_key", type="password", placeholder="kie.ai API key", required=True, width="24em", id="operator-key"),
                    rx.button("Save key", type="submit", id="save-operator-key"),
                ),
                on_submit=AdminState.save_operator_key,
                reset_on_submit=True,
            ),
            rx.cond(
                AdminState.operator_key_hint != "",
                rx.hstack(
                    rx.text("Saved key: "),
                    rx.code(AdminState.operator_key_hint),
                    rx.button("Remove", size="1", color_scheme="red", variant="soft", on_click=AdminState.remove_operator_key),
                    align="center",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def encryption_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Encryption keys", size="5"),
            rx.text(
                "Stored secrets per key. After adding a new key first in ENCRYPTION_KEYS, run ",
                rx.code("python -m smartspec_app.cli rotate-keys"),
                "; when every secret is on the newest key, the older ones can be removed.",
                size="2",
            ),
            rx.foreach(AdminState.key_usage, lambda item: rx.text(item[0], ": ", item[1], class_name="key-usage")),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def admin_page() -> rx.Component:
    return page_frame(
        rx.heading("Admin", size="7"),
        admin_nav("settings"),
        rx.cond(
            AdminState.denied,
            rx.callout("This page is for admins.", icon="lock", color_scheme="red", id="admin-denied"),
            rx.vstack(
                form_error(AdminState.admin_error, "admin-error"),
                rx.cond(AdminState.admin_notice != "", rx.callout(AdminState.admin_notice, icon="check", color_scheme="green")),
                provider_card(),
                encryption_card(),
                width="100%",
                spacing="4",
            ),
        ),
    )
