"""Gallery URLs spelled otherwise than the app writes them, against the real built app: its SPA fallback
answered `/gallery/`, `/gallery/<slug>/` and `/gallery/category/nature/` with the bare app shell and
a 200 (no title, no meta, a relative og:image), even for a private or missing item. Plain httpx, no browser."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import Session

from smartspec_app.services.db import get_engine
from smartspec_app.services.storage import LocalStorage
from tests.support.gallery_data import make_user, shared_item
from tests.support.html_page import parse_html
from tests.support.live_app import LiveApp
from tests.support.moderation_data import FixedDetector, as_detector

pytestmark = pytest.mark.e2e
CLEAN = as_detector(FixedDetector({}))


@pytest.fixture(scope="module")
def items(live_app: LiveApp) -> dict[str, str]:
    """A public item and a private one, written straight into the live app's database and media."""
    engine = get_engine(f"sqlite:///{live_app.data_dir / 'smartspec.db'}")
    media = LocalStorage(live_app.data_dir / "media")
    with Session(engine, expire_on_commit=False) as session:
        owner = make_user(session, "urlwriter")
        public = shared_item(session, media, owner, "Harbour lights", category="nature", detector=CLEAN)
        private = shared_item(session, media, owner, "Private sketch", visibility="private", detector=CLEAN)
        session.commit()
        return {"public": public.slug, "private": private.slug}


@pytest.fixture
def client(live_app: LiveApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_app.base_url, follow_redirects=False, timeout=20) as c:
        yield c


def test_slash_forms_redirect_to_the_canonical_page(client: httpx.Client, items: dict[str, str]) -> None:
    for path, canonical in [
        ("/gallery/", "/gallery"),
        (f"/gallery/{items['public']}/", f"/gallery/{items['public']}"),
        ("/gallery/category/nature/", "/gallery/category/nature"),
        ("/gallery/user/urlwriter/", "/gallery/user/urlwriter"),
    ]:
        response = client.get(path)
        assert (response.status_code, response.headers.get("location")) == (301, canonical), path
        page = client.get(canonical)
        parsed = parse_html(page.text)
        assert page.status_code == 200 and parsed.titles == 1 and "Gallery" in parsed.title, canonical
        assert parsed.one("og:image").startswith("http"), canonical  # the server-rendered page, not the bare shell


def test_missing_and_private_items_are_a_real_404_under_every_spelling(client: httpx.Client, items: dict[str, str]) -> None:
    for slug in (items["private"], "no-such-item-aaaaaa"):
        for path in (f"/gallery/{slug}", f"/gallery/{slug}/", f"/gallery/{slug.upper()}", f"/gallery//{slug}"):
            response = client.get(path)
            assert response.status_code == 404, path
            page = parse_html(response.text)
            assert page.one("robots") == "noindex, nofollow" and page.title.startswith("Not found"), path
            assert "Private sketch" not in response.text
    assert client.get("/gallery/category/nowhere/").status_code == 404
    assert client.get("/gallery/a/b/c").status_code == 404
