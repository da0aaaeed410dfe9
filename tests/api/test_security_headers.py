"""Security headers on every kind of answer (api/security_headers.py), the app served as in production:
its FastAPI routes with Reflex's own static server (PrecompressedStaticFiles) mounted inside."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import brotli
import pytest
from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles
from sqlmodel import Session
from starlette.testclient import TestClient

from smartspec_app.api import build_api
from smartspec_app.services import auth
from smartspec_app.services.storage import Storage, get_storage
from smartspec_app.settings import reload_settings
from tests.support.csp import blocked_inline_scripts, check_page_policy, directives, sha256_source
from tests.support.gallery_data import completed_task, make_user, shared_item

BOOT = 'import "/assets/entry.client-test.js";'
SHELL = (
    '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>{title}</title>'
    '<style data-emotion="css x">.x{{color:red}}</style></head>'
    '<body><div class="radix-themes"></div>'
    '<script>window.__reactRouterContext = {{"page":"{title}"}};</script>'
    '<script type="module" data-boot-after-paint="">' + BOOT + "</script>"
    '<script src="/assets/other.js"></script></body></html>'
)
PAGES = {"index.html": "Home", "__spa-fallback.html": "SPA", "404.html": "SPA", "gallery.html": "Gallery", "login/index.html": "Log in"}


@pytest.fixture
def build_dir(tmp_path: Path) -> Path:
    """A stand-in for .web/build/client with its .br/.gz sidecars, each page with its own inline scripts."""
    directory = tmp_path / "build"
    (directory / "login").mkdir(parents=True)
    for name, title in PAGES.items():
        text = SHELL.format(title=title)
        (directory / name).write_text(text)
        (directory / f"{name}.br").write_bytes(brotli.compress(text.encode()))
        (directory / f"{name}.gz").write_bytes(gzip.compress(text.encode()))
    return directory


def make_client(build_dir: Path, base_url: str = "http://testserver") -> TestClient:
    api = build_api()
    api.mount("", PrecompressedStaticFiles(directory=build_dir, html=True, encodings=["brotli", "gzip"]), name="frontend")
    return TestClient(api, base_url=base_url, follow_redirects=False)


@pytest.fixture
def settings_env(app_env: Path, build_dir: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("SPA_BUILD_DIR", str(build_dir))
    monkeypatch.setenv("RATE_LIMIT_USER", "10000/minute")
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "10000/minute")
    reload_settings()
    return monkeypatch


@pytest.fixture
def client(settings_env: pytest.MonkeyPatch, build_dir: Path) -> Iterator[TestClient]:
    with make_client(build_dir) as c:
        yield c


@pytest.fixture
def media(app_env: Path) -> Storage:
    return get_storage()


def bearer(session: Session, user) -> dict[str, str]:
    token = auth.login(session, user.email, "a long password").token
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def check_html_answer(answer, body: str) -> None:
    policy = check_page_policy(answer.headers.get("content-security-policy"))
    assert blocked_inline_scripts(body, answer.headers["content-security-policy"]) == []
    assert "'unsafe-inline'" in policy["style-src"]  # Emotion's and the gallery's <style> blocks
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "camera=()" in answer.headers["permissions-policy"] and "microphone=()" in answer.headers["permissions-policy"]
    assert "strict-transport-security" not in answer.headers  # plain HTTP


@pytest.mark.parametrize("encoding", ["identity", "br", "gzip"])
def test_every_kind_of_page_has_the_policy_and_its_inline_scripts_are_allowed(
    client: TestClient, session: Session, media: Storage, encoding: str
) -> None:
    item = shared_item(session, media, make_user(session), "A listed one")
    for path, status in [("/", 200), ("/login", 200), ("/gallery", 200), (f"/gallery/{item.slug}", 200), ("/no-such-page", 404)]:
        answer = client.get(path, headers={"Accept-Encoding": encoding})
        assert answer.status_code == status, path
        assert answer.headers["content-type"].startswith("text/html"), path
        check_html_answer(answer, answer.text)
        assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin", path


def test_the_policy_allows_the_builds_scripts_only(client: TestClient) -> None:
    script_src = directives(client.get("/").headers["content-security-policy"])["script-src"]
    expected = {sha256_source(BOOT)} | {sha256_source(f'window.__reactRouterContext = {{"page":"{t}"}};') for t in set(PAGES.values())}
    assert set(script_src) == {"'self'", *expected}
    injected = '<script>alert("injected")</script>'
    assert blocked_inline_scripts(injected, client.get("/").headers["content-security-policy"]) == ['alert("injected")']


def test_a_new_build_brings_its_hashes(client: TestClient, build_dir: Path) -> None:
    import os

    before = client.get("/").headers["content-security-policy"]
    rebuilt = SHELL.format(title="Home").replace(BOOT, BOOT + " // build 2")
    for name in ("index.html", "__spa-fallback.html"):
        (build_dir / name).write_text(rebuilt)
        os.utime(build_dir / name, ns=(1, 10**18))  # a different mtime, however fast the test runs
    (build_dir / "index.html.br").write_bytes(brotli.compress(rebuilt.encode()))
    after = client.get("/", headers={"Accept-Encoding": "identity"})
    assert after.headers["content-security-policy"] != before
    assert blocked_inline_scripts(after.text, after.headers["content-security-policy"]) == []


def test_unlisted_items_and_signed_media_send_no_referrer(client: TestClient, session: Session, media: Storage) -> None:
    owner = make_user(session)
    listed = shared_item(session, media, owner, "Everyone sees it")
    unlisted = shared_item(session, media, owner, "By link only", visibility="unlisted")
    page = client.get(f"/gallery/{unlisted.slug}")
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
    check_html_answer(page, page.text)
    again = client.get(f"/gallery/{unlisted.slug}", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304 and again.headers["referrer-policy"] == "no-referrer"
    assert client.get(f"/gallery/{listed.slug}").headers["referrer-policy"] == "strict-origin-when-cross-origin"

    detail = client.get(f"/api/gallery/item/{unlisted.id}").json()
    signed = urlsplit(detail["media_url"])
    assert "signature=" in signed.query
    file = client.get(f"{signed.path}?{signed.query}")
    assert file.status_code == 200 and file.headers["referrer-policy"] == "no-referrer"
    assert file.headers["x-content-type-options"] == "nosniff"
    public = client.get(urlsplit(client.get(f"/api/gallery/item/{listed.id}").json()["media_url"]).path)
    assert public.status_code == 200 and public.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_private_api_answers_are_never_stored(client: TestClient, session: Session, media: Storage) -> None:
    user = make_user(session)
    task = completed_task(session, media, user)
    item = shared_item(session, media, user, "Mine", visibility="unlisted")
    headers = bearer(session, user)
    for path in [
        f"/api/generation/tasks/{task.id}",
        "/api/generation/tasks",
        "/api/credits",
        "/api/credits/ledger",
        f"/api/gallery/item/{item.id}",
        "/api/admin/gallery/queue",  # the first user is the admin
        "/api/admin/credits/accounts",
    ]:
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.headers["cache-control"] == "no-store", path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert "content-security-policy" not in answer.headers, path  # JSON, not a page
    assert client.get("/api/generation/tasks").headers["cache-control"] == "no-store"  # a 401 too
    assert client.post("/api/generation/tasks/x/cancel", headers=headers).headers["cache-control"] == "no-store"


def test_public_api_answers_keep_their_caching(client: TestClient, session: Session, media: Storage) -> None:
    shared_item(session, media, make_user(session), "Public")
    for path in ["/api/gallery", "/api/generation/models", "/api/health", "/api/openapi.json"]:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "no-store" not in answer.headers.get("cache-control", ""), path
    assert client.get("/api/generation/sdk/python").headers["cache-control"] == "no-cache"  # its own choice, kept


def test_the_docs_page_runs_swagger_ui_and_nothing_else(client: TestClient) -> None:
    answer = client.get("/api/docs")
    assert answer.status_code == 200
    header = answer.headers["content-security-policy"]
    assert blocked_inline_scripts(answer.text, header) == []
    policy = directives(header)
    assert "https://cdn.jsdelivr.net" in policy["script-src"] and "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_hsts_over_https_only(settings_env: pytest.MonkeyPatch, build_dir: Path) -> None:
    with make_client(build_dir, "https://testserver") as direct:
        for path in ["/", "/api/health"]:
            assert direct.get(path).headers["strict-transport-security"] == "max-age=31536000"
    with make_client(build_dir) as plain:
        assert "strict-transport-security" not in plain.get("/").headers
        # no proxy is trusted (TRUSTED_PROXIES=0): anybody could have written the header
        assert "strict-transport-security" not in plain.get("/", headers={"X-Forwarded-Proto": "https"}).headers
    settings_env.setenv("TRUSTED_PROXIES", "1")
    settings_env.setenv("HSTS_SECONDS", "600")
    reload_settings()
    with make_client(build_dir) as proxied:
        assert proxied.get("/", headers={"X-Forwarded-Proto": "https"}).headers["strict-transport-security"] == "max-age=600"
        assert "strict-transport-security" not in proxied.get("/", headers={"X-Forwarded-Proto": "http"}).headers
        # the client's own "https" before the one trusted proxy's "http" does not count
        assert "strict-transport-security" not in proxied.get("/", headers={"X-Forwarded-Proto": "https, http"}).headers
    settings_env.setenv("HSTS_SECONDS", "0")
    reload_settings()
    with make_client(build_dir, "https://testserver") as off:
        assert "strict-transport-security" not in off.get("/").headers
