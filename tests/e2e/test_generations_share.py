"""\"Share to gallery\" on every finished result in My generations (issue 27, item 6), not only on the
newest task's card on /generate."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import db_rows
from tests.e2e.test_generation_flow import sign_up
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e

MAKE_TASKS = """
import json, sys
from sqlalchemy import update
from sqlmodel import select
from smartspec_app.models import GenerationTask, User
from smartspec_app.services.db import session_scope
from smartspec_app.services.storage import get_storage
from tests.support.gallery_data import completed_task
with session_scope() as session:
    user = session.exec(select(User).where(User.email == sys.argv[1])).one()
    older = completed_task(session, get_storage(), user, "image", "An older harbour at night")
    newer = completed_task(session, get_storage(), user, "speech", "Welcome aboard the night ferry")
    failed = completed_task(session, get_storage(), user, "image", "A storm that never rendered")
    session.exec(update(GenerationTask).where(GenerationTask.id == failed.id).values(status="failed", error_message="provider failed"))
    print(json.dumps({"older": older.id, "newer": newer.id, "failed": failed.id}))
"""


def test_every_finished_result_in_my_generations_can_be_shared(live_app: LiveApp, page: Page) -> None:
    email = sign_up(page, live_app)
    ids = json.loads(live_app.run_python(MAKE_TASKS, email))
    page.goto(live_app.base_url + "/generations")
    rows = page.locator("#history-list .task-row")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="An older harbour").locator(".share-to-gallery")).to_have_count(1)
    expect(rows.filter(has_text="Welcome aboard").locator(".share-to-gallery")).to_have_count(1)
    expect(rows.filter(has_text="never rendered").locator(".share-to-gallery")).to_have_count(0)  # nothing to share

    rows.filter(has_text="An older harbour").locator(".share-to-gallery").click()  # not the newest one
    expect(page.locator("#share-title")).to_have_value(re.compile("older harbour", re.IGNORECASE))
    page.fill("#share-title", "Harbour at night")
    page.click("#share-submit")
    page.wait_for_url(re.compile(r".*/gallery/harbour-at-night.*"))
    assert db_rows(live_app, "SELECT task_id FROM gallery_items WHERE title = ?", "Harbour at night") == [(ids["older"],)]
