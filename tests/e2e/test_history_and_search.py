"""Search and history in the real app: the gallery's search box, the history's filters and pages,
"Reuse settings" filling the form for every kind of parameter, and "Run again"."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import db_count
from tests.e2e.test_generation_flow import sign_up
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e

SHARE_ITEMS = """
from smartspec_app.services.db import session_scope
from smartspec_app.services.storage import get_storage
from tests.support.gallery_data import make_user, shared_item
with session_scope() as session:
    author = make_user(session, "kettlemaker")
    for title, tags, prompt in (
        ("Zinnober kettle on a stove", "kitchen", "a kettle"),
        ("Sunset over the bay", "sky", "a zinnober sky over the sea"),
        ("Blue whale", "sea", "a whale"),
    ):
        shared_item(session, get_storage(), author, title, tags=tags, prompt=prompt)
"""

MAKE_TASKS = """
import json, sys
from datetime import timedelta
from sqlalchemy import update
from sqlmodel import select
from smartspec_app.models import GenerationTask, User, utcnow
from smartspec_app.services import generation
from smartspec_app.services.db import session_scope
specs = json.loads(sys.argv[1])
with session_scope() as session:
    user = session.exec(select(User).where(User.email == specs["email"])).one()
    ids = {}
    for n, (name, kind, model, prompt, params, status, days) in enumerate(specs["tasks"]):
        task = generation.start_generation(session, user, kind, model, prompt, params, "sandbox")
        session.flush()
        when = utcnow() - timedelta(days=days, minutes=n)
        session.exec(update(GenerationTask).where(GenerationTask.id == task.id).values(status=status, progress=100, created_at=when))
        ids[name] = task.id
    print(json.dumps(ids))
"""

SPEECH = {"voice": "Aria", "stability": 0.3, "speed": 1.1, "timestamps": True}
URLS = {"aspect_ratio": "16:9", "resolution": "2K", "image_input": ["https://example.com/a.png", "https://example.com/b.png"]}
TASKS = [  # name, kind, model, prompt, parameters, status, days ago
    ["speech", "speech", "elevenlabs/text-to-speech-turbo-2-5", "Welcome aboard the night ferry", SPEECH, "completed", 0],
    ["urls", "image", "nano-banana-pro", "A copper kettle, product shot", URLS, "completed", 1],
    ["failed", "image", "flux-2/pro-text-to-image", "Copper roofs in the rain", {"aspect_ratio": "4:3"}, "failed", 9],
    ["video", "video", "wan/2-6-text-to-video", "A ferry leaving the harbour", {"duration": "10", "resolution": "720p"}, "completed", 30],
]


def select_option(page: Page, trigger: str, label: str) -> None:
    page.click(trigger)
    page.get_by_role("option", name=label, exact=True).click()


def test_gallery_search_box(live_app: LiveApp, page: Page) -> None:
    live_app.run_python(SHARE_ITEMS)
    page.goto(live_app.base_url + "/gallery")
    page.fill("#gallery-search", "Zinnober")
    page.press("#gallery-search", "Enter")
    page.wait_for_url(re.compile(r".*/gallery\?q=zinnober$"))
    expect(page.locator("#search-summary")).to_contain_text("2 results")
    expect(page.locator(".gallery-card")).to_have_count(2)
    expect(page.locator(".gallery-card").first).to_contain_text("Zinnober kettle on a stove")  # a title match before a prompt match
    expect(page.locator("#sort-select")).to_contain_text("Relevance")
    page.fill("#gallery-search", "zinnober kitchen")
    page.press("#gallery-search", "Enter")
    expect(page.locator(".gallery-card")).to_have_count(1)
    page.reload()  # the search is in the URL: the server-rendered page already has the result ...
    expect(page.locator("#seo-content")).to_contain_text("Zinnober kettle on a stove")
    page.mouse.move(5, 5)  # ... and the live page (started on the visitor's first move) too
    expect(page.locator(".gallery-card")).to_have_count(1)
    expect(page.locator("#gallery-search")).to_have_value("zinnober kitchen")
    page.click("#clear-search")
    page.wait_for_url(re.compile(r".*/gallery$"))
    expect(page.locator("#search-summary")).to_have_count(0)


def test_history_filters_reuse_settings_and_run_again(live_app: LiveApp, page: Page) -> None:
    email = sign_up(page, live_app)
    ids = json.loads(live_app.run_python(MAKE_TASKS, json.dumps({"email": email, "tasks": TASKS})))
    page.goto(live_app.base_url + "/generations")
    rows = page.locator("#history-list .task-row")
    expect(rows).to_have_count(4)

    page.fill("#history-search", "COPPER")
    page.click("#history-apply")
    expect(rows).to_have_count(2)
    select_option(page, "#history-status", "Failed")
    page.click("#history-apply")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Copper roofs in the rain")
    page.click("#history-clear")
    expect(rows).to_have_count(4)
    select_option(page, "#history-type", "Videos")
    page.click("#history-apply")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("A ferry leaving the harbour")
    page.click("#history-clear")
    page.fill("#history-from", "2000-01-01")
    page.fill("#history-to", "2000-12-31")
    page.click("#history-apply")
    expect(page.locator("#history-empty")).to_contain_text("No generation matches")
    page.click("#history-clear")
    expect(rows).to_have_count(4)

    # Reuse settings: a select, numbers and a switch (speech) ...
    rows.filter(has_text="night ferry").locator(".reuse-settings").click()
    page.wait_for_url(f"**/generate?reuse={ids['speech']}")
    expect(page.locator("#prompt")).to_have_value("Welcome aboard the night ferry")
    expect(page.locator("#model-select")).to_contain_text("ElevenLabs")
    expect(page.locator("#param-voice")).to_contain_text("Aria")
    expect(page.locator("#param-stability input")).to_have_value("0.3")
    expect(page.locator("#param-speed input")).to_have_value("1.1")
    expect(page.locator("#param-timestamps button[role=switch]")).to_have_attribute("data-state", "checked")
    # ... and a list of URLs (image)
    page.goto(live_app.base_url + "/generations")
    rows.filter(has_text="copper kettle").locator(".reuse-settings").click()
    expect(page.locator("#prompt")).to_have_value("A copper kettle, product shot")
    expect(page.locator("#param-aspect_ratio")).to_contain_text("16:9")
    expect(page.locator("#param-resolution")).to_contain_text("2K")
    expect(page.locator("#param-image_input textarea")).to_have_value("https://example.com/a.png\nhttps://example.com/b.png")

    # Run again from the history: a new task with the same settings, followed on /generate
    page.goto(live_app.base_url + "/generations")
    rows.filter(has_text="ferry leaving").locator(".run-again").click()
    page.wait_for_url("**/generate?task=*")
    expect(page.locator("#current-task")).to_contain_text("A ferry leaving the harbour")
    user_id = db_count(live_app, "SELECT id FROM users WHERE email = ?", email)
    same = "SELECT parameters FROM generation_tasks WHERE id = ?"
    query = f"SELECT count(*) FROM generation_tasks WHERE user_id = ? AND prompt = ? AND parameters = ({same})"
    assert db_count(live_app, query, user_id, "A ferry leaving the harbour", ids["video"]) == 2
    # ... and from the current-task card
    expect(page.locator("#reuse-current")).to_be_visible()
