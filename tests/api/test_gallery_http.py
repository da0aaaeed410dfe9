"""The gallery over plain HTTP, as crawlers and SDKs see it: the app's API served on a real port, no browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session
from starlette.responses import HTMLResponse

from smartspec_app.api import build_api, gallery_pages
from smartspec_app.models import User
from smartspec_app.services import auth, gallery, keys, sitemap
from smartspec_app.services.storage import LocalStorage, get_storage
from smartspec_app.settings import reload_settings
from tests.support.gallery_data import completed_task, make_user, shared_item
from tests.support.html_page import parse_html
from tests.support.servers import serve
from tests.support.sitemap_check import check_index, check_urlset

BASE = "https://gallery.example"
XSS = "</script><script>alert(1)</script>"
SHELL = (
    '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>{title}</title>'
    '<meta content="favicon.ico" property="og:image"/></head>'
    '<body><div class="radix-themes" id="{root}"></div>'
    '<script>window.__reactRouterContext = {{"isSpaMode":true}};</script>'
    '<script type="module">import "/assets/entry.client-test.js"</script></body></html>'
)


@pytest.fixture
def build_dir(tmp_path: Path) -> Path:
    """A stand-in for .web/build/client: the SPA fallback and the prerendered /gallery page."""
    directory = tmp_path / "build"
    directory.mkdir()
    (directory / "__spa-fallback.html").write_text(SHELL.format(title="SPA", root="spa-root"))
    (directory / "gallery.html").write_text(SHELL.format(title="Gallery · SmartSpec Pro", root="prerendered-gallery"))
    return directory


@pytest.fixture
def site(app_env: Path, build_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    monkeypatch.setenv("SPA_BUILD_DIR", str(build_dir))
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "1000/minute")  # limits have their own tests
    reload_settings()
    with serve(build_api()) as url:
        yield url


@pytest.fixture
def media(app_env: Path) -> LocalStorage:
    """The storage the served app reads (DATA_DIR/media)."""
    return get_storage()  # DATA_DIR/media, signing like the served app


@pytest.fixture
def client(site: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site, follow_redirects=False, timeout=30) as c:
        yield c


def token_for(session: Session, user: User) -> str:
    token = auth.login(session, user.email, "a long password").token
    session.commit()
    return token


def test_item_page_has_everything_a_crawler_needs(client: httpx.Client, session: Session, media: LocalStorage) -> None:
    user = make_user(session, "painter")
    item = shared_item(session, media, user, "Harbour at night", description="Boats and lanterns", tags="sea, night", category="art")

    response = client.get(f"/gallery/{item.slug}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = parse_html(response.text)
    url = f"{BASE}/gallery/{item.slug}"
    assert page.titles == 1 and page.title == "Harbour at night · SmartSpec Pro Gallery"
    assert page.one("description") == "Boats and lanterns"
    assert page.links["canonical"] == [url]
    assert page.one("og:url") == url and page.one("og:title") == page.title and page.one("og:type") == "website"
    assert page.one("og:image") == f"{BASE}/media/gallery/{item.id}/original.png"
    assert page.one("twitter:card") == "summary_large_image" and page.one("twitter:title") == page.title
    (ld,) = page.json_ld
    assert ld["@type"] == "ImageObject" and ld["name"] == "Harbour at night" and ld["url"] == url
    assert ld["contentUrl"] == page.one("og:image") and ld["thumbnailUrl"].endswith("/thumbnail.jpg")
    assert ld["creator"]["name"] == "painter" and ld["uploadDate"] and ld["dateModified"]
    assert "Harbour at night" in page.body_text and "A lighthouse at dawn" in page.body_text  # title and prompt
    assert any(tag == "img" and a["srcset"] == f"/media/gallery/{item.id}/w64.webp 64w" for tag, a in page.media)
    # the same document boots the live Reflex page in a browser
    assert "spa-root" in page.ids and any("__reactRouterContext" in s for s in page.scripts)
    # and the media it points at is really served
    assert client.get(f"/media/gallery/{item.id}/original.png").status_code == 200
    assert client.head(f"/gallery/{item.slug}").status_code == 200


def test_video_and_audio_pages(client: httpx.Client, session: Session, media: LocalStorage) -> None:
    user = make_user(session)
    clip = shared_item(session, media, user, "Clip", task_type="video")
    voice = shared_item(session, media, user, "Voice", task_type="speech")
    video_page = parse_html(client.get(f"/gallery/{clip.slug}").text)
    assert video_page.json_ld[0]["@type"] == "VideoObject" and video_page.one("og:video").endswith("/original.mp4")
    assert any(tag == "video" for tag, _a in video_page.media)
    audio_page = parse_html(client.get(f"/gallery/{voice.slug}").text)
    assert audio_page.json_ld[0]["@type"] == "AudioObject" and audio_page.one("og:audio").endswith("/original.mp3")
    assert any(tag == "audio" for tag, _a in audio_page.media)


def test_old_slugs_redirect_and_hidden_items_are_not_found(client: httpx.Client, session: Session, media: LocalStorage) -> None:
    owner = make_user(session)
    item = shared_item(session, media, owner, "Before")
    old = item.slug
    gallery.update_item(session, owner, item.id, title="After")
    session.commit()
    moved = client.get(f"/gallery/{old}?ref=x")
    assert moved.status_code == 301 and moved.headers["location"] == f"/gallery/{item.slug}?ref=x"

    private = shared_item(session, media, owner, "Secret diary", visibility="private")
    pending = shared_item(session, media, owner, "Waiting room", auto_approve=False)
    flagged = shared_item(session, media, owner, "Flagged")
    flagged.is_nsfw = True
    session.add(flagged)
    session.commit()
    for slug, title in [(private.slug, "Secret diary"), (pending.slug, "Waiting room"), (flagged.slug, "Flagged"), ("nope-aaaaaa", "")]:
        response = client.get(f"/gallery/{slug}")
        assert response.status_code == 404, slug
        page = parse_html(response.text)
        assert page.one("robots") == "noindex, nofollow" and not page.json_ld
        assert not title or title not in response.text
        assert "spa-root" in page.ids  # the author's browser still gets the app

    unlisted = shared_item(session, media, owner, "By link", visibility="unlisted")
    response = client.get(f"/gallery/{unlisted.slug}")
    assert response.status_code == 200 and parse_html(response.text).one("robots") == "noindex, nofollow"


def raw_url(client: httpx.Client, path_and_query: str) -> httpx.URL:
    """The URL with its path exactly as written (httpx would read "//gallery/x" as a host)."""
    path, _, query = path_and_query.partition("?")
    return client.base_url.copy_with(raw_path=path.encode() + (b"?" + query.encode() if query else b""))


@pytest.fixture
def site_with_spa(app_env: Path, build_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    """The API with a stand-in for Reflex mounted behind it, as rx.App(api_transformer=...) does: every
    path no route takes gets the SPA shell with a 200 (what the built app's fallback answers)."""
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    monkeypatch.setenv("SPA_BUILD_DIR", str(build_dir))
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "1000/minute")
    reload_settings()
    api = build_api()

    async def spa_fallback(scope, receive, send) -> None:
        await HTMLResponse(SHELL.format(title="SPA", root="bare-shell"))(scope, receive, send)

    api.mount("", spa_fallback)
    with serve(api) as url, httpx.Client(base_url=url, follow_redirects=False, timeout=30) as c:
        yield c


