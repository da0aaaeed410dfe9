"""/account: the user's own kie.ai key (bring your own key) and their API tokens."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import reflex as rx

from smartspec_app.models import User
from smartspec_app.services import keys
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import SmartSpecError
from smartspec_app.state.auth import AuthState


@dataclasses.dataclass
class TokenView:
    id: int = 0
    name: str = ""
    hint: str = ""
    created_at: str = ""
    last_used_at: str = ""


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


class AccountState(AuthState):
    tokens: list[TokenView] = []
    # The plain new token is never a state var (state is re-sent on every page load): it travels once,
    # in the creation event's script, straight into the page. Only its name and a flag live here.
    showing_new_token: bool = False
    new_token_name: str = ""
    kie_key_hint: str = ""
    account_error: str = ""
    account_notice: str = ""

    def _refresh(self, user: User) -> None:
        with session_scope() as session:
            self.tokens = [
                TokenView(t.id, t.name, t.token_hint, _when(t.created_at), _when(t.last_used_at))
                for t in keys.list_api_tokens(session, user)
            ]
            self.kie_key_hint = keys.provider_key_hint(session, user) or ""

    def _user_or_redirect(self):
        user = self._current_user()
        if user is None:
            return None, rx.redirect("/login?next=/account")
        return user, None

    @rx.event
    def on_load(self):
        user, redirect = self._user_or_redirect()
        if redirect:
            return redirect
        self.showing_new_token, self.new_token_name, self.account_error, self.account_notice = False, "", "", ""
        self._refresh(user)

    @rx.event
    def create_token(self, form: dict):
        user, redirect = self._user_or_redirect()
        if redirect:
            return redirect
        try:
            with session_scope() as session:
                token, plain = keys.create_api_token(session, keys.get_key_manager(), user, str(form.get("name", "")))
        except SmartSpecError as exc:
            self.account_error = exc.message
            return
        self.account_error = ""
        self.showing_new_token, self.new_token_name = True, token.name
        self._refresh(user)
        # into the page's read-only field, never into this state (kept, and sent again on every hydration)
        return rx.set_value("new-token", plain)

    @rx.event
    def dismiss_new_token(self):
        self.showing_new_token, self.new_token_name = False, ""
        return rx.set_value("new-token", "")

    @rx.event
    def revoke_token(self, token_id: int):
        user, redirect = self._user_or_redirect()
        if redirect:
            return redirect
        try:
            with session_scope() as session:
                keys.revoke_api_token(session, user, int(token_id))
        except SmartSpecError as exc:
            self.account_error = exc.message
            return
        self._refresh(user)
        self.account_notice = "Token revoked; clients using it now get 401."

    @rx.event
    def save_kie_key(self, form: dict):
        user, redirect = self._user_or_redirect()
        if redirect:
            return redirect
        try:
            with session_scope() as session:
                keys.set_provider_key(session, keys.get_key_manager(), str(form.get("api_key", "")), user)
        except SmartSpecError as exc:
            self.account_error = exc.message
            return
        self.account_error, self.account_notice = "", "Your kie.ai key is saved; your new generations use it."
        self._refresh(user)

    @rx.event
    def remove_kie_key(self):
        user, redirect = self._user_or_redirect()
        if redirect:
            return redirect
        with session_scope() as session:
            keys.delete_provider_key(session, user)
        self.account_notice = "Your kie.ai key is removed."
        self._refresh(user)
