"""Pages as a direct visit meets them: the prerendered HTML hydrates without a console error, and
what the first render shows is what the page means to show (issue 16, items 6 and 9).

A page whose prerendered HTML the browser parses differently from React's first render (a block
element inside a <p>, say) fails hydration with React error #418; React then renders the page
again on the client, and the styles the prerender inlined are lost on the way: selects shrink to
their content and boxes hidden by a style show. The `console_errors` fixture fails every test on
such an error; these tests visit every page directly, signed out and signed in.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_generation_flow import sign_up
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e
PUBLIC_PAGES = ("/", "/gallery", "/sdk", "/login", "/signup")
SIGNED_IN_PAGES = (
    "/generate",
    "/generations",
    "/account",
    "/admin",
    "/admin/moderation",
    "/admin/analytics",
    "/admin/credits",
    "/admin/audit",
)
MAKE_ADMIN = "import sys; from smartspec_app.cli import main; sys.exit(main(['make-admin', {email!r}]))"
SELECT_WIDTHS = """() => Object.fromEntries(
    [...document.querySelectorAll('#model-select, [id^="param-"] button[role="combobox"]')]
        .map(el => [el.id || el.closest('[id^="param-"]').id, Math.round(el.getBoundingClientRect().width)]))"""
FORM_WIDTH = "() => Math.round(document.querySelector('#model-select').closest('.rt-Card').getBoundingClientRect().width)"


def load(page: Page, url: str) -> None:
    """A direct visit: the page is fetched, its scripts run and hydrate it, the network settles.

    Signed out, the public pages start the app on the visitor's first action (smartspec_app/
    frontend_build.py): the mouse moves, so the hydration these tests watch happens."""
    page.goto(url, wait_until="load")
    page.mouse.move(5, 5)
    page.wait_for_load_state("networkidle")


def test_every_page_hydrates_on_a_direct_visit_signed_out_and_signed_in(live_app: LiveApp, page: Page) -> None:
    for path in PUBLIC_PAGES:
        load(page, live_app.base_url + path)
        expect(page.locator("#nav-user")).to_have_count(0)
    for path in SIGNED_IN_PAGES:  # their prerendered HTML is hydrated, then the server sends the visitor to log in
        load(page, live_app.base_url + path)
        page.wait_for_url(re.compile(r".*/login\?next=.*"))

    email = sign_up(page, live_app)
    live_app.run_python(MAKE_ADMIN.format(email=email))
    for path in (*PUBLIC_PAGES[:3], *SIGNED_IN_PAGES):
        load(page, live_app.base_url + path)
        expect(page.locator("#nav-user")).to_have_text(email)
        assert urlsplit(page.url).path.rstrip("/") == path.rstrip("/"), f"{path} sent an admin to {page.url}"


def test_generate_form_is_as_wide_on_a_direct_visit_as_after_sign_up(live_app: LiveApp, page: Page) -> None:
    sign_up(page, live_app)  # lands on /generate by client-side navigation
    expect(page.locator("[id^='param-'] button[role='combobox']").first).to_be_visible()
    after_sign_up = page.evaluate(SELECT_WIDTHS)

    load(page, live_app.base_url + "/generate")
    expect(page.locator("[id^='param-'] button[role='combobox']").first).to_be_visible()
    direct = page.evaluate(SELECT_WIDTHS)

    assert len(direct) >= 2, f"the model select and at least one parameter select: {direct}"
    assert direct == after_sign_up, f"direct visit {direct} != after sign-up {after_sign_up}"
    assert direct["model-select"] > 0.9 * page.evaluate(FORM_WIDTH), f"the model select does not span the form: {direct}"


def test_account_shows_the_new_token_box_only_for_a_new_token(live_app: LiveApp, page: Page) -> None:
    sign_up(page, live_app)
    load(page, live_app.base_url + "/account")
    expect(page.locator("#nav-account")).to_be_visible()
    expect(page.get_by_text("Copy it now")).to_be_hidden()
    expect(page.locator("#new-token-box")).to_be_hidden()

    page.fill("#token-name", "laptop")
    page.click("#create-token")
    expect(page.locator("#new-token-box")).to_be_visible()
    expect(page.locator("#new-token-box")).to_contain_text("New token “laptop”")
    expect(page.locator("#new-token")).to_have_value(re.compile(r"^ssp_.{20,}"))

    page.get_by_role("button", name="Done").click()
    expect(page.locator("#new-token-box")).to_be_hidden()
    expect(page.locator("#new-token")).to_have_value("")  # the shown-once token is gone from the page
    load(page, live_app.base_url + "/account")
    expect(page.locator(".token-row")).to_have_count(1)
    expect(page.locator("#new-token-box")).to_be_hidden()