def test_other_spellings_of_a_page_redirect_to_its_canonical_url(
    site_with_spa: httpx.Client, session: Session, media: LocalStorage
) -> None:
    owner = make_user(session, "spelling")
    item = shared_item(session, media, owner, "Lighthouse", category="nature", tags="sea")
    slug = item.slug
    for path, canonical in [
        ("/gallery/", "/gallery"),
        ("/gallery//", "/gallery"),
        ("/GALLERY/", "/gallery"),
        ("/gallery/?sort=newest&page=1", "/gallery?sort=newest&page=1"),
        (f"/gallery/{slug}/", f"/gallery/{slug}"),
        (f"/gallery//{slug}", f"/gallery/{slug}"),
        (f"//gallery/{slug}", f"/gallery/{slug}"),
        (f"/gallery/{slug.upper()}", f"/gallery/{slug}"),
        ("/gallery/category/nature/", "/gallery/category/nature"),
        ("/gallery/category/Nature", "/gallery/category/nature"),
        ("/gallery/tag/sea/", "/gallery/tag/sea"),
        ("/gallery/user/spelling/", "/gallery/user/spelling"),
        ("/gallery/user/Spelling", "/gallery/user/spelling"),
        ("/gallery/sitemap.xml/", "/gallery/sitemap.xml"),
    ]:
        for method in ("GET", "HEAD"):
            response = site_with_spa.send(site_with_spa.build_request(method, raw_url(site_with_spa, path)))
            assert (response.status_code, response.headers.get("location")) == (301, canonical), (method, path)
    moved_from = slug
    gallery.update_item(session, owner, item.id, title="Lighthouse at dusk")
    session.commit()
    once = site_with_spa.get(f"/gallery/{moved_from}/")  # an old slug, spelled otherwise: straight to the new one
    assert (once.status_code, once.headers["location"]) == (301, f"/gallery/{session.get(type(item), item.id).slug}")
    canonical = site_with_spa.get(once.headers["location"])
    assert canonical.status_code == 200 and "bare-shell" not in canonical.text


