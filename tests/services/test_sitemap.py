"""The gallery sitemap: a urlset with images, or an index of numbered files past the URL limit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from smartspec_app.models import utcnow
from smartspec_app.services import sitemap
from smartspec_app.services.db import session_scope
from smartspec_app.services.seo import SiteUrls
from smartspec_app.services.storage import LocalStorage
from tests.support.gallery_data import make_user, shared_item
from tests.support.sitemap_check import check_index, check_urlset

BASE = "https://gallery.example"


def make_sitemap(engine: Engine, storage: LocalStorage, limit: int = sitemap.MAX_URLS) -> sitemap.GallerySitemap:
    return sitemap.GallerySitemap(lambda: session_scope(engine), SiteUrls(BASE, storage), limit)


def test_small_gallery_is_one_urlset_with_images(engine: Engine, session: Session, storage: LocalStorage) -> None:
    user = make_user(session)
    picture = shared_item(session, storage, user, "Picture", category="art")
    clip = shared_item(session, storage, user, "Clip", task_type="video", category="animation")
    shared_item(session, storage, user, "Private", visibility="private", category="music")
    shared_item(session, storage, user, "Unlisted", visibility="unlisted", category="music")

    site = make_sitemap(engine, storage)
    assert not site.is_index() and site.page_count() == 1
    pages = check_urlset("".join(site.page_chunks(1)))
    assert pages == {
        f"{BASE}/gallery": [],
        f"{BASE}/gallery/category/art": [],
        f"{BASE}/gallery/category/animation": [],
        f"{BASE}/gallery/{picture.slug}": [f"{BASE}/media/gallery/{picture.id}/original.png"],
        f"{BASE}/gallery/{clip.slug}": [f"{BASE}/media/gallery/{clip.id}/thumbnail.jpg"],
    }


def test_over_the_limit_makes_an_index_that_covers_everything_once(engine: Engine, session: Session, storage: LocalStorage) -> None:
    user = make_user(session)
    items = [shared_item(session, storage, user, f"Item {n}") for n in range(6)]  # + /gallery + one category = 8 URLs
    site = make_sitemap(engine, storage, limit=3)
    assert site.is_index() and site.page_count() == 3
    locs = check_index(site.index())
    assert locs == [f"{BASE}/gallery/sitemap-{n}.xml" for n in (1, 2, 3)]

    seen: list[str] = []
    for n in (1, 2, 3):
        seen.extend(check_urlset("".join(site.page_chunks(n)), limit=3))
    assert len(seen) == len(set(seen)) == 8
    assert set(seen) == {f"{BASE}/gallery", f"{BASE}/gallery/category/general"} | {f"{BASE}/gallery/{i.slug}" for i in items}
    assert not site.exists(4) and site.exists(3) and not site.exists(0)


def test_empty_gallery_still_lists_the_gallery_page(engine: Engine, storage: LocalStorage) -> None:
    site = make_sitemap(engine, storage)
    assert check_urlset("".join(site.page_chunks(1))) == {f"{BASE}/gallery": []}


def test_urls_are_escaped_in_xml(storage: LocalStorage) -> None:
    xml = "".join(sitemap.urlset_chunks([sitemap.SitemapUrl(f"{BASE}/gallery?a=1&b=<2>", images=(f"{BASE}/x.png?s=1&t=2",))]))
    assert "&amp;" in xml and "<2>" not in xml
    assert check_urlset(xml) == {f"{BASE}/gallery?a=1&b=<2>": [f"{BASE}/x.png?s=1&t=2"]}


def test_chunks_stream(storage: LocalStorage) -> None:
    urls = [sitemap.SitemapUrl(f"{BASE}/gallery/{n}") for n in range(1200)]
    chunks = list(sitemap.urlset_chunks(urls, per_chunk=500))
    assert len(chunks) == 4  # header, 500, 500, 200 + footer
    assert len(check_urlset("".join(chunks))) == 1200


def test_limit_is_bounded(engine: Engine, storage: LocalStorage) -> None:
    with pytest.raises(ValueError):
        make_sitemap(engine, storage, limit=50_001)


def test_robots_txt_points_at_the_sitemap() -> None:
    text = sitemap.robots_txt(BASE + "/")
    assert f"Sitemap: {BASE}/gallery/sitemap.xml" in text.splitlines()
    assert "Disallow: /api/" in text and "User-agent: *" in text


@pytest.mark.parametrize(
    "url",
    [
        "/media/gallery/abc/original.png",
        "/media/gallery/a%20b/original.png",  # not a plain key: the storage re-makes it
        "/media/gallery/./x.png",
        "/media/gallery//x.png",
        "/media/../secret.png",
        "/media/gallery/x.png?v=2",
        "https://cdn.example/elsewhere.png",
        "/other/x.png",
    ],
)
def test_item_links_match_site_urls(storage: LocalStorage, url: str) -> None:
    urls = SiteUrls(BASE, storage)
    links = sitemap.ItemLinks(urls)
    made = links.url("a-slug", "image", url, None, utcnow())
    assert made.loc == urls.item("a-slug") and made.images == (urls.media(url),)
    assert links.url("clip", "video", "/media/v.mp4", url, utcnow()).images == (urls.media(url),)
    assert links.url("song", "audio", "/media/s.mp3", None, utcnow()).images == ()
    at = utcnow()
    for args in (("a <&> slug", "image", url, None, at), ("clip", "video", "/m.mp4", url, at), ("s", "audio", "/s", None, None)):
        assert links.xml(*args) == sitemap.url_xml(links.url(*args))


def test_a_streamed_sitemap_holds_no_connection_while_the_client_reads(engine: Engine, session: Session, storage: LocalStorage) -> None:
    """Between two chunks the client may take its time: no session (so no pooled connection) stays open
    meanwhile. It did: the whole stream ran in one session, and slow readers held the pool's connections."""
    user = make_user(session)
    for n in range(7):
        shared_item(session, storage, user, f"Item {n}")
    open_sessions = 0

    @contextmanager
    def counted() -> Iterator[Session]:
        nonlocal open_sessions
        open_sessions += 1
        try:
            with session_scope(engine) as s:
                yield s
        finally:
            open_sessions -= 1

    site = sitemap.GallerySitemap(counted, SiteUrls(BASE, storage))
    seen = []
    for chunk in site.page_chunks(1):
        assert open_sessions == 0, f"a session was open while chunk {len(seen)} went to the client"
        seen.append(chunk)
    assert len(check_urlset("".join(seen))) == 7 + 2  # the items, /gallery and one category
