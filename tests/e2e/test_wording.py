"""Counts and notices as people read them (issue 27, item 10): "1 view", not "1 views", in the live page
and the server-rendered one, and an audio item's notice says audio is not scanned, not that a scan failed."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_generation_flow import sign_up
from tests.support.browser import ConsoleErrors
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e

MAKE_ITEMS = """
import json, sys
from sqlmodel import select
from smartspec_app.models import User
from smartspec_app.services import author_moderation, moderation
from smartspec_app.services.db import session_scope
from smartspec_app.services.storage import get_storage
from tests.support.gallery_data import make_user, shared_item
with session_scope() as session:
    author = session.exec(select(User).where(User.email == sys.argv[1])).one()
    admin = make_user(session, "e2e_wording_moderator")
    admin.is_admin = True
    storage = get_storage()
    single = shared_item(session, storage, author, "A single lantern", likes=1, views=0)
    voice = shared_item(session, storage, author, "Night ferry greeting", task_type="speech", prompt="Welcome aboard")
    moderation.reject(session, admin, voice.id, "Too quiet to judge")
    author_moderation.request_review(session, author, voice.id, "Listen again, please", 0.6)
    session.commit()
    print(json.dumps({"single": single.slug, "voice": voice.slug, "username": author.username}))
"""


def test_counts_pluralise_and_an_audio_notice_fits_audio(live_app: LiveApp, page: Page, console_errors: ConsoleErrors) -> None:
    console_errors.expect(r"status of 404", "the audio item waits for a moderator: its page answers 404, its author sees it")
    email = sign_up(page, live_app)
    made = json.loads(live_app.run_python(MAKE_ITEMS, email))

    listing = httpx.get(f"{live_app.base_url}/gallery/user/{made['username']}", timeout=10).text
    assert "1 like · 0 views" in listing
    assert "1 likes" not in listing

    page.goto(f"{live_app.base_url}/gallery/{made['single']}")
    expect(page.locator("#view-count")).to_have_text("1 view")  # this visit was the first

    page.goto(f"{live_app.base_url}/gallery/{made['voice']}")
    expect(page.locator("#moderation-state")).to_have_text("waiting")
    explanation = page.locator("#moderation-explanation")
    expect(explanation).to_contain_text("Audio is not scanned automatically")
    expect(explanation).not_to_contain_text("could not be scanned")
    expect(page.locator("#review-requested")).to_contain_text("a moderator will look again")
