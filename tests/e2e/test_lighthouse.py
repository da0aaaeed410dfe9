"""Every public page through Lighthouse (mobile profile) on the production build: no failing
accessibility, SEO or best-practices audit. Performance is measured by bench/lighthouse.py, never
asserted here (it depends on the machine). Plus what the audits rely on, checked directly: the
answers are compressed, hashed assets and media carry their cache headers, and the item page's
main picture is responsive, sized and not lazy, before and after the app takes over."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser

from tests.support import lighthouse
from tests.support.live_app import LiveApp

pytestmark = pytest.mark.e2e
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def showcase(live_app: LiveApp) -> dict[str, list[str]]:
    """A few real images, videos and speech items shared by one author (tests/support/showcase.py)."""
    return json.loads(live_app.run_python("from tests.support.showcase import seed; seed()").strip().splitlines()[-1])


def _pages(showcase: dict[str, list[str]]) -> dict[str, str]:
    return {
        "home": "/",
        "gallery": "/gallery",
        "category": "/gallery/category/art",
        "user": "/gallery/user/showcase",
        "image item": f"/gallery/{showcase['image'][0]}",
        "video item": f"/gallery/{showcase['video'][0]}",
        "audio item": f"/gallery/{showcase['audio'][0]}",
        "login": "/login",
        "signup": "/signup",
    }


@pytest.fixture(scope="module")
def require_lighthouse() -> None:
    if lighthouse.available():
        return
    message = f"Lighthouse is missing: run scripts/setup.sh --dev (npm ci in {lighthouse.LIGHTHOUSE_DIR})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.parametrize("name", ["home", "gallery", "category", "user", "image item", "video item", "audio item", "login", "signup"])
def test_no_failing_accessibility_seo_or_best_practices_audit(
    require_lighthouse: None, live_app: LiveApp, showcase: dict[str, list[str]], name: str
) -> None:
    report = lighthouse.run(live_app.base_url + _pages(showcase)[name])
    failures = report.failures()
    assert failures == [], "\n".join(f"[{f.category}] {f.id}: {f.title} — {f.details}" for f in failures)
    assert report.scores["accessibility"] == report.scores["best-practices"] == report.scores["seo"] == 100, report.scores


@pytest.fixture
def client(live_app: LiveApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_app.base_url, timeout=30) as c:
        yield c


def test_every_text_answer_is_compressed_and_cached_as_it_should_be(client: httpx.Client, showcase: dict[str, list[str]]) -> None:
    for path in [*_pages(showcase).values(), "/api/gallery", "/gallery/sitemap.xml", "/api/openapi.json"]:
        answer = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert answer.status_code == 200, path
        assert answer.headers.get("content-encoding") == "br", path
        if answer.headers["content-type"].startswith("text/html"):
            assert answer.headers["cache-control"] == "public, max-age=60" and answer.headers["etag"], path
    page = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assets = sorted(set(re.findall(r'"(/assets/[^"]+\.(?:js|css))"', page.text)))
    assert len(assets) > 5
    for asset in assets:
        answer = client.get(asset, headers={"Accept-Encoding": "br"})
        assert answer.status_code == 200 and answer.headers["cache-control"] == IMMUTABLE, asset
        assert answer.headers["content-encoding"] == "br", asset


def test_listed_media_and_renditions_are_public_and_cached_for_a_year(client: httpx.Client, showcase: dict[str, list[str]]) -> None:
    item = client.get("/api/gallery", params={"media_type": "image", "page_size": 1}).json()["items"][0]
    picture = re.search(r'<img src="([^"]+)" srcset="([^"]+)"', client.get(f"/gallery/{item['slug']}").text)
    assert picture is not None
    for url in [item["media_url"], item["thumbnail_url"], picture.group(1), *(part.split()[0] for part in picture.group(2).split(", "))]:
        path = httpx.URL(url).raw_path.decode()
        answer = client.get(path, headers={"Accept-Encoding": "br"})
        assert answer.status_code == 200 and answer.headers["cache-control"] == IMMUTABLE, path
        assert "content-encoding" not in answer.headers, path


def _check_main_picture(attributes: dict[str, str | None]) -> None:
    assert attributes["srcset"] and " 320w" in attributes["srcset"] and ".webp" in attributes["srcset"]
    assert attributes["sizes"] and int(attributes["width"] or 0) == 1024 and int(attributes["height"] or 0) == 1024
    assert attributes["loading"] != "lazy" and attributes["fetchpriority"] == "high"


def test_the_item_pages_main_picture_is_responsive_sized_and_eager(
    live_app: LiveApp, browser: Browser, showcase: dict[str, list[str]]
) -> None:
    context = browser.new_context(viewport={"width": 412, "height": 823})
    try:
        page = context.new_page()
        page.goto(live_app.base_url + f"/gallery/{showcase['image'][0]}")
        names = ("srcset", "sizes", "width", "height", "loading", "fetchpriority")
        served = page.locator("#seo-content img").first  # as served: what crawlers and the first paint see
        _check_main_picture({name: served.get_attribute(name) for name in names})
        assert page.locator('link[rel="preload"][as="image"][fetchpriority="high"]').count() == 1
        page.mouse.move(10, 10)  # the visitor does something: the app starts and takes over
        live = page.locator("#item-image")
        live.wait_for(state="visible", timeout=30_000)
        _check_main_picture({name: live.get_attribute(name) for name in names})
        assert page.evaluate("() => document.getElementById('seo-content') === null")
        assert page.evaluate(
            "() => document.getElementById('item-image').complete && document.getElementById('item-image').naturalWidth > 0"
        )
    finally:
        context.close()
