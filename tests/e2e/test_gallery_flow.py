"""The gallery as people and crawlers meet it: share a generation, like it, read its page without JavaScript."""

from __future__ import annotations

import json
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_generation_flow import LOADED_IMAGE, sign_up, watch_progress
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e
HOSTILE_TITLE = "Dawn </script><script>alert(1)</script> lighthouse"
LOADED_ITEM_IMAGE = "() => { const i = document.querySelector('#item-image'); return !!i && i.complete && i.naturalWidth > 0 }"


class _HeadReader(HTMLParser):
    """Meta tags, the title and the JSON-LD blocks of a page, as a crawler reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.title = ""
        self.json_ld: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta":
            name = values.get("property") or values.get("name")
            if name:
                self.meta[name] = values.get("content") or ""
        elif tag == "title" or (tag == "script" and values.get("type") == "application/ld+json"):
            self._in = tag
            if tag == "script":
                self.json_ld.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "script":
            self.json_ld[-1] += data


def share_a_generated_image(page: Page, app: LiveApp, title: str) -> str:
    """Generate a sandbox image, share it with `title`; returns the item page's path."""
    page.fill("#prompt", "A lighthouse on a cliff at dawn")
    page.click("#generate-button")
    watch_progress(page, ".result-image")
    page.wait_for_function(LOADED_IMAGE)
    page.click("#share-to-gallery")
    page.fill("#share-title", title)
    page.fill("#share-tags", "Lighthouse, dawn")
    page.click("#share-submit")
    page.wait_for_url(re.compile(r".*/gallery/[^/]+$"))
    return "/" + page.url.split("/", 3)[3]


def moderation_status(app: LiveApp, path: str) -> str:
    with sqlite3.connect(Path(app.data_dir) / "smartspec.db") as conn:
        return conn.execute("SELECT moderation_status FROM gallery_items WHERE slug = ?", (path.rsplit("/", 1)[1],)).fetchone()[0]


def approve(app: LiveApp, path: str) -> None:
    with sqlite3.connect(Path(app.data_dir) / "smartspec.db") as conn:
        conn.execute("UPDATE gallery_items SET moderation_status = 'approved' WHERE slug = ?", (path.rsplit("/", 1)[1],))


def username_of(app: LiveApp, email: str) -> str:
    with sqlite3.connect(Path(app.data_dir) / "smartspec.db") as conn:
        return conn.execute("SELECT username FROM users WHERE email = ?", (email,)).fetchone()[0]


def test_share_like_and_crawl_an_item(live_app: LiveApp, page: Page, browser) -> None:
    author = sign_up(page, live_app)
    path = share_a_generated_image(page, live_app, HOSTILE_TITLE)

    # The author's item page: the hostile title is text, the image loads.
    expect(page.locator("#item-title")).to_have_text(HOSTILE_TITLE)
    page.wait_for_function(LOADED_ITEM_IMAGE)
    expect(page.locator("#item-tags")).to_contain_text("#lighthouse")
    for button, mark in (("#share-x", "M18.901"), ("#share-facebook", "M9.101")):  # the brand marks, not lucide's "?"
        expect(page.locator(f"{button} svg.brand-icon path[d^='{mark}']")).to_be_visible()
    expect(page.locator("svg[class*='circle-help'], svg[class*='question-mark']")).to_have_count(0)

    # Another person likes it; the count moves, survives a reload, and the like toggles back.
    if moderation_status(live_app, path) != "approved":
        approve(live_app, path)
    visitor_context = browser.new_context(viewport={"width": 1280, "height": 900})
    visitor = visitor_context.new_page()
    visitor.set_default_timeout(20_000)
    try:
        sign_up(visitor, live_app)
        visitor.goto(live_app.base_url + path)
        expect(visitor.locator("#like-count")).to_have_text("0")
        visitor.click("#like-button")
        expect(visitor.locator("#like-count")).to_have_text("1")
        visitor.reload()
        expect(visitor.locator("#like-count")).to_have_text("1")
        visitor.click("#like-button")
        expect(visitor.locator("#like-count")).to_have_text("0")
        visitor.click("#like-button")
        expect(visitor.locator("#like-count")).to_have_text("1")

        # The public listing shows the card to anyone.
        visitor.goto(live_app.base_url + "/gallery")
        expect(visitor.locator("#gallery-grid")).to_contain_text(HOSTILE_TITLE)
    finally:
        visitor_context.close()

    # A crawler: one plain GET, no JavaScript.
    response = httpx.get(live_app.base_url + path, timeout=10)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    head = _HeadReader()
    head.feed(response.text)
    assert HOSTILE_TITLE in head.title
    assert head.meta["og:title"].startswith(HOSTILE_TITLE)
    assert head.meta["og:type"]
    assert head.meta["og:image"].startswith("http")
    assert head.meta["twitter:card"] == "summary_large_image"
    assert httpx.get(head.meta["og:image"], timeout=10).headers["content-type"].startswith("image/")
    ld = [json.loads(block) for block in head.json_ld]
    image = next(block for block in ld if block.get("@type") == "ImageObject")
    assert image["name"] == HOSTILE_TITLE
    assert image["creator"]["name"] == username_of(live_app, author)
    assert image["contentUrl"].startswith("http")

    sitemap = httpx.get(live_app.base_url + "/gallery/sitemap.xml", timeout=10)
    assert sitemap.status_code == 200 and path in sitemap.text


def test_the_author_deletes_an_item(live_app: LiveApp, page: Page) -> None:
    sign_up(page, live_app)
    path = share_a_generated_image(page, live_app, "Short-lived")
    slug = path.rsplit("/", 1)[1]
    with sqlite3.connect(Path(live_app.data_dir) / "smartspec.db") as conn:
        item_id = conn.execute("SELECT id FROM gallery_items WHERE slug = ?", (slug,)).fetchone()[0]
    folder = live_app.data_dir / "media" / "gallery" / item_id
    assert any(folder.iterdir())
    page.click("#delete-item")
    page.click("#confirm-delete-item")
    page.wait_for_url(re.compile(r".*/gallery/user/[^/]+$"))
    with sqlite3.connect(Path(live_app.data_dir) / "smartspec.db") as conn:
        assert conn.execute("SELECT count(*) FROM gallery_items WHERE id = ?", (item_id,)).fetchone()[0] == 0
    assert not folder.exists() or not any(folder.iterdir())
    assert httpx.get(live_app.base_url + path, timeout=10).status_code == 404
