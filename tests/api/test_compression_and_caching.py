"""Compression and cache headers of every kind of answer, over real HTTP.

The API is served the way `reflex run --env prod --single-port` serves it: the app's FastAPI routes
with Reflex's own static server (PrecompressedStaticFiles, with its .br/.gz sidecars) mounted
inside, so the middlewares see the build's files as they do in production.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import brotli
import httpx
import pytest
from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles
from sqlmodel import Session

from smartspec_app.api import build_api
from smartspec_app.api.compression import preferred_encoding
from smartspec_app.services.storage import CACHE_CONTROL, Storage, get_storage
from smartspec_app.settings import reload_settings
from tests.support.gallery_data import make_user, shared_item
from tests.support.servers import serve

BUNDLE = "entry.client-Ab12Cd34.js"
BUNDLE_TEXT = "export const greeting = 'hello';\n" * 200
SHELL = (
    '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>App</title></head>'
    '<body><div data-is-root-theme="true" class="radix-themes"></div>'
    + "<script>window.__reactRouterContext = {};</script>" * 20
    + "</body></html>"
)


@pytest.fixture
def build_dir(tmp_path: Path) -> Path:
    """A stand-in for .web/build/client as Reflex leaves it: pages, hashed assets and their sidecars."""
    directory = tmp_path / "build"
    (directory / "assets").mkdir(parents=True)
    (directory / "login").mkdir()
    for name, text in [("__spa-fallback.html", SHELL), ("login/index.html", SHELL), (f"assets/{BUNDLE}", BUNDLE_TEXT)]:
        (directory / name).write_text(text)
        (directory / f"{name}.br").write_bytes(brotli.compress(text.encode()))
        (directory / f"{name}.gz").write_bytes(gzip.compress(text.encode()))
    return directory


@pytest.fixture
def site(app_env: Path, build_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SPA_BUILD_DIR", str(build_dir))
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "10000/minute")
    reload_settings()
    api = build_api()
    api.mount("", PrecompressedStaticFiles(directory=build_dir, html=True, encodings=["brotli", "gzip"]), name="frontend")
    with serve(api) as url:
        yield url


@pytest.fixture
def media(app_env: Path) -> Storage:
    return get_storage()


class Wire:
    """An answer as it came over the wire: status, headers and the body still encoded."""

    def __init__(self, response: httpx.Response, raw: bytes) -> None:
        self.status_code, self.headers, self.content = response.status_code, response.headers, raw


def get(site: str, path: str, encoding: str | None, **headers: str) -> Wire:
    request_headers = {"Accept-Encoding": encoding or "identity", **headers}
    with httpx.Client(base_url=site, timeout=30) as client, client.stream("GET", path, headers=request_headers) as response:
        return Wire(response, b"".join(response.iter_raw()))


def decoded(answer: Wire) -> bytes:
    match answer.headers.get("content-encoding"):
        case "br":
            return brotli.decompress(answer.content)
        case "gzip":
            return gzip.decompress(answer.content)
    return answer.content


@pytest.mark.parametrize(("accept", "expected"), [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"), (None, None)])
def test_gallery_html_json_and_xml_answer_compressed_when_asked(
    site: str, session: Session, media: Storage, accept: str | None, expected: str | None
) -> None:
    owner = make_user(session)
    item = shared_item(session, media, owner, "Compressed")
    for path, kind in [
        ("/gallery", "text/html"),
        (f"/gallery/{item.slug}", "text/html"),
        (f"/gallery/user/{owner.username}", "text/html"),
        ("/gallery/category/general", "text/html"),
        ("/api/gallery", "application/json"),
        ("/api/openapi.json", "application/json"),
        ("/gallery/sitemap.xml", "application/xml"),
        ("/api/docs", "text/html"),
    ]:
        answer = get(site, path, accept)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith(kind), path
        assert answer.headers.get("content-encoding") == expected, path
        assert "accept-encoding" in answer.headers.get("vary", "").lower(), path
        assert len(decoded(answer)) > len(answer.content) or expected is None, path
    page = decoded(get(site, f"/gallery/{item.slug}", accept)).decode()
    assert "Compressed" in page and page.rstrip().endswith("</html>")


def test_errors_are_compressed_too_and_tiny_answers_are_not(site: str) -> None:
    missing = get(site, "/gallery/no-such-item-zzzzzz", "br")
    assert missing.status_code == 404 and missing.headers["content-encoding"] == "br"
    health = get(site, "/api/health", "br")
    assert health.status_code == 200 and "content-encoding" not in health.headers  # under 500 bytes


def test_media_is_never_recompressed(site: str, session: Session, media: Storage) -> None:
    item = shared_item(session, media, make_user(session), "Picture")
    for path in (f"/media/gallery/{item.id}/original.png", f"/media/gallery/{item.id}/w64.webp"):
        whole = get(site, path, "br, gzip")
        assert whole.status_code == 200 and "content-encoding" not in whole.headers
        assert whole.headers["cache-control"] == CACHE_CONTROL
        part = get(site, path, "br, gzip", Range="bytes=0-15")
        assert part.status_code == 206 and "content-encoding" not in part.headers and len(part.content) == 16


def test_hashed_assets_are_immutable_and_served_from_their_sidecars(site: str) -> None:
    for accept, expected in [("br, gzip", "br"), ("gzip", "gzip"), (None, None)]:
        answer = get(site, f"/assets/{BUNDLE}", accept)
        assert answer.status_code == 200 and answer.headers.get("content-encoding") == expected
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert decoded(answer).decode() == BUNDLE_TEXT  # the sidecar as built, not compressed twice
    etag = get(site, f"/assets/{BUNDLE}", "br").headers["etag"]
    again = get(site, f"/assets/{BUNDLE}", "br", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "cache-control" not in get(site, "/assets/missing-00000000.js", "br").headers  # a 404 is not cached for a year


def test_html_is_cached_briefly_and_revalidated_by_etag(site: str, session: Session, media: Storage) -> None:
    item = shared_item(session, media, make_user(session), "Etagged")
    for path in ("/login", f"/gallery/{item.slug}", "/gallery"):  # Reflex's prerendered page and the server-rendered ones
        first = get(site, path, "br")
        assert first.status_code == 200 and first.headers["cache-control"] == "public, max-age=60", path
        assert first.headers["etag"], path
        again = get(site, path, "br", **{"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and not again.content, path
    changed = get(site, f"/gallery/{item.slug}", "br", **{"If-None-Match": 'W/"something-else"'})
    assert changed.status_code == 200


def test_html_cache_seconds_zero_means_always_revalidate(site: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTML_CACHE_SECONDS", "0")
    reload_settings()
    assert get(site, "/gallery", "br").headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br", "br"),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.5, br;q=0.1", "gzip"),
        ("br;q=0.5, gzip;q=0.5", "br"),
        ("*", "br"),
        ("*;q=0, gzip", "gzip"),
        ("identity", None),
        ("", None),
        ("gzip;q=nonsense", None),
    ],
)
def test_accept_encoding_is_read_with_its_q_values(header: str, expected: str | None) -> None:
    assert preferred_encoding(header) == expected
