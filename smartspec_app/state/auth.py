"""Sign-up, log-in, log-out; the base every signed-in state inherits.

The browser keeps an opaque session token in localStorage; every handler that touches a
user's data resolves it on the server (`_current_user`), never trusting anything else.
"""

from __future__ import annotations

import reflex as rx

from smartspec_app.models import User
from smartspec_app.services import auth
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import SmartSpecError
from smartspec_app.settings import get_settings


class AuthState(rx.State):
    session_token: str = rx.LocalStorage("", name="smartspec_session", sync=True)
    user_email: str = ""
    username: str = ""
    is_admin: bool = False
    auth_error: str = ""
    auth_field: str = ""
    auth_loading: bool = False

    def _current_user(self) -> User | None:
        """The signed-in user, checked against the database on every call."""
        with session_scope() as session:
            user = auth.user_for_token(session, self.session_token)
        if user is None:
            self.user_email, self.username, self.is_admin = "", "", False
        else:
            self.user_email, self.username, self.is_admin = user.email, user.username, user.is_admin
        return user

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_email)

    @rx.event
    def load_user(self):
        self._current_user()

    @rx.event
    def require_login(self):
        """on_load guard for pages that need an account."""
        if self._current_user() is None:
            return rx.redirect(f"/login?next={self.router.url.path}")

    def _open_session(self, email: str, password: str):
        with session_scope() as session:
            result = auth.login(session, email, password, days=get_settings().session_days)
        self.session_token = result.token
        self.user_email, self.username, self.is_admin = result.user.email, result.user.username, result.user.is_admin
        self.auth_error, self.auth_field = "", ""
        target = self.router.url.query_parameters.get("next") or "/generate"
        return rx.redirect(target if str(target).startswith("/") else "/generate")

    @rx.event
    def signup(self, form: dict):
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        if password != str(form.get("confirm", password)):
            self.auth_error, self.auth_field = "The two passwords differ", "confirm"
            return
        try:
            with session_scope() as session:
                auth.create_user(session, email, password)
            return self._open_session(email, password)
        except SmartSpecError as exc:
            self.auth_error, self.auth_field = exc.message, exc.field or ""

    @rx.event
    def login(self, form: dict):
        try:
            return self._open_session(str(form.get("email", "")), str(form.get("password", "")))
        except SmartSpecError as exc:
            self.auth_error, self.auth_field = exc.message, exc.field or ""

    @rx.event
    def logout(self):
        with session_scope() as session:
            auth.logout(session, self.session_token)
        self.session_token = ""
        self.user_email, self.username, self.is_admin = "", "", False
        return rx.redirect("/login")

    @rx.event
    def clear_auth_error(self):
        self.auth_error, self.auth_field = "", ""
