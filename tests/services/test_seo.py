"""Head tags, JSON-LD and the plain-HTML body for crawlers, parsed back as a crawler reads them."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from smartspec_app.services import gallery, seo
from smartspec_app.services.gallery import GalleryEntry
from smartspec_app.services.storage import LocalStorage
from tests.support.gallery_data import make_user, shared_item
from tests.support.html_page import parse_html

BASE = "https://gallery.example"
XSS = "</script><script>alert(1)</script>"
REFLEX_LIKE_SHELL = (
    '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>'
    '<meta content="width=device-width, initial-scale=1" name="viewport"/>'
    "<title>Gallery · SmartSpec Pro</title>"
    '<meta content="favicon.ico" property="og:image"/>'
    '<meta name="description" content="generic"/>'
    '<script>document.documentElement.classList.add("light")</script></head>'
    '<body><div data-is-root-theme="true" class="radix-themes"></div>'
    '<script>window.__reactRouterContext = {"isSpaMode":true};</script>'
    '<script type="module">import "/assets/entry.client.js"</script></body></html>'
)


@pytest.fixture
def urls(storage: LocalStorage) -> seo.SiteUrls:
    return seo.SiteUrls(BASE, storage)


def entry_for(session: Session, storage: LocalStorage, **kwargs) -> GalleryEntry:
    user = make_user(session, kwargs.pop("username", None))
    item = shared_item(session, storage, user, kwargs.pop("title", "A lighthouse"), **kwargs)
    return GalleryEntry(item, user.username)


def page_of(page: seo.PageSeo, shell: str = REFLEX_LIKE_SHELL):
    return parse_html(seo.inject(shell, page))


def test_image_item_page(session: Session, storage: LocalStorage, urls: seo.SiteUrls) -> None:
    entry = entry_for(
        session, storage, username="painter", title="Dawn lighthouse", description="Waves and light", tags="sea, dawn", category="art"
    )
    item = entry.item
    parsed = page_of(seo.item_seo(entry, urls, model_name="Nano Banana Pro"))
    page_url = f"{BASE}/gallery/{item.slug}"

    assert parsed.titles == 1 and parsed.title == "Dawn lighthouse · SmartSpec Pro Gallery"
    assert parsed.one("description") == "Waves and light"
    assert parsed.links["canonical"] == [page_url]
    assert parsed.one("og:title") == parsed.title
    assert parsed.one("og:description") == "Waves and light"
    assert parsed.one("og:url") == page_url
    assert parsed.one("og:type") == "website"
    assert parsed.one("og:image") == f"{BASE}/media/gallery/{item.id}/original.png"
    assert parsed.one("twitter:card") == "summary_large_image"
    assert parsed.one("twitter:image") == parsed.one("og:image")
    assert "og:video" not in parsed.meta and "og:audio" not in parsed.meta
    assert parsed.one("robots").startswith("index")

    (ld,) = parsed.json_ld
    assert ld["@context"] == "https://schema.org" and ld["@type"] == "ImageObject"
    assert ld["name"] == "Dawn lighthouse" and ld["url"] == page_url
    assert ld["contentUrl"] == parsed.one("og:image")
    assert ld["thumbnailUrl"] == f"{BASE}/media/gallery/{item.id}/thumbnail.jpg"
    assert ld["creator"] == {"@type": "Person", "name": "painter", "url": f"{BASE}/gallery/user/painter"}
    assert ld["uploadDate"].endswith("Z") and ld["datePublished"] == ld["uploadDate"] and ld["dateModified"]
    assert ld["keywords"] == "sea, dawn" and ld["genre"] == "Art" and ld["encodingFormat"] == "image/png"

    assert "Dawn lighthouse" in parsed.body_text and "A lighthouse at dawn" in parsed.body_text
    assert "Nano Banana Pro" in parsed.body_text and "painter" in parsed.body_text
    assert ("img", {"src": parsed.one("og:image"), "alt": "A lighthouse at dawn", "style": "max-width:100%;height:auto"}) in parsed.media
    assert f"{BASE}/gallery/tag/sea" in parsed.anchors and f"{BASE}/gallery/category/art" in parsed.anchors
    assert seo.SEO_BLOCK_ID in parsed.ids


def test_video_and_audio_items(session: Session, storage: LocalStorage, urls: seo.SiteUrls) -> None:
    video = entry_for(session, storage, title="Clip", task_type="video")
    parsed = page_of(seo.item_seo(video, urls))
    (ld,) = parsed.json_ld
    assert ld["@type"] == "VideoObject"
    assert parsed.one("og:type") == "video.other"
    assert parsed.one("og:video") == ld["contentUrl"] == f"{BASE}/media/gallery/{video.item.id}/original.mp4"
    assert parsed.one("og:video:type") == "video/mp4"
    assert parsed.one("og:image") == ld["thumbnailUrl"] == f"{BASE}/media/gallery/{video.item.id}/thumbnail.jpg"
    assert any(tag == "video" and a["src"] == ld["contentUrl"] and a["poster"] == ld["thumbnailUrl"] for tag, a in parsed.media)

    audio = entry_for(session, storage, title="Voice", task_type="speech")
    parsed = page_of(seo.item_seo(audio, urls))
    (ld,) = parsed.json_ld
    assert ld["@type"] == "AudioObject"
    assert parsed.one("og:audio") == ld["contentUrl"] and parsed.one("og:audio:type") == "audio/mpeg"
    assert any(tag == "audio" and a["src"] == ld["contentUrl"] for tag, a in parsed.media)


def test_user_text_stays_text(session: Session, storage: LocalStorage, urls: seo.SiteUrls) -> None:
    entry = entry_for(session, storage, title=XSS, description=f'"quoted" & {XSS}', prompt=f"<img src=x onerror=alert(2)> {XSS}")
    rendered = seo.inject(REFLEX_LIKE_SHELL, seo.item_seo(entry, urls))
    parsed = parse_html(rendered)

    assert "<script>alert" not in rendered and "<img src=x" not in rendered
    assert not any("alert" in script for script in parsed.scripts)  # no script came from user text
    assert parsed.title == f"{XSS} · SmartSpec Pro Gallery"
    assert parsed.one("og:title") == parsed.title
    assert parsed.json_ld[0]["name"] == XSS  # the JSON-LD still says exactly what the user wrote
    assert parsed.json_ld[0]["description"].startswith('"quoted" & </script>')
    assert XSS in parsed.body_text and "<img src=x onerror=alert(2)>" in parsed.body_text
    assert all(a.get("onerror") is None for _tag, a in parsed.media)


def test_json_ld_text_cannot_close_its_script() -> None:
    data = {"name": "</script><!-- & \u2028", "n": 1}
    text = seo.json_ld_text(data)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    import json

    assert json.loads(text) == data


def test_listing_page(session: Session, storage: LocalStorage, urls: seo.SiteUrls) -> None:
    entries = [entry_for(session, storage, title=f"Card {n}") for n in range(3)]
    page = seo.listing_seo(
        heading="Nature",
        description="Nature pictures, videos and sounds.",
        canonical_url=urls.category("nature", 2),
        entries=entries,
        urls=urls,
        prev_url=urls.category("nature"),
        next_url=urls.category("nature", 3),
    )
    parsed = page_of(page)
    assert parsed.title == "Nature · SmartSpec Pro"
    assert parsed.links["canonical"] == [f"{BASE}/gallery/category/nature?page=2"]
    assert parsed.links["prev"] == [f"{BASE}/gallery/category/nature"]
    assert parsed.links["next"] == [f"{BASE}/gallery/category/nature?page=3"]
    (ld,) = parsed.json_ld
    assert ld["@type"] == "CollectionPage" and ld["mainEntity"]["@type"] == "ItemList"
    assert [e["url"] for e in ld["mainEntity"]["itemListElement"]] == [urls.item(e.item.slug) for e in entries]
    assert [e["position"] for e in ld["mainEntity"]["itemListElement"]] == [1, 2, 3]
    for entry in entries:
        assert urls.item(entry.item.slug) in parsed.anchors
        assert entry.item.title in parsed.body_text
    assert parsed.one("og:image").startswith(f"{BASE}/media/gallery/")


def test_inject_replaces_the_shell_tags_and_keeps_the_app() -> None:
    page = seo.not_found_seo(f"{BASE}/gallery/missing")
    rendered = seo.inject(REFLEX_LIKE_SHELL, page)
    parsed = parse_html(rendered)
    assert parsed.titles == 1 and parsed.title.startswith("Not found")
    assert "og:image" not in parsed.meta and parsed.meta["description"] == [page.description]
    assert parsed.one("robots") == "noindex, nofollow"
    assert parsed.meta["viewport"]  # the shell's own tags stay
    assert any("__reactRouterContext" in s for s in parsed.scripts)
    assert rendered.index("radix-themes") < rendered.index(seo.SEO_BLOCK_ID) < rendered.index("</body>")

    fallback = parse_html(seo.inject("not html at all", page))
    assert fallback.title.startswith("Not found") and seo.SEO_BLOCK_ID in fallback.ids


def test_summary_and_absolute_urls(storage: LocalStorage) -> None:
    assert seo.summary("word " * 100, 30).endswith("…") and len(seo.summary("word " * 100, 30)) <= 30
    assert seo.summary("  short \n text ") == "short text"
    urls = seo.SiteUrls(BASE + "/", storage)
    assert urls.absolute("/media/x.png") == f"{BASE}/media/x.png"
    assert urls.absolute("https://cdn.example/x.png") == "https://cdn.example/x.png"
    assert urls.item("a b") == f"{BASE}/gallery/a%20b"
    assert urls.tag("sci-fi", 3) == f"{BASE}/gallery/tag/sci-fi?page=3"


def test_unlisted_items_are_noindex(session: Session, storage: LocalStorage, urls: seo.SiteUrls) -> None:
    entry = entry_for(session, storage, title="By link only", visibility="unlisted")
    assert gallery.is_viewable_by_link(entry.item)
    parsed = page_of(seo.item_seo(entry, urls, indexable=False))
    assert parsed.one("robots") == "noindex, nofollow"
