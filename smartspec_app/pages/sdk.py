"""/sdk: client SDKs for this site — Python, JavaScript, TypeScript and a React hook."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.forms import form_error
from smartspec_app.components.nav import page_frame
from smartspec_app.services.sdk_codegen import LANGUAGES
from smartspec_app.state.sdk import NO_TOKEN, SdkState, SdkTokenOption

QUICK_START = {
    "python": "pip install httpx · save as smartspec_client.py · export SMARTSPEC_API_KEY=<token>",
    "javascript": "An ES module for Node.js 18+, Deno, Bun and browsers · export SMARTSPEC_API_KEY=<token>",
    "typescript": "The same client with types · import { SmartSpecClient } from './smartspec-client'",
    "react": "const { generateImage, loading, error, result } = useSmartSpec({ baseUrl: '/your-proxy' })",
}


def _token_item(token: rx.Var[SdkTokenOption]) -> rx.Component:
    return rx.select.item(token.label, value=token.id)


def token_picker() -> rx.Component:
    return rx.cond(
        SdkState.signed_in,
        rx.hstack(
            rx.text("API token in the code:", size="2", weight="medium"),
            rx.select.root(
                rx.select.trigger(id="sdk-token-select", min_width="18em"),
                rx.select.content(
                    rx.select.item("None: read SMARTSPEC_API_KEY", value=NO_TOKEN),
                    rx.foreach(SdkState.sdk_tokens, _token_item),
                ),
                value=SdkState.sdk_token_id,
                on_change=SdkState.choose_token,
            ),
            rx.link("Manage tokens", href="/account", size="2"),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.text(
            rx.link("Log in", href="/login?next=/sdk"),
            " to fill in one of your API tokens; until then the code reads it from SMARTSPEC_API_KEY.",
            size="2",
        ),
    )


def key_warning() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("shield_alert")),
        rx.callout.text(
            rx.text.strong("Keep API keys out of client-side code. "),
            "Anyone who opens a web page or an app can read a key embedded in its JavaScript and spend your credits. "
            "Use the server-side proxy pattern: your backend keeps the token (SMARTSPEC_API_KEY) and forwards requests, "
            "adding the header Authorization: Bearer <token>; the browser calls your backend, e.g. "
            "useSmartSpec({ baseUrl: '/api/smartspec' }) with no key. Embed a token only in code that runs on your own machine "
            "or server, and revoke it on the Account page if it leaks.",
        ),
        color_scheme="amber",
        id="sdk-key-warning",
        width="100%",
    )


def _code_tab(language: str) -> rx.Component:
    spec = LANGUAGES[language]
    return rx.tabs.content(
        rx.vstack(
            rx.text(QUICK_START[language], size="2", color_scheme="gray"),
            rx.code_block(
                SdkState.sdk_code,
                language=spec.highlight,
                show_line_numbers=True,
                id=f"sdk-code-{language}",
                width="100%",
                max_height="38em",
                overflow="auto",
                font_size="0.8em",
            ),
            spacing="2",
            width="100%",
            padding_top="0.75em",
        ),
        value=language,
    )


def sdk_page() -> rx.Component:
    return page_frame(
        rx.heading("SDKs", size="7"),
        rx.text(
            "Client libraries for this site's REST API, generated with its address filled in. The same code is served at ",
            rx.code("GET /api/generation/sdk/{python|javascript|typescript|react}"),
            ".",
            size="3",
        ),
        key_warning(),
        token_picker(),
        form_error(SdkState.sdk_error, "sdk-error"),
        rx.cond(SdkState.sdk_has_key, rx.callout("This code contains your API token.", icon="key_round", color_scheme="red")),
        rx.hstack(
            rx.button(
                rx.icon("copy", size=14),
                "Copy",
                id="sdk-copy",
                variant="soft",
                on_click=[rx.set_clipboard(SdkState.sdk_code), SdkState.copied],
            ),
            rx.button(rx.icon("download", size=14), "Download ", SdkState.sdk_filename, id="sdk-download", on_click=SdkState.download_sdk),
            rx.cond(SdkState.sdk_notice != "", rx.text(SdkState.sdk_notice, size="2", color_scheme="green", id="sdk-notice")),
            align="center",
            spacing="3",
        ),
        rx.tabs.root(
            rx.tabs.list(*[rx.tabs.trigger(spec.label, value=key, id=f"sdk-tab-{key}") for key, spec in LANGUAGES.items()]),
            *[_code_tab(key) for key in LANGUAGES],
            value=SdkState.sdk_language,
            on_change=SdkState.set_sdk_language,
            width="100%",
        ),
    )
