"""Unknown URLs outside the gallery (issue 27, item 3): a real 404 with the styled not-found page, its
title and the site's navigation, before and after the app's JavaScript runs; known pages stay 200 and
the API's unknown routes keep their JSON 404."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_generation_flow import sign_up
from tests.support.browser import ConsoleErrors
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e
UNKNOWN = ("/nope-page", "/nope/deeper/path", "/generate/extra", "/404")
KNOWN = ("/", "/generate", "/generations", "/login", "/signup", "/gallery", "/sdk", "/account")
TITLE = re.compile(r"Page not found · SmartSpec Pro")
WHY = "an unknown path answers 404: Chromium logs the document's status"


def test_unknown_paths_answer_404_with_a_page_that_has_a_title_and_the_navigation(live_app: LiveApp) -> None:
    with httpx.Client(base_url=live_app.base_url, timeout=10) as client:
        for path in UNKNOWN:
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"].startswith("text/html"), path
            html = response.text
            assert re.search(r"<title>Page not found · SmartSpec Pro</title>", html), path
            for href in ("/generate", "/generations", "/gallery", "/sdk", "/login"):
                assert f'href="{live_app.base_url}{href}"' in html or f'href="{href}"' in html, (path, href)
            assert "Back to the home page" in html, path
            assert 'name="robots" content="noindex' in html, path
            assert client.head(path).status_code == 404, path
        for path in KNOWN:  # (the static server sends /generate on to /generate/, the folder of its page)
            assert client.get(path, follow_redirects=True).status_code == 200, path
        api = client.get("/api/nope")
        assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")


def test_the_not_found_page_in_the_browser_signed_out_and_signed_in(live_app: LiveApp, page: Page, console_errors: ConsoleErrors) -> None:
    console_errors.expect(r"status of 404", WHY)
    response = page.goto(live_app.base_url + "/nope-page", wait_until="load")
    assert response is not None and response.status == 404
    expect(page).to_have_title(TITLE)
    expect(page.get_by_role("link", name="Gallery").first).to_be_visible()
    expect(page.get_by_role("link", name="Back to the home page").first).to_be_visible()

    page.mouse.move(5, 5)  # the signed-out visitor's first action starts the app (frontend_build.py)
    expect(page.locator("#not-found")).to_be_visible()  # the live page took over: no blank page
    expect(page.locator("#seo-content")).to_have_count(0)
    expect(page).to_have_title(TITLE)
    expect(page.get_by_role("link", name="Gallery").first).to_be_visible()
    page.get_by_role("link", name="Back to the home page").click()
    page.wait_for_url(live_app.base_url + "/")

    email = sign_up(page, live_app)
    page.goto(live_app.base_url + "/generate/extra", wait_until="load")
    expect(page.locator("#not-found")).to_be_visible()
    expect(page.locator("#nav-user")).to_have_text(email)  # the live navigation, signed in
    expect(page).to_have_title(TITLE)
