"""/media over real HTTP: who may load what, and the cache headers each answer carries.

Generations and unlisted/private gallery items load only through the signed, expiring URLs the
app hands to those allowed to see them; listed items' media is public and cacheable for a year.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import Session

from smartspec_app.api import build_api
from smartspec_app.services import auth, gallery
from smartspec_app.services.media_signing import signer_from_settings
from smartspec_app.services.storage import CACHE_CONTROL, Storage, get_storage
from smartspec_app.settings import get_settings, reload_settings
from tests.support.gallery_data import completed_task, make_user, shared_item
from tests.support.html_page import parse_html
from tests.support.servers import serve

BASE = "https://media.example"


@pytest.fixture
def site(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    monkeypatch.setenv("RATE_LIMIT_USER", "10000/minute")
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "10000/minute")
    reload_settings()
    with serve(build_api()) as url:
        yield url


@pytest.fixture
def media(app_env: Path) -> Storage:
    return get_storage()


@pytest.fixture
def anonymous(site: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site, timeout=30) as c:
        yield c


def local(url: str) -> str:
    """The path and query of an absolute URL the API handed out (PUBLIC_BASE_URL is not this server)."""
    assert url.startswith(BASE + "/media/"), url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def bearer(session: Session, user) -> dict[str, str]:
    token = auth.login(session, user.email, "a long password").token
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_generation_outputs_need_the_signed_url_the_owner_gets(anonymous: httpx.Client, session: Session, media: Storage) -> None:
    owner = make_user(session, "maker")
    task = completed_task(session, media, owner)
    # the stored URL (what used to be served to anyone) is not enough
    for stored in (task.output_url, task.thumbnail_url):
        assert anonymous.get(stored).status_code == 404
    body = anonymous.get(f"/api/generation/tasks/{task.id}", headers=bearer(session, owner)).json()
    for url in (body["output_url"], body["output_urls"][0], body["thumbnail_url"]):
        answer = anonymous.get(local(url))  # no session, no token: the SDKs download it like this
        assert answer.status_code == 200 and answer.content == media.read_bytes(media.key_from_url(local(url)))
        cache = answer.headers["cache-control"]
        assert cache.startswith("private, max-age=") and 3000 < int(cache.rsplit("=", 1)[1]) <= 3600 * 1.25
    # the listing hands out the same signed URLs
    listed = anonymous.get("/api/generation/tasks", headers=bearer(session, owner)).json()["items"][0]
    assert listed["output_url"] == body["output_url"]


def test_wrong_expired_or_borrowed_signatures_are_refused(anonymous: httpx.Client, session: Session, media: Storage) -> None:
    owner = make_user(session)
    task, other = completed_task(session, media, owner), completed_task(session, media, owner)
    key, other_key = task.output_keys[0], other.output_keys[0]
    signer = signer_from_settings(get_settings())
    query = signer.query(key)
    assert anonymous.get(f"/media/{key}?{query}").status_code == 200
    assert anonymous.get(f"/media/{other_key}?{query}").status_code == 403  # a signature opens one key only
    assert anonymous.get(f"/media/{key}?{query[:-3]}xyz").status_code == 403
    expired = signer.query(key, now=1_000_000_000)
    assert anonymous.get(f"/media/{key}?{expired}").status_code == 403
    assert anonymous.get(f"/media/{key}?expires=99999999999").status_code == 403
    assert anonymous.get(f"/media/../smartspec.db?{query}").status_code == 404
    assert anonymous.get(f"/media/generations/../../smartspec.db?{query}").status_code == 404


def test_listed_items_media_is_public_and_cached_for_a_year(anonymous: httpx.Client, session: Session, media: Storage) -> None:
    owner = make_user(session)
    item = shared_item(session, media, owner, "Open to all")
    listed = anonymous.get("/api/gallery").json()["items"][0]
    assert listed["media_url"] == f"{BASE}/media/gallery/{item.id}/original.png"  # stable, unsigned
    answer = anonymous.get(local(listed["media_url"]))
    assert answer.status_code == 200 and answer.headers["cache-control"] == CACHE_CONTROL == "public, max-age=31536000, immutable"
    assert answer.headers["etag"] and answer.headers["content-type"] == "image/png"
    again = anonymous.get(local(listed["media_url"]), headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and again.headers["cache-control"] == CACHE_CONTROL
    part = anonymous.get(local(listed["media_url"]), headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == answer.content[:10]
    thumb = anonymous.get(local(listed["thumbnail_url"]))
    assert thumb.status_code == 200 and thumb.headers["cache-control"] == CACHE_CONTROL
    assert anonymous.head(local(listed["media_url"])).status_code == 200


@pytest.mark.parametrize("visibility", ["private", "unlisted"])
def test_private_and_unlisted_items_media_only_through_signed_urls(
    anonymous: httpx.Client, session: Session, media: Storage, visibility: str
) -> None:
    owner = make_user(session)
    item = shared_item(session, media, owner, "Not for everyone", visibility=visibility)
    for name in ("original.png", "thumbnail.jpg"):
        assert anonymous.get(f"/media/gallery/{item.id}/{name}").status_code == 404
    mine = anonymous.get(f"/api/gallery/item/{item.id}", headers=bearer(session, owner)).json()
    for url in (mine["media_url"], mine["thumbnail_url"]):
        assert "signature=" in url
        assert anonymous.get(local(url)).status_code == 200
    page = anonymous.get(f"/gallery/{item.slug}")
    if visibility == "unlisted":  # anyone with the link sees the page, and its media through signed URLs
        assert page.status_code == 200
        image = parse_html(page.text).one("og:image")
        assert "signature=" in image and anonymous.get(local(image)).status_code == 200
    else:
        assert page.status_code == 404 and item.id not in page.text


def test_pending_items_media_is_not_public(anonymous: httpx.Client, session: Session, media: Storage) -> None:
    owner = make_user(session)
    item = shared_item(session, media, owner, "Waiting", auto_approve=False)
    assert anonymous.get(f"/media/gallery/{item.id}/original.png").status_code == 404


def test_an_item_made_private_stops_loading_at_once(anonymous: httpx.Client, session: Session, media: Storage) -> None:
    owner = make_user(session)
    item = shared_item(session, media, owner, "Public for now")
    url = f"/media/gallery/{item.id}/original.png"
    assert anonymous.get(url).status_code == 200
    gallery.update_item(session, owner, item.id, visibility="private")
    session.commit()
    assert anonymous.get(url).status_code == 404
    gallery.update_item(session, owner, item.id, visibility="public")
    session.commit()
    assert anonymous.get(url).status_code == 200


def test_an_item_api_answer_for_a_stranger_never_signs_private_media(anonymous: httpx.Client, session: Session, media: Storage) -> None:
    owner, stranger = make_user(session), make_user(session)
    item = shared_item(session, media, owner, "Mine only", visibility="private")
    assert anonymous.get(f"/api/gallery/item/{item.id}", headers=bearer(session, stranger)).status_code == 404
    assert anonymous.get(f"/api/gallery/item/{item.id}").status_code == 404


def test_signed_urls_stay_the_same_between_answers(anonymous: httpx.Client, session: Session, media: Storage) -> None:
    """So the generation page's progress updates and the browser cache keep one src per output."""
    owner = make_user(session)
    task = completed_task(session, media, owner)
    headers = bearer(session, owner)
    first = anonymous.get(f"/api/generation/tasks/{task.id}", headers=headers).json()["output_url"]
    second = anonymous.get(f"/api/generation/tasks/{task.id}", headers=headers).json()["output_url"]
    assert first == second and parse_qs(urlsplit(first).query)["expires"]