def test_missing_and_private_items_are_a_real_404_under_every_spelling(
    site_with_spa: httpx.Client, session: Session, media: LocalStorage
) -> None:
    owner = make_user(session)
    private = shared_item(session, media, owner, "Secret diary", visibility="private")
    for base in (f"/gallery/{private.slug}", "/gallery/nope-aaaaaa", "/gallery/category/nowhere", "/gallery/user/nobody_here"):
        for path in (base, f"{base}/", f"{base}//", base.upper(), base.replace("/gallery/", "/gallery//"), f"/{base}"):
            response = site_with_spa.get(raw_url(site_with_spa, path))
            assert response.status_code == 404, path
            page = parse_html(response.text)
            assert page.one("robots") == "noindex, nofollow" and page.title.startswith("Not found"), path
            assert "Secret diary" not in response.text and "bare-shell" not in page.ids, path
    for deeper in ("/gallery/a/b", f"/gallery/{private.slug}/edit", "/gallery/category/nature/extra/"):
        response = site_with_spa.get(deeper)
        assert response.status_code == 404 and parse_html(response.text).one("robots") == "noindex, nofollow", deeper
    assert site_with_spa.get("/generate").text.count("bare-shell") == 1  # other pages are Reflex's own business


def test_gallery_listing_pages(client: httpx.Client, session: Session, media: LocalStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gallery_pages, "PAGE_SIZE", 2)
    alice, bob = make_user(session, "alice_h"), make_user(session, "bob_h")
    fox = shared_item(session, media, alice, "Fox", category="nature", tags="animals")
    owl = shared_item(session, media, bob, "Owl", category="nature", tags="animals, night")
    song = shared_item(session, media, alice, "Song", task_type="speech", category="music")
    hidden = shared_item(session, media, alice, "Hidden", visibility="private", category="nature")

    first = parse_html(client.get("/gallery", params={"sort": "newest"}).text)
    assert first.title == "Gallery · SmartSpec Pro" and first.links["canonical"] == [f"{BASE}/gallery"]
    assert "prerendered-gallery" in first.ids  # the static page's own prerendered shell
    assert first.links["next"] == [f"{BASE}/gallery?page=2"] and "prev" not in first.links
    (ld,) = first.json_ld
    assert ld["@type"] == "CollectionPage"
    assert [e["name"] for e in ld["mainEntity"]["itemListElement"]] == ["Song", "Owl"]
    second = parse_html(client.get("/gallery", params={"page": 2, "sort": "newest"}).text)
    assert [e["name"] for e in second.json_ld[0]["mainEntity"]["itemListElement"]] == ["Fox"]
    assert second.links["prev"] == [f"{BASE}/gallery"] and second.links["canonical"] == [f"{BASE}/gallery?page=2"]
    assert client.get("/gallery", params={"page": 3}).status_code == 404

    nature = parse_html(client.get("/gallery/category/nature").text)
    assert nature.links["canonical"] == [f"{BASE}/gallery/category/nature"]
    assert {f"{BASE}/gallery/{fox.slug}", f"{BASE}/gallery/{owl.slug}"} <= set(nature.anchors)
    assert f"{BASE}/gallery/{hidden.slug}" not in nature.anchors and "Hidden" not in nature.body_text
    assert nature.title == "Nature · Gallery · SmartSpec Pro"

    tagged = parse_html(client.get("/gallery/tag/night").text)
    assert [e["url"] for e in tagged.json_ld[0]["mainEntity"]["itemListElement"]] == [f"{BASE}/gallery/{owl.slug}"]
    assert client.get("/gallery/tag/Night").headers["location"] == "/gallery/tag/night"
    assert client.get("/gallery/tag/never-used").status_code == 404

    alice_page = parse_html(client.get("/gallery/user/alice_h").text)
    assert {e["name"] for e in alice_page.json_ld[0]["mainEntity"]["itemListElement"]} == {"Fox", "Song"}
    assert song.title in alice_page.body_text
    assert client.get("/gallery/user/nobody_here").status_code == 404
    assert client.get("/gallery/category/not-a-category").status_code == 404


