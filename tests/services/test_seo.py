"""Head tags, JSON-LD and the plain-HTML body for crawlers, parsed back as a crawler reads them."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from smartspec_app.services import gallery, pictures, seo
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
    (img,) = [a for tag, a in parsed.media if tag == "img"]  # the 64×48 picture's one WebP rendition
    assert img["src"] == img["srcset"].removesuffix(" 64w") == f"/media/gallery/{item.id}/w64.webp"
    assert (img["width"], img["height"], img["alt"]) == ("64", "48", "A lighthouse at dawn")
    assert parsed.one("og:image:width") == "64" and parsed.one("og:image:height") == "48"
    assert f"{BASE}/gallery/tag/sea" in parsed.anchors and f"{BASE}/gallery/category/art" in parsed.anchors
    assert seo.SEO_BLOCK_ID in parsed.ids


def test_the_item_picture_is_responsive_and_first_to_load(session: Session, storage: LocalStorage, urls: seo.SiteUrls) -> None:
    """srcset of the WebP renditions, the slot's sizes, explicit dimensions, preloaded at high priority,
    never lazy; the original stays for og:image, the renditions are the JSON-LD thumbnails."""
    entry = entry_for(session, storage, title="Big picture", image_size=(1024, 768))
    item = entry.item
    parsed = page_of(seo.item_seo(entry, urls))
    (img,) = [a for tag, a in parsed.media if tag == "img"]
    widths = [320, 480, 640, 960, 1024]
    rendition = f"/media/gallery/{item.id}/w{{}}.webp"
    assert img["srcset"] == ", ".join(f"{rendition.format(w)} {w}w" for w in widths)
    assert img["src"] == rendition.format(640) and img["sizes"] == pictures.ITEM_SIZES
    assert (img["width"], img["height"]) == ("1024", "768")
    assert img["fetchpriority"] == "high" and "loading" not in img
    assert parsed.links["preload"] == [BASE + rendition.format(640)]
    assert parsed.one("og:image") == f"{BASE}/media/gallery/{item.id}/original.png"
    (ld,) = parsed.json_ld
    assert [(t["contentUrl"], t["width"], t["height"]) for t in ld["thumbnail"]] == [
        (BASE + rendition.format(w), w, round(768 * w / 1024)) for w in widths
    ]
    assert (ld["width"], ld["height"]) == (1024, 768) and ld["contentUrl"] == parsed.one("og:image")
    for width in widths:
        assert storage.exists(f"gallery/{item.id}/w{width}.webp")


def test_listing_cards_are_eager_only_for_the_first_row(session: Session, storage: LocalStorage, urls: seo.SiteUrls) -> None:
    entries = [entry_for(session, storage, title=f"Card {n}", image_size=(700, 700)) for n in range(6)]
    parsed = page_of(seo.listing_seo(heading="Gallery", description="All", canonical_url=urls.gallery(), entries=entries, urls=urls))
    images = [a for tag, a in parsed.media if tag == "img"]
    assert len(images) == 6 and all(a["sizes"] == pictures.CARD_SIZES and a["width"] == "700" for a in images)
    assert images[0]["fetchpriority"] == "high" and "loading" not in images[0]
    assert all("loading" not in a and "fetchpriority" not in a for a in images[1 : seo.EAGER_CARDS])
    assert all(a["loading"] == "lazy" for a in images[seo.EAGER_CARDS :])
    assert parsed.links["preload"] == [urls.absolute(images[0]["src"])]


def test_video_and_audio_items(session: Session, storage: LocalStorage, urls: seo.SiteUrls) -> None:
    video = entry_for(session, storage, title="Clip", task_type="video")
    parsed = page_of(seo.item_seo(video, urls))
    (ld,) = parsed.json_ld
    assert ld["@type"] == "VideoObject"
    assert parsed.one("og:type") == "video.other"
    assert parsed.one("og:video") == ld["contentUrl"] == f"{BASE}/media/gallery/{video.item.id}/original.mp4"
    assert parsed.one("og:video:type") == "video/mp4"
    assert parsed.one("og:image") == ld["thumbnailUrl"] == f"{BASE}/media/gallery/{video.item.id}/thumbnail.jpg"
    poster = f"/media/gallery/{video.item.id}/w32.webp"  # the 32×32 poster frame's WebP rendition
    assert any(tag == "video" and a["src"] == ld["contentUrl"] and a["poster"] == poster for tag, a in parsed.media)
    thumbnail = {"@type": "ImageObject", "contentUrl": BASE + poster, "width": 32, "height": 32, "encodingFormat": "image/webp"}
    assert ld["thumbnail"] == [thumbnail]

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
    assert rendered.index("radix-themes") < rendered.index(f'id="{seo.SEO_BLOCK_ID}"') < rendered.index("</body>")

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


def test_the_apps_stylesheet_waits_for_the_app_on_server_rendered_pages(
    session: Session, storage: LocalStorage, urls: seo.SiteUrls
) -> None:
    """The page carries its own CSS; the app's (Radix, 600 KB) is added by the boot script when the app starts."""
    shell = REFLEX_LIKE_SHELL.replace(
        "</head>",
        '<link as="style" href="/assets/app-1.css" rel="preload"/><link href="/assets/app-1.css" rel="stylesheet" type="text/css"/></head>',
    )
    rendered = seo.inject(shell, seo.item_seo(entry_for(session, storage), urls))
    assert "app-1.css" not in rendered
    assert f'<style id="{seo.SEO_STYLE_ID}">' in rendered and "body>[data-is-root-theme]{display:none}" in rendered


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def _head_strings(rendered: str) -> str:
    """Everything a crawler reads from the head: the <title>, every <meta> content and the JSON-LD."""
    import json

    parsed = parse_html(rendered)
    return parsed.title + "".join(v for values in parsed.meta.values() for v in values) + json.dumps(parsed.json_ld, ensure_ascii=False)


