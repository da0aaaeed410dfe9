"""The whole path as a new user takes it: sign up, generate in the sandbox, watch it live."""

from __future__ import annotations

import itertools
import os
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import db_count, db_rows
from tests.support.live_app import PROJECT_ROOT, LiveApp

pytestmark = pytest.mark.e2e
_counter = itertools.count()
PASSWORD = "correct horse battery"
LOADED_IMAGE = "() => { const i = document.querySelector('.result-image'); return !!i && i.complete && i.naturalWidth > 0 }"


def save_screenshot(page: Page, name: str) -> None:
    """Into test-artifacts/; into docs/ (the README's picture) when UPDATE_SCREENSHOTS=1."""
    folder = PROJECT_ROOT / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "test-artifacts")
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def sign_up(page: Page, app: LiveApp) -> str:
    email = f"user{time.time_ns()}{next(_counter)}@example.com"
    page.goto(app.base_url + "/signup")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("#signup-submit")
    page.wait_for_url("**/generate**")
    expect(page.locator("#nav-user")).to_have_text(email)
    return email


def watch_progress(page: Page, until_selector: str, timeout: float = 60) -> list[int]:
    """Sample the progress figure until the result shows; returns the values seen."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = page.locator("#task-progress-text").text_content(timeout=5000) or ""
        if text.rstrip("%").isdigit():
            seen.append(int(text.rstrip("%")))
        if page.locator(until_selector).count():
            return seen
        time.sleep(0.2)
    raise AssertionError(f"no result after {timeout}s; progress seen: {seen}")


def test_sign_up_generate_image_and_see_it_live(live_app: LiveApp, page: Page) -> None:
    sign_up(page, live_app)
    expect(page.locator("#sandbox-notice")).to_contain_text("KIE_AI_API_KEY")
    page.fill("#prompt", "A lighthouse on a cliff at dawn, watercolor")
    page.click("#generate-button")
    seen = watch_progress(page, ".result-image")
    page.wait_for_function(LOADED_IMAGE)
    assert any(0 < value < 100 for value in seen), f"the progress bar never moved between 0 and 100: {seen}"
    assert seen == sorted(seen), f"progress went backwards: {seen}"
    expect(page.locator("#task-status")).to_have_text("completed")
    expect(page.locator("#current-task .sandbox-badge")).to_be_visible()
    expect(page.locator("#task-history .task-row")).to_have_count(1)
    expect(page.locator("#task-history")).to_contain_text("completed")
    save_screenshot(page, "generation-page.png")

    page.reload()  # the database is the source of truth: the task and its image come back
    page.wait_for_function(LOADED_IMAGE)
    expect(page.locator("#task-history .task-row")).to_have_count(1)


def test_reload_and_second_tab_follow_a_running_task(live_app: LiveApp, page: Page) -> None:
    sign_up(page, live_app)
    page.fill("#prompt", "Two tabs watching one task")
    page.click("#generate-button")
    expect(page.locator("#task-status")).to_have_text("running", timeout=10_000)
    second = page.context.new_page()
    second.goto(live_app.base_url + "/generate")
    page.reload()
    for tab in (page, second):
        expect(tab.locator("#current-task")).to_contain_text("Two tabs watching one task")
    seen = watch_progress(second, ".result-image")
    assert any(0 < value < 100 for value in seen), seen
    for tab in (page, second):
        tab.wait_for_function(LOADED_IMAGE)


@pytest.mark.parametrize(
    ("kind", "model_text", "selector", "ready"),
    [
        (
            "Speech",
            "ElevenLabs",
            ".result-audio",
            "() => { const a = document.querySelector('.result-audio'); return !!a && a.duration > 0 }",
        ),
        ("Video", "Wan", ".result-video", "() => { const v = document.querySelector('.result-video'); return !!v && v.videoWidth > 0 }"),
    ],
)
def test_speech_and_video_play_in_place(live_app: LiveApp, page: Page, kind: str, model_text: str, selector: str, ready: str) -> None:
    sign_up(page, live_app)
    page.get_by_role("radio", name=kind).click()
    expect(page.locator("#model-select")).to_contain_text(model_text)
    page.fill("#prompt", f"A short {kind.lower()} from the sandbox")
    if kind == "Speech":  # ElevenLabs' whole voice list, searchable: preset names and voice ids
        voice = page.locator("#param-voice input")
        expect(voice).to_have_value("Rachel")
        options = page.locator("#options-voice option")
        assert options.count() > 100
        expect(page.locator('#options-voice option[value="pNInz6obpgDQGcFmaJgB"]')).to_have_text("Adam - Dominant, Firm")
        voice.fill("pNInz6obpgDQGcFmaJgB")
    page.click("#generate-button")
    watch_progress(page, selector, timeout=90)
    page.wait_for_function(ready, timeout=30_000)


def test_bad_input_gets_a_clear_message_and_writes_nothing(live_app: LiveApp, page: Page) -> None:
    email = sign_up(page, live_app)
    user_tasks = "SELECT count(*) FROM generation_tasks JOIN users ON users.id = generation_tasks.user_id WHERE users.email = ?"

    page.click("#generate-button")
    expect(page.locator("#form-error")).to_contain_text("Enter a prompt")

    page.fill("#prompt", "x" * 10_001)
    page.click("#generate-button")
    expect(page.locator("#form-error")).to_contain_text("10000")

    page.fill("#prompt", "a fine prompt")
    page.locator("#param-num_images input").fill("9")
    page.click("#generate-button")
    expect(page.locator("#form-error")).to_contain_text("num_images")
    assert db_count(live_app, user_tasks, email) == 0


def test_account_errors_and_log_out(live_app: LiveApp, page: Page) -> None:
    email = sign_up(page, live_app)
    page.click("#logout-button")
    page.wait_for_url("**/login**")
    page.goto(live_app.base_url + "/generate")
    page.wait_for_url("**/login**")  # the server refuses the page without a session

    page.fill("#email", email)
    page.fill("#password", "not the password")
    page.click("#login-submit")
    expect(page.locator(".field-error")).to_have_text("Wrong e-mail or password")

    page.goto(live_app.base_url + "/signup")
    page.fill("#email", email.upper())
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("#signup-submit")
    expect(page.locator(".field-error")).to_contain_text("already exists")
    assert db_count(live_app, "SELECT count(*) FROM users WHERE email = ?", email) == 1

    page.goto(live_app.base_url + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/generate**")
    expect(page.locator("#nav-user")).to_have_text(email)


def test_deleting_a_generation_removes_its_row_and_files(live_app: LiveApp, page: Page) -> None:
    email = sign_up(page, live_app)
    page.fill("#prompt", "Soon to be deleted")
    page.click("#generate-button")
    watch_progress(page, ".result-image")
    page.wait_for_function(LOADED_IMAGE)
    user_id = db_count(live_app, "SELECT id FROM users WHERE email = ?", email)
    files = list((live_app.data_dir / "media" / "generations" / "images" / str(user_id)).glob("*"))
    assert len(files) == 1

    page.locator("#task-history .task-row .delete-task").click()
    expect(page.locator("#task-history .task-row")).to_have_count(0)
    assert db_count(live_app, "SELECT count(*) FROM generation_tasks WHERE user_id = ?", user_id) == 0
    assert not files[0].exists()


def test_a_running_task_is_cancelled_from_its_card(live_app: LiveApp, page: Page) -> None:
    email = sign_up(page, live_app)
    page.fill("#prompt", "[sandbox:slow] A task I change my mind about")
    page.click("#generate-button")
    expect(page.locator("#task-status")).to_have_text("running", timeout=15_000)
    page.click("#cancel-task")
    expect(page.locator("#task-status")).to_have_text("cancelled")
    expect(page.locator("#task-error")).to_contain_text("Cancelled")
    expect(page.locator("#cancel-task")).to_have_count(0)
    time.sleep(4 * 3 + 2)  # the provider's slow job (3 x SANDBOX_SECONDS_IMAGE) has ended: nothing comes of it
    page.reload()
    expect(page.locator("#task-status")).to_have_text("cancelled")
    expect(page.locator(".result-image")).to_have_count(0)
    row = "SELECT status, credits_used, output_url FROM generation_tasks JOIN users ON users.id = user_id WHERE users.email = ?"
    assert db_rows(live_app, row, email) == [("cancelled", 0.0, None)]
