"""The frontend build and the app's start print no warning the project causes (issue 16, item 9):
no unknown icon names, no SAWarnings from tables registered twice, no deprecated Reflex options."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.build_warnings import project_warnings
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e


def test_the_frontend_build_prints_no_warning_of_ours(tmp_path: Path) -> None:
    builder = LiveApp(tmp_path / "data")
    try:
        output = builder.export_frontend()
    finally:
        builder.release()
    assert "Compiling production app" in output and "vite" in output and "Prerender (html): /generate" in output, output[-3000:]
    assert project_warnings(output) == []


def test_the_app_starts_without_a_warning(live_app: LiveApp) -> None:
    output = live_app.startup_output
    assert "alembic" in output and "App running" in output, output[-3000:]  # the migration, the build and the start
    assert project_warnings(output) == []
