"""Sign-up, log-in, log-out; the base every signed-in state inherits.

The browser keeps an opaque session token in localStorage; every handler that touches a
user's data resolves it on the server (`_current_user`), never trusting anything else.
"""

from __future__ import annotations

import reflex as rx

from smartspec_app.models import User
from smartspec_app.services import admin_bootstrap, auth
from smartspec_app.services.client_address import client_address, is_local_request
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import SmartSpecError
from smartspec_app.services.login_throttle import get_login_throttle
from smartspec_app.services.redirects import same_origin_path
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

    def _client(self) -> tuple[str, bool]:
        """The client's address by the API's TRUSTED_PROXIES rule, and whether it is this machine itself."""
        headers = dict(self.router.headers.raw_headers)
        peer = self.router.session.client_ip  # the socket peer (Reflex's own proxy setting is left at 0; TRUSTED_PROXIES decides)
        hops = get_settings().trusted_proxies
        return client_address(peer, headers.get("x-forwarded-for", ""), hops), is_local_request(peer, headers, hops)

    def _signed_in(self, result: auth.Login):
        """Keep the new session and go where ?next= asks, if that is a page of this site."""
        self.session_token = result.token
        self.user_email, self.username, self.is_admin = result.user.email, result.user.username, result.user.is_admin
        self.auth_error, self.auth_field = "", ""
        return rx.redirect(same_origin_path(self.router.url.query_parameters.get("next"), "/generate"))

    def _sign_in(self, email: str, password: str) -> auth.Login:
        settings = get_settings()
        with session_scope() as session:
            return auth.login(session, email, password, days=settings.session_days, admin_emails=settings.admin_email_set)

    @rx.event
    def signup(self, form: dict):
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        if password != str(form.get("confirm", password)):
            self.auth_error, self.auth_field = "The two passwords differ", "confirm"
            return
        address, local = self._client()
        try:
            get_login_throttle().check_signup(address)
            rule = admin_bootstrap.rule_from_settings(get_settings(), local_request=local)
            with session_scope() as session:
                auth.create_user(session, email, password, admins=rule)
            return self._signed_in(self._sign_in(email, password))
        except SmartSpecError as exc:
            self.auth_error, self.auth_field = exc.message, exc.field or ""

    @rx.event
    def login(self, form: dict):
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        throttle = get_login_throttle()
        try:
            result = throttle.attempt(throttle.subjects(account=email, address=self._client()[0]), lambda: self._sign_in(email, password))
            return self._signed_in(result)
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
