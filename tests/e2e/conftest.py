from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.browser import ConsoleErrors, launch
from tests.support.live_app import LiveApp

CONSOLE = ConsoleErrors()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The real app, built for production, serving pages, websocket and API on one port."""
    app = LiveApp(
        tmp_path_factory.mktemp("live") / "data",
        extra_env={"SANDBOX_SECONDS_IMAGE": "4", "SANDBOX_SECONDS_VIDEO": "3", "SANDBOX_SECONDS_SPEECH": "2"},
    )
    try:
        app.start()
        yield app
    finally:
        app.stop()
        app.release()
    nested = app.nested_checkouts()
    assert not nested, f"the app checked out a second pooled connection while holding one ({len(nested)}x); the first:\n{nested[0]}"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = launch(p)
        CONSOLE.watch(b)  # every context, hence every page, any test opens in it
        yield b
        b.close()


@pytest.fixture(autouse=True)
def console_errors() -> Iterator[ConsoleErrors]:
    """Fails the test when any page it opened logged a console error or threw an uncaught exception.

    A test that causes one on purpose says so: `console_errors.expect(r"pattern", "why")`."""
    CONSOLE.start()
    yield CONSOLE
    problems = CONSOLE.problems()
    if problems:
        pytest.fail("console errors in the browser:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def db_count(app: LiveApp, sql: str, *args) -> int:
    with sqlite3.connect(Path(app.data_dir) / "smartspec.db") as conn:
        return conn.execute(sql, args).fetchone()[0]


def db_rows(app: LiveApp, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(Path(app.data_dir) / "smartspec.db") as conn:
        return conn.execute(sql, args).fetchall()