def test_search_pages_are_crawlable_but_noindex(
    client: httpx.Client, session: Session, media: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gallery_pages, "PAGE_SIZE", 2)
    user = make_user(session, "searcher_h")
    for n in range(3):
        shared_item(session, media, user, f"Comet {n}", category="nature")
    shared_item(session, media, user, "Comet song", task_type="speech", category="music")
    shared_item(session, media, user, "Meadow", category="nature")

    plain = parse_html(client.get("/gallery").text)
    assert plain.one("robots") == "index, follow"
    assert "q" in plain.body_text or "Search" in plain.body_text  # the search form crawlers and no-JS visitors get
    found = parse_html(client.get("/gallery", params={"q": "Comets"}).text)
    assert found.one("robots") == "noindex, follow"
    assert found.links["canonical"] == [f"{BASE}/gallery?q=comets"]
    assert found.links["next"] == [f"{BASE}/gallery?q=comets&page=2"]
    assert found.title.startswith("Search: comets · Gallery")
    assert len(found.json_ld[0]["mainEntity"]["itemListElement"]) == 2
    second = parse_html(client.get("/gallery", params={"q": "comets", "page": 2}).text)
    assert second.links["prev"] == [f"{BASE}/gallery?q=comets"] and "next" not in second.links
    in_category = parse_html(client.get("/gallery/category/nature", params={"q": "comet", "sort": "newest"}).text)
    assert {e["name"] for e in in_category.json_ld[0]["mainEntity"]["itemListElement"]} == {"Comet 2", "Comet 1"}
    assert in_category.links["canonical"] == [f"{BASE}/gallery/category/nature?q=comet"]
    nothing = client.get("/gallery", params={"q": "zeppelin"})
    assert nothing.status_code == 200 and parse_html(nothing.text).one("robots") == "noindex, follow"
    assert "Nothing found." in parse_html(nothing.text).body_text
    hostile = client.get("/gallery", params={"q": XSS})
    assert hostile.status_code == 200 and "<script>alert(1)" not in hostile.text


def test_search_api(client: httpx.Client, session: Session, media: LocalStorage) -> None:
    alice, bob = make_user(session, "alice_q"), make_user(session, "bob_q")
    lamp = shared_item(session, media, alice, "Paper lantern", prompt="warm glow", tags="night", likes=1)
    street = shared_item(session, media, bob, "Street at night", prompt="lanterns along a canal", likes=9)
    shared_item(session, media, bob, "Lantern song", task_type="speech", prompt="lantern", visibility="private")
    shared_item(session, media, bob, "Noon", prompt="sun")

    body = client.get("/api/gallery", params={"q": "lanterns"}).json()
    assert [i["id"] for i in body["items"]] == [lamp.id, street.id] and body["total"] == 2  # the title match first
    liked = client.get("/api/gallery", params={"q": "lantern", "sort_by": "most_liked"}).json()
    assert [i["id"] for i in liked["items"]] == [street.id, lamp.id]
    assert [i["id"] for i in client.get("/api/gallery", params={"q": "lantern", "username": "alice_q"}).json()["items"]] == [lamp.id]
    assert [i["id"] for i in client.get("/api/gallery", params={"q": '"street at night"'}).json()["items"]] == [street.id]
    assert client.get("/api/gallery", params={"q": '"night street"'}).json()["total"] == 0
    assert client.get("/api/gallery", params={"q": "lantern", "media_type": "audio"}).json()["total"] == 0
    assert client.get("/api/gallery", params={"q": "x" * 201}).json()["error"]["details"]["field"] == "q"
    weird = client.get("/api/gallery", params={"q": 'OR NEAR( " * ) -- ;DROP TABLE gallery_items'})
    assert weird.status_code == 200 and weird.json()["total"] == 0


