"""The top bar and the page frame every page shares."""

from __future__ import annotations

import reflex as rx

from smartspec_app.state.auth import AuthState


def _link(label: str, href: str) -> rx.Component:
    return rx.link(label, href=href, size="3", weight="medium", underline="none")


def navbar() -> rx.Component:
    return rx.hstack(
        rx.link(rx.heading("SmartSpec Pro", size="5"), href="/", underline="none"),
        rx.hstack(
            _link("Generate", "/generate"),
            _link("My generations", "/generations"),
            _link("Gallery", "/gallery"),
            _link("SDKs", "/sdk"),
            spacing="5",
        ),
        rx.spacer(),
        rx.cond(
            AuthState.signed_in,
            rx.hstack(
                rx.cond(AuthState.is_admin, rx.link(rx.badge("admin", color_scheme="amber"), href="/admin", id="nav-admin")),
                rx.link("Account", href="/account", size="2", id="nav-account"),
                rx.text(AuthState.user_email, id="nav-user", size="2", color_scheme="gray"),
                rx.button("Log out", id="logout-button", variant="soft", on_click=AuthState.logout),
                align="center",
                spacing="3",
            ),
            rx.hstack(
                rx.link(rx.button("Log in", variant="soft"), href="/login"),
                rx.link(rx.button("Sign up"), href="/signup"),
                spacing="3",
            ),
        ),
        width="100%",
        align="center",
        padding_y="1em",
        padding_x="1.5em",
        border_bottom="1px solid var(--gray-a5)",
        spacing="6",
    )


def page_frame(*children: rx.Component, max_width: str = "72em") -> rx.Component:
    return rx.box(
        navbar(),
        rx.container(rx.vstack(*children, spacing="5", width="100%", padding_y="2em"), max_width=max_width),
        width="100%",
    )