def test_bidi_controls_stay_out_of_the_head_and_are_isolated_in_the_body(
    session: Session, storage: LocalStorage, urls: seo.SiteUrls
) -> None:
    """An unclosed U+202E in a description reversed the rest of a search result's or an unfurled card's
    text; in the page's body the text keeps it, inside an element of its own with dir="auto"."""
    description = "Sale \u202eelas\u202c and \u2067مرحبا\u2069 \u200f!"
    entry = entry_for(session, storage, title="Cafe\u200f \u061cnoir", description=description, prompt="a \u202eprompt", tags="x\u200ey")
    rendered = seo.inject(REFLEX_LIKE_SHELL, seo.item_seo(entry, urls))
    head = _head_strings(rendered)
    assert not set(head) & set(BIDI), [hex(ord(c)) for c in set(head) & set(BIDI)]
    parsed = parse_html(rendered)
    assert parsed.title == "Cafe noir · SmartSpec Pro Gallery" and parsed.one("og:title") == parsed.title
    assert parsed.one("description") == "Sale elas and مرحبا !"
    assert parsed.json_ld[0]["name"] == "Cafe noir" and parsed.json_ld[0]["caption"] == "a prompt"
    body = rendered[rendered.index(f'id="{seo.SEO_BLOCK_ID}"') :]
    assert f'<p dir="auto">{description}</p>' in body and '<dd dir="auto">a \u202eprompt</dd>' in body
    assert '<h1 dir="auto">Cafe\u200f \u061cnoir</h1>' in body

    search = "x\u202eevil"
    listing = seo.inject(
        REFLEX_LIKE_SHELL,
        seo.listing_seo(
            heading=f"Search: {search}",
            description=f"Results for “{search}”.",
            canonical_url=urls.gallery(),
            entries=[entry],
            urls=urls,
            search_text=search,
        ),
    )
    assert not set(_head_strings(listing)) & set(BIDI)
    assert f'<h1 dir="auto">Search: {search}</h1>' in listing and '<span class="title" dir="auto">Cafe\u200f \u061cnoir</span>' in listing


def test_json_ld_text_drops_bidi_controls() -> None:
    import json

    assert json.loads(seo.json_ld_text({"name": "a\u202eb\u2066c\u200fd"})) == {"name": "abcd"}


def test_listing_cards_count_in_words(session: Session, storage: LocalStorage, urls: seo.SiteUrls) -> None:
    one = entry_for(session, storage, title="One of each", likes=1, views=1)
    many = entry_for(session, storage, title="Popular", likes=0, views=12)
    page = seo.listing_seo(heading="All", description="All.", canonical_url=urls.gallery(), entries=[one, many], urls=urls)
    text = page_of(page).body_text
    assert "1 like · 1 view" in text and "0 likes · 12 views" in text
    assert "1 likes" not in text and "1 views" not in text


def test_a_missing_page_has_a_title_the_navigation_and_the_way_home(urls: seo.SiteUrls) -> None:
    parsed = page_of(seo.missing_page_seo(f"{BASE}/nope-page", urls))
    assert parsed.title == "Page not found · SmartSpec Pro"
    assert parsed.one("robots") == "noindex, nofollow"
    assert {f"{BASE}/", f"{BASE}/generate", f"{BASE}/generations", f"{BASE}/gallery", f"{BASE}/sdk", f"{BASE}/login"} <= set(parsed.anchors)
    assert "Page not found" in parsed.body_text and "Back to the home page" in parsed.body_text
