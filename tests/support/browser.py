"""Debian's Chromium driven by Playwright (never a browser download)."""

from __future__ import annotations

import re
import shutil

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, WebError

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class ConsoleErrors:
    """Every console error (a `console.error` message, or an exception no script caught) of every page
    in every context of the browsers it watches, gathered for the test that is running.

    A test that provokes an error on purpose declares it with `expect(pattern, why)`; such an error
    must then happen. Anything else fails the test."""

    def __init__(self) -> None:
        self._seen: list[str] = []
        self._expected: list[tuple[re.Pattern[str], str]] = []

    def watch(self, browser: Browser) -> None:
        browser.on("context", self._watch_context)

    def _watch_context(self, context: BrowserContext) -> None:
        context.on("console", self._on_console)
        context.on("weberror", self._on_weberror)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url") or "?"
            self._seen.append(f"console.error on {_url_of(message.page)}: {message.text} (at {where})")

    def _on_weberror(self, error: WebError) -> None:
        self._seen.append(f"uncaught {error.error.name} on {_url_of(error.page)}: {error.error.message}")

    def expect(self, pattern: str, why: str) -> None:
        """This test causes an error matching `pattern` (a regular expression) on purpose, for `why`."""
        if not why.strip():
            raise ValueError("say why the error is expected")
        self._expected.append((re.compile(pattern), why))

    def start(self) -> None:
        self._seen.clear()
        self._expected.clear()

    def problems(self) -> list[str]:
        """Errors nobody declared, and declared errors that never happened."""
        unexpected = [seen for seen in self._seen if not any(pattern.search(seen) for pattern, _ in self._expected)]
        missing = [
            f"an expected console error never happened: /{pattern.pattern}/ ({why})"
            for pattern, why in self._expected
            if not any(pattern.search(seen) for seen in self._seen)
        ]
        return unexpected + missing


def _url_of(page: Page | None) -> str:
    return page.url if page is not None else "?"
