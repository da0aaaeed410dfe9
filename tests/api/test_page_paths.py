"""One trailing-slash rule (api/page_paths.py): the app's pages answer at the bare path, the slash form
is a 301 there; the app served as in production (Reflex's static server mounted inside), over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles

from smartspec_app.api import build_api
from smartspec_app.settings import reload_settings
from tests.support.servers import serve

PAGES = ("index.html", "404.html", "__spa-fallback.html", "generate/index.html", "admin/index.html", "admin/moderation/index.html")


@pytest.fixture
def site(app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    build = tmp_path / "build"
    for name in PAGES:
        (build / name).parent.mkdir(parents=True, exist_ok=True)
        (build / name).write_text(f"<!DOCTYPE html><html><head><title>{name}</title></head><body>{name}</body></html>")
    (build / "assets").mkdir()
    (build / "assets" / "app-1234.js").write_text("console.log(1)")
    monkeypatch.setenv("SPA_BUILD_DIR", str(build))
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "10000/minute")
    reload_settings()
    api = build_api()
    api.mount("", PrecompressedStaticFiles(directory=build, html=True), name="frontend")
    with serve(api) as url, httpx.Client(base_url=url, follow_redirects=False, timeout=20) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "page"),
    [("/generate", "generate/index.html"), ("/admin", "admin/index.html"), ("/admin/moderation", "admin/moderation/index.html")],
)
def test_a_page_answers_at_its_bare_path(site: httpx.Client, path: str, page: str) -> None:
    answer = site.get(path)
    assert answer.status_code == 200 and f"<title>{page}</title>" in answer.text  # was a 307 to the slash form
    assert site.head(path).status_code == 200


@pytest.mark.parametrize(
    ("path", "target"), [("/generate/", "/generate"), ("/admin/moderation/?x=1", "/admin/moderation?x=1"), ("/admin//", "/admin")]
)
def test_the_slash_form_is_a_permanent_redirect_to_the_bare_one(site: httpx.Client, path: str, target: str) -> None:
    answer = site.get(path)
    assert answer.status_code == 301 and answer.headers["location"] == target
    assert site.get(target).status_code == 200


def test_everything_else_is_left_alone(site: httpx.Client) -> None:
    assert site.get("/").status_code == 200
    assert site.get("/assets/app-1234.js").status_code == 200
    assert site.get("/nope/").status_code == 404  # no such page: no redirect to a bare form that does not exist either
    assert site.get("/api/health").status_code == 200
    assert site.get("/gallery/").headers.get("location") == "/gallery"  # the gallery's own rule, the same direction
    assert site.post("/generate/").status_code != 301  # only GET and HEAD are redirected
