"""/sdk: the generated client SDKs, with the signed-in user's own API token filled in on request.

Only the code shown is in the state. A token's plain text is read on the server, for its owner,
at the moment they pick it, and goes no further than the code they asked to see.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from smartspec_app.models import User
from smartspec_app.services import keys, sdk_codegen
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import SmartSpecError
from smartspec_app.settings import get_settings
from smartspec_app.state.auth import AuthState

NO_TOKEN = "none"


@dataclasses.dataclass
class SdkTokenOption:
    id: str = ""
    label: str = ""


class SdkState(AuthState):
    sdk_language: str = "python"
    sdk_code: str = ""
    sdk_filename: str = ""
    sdk_tokens: list[SdkTokenOption] = []
    sdk_token_id: str = NO_TOKEN
    sdk_error: str = ""
    sdk_notice: str = ""

    @rx.var
    def sdk_has_key(self) -> bool:
        return self.sdk_token_id != NO_TOKEN

    def _base_url(self) -> str:
        """PUBLIC_BASE_URL, else the address the browser uses for this site."""
        origin = self.router.url.origin
        return (get_settings().public_base_url or (origin if origin.startswith("http") else "http://127.0.0.1:3000")).rstrip("/")

    def _render(self, user: User | None) -> None:
        """Fill sdk_code for the chosen language and token; a token that is gone falls back to the placeholder."""
        if user is None:
            self.sdk_token_id = NO_TOKEN
        token_id = int(self.sdk_token_id) if self.sdk_token_id.isdigit() else None
        try:
            with session_scope() as session:
                sdk = sdk_codegen.sdk_for_user(
                    session, keys.get_key_manager(), user, self.sdk_language, base_url=self._base_url(), token_id=token_id
                )
        except SmartSpecError as exc:
            self.sdk_error = f"{exc.message}; showing the code without a token."
            self.sdk_token_id = NO_TOKEN
            sdk = sdk_codegen.render_sdk(self.sdk_language, base_url=self._base_url())
            self._load_tokens(user)
        self.sdk_code, self.sdk_filename = sdk.code, sdk.filename

    def _load_tokens(self, user: User | None) -> None:
        if user is None:
            self.sdk_tokens = []
            return
        with session_scope() as session:
            self.sdk_tokens = [SdkTokenOption(str(t.id), f"{t.name} ({t.token_hint})") for t in keys.list_api_tokens(session, user)]

    @rx.event
    def on_load(self):
        user = self._current_user()
        self.sdk_error, self.sdk_notice, self.sdk_token_id = "", "", NO_TOKEN
        self._load_tokens(user)
        self._render(user)

    @rx.event
    def set_sdk_language(self, language: str):
        user = self._current_user()
        try:
            self.sdk_language = sdk_codegen.resolve_language(str(language)).key
        except SmartSpecError as exc:
            self.sdk_error = exc.message
            return
        self.sdk_error, self.sdk_notice = "", ""
        self._render(user)

    @rx.event
    def choose_token(self, token_id: str):
        """Fill in one of the user's own tokens (or none: the code reads SMARTSPEC_API_KEY)."""
        user = self._current_user()
        self.sdk_error, self.sdk_notice = "", ""
        if user is None:
            self.sdk_token_id = NO_TOKEN
            self.sdk_error = "Log in to fill in one of your API tokens."
        else:
            self.sdk_token_id = str(token_id) if str(token_id).isdigit() else NO_TOKEN
        self._render(user)

    @rx.event
    def copied(self):
        self._current_user()
        self.sdk_notice = "Copied to the clipboard."

    @rx.event
    def download_sdk(self):
        """The file as shown, rendered again on the server for the user as they are now."""
        self._render(self._current_user())
        return rx.download(data=self.sdk_code, filename=self.sdk_filename)
