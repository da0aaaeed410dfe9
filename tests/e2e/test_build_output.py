"""The frontend build and the app's start print no warning the project causes (issue 16, item 9):
no unknown icon names, no SAWarnings from tables registered twice, no deprecated Reflex options."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.test_generation_flow import sign_up
from tests.support.browser import ConsoleErrors
from tests.support.build_warnings import project_warnings
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e


def test_the_frontend_build_prints_no_warning_of_ours(live_app: LiveApp, page: Page, console_errors: ConsoleErrors) -> None:
    # built for the session app's port: the pages it serves after this test load this build
    output = live_app.export_frontend()
    assert "Compiling production app" in output and "vite" in output and "Prerender (html): /generate" in output, output[-3000:]
    assert project_warnings(output) == []
    sign_up(page, live_app)  # the pages the running app serves now still reach its websocket


def test_the_app_starts_without_a_warning(live_app: LiveApp) -> None:
    output = live_app.startup_output
    assert "alembic" in output and "App running" in output, output[-3000:]  # the migration, the build and the start
    assert project_warnings(output) == []
