"""/signup and /login."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.forms import form_error
from smartspec_app.components.nav import page_frame
from smartspec_app.services.auth import MIN_PASSWORD
from smartspec_app.state.auth import AuthState


def _field(label: str, name: str, kind: str, placeholder: str = "", auto: str = "") -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium"), html_for=name),  # names the input for screen readers
        rx.input(name=name, id=name, type=kind, placeholder=placeholder, required=True, auto_complete=auto, width="100%", size="3"),
        rx.cond(AuthState.auth_field == name, rx.text(AuthState.auth_error, size="1", color_scheme="red", class_name="field-error")),
        spacing="1",
        width="100%",
    )


def _card(title: str, form: rx.Component, footer: rx.Component) -> rx.Component:
    return page_frame(
        rx.center(
            rx.card(rx.vstack(rx.heading(title, size="6"), form, footer, spacing="4", width="100%"), width="26em", size="3"),
            width="100%",
        ),
    )


def signup_page() -> rx.Component:
    form = rx.form(
        rx.vstack(
            _field("E-mail", "email", "email", "you@example.com", "email"),
            _field("Password", "password", "password", f"at least {MIN_PASSWORD} characters", "new-password"),
            _field("Repeat the password", "confirm", "password", "", "new-password"),
            form_error(AuthState.auth_error, "auth-error"),
            rx.button("Create account", type="submit", id="signup-submit", width="100%", size="3"),
            spacing="3",
            width="100%",
        ),
        on_submit=AuthState.signup,
        reset_on_submit=False,
    )
    footer = rx.text("Have an account? ", rx.link("Log in", href="/login", underline="always"), size="2")
    return _card("Create your account", form, footer)


def login_page() -> rx.Component:
    form = rx.form(
        rx.vstack(
            _field("E-mail", "email", "email", "you@example.com", "email"),
            _field("Password", "password", "password", "", "current-password"),
            form_error(AuthState.auth_error, "auth-error"),
            rx.button("Log in", type="submit", id="login-submit", width="100%", size="3"),
            spacing="3",
            width="100%",
        ),
        on_submit=AuthState.login,
        reset_on_submit=False,
    )
    footer = rx.text("New here? ", rx.link("Create an account", href="/signup", underline="always"), size="2")
    return _card("Log in", form, footer)