def test_sitemap_and_robots(client: httpx.Client, session: Session, media: LocalStorage) -> None:
    user = make_user(session)
    picture = shared_item(session, media, user, "Picture", category="art")
    shared_item(session, media, user, "Private", visibility="private")
    response = client.get("/gallery/sitemap.xml")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    pages = check_urlset(response.content)
    assert pages == {
        f"{BASE}/gallery": [],
        f"{BASE}/gallery/category/art": [],
        f"{BASE}/gallery/{picture.slug}": [f"{BASE}/media/gallery/{picture.id}/original.png"],
    }
    assert client.get("/gallery/sitemap-1.xml").status_code == 404  # no index for a small gallery

    robots = client.get("/robots.txt")
    assert robots.status_code == 200 and f"Sitemap: {BASE}/gallery/sitemap.xml" in robots.text.splitlines()


def test_a_rendered_sitemap_is_reused_until_the_listed_items_change(
    client: httpx.Client, session: Session, media: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(session)
    shared_item(session, media, user, "First", category="art")
    renders = 0
    original = sitemap.GallerySitemap.page_chunks

    def counted(self, page: int):
        nonlocal renders
        renders += 1
        yield from original(self, page)

    monkeypatch.setattr(sitemap.GallerySitemap, "page_chunks", counted)
    first = client.get("/gallery/sitemap.xml").content
    assert client.get("/gallery/sitemap.xml").content == first and renders == 1  # the same bytes, rendered once
    second = shared_item(session, media, user, "Second", category="art")
    changed = client.get("/gallery/sitemap.xml").content
    assert renders == 2 and f"/gallery/{second.slug}".encode() in changed  # a new listed item is there at once
    hidden = shared_item(session, media, user, "Hidden", visibility="private")
    assert client.get("/gallery/sitemap.xml").content == changed and renders == 2  # nothing listed changed
    assert hidden.slug.encode() not in changed


def test_sitemap_index_past_the_limit(
    app_env: Path, build_dir: Path, session: Session, media: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(session)
    items = [shared_item(session, media, user, f"Item {n}") for n in range(5)]  # 7 URLs with /gallery and one category
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    monkeypatch.setenv("SPA_BUILD_DIR", str(build_dir))
    monkeypatch.setenv("SITEMAP_MAX_URLS", "3")
    reload_settings()
    with serve(build_api()) as url, httpx.Client(base_url=url) as client:
        locs = check_index(client.get("/gallery/sitemap.xml").content)
        assert locs == [f"{BASE}/gallery/sitemap-{n}.xml" for n in (1, 2, 3)]
        seen: list[str] = []
        for loc in locs:
            seen.extend(check_urlset(client.get(loc.removeprefix(BASE)).content, limit=3))
        assert client.get("/gallery/sitemap-4.xml").status_code == 404
    assert len(seen) == len(set(seen)) == 7
    assert {f"{BASE}/gallery/{i.slug}" for i in items} <= set(seen)


def test_user_text_is_escaped_everywhere(client: httpx.Client, session: Session, media: LocalStorage) -> None:
    user = make_user(session)
    item = shared_item(session, media, user, XSS, description=XSS, prompt=f'{XSS}"><img src=x onerror=alert(2)>')
    for path in (f"/gallery/{item.slug}", "/gallery", f"/gallery/user/{user.username}"):
        body = client.get(path).text
        assert "<script>alert(1)" not in body and "<img src=x" not in body, path
        page = parse_html(body)
        assert not any("alert" in script for script in page.scripts), path
        assert all("onerror" not in attributes for _tag, attributes in page.media), path
        assert XSS in page.body_text, path
    page = parse_html(client.get(f"/gallery/{item.slug}").text)
    assert page.json_ld[0]["name"] == XSS and page.title.startswith(XSS)
    api_item = client.get("/api/gallery").json()["items"][0]
    assert api_item["title"] == XSS


def test_list_api(client: httpx.Client, session: Session, media: LocalStorage) -> None:
    alice = make_user(session, "alice_api")
    fox = shared_item(session, media, alice, "Fox", category="nature", tags="animals", likes=5)
    song = shared_item(session, media, alice, "Song", task_type="speech", category="music", likes=1)
    shared_item(session, media, alice, "Private", visibility="private")

    body = client.get("/api/gallery", params={"sort_by": "most_liked"}).json()
    assert [i["id"] for i in body["items"]] == [fox.id, song.id]
    assert (body["total"], body["page"], body["has_more"]) == (2, 1, False)
    first = body["items"][0]
    assert first["url"] == f"{BASE}/gallery/{fox.slug}" and first["author"] == "alice_api"
    assert first["media_url"] == f"{BASE}/media/gallery/{fox.id}/original.png" and first["tags"] == ["animals"]
    assert [i["id"] for i in client.get("/api/gallery", params={"media_type": "audio"}).json()["items"]] == [song.id]
    assert [i["id"] for i in client.get("/api/gallery", params={"tag": "animals"}).json()["items"]] == [fox.id]
    paged = client.get("/api/gallery", params={"page_size": 1, "page": 2, "sort_by": "most_liked"}).json()
    assert [i["id"] for i in paged["items"]] == [song.id] and not paged["has_more"]

    assert client.get("/api/gallery", params={"page_size": 101}).status_code == 422
    assert client.get("/api/gallery", params={"sort_by": "random"}).status_code == 422
    unknown = client.get("/api/gallery", params={"category": "nope"})  # nothing is filed under it: an empty page
    assert unknown.status_code == 200 and unknown.json() == {"items": [], "page": 1, "page_size": 24, "total": 0, "has_more": False}
    assert [i["id"] for i in client.get("/api/gallery", params={"category": " Nature "}).json()["items"]] == [fox.id]


def test_the_specifications_gallery_requests_work_as_written(client: httpx.Client, session: Session, media: LocalStorage) -> None:
    """POST /api/gallery, GET /api/gallery and the like toggle exactly as the product specification writes them."""
    owner, fan = make_user(session, "spec_author"), make_user(session, "spec_fan")
    completed_task(session, media, owner, prompt="A beautiful sunset over mountains", task_id="task_123")
    headers = {"Authorization": f"Bearer {keys.create_api_token(session, keys.get_key_manager(), owner, 'spec')[1]}"}
    fan_headers = {"Authorization": f"Bearer {keys.create_api_token(session, keys.get_key_manager(), fan, 'spec')[1]}"}
    session.commit()

    shared = client.post(
        "/api/gallery",
        content="""{"title": "My Amazing Image", "description": "Generated with AI", "generation_task_id": "task_123",
 "category": "landscape", "tags": ["nature", "sunset"], "visibility": "public"}""",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert shared.status_code == 201, shared.text
    item = shared.json()
    assert (item["title"], item["category"], item["tags"], item["visibility"]) == (
        "My Amazing Image",
        "landscape",
        ["nature", "sunset"],
        "public",
    )

    listing = client.get("/api/gallery?page=1&page_size=20&category=landscape&sort_by=trending")
    assert listing.status_code == 200
    assert [i["id"] for i in listing.json()["items"]] == [item["id"]] and listing.json()["page_size"] == 20

    like_url = f"/api/gallery/item/{item['id']}/like"
    assert client.post(like_url, headers=fan_headers).json() == {"item_id": item["id"], "liked": True, "likes_count": 1}
    assert client.post(like_url, headers=fan_headers).json() == {"item_id": item["id"], "liked": False, "likes_count": 0}


def test_share_names_the_task_by_task_id_or_generation_task_id(client: httpx.Client, session: Session, media: LocalStorage) -> None:
    owner = make_user(session)
    first, second = completed_task(session, media, owner), completed_task(session, media, owner)
    headers = {"Authorization": f"Bearer {keys.create_api_token(session, keys.get_key_manager(), owner, 'sdk')[1]}"}
    session.commit()
    both = client.post("/api/gallery", json={"title": "Both", "task_id": first.id, "generation_task_id": second.id}, headers=headers)
    assert both.status_code == 422 and both.json()["error"]["details"]["field"] == "generation_task_id"
    same = client.post("/api/gallery", json={"title": "Same", "task_id": first.id, "generation_task_id": first.id}, headers=headers)
    assert same.status_code == 201
    assert client.post("/api/gallery", json={"title": "Old form", "task_id": second.id}, headers=headers).status_code == 201


def test_authors_see_why_and_ask_for_a_re_review_once(client: httpx.Client, session: Session, media: LocalStorage) -> None:
    from smartspec_app.services import moderation

    admin, author, stranger = make_user(session, "admin_rr"), make_user(session, "author_rr"), make_user(session, "stranger_rr")
    admin.is_admin = True
    session.add(admin)
    item = shared_item(session, media, author, "Harbour at night")
    moderation.reject(session, admin, item.id, "Watermarked stock image")
    session.commit()
    mine, theirs, admins = ({"Authorization": f"Bearer {token_for(session, user)}"} for user in (author, stranger, admin))

    detail = client.get(f"/api/gallery/item/{item.id}", headers=mine).json()
    assert detail["moderation"]["state"] == "rejected" and detail["moderation"]["reason"] == "Watermarked stock image"
    assert detail["moderation"]["can_request_review"] is True and detail["moderation"]["listed"] is False
    assert client.get(f"/api/gallery/item/{item.id}", headers=admins).json()["moderation"]["state"] == "rejected"
    assert client.get(f"/api/gallery/item/{item.id}", headers=theirs).status_code == 404  # a rejected item is nobody else's business

    url = f"/api/gallery/item/{item.id}/review"
    assert client.post(url, json={"note": "x" * 1001}, headers=mine).json()["error"]["details"]["field"] == "note"
    assert client.post(url, json={}, headers=theirs).status_code == 404
    assert client.post(url, json={}, headers=admins).status_code == 403
    answer = client.post(url, json={"note": "It is my own photo"}, headers=mine)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "pending" and body["review_open"] is True and body["review_note"] == "It is my own photo"
    assert body["review_requested_at"].endswith("Z") and body["can_request_review"] is False
    again = client.post(url, json={"note": "please"}, headers=mine)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    queue = client.get("/api/admin/gallery/queue", params={"filter": "review"}, headers=admins).json()
    assert [(i["id"], i["review_note"]) for i in queue["items"]] == [(item.id, "It is my own photo")]
    listed = client.get(f"/api/gallery/item/{item.id}").json()
    assert listed["error"]["code"] == "not_found"
    public = client.get(f"/api/gallery/item/{shared_item(session, media, author, 'Fine').id}").json()
    assert public["moderation"] is None  # only the author and admins are told


def test_like_api(client: httpx.Client, session: Session, media: LocalStorage) -> None:
    owner, fan = make_user(session), make_user(session)
    item = shared_item(session, media, owner, "Likeable")
    private = shared_item(session, media, owner, "Private", visibility="private")
    token = token_for(session, fan)
    headers = {"Authorization": f"Bearer {token}"}

    like_url = f"/api/gallery/item/{item.id}/like"
    assert client.post(like_url).status_code == 401
    assert client.post(like_url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post(like_url, headers=headers).json() == {"item_id": item.id, "liked": True, "likes_count": 1}
    assert client.get(f"/api/gallery/item/{item.id}", headers=headers).json()["liked"] is True
    assert client.get(f"/api/gallery/item/{item.id}").json()["liked"] is False
    # a plain POST toggles: the second one takes the like back
    assert client.post(like_url, headers=headers).json() == {"item_id": item.id, "liked": False, "likes_count": 0}
    assert client.post(like_url, headers=headers).json()["liked"] is True
    assert client.delete(like_url, headers=headers).json()["likes_count"] == 0
    assert client.delete(like_url, headers=headers).json()["likes_count"] == 0  # DELETE stays an idempotent unlike
    # "like" and "unlike" set the state, as often as they are sent (JSON body or query)
    for _ in range(2):
        assert client.post(like_url, json={"action": "like"}, headers=headers).json()["likes_count"] == 1
    for _ in range(2):
        assert client.post(like_url, params={"action": "unlike"}, headers=headers).json()["liked"] is False
    assert client.post(like_url, params={"action": "like"}, headers=headers).json()["liked"] is True
    assert client.post(like_url, json={"action": "unlike"}, params={"action": "like"}, headers=headers).json()["liked"] is False
    assert client.post(like_url, json={}, headers=headers).json()["liked"] is True  # no action: toggle
    bad = client.post(like_url, json={"action": "love"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "action"
    assert client.post(like_url, params={"action": "love"}, headers=headers).status_code == 422
    assert client.get(f"/api/gallery/item/{item.id}").json()["likes_count"] == 1
    assert client.post(f"/api/gallery/item/{private.id}/like", headers=headers).status_code == 404
    assert client.get(f"/api/gallery/item/{private.id}", headers=headers).status_code == 404
    owner_headers = {"Authorization": f"Bearer {token_for(session, owner)}"}
    assert client.get(f"/api/gallery/item/{private.id}", headers=owner_headers).json()["visibility"] == "private"


def test_share_api(client: httpx.Client, session: Session, media: LocalStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    owner, other = make_user(session, "sharer"), make_user(session)
    task = completed_task(session, media, owner, prompt="Foxes in the snow")
    _row, token = keys.create_api_token(session, keys.get_key_manager(), owner, "sdk")
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"task_id": task.id, "title": "Snow foxes", "description": "Two of them", "category": "nature", "tags": ["Winter", "fox"]}

    assert client.post("/api/gallery", json=body).status_code == 401
    response = client.post("/api/gallery", json=body, headers=headers)
    assert response.status_code == 201, response.text
    item = response.json()
    assert (item["title"], item["description"], item["category"], item["visibility"]) == ("Snow foxes", "Two of them", "nature", "public")
    assert item["tags"] == ["winter", "fox"] and item["author"] == "sharer" and item["prompt"] == "Foxes in the snow"
    assert item["media_type"] == "image" and item["url"] == f"{BASE}/gallery/{item['slug']}"
    assert item["media_url"] == f"{BASE}/media/gallery/{item['id']}/original.png"
    assert client.get(item["media_url"].removeprefix(BASE)).status_code == 200  # the media was really copied
    assert client.get(f"/api/gallery/item/{item['id']}").json()["title"] == "Snow foxes"
    assert [i["id"] for i in client.get("/api/gallery").json()["items"]] == [item["id"]]

    again = client.post("/api/gallery", json=body, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["details"]["item_id"] == item["id"]

    unlisted = completed_task(session, media, owner)
    hidden = client.post("/api/gallery", json={"task_id": unlisted.id, "title": "Quiet", "visibility": "unlisted"}, headers=headers)
    assert hidden.status_code == 201 and hidden.json()["visibility"] == "unlisted"
    assert hidden.json()["id"] not in [i["id"] for i in client.get("/api/gallery").json()["items"]]

    theirs = completed_task(session, media, other)
    assert client.post("/api/gallery", json={**body, "task_id": theirs.id}, headers=headers).status_code == 404
    assert client.post("/api/gallery", json={**body, "task_id": "nope"}, headers=headers).status_code == 404
    running = completed_task(session, media, owner)
    running.status = "running"
    session.add(running)
    session.commit()
    not_yet = client.post("/api/gallery", json={**body, "task_id": running.id}, headers=headers)
    assert not_yet.status_code == 409 and not_yet.json()["error"]["details"] == {"status": "running", "field": "task_id"}
    fresh = completed_task(session, media, owner)
    for payload, field in (
        ({**body, "task_id": fresh.id, "visibility": "friends"}, "visibility"),
        ({**body, "task_id": fresh.id, "category": "not-a-category"}, "category"),
        ({**body, "task_id": fresh.id, "title": ""}, "title"),
        ({"title": "No task"}, "task_id"),
    ):
        failed = client.post("/api/gallery", json=payload, headers=headers)
        assert failed.status_code == 422, (field, failed.text)
        assert failed.json()["error"]["code"] == "validation_error" and failed.json()["error"]["details"]["field"] == field


def test_share_waits_for_moderation_without_auto_approve(
    app_env: Path, build_dir: Path, session: Session, media: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GALLERY_AUTO_APPROVE", "false")
    reload_settings()
    owner = make_user(session)
    task = completed_task(session, media, owner)
    _row, token = keys.create_api_token(session, keys.get_key_manager(), owner, "sdk")
    session.commit()
    with serve(build_api()) as url, httpx.Client(base_url=url) as client:
        response = client.post("/api/gallery", json={"task_id": task.id, "title": "Later"}, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201
        assert client.get("/api/gallery").json()["total"] == 0  # not listed before a moderator approves it
