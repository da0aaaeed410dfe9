"""/admin: for admins only, checked on the server in every event (not only by hiding links)."""

from __future__ import annotations

import reflex as rx

from smartspec_app.models import User
from smartspec_app.services import keys, worker
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import SmartSpecError
from smartspec_app.services.wording import credits_text
from smartspec_app.settings import get_settings
from smartspec_app.state.auth import AuthState


class AdminState(AuthState):
    operator_key_hint: str = ""
    key_source: str = ""
    balance: str = ""  # the operator's kie.ai credits in words, "1,234.50 credits"
    balance_error: str = ""
    key_usage: dict[str, int] = {}
    admin_error: str = ""
    admin_notice: str = ""
    denied: bool = False

    def _admin(self) -> User | None:
        user = self._current_user()
        if user is None or not user.is_admin:
            self.denied = True
            return None
        self.denied = False
        return user

    def _refresh(self) -> None:
        with session_scope() as session:
            self.operator_key_hint = keys.provider_key_hint(session, None) or ""
            self.key_usage = keys.key_usage(session, keys.get_key_manager())
        if self.operator_key_hint:
            self.key_source = "the key saved here (encrypted)"
        elif get_settings().kie_ai_api_key:
            self.key_source = f"KIE_AI_API_KEY from the environment ({keys.mask(get_settings().kie_ai_api_key)})"
        else:
            self.key_source = "none: every model runs in the offline sandbox"

    @rx.event
    async def on_load(self):
        if self._admin() is None:
            return rx.redirect("/login?next=/admin") if not self.signed_in else None
        self.admin_error = self.admin_notice = ""
        self._refresh()
        await self._load_balance()

    async def _load_balance(self) -> None:
        try:
            credits = await worker.operator_provider().get_credits()
        except SmartSpecError as exc:
            self.balance, self.balance_error = "", exc.message
            return
        self.balance, self.balance_error = credits_text(credits), ""

    @rx.event
    async def test_key(self):
        if self._admin() is None:
            return
        await self._load_balance()
        self.admin_notice = "" if self.balance_error else f"The key works: {self.balance} left."

    @rx.event
    async def save_operator_key(self, form: dict):
        if self._admin() is None:
            return
        try:
            with session_scope() as session:
                keys.set_provider_key(session, keys.get_key_manager(), str(form.get("api_key", "")))
        except SmartSpecError as exc:
            self.admin_error = exc.message
            return
        self.admin_error, self.admin_notice = "", "The kie.ai key is saved; new generations use kie.ai."
        self._refresh()
        await self._load_balance()

    @rx.event
    async def remove_operator_key(self):
        if self._admin() is None:
            return
        with session_scope() as session:
            keys.delete_provider_key(session, None)
        self.admin_notice = "The saved key is removed."
        self._refresh()
        await self._load_balance()
