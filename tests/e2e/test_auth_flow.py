"""Signing up and in, in the real app: the first account signed up on this machine sees its admin badge
at once; wrong passwords lock the sign-in with a clear message and the right one is refused meanwhile;
?next= never leads off the site."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_generation_flow import PASSWORD, sign_up
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """An app of its own: its first account must be this module's first sign-up."""
    live = LiveApp(tmp_path_factory.mktemp("auth") / "data")
    with live.running():
        yield live


def log_in(page: Page, app: LiveApp, email: str, password: str, query: str = "") -> None:
    page.goto(app.base_url + "/login" + query)
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")


def test_the_first_account_sees_its_admin_badge_without_a_reload(app: LiveApp, page: Page) -> None:
    sign_up(page, app)  # from 127.0.0.1, no proxy: the operator at the machine
    expect(page.locator("#nav-admin")).to_be_visible()
    page.click("#nav-admin")
    page.wait_for_url("**/admin")


def test_a_second_account_is_no_admin(app: LiveApp, page: Page) -> None:
    sign_up(page, app)
    expect(page.locator("#nav-account")).to_be_visible()
    expect(page.locator("#nav-admin")).to_have_count(0)


def test_wrong_passwords_lock_the_sign_in_and_the_right_password_waits(app: LiveApp, page: Page) -> None:
    email = sign_up(page, app)
    page.click("#logout-button")
    page.wait_for_url("**/login")
    for _ in range(5):
        log_in(page, app, email, "not the password")
        expect(page.locator("#auth-error")).to_have_text("Wrong e-mail or password")
    log_in(page, app, email, "not the password")
    expect(page.locator("#auth-error")).to_have_text("Too many attempts; try again in 15 s")
    log_in(page, app, email, PASSWORD)
    expect(page.locator("#auth-error")).to_contain_text("Too many attempts; try again in ")
    assert "/login" in page.url
    expect(page.locator("#nav-user")).to_have_count(0)
    # an account nobody has gets the same answers
    for _ in range(5):
        log_in(page, app, "nobody-at-all@example.com", "not the password")
        expect(page.locator("#auth-error")).to_have_text("Wrong e-mail or password")
    log_in(page, app, "nobody-at-all@example.com", "not the password")
    expect(page.locator("#auth-error")).to_have_text("Too many attempts; try again in 15 s")


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example"], ids=["double-slash", "slash-backslash"])
def test_next_never_leads_off_the_site(app: LiveApp, page: Page, target: str) -> None:
    email = sign_up(page, app)
    page.click("#logout-button")
    page.wait_for_url("**/login")
    log_in(page, app, email, PASSWORD, query=f"?next={quote(target, safe='')}")
    page.wait_for_url(app.base_url + "/generate")
    expect(page.locator("#nav-user")).to_have_text(email)
