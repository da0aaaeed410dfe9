"""api/not_found.py: Reflex's bare HTML 404 becomes the styled not-found page, still a 404; every other
answer (pages, JSON errors, the gallery's own 404, other methods) passes as it is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from smartspec_app.api.not_found import NotFoundPages, not_found_page
from smartspec_app.api.spa_shell import SpaShell
from tests.support.html_page import parse_html
from tests.support.servers import serve

SHELL = (
    '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/></head>'
    '<body><div class="radix-themes" id="spa-root"></div><script type="module">import "/assets/entry.js"</script></body></html>'
)


def inner(request: Request) -> Response:
    """Stands in for Reflex's static frontend (and the routes mounted beside it)."""
    path = request.url.path
    if path == "/":
        return HTMLResponse("<html><body>home</body></html>")
    if path.startswith("/api/"):
        return JSONResponse({"error": "not_found"}, status_code=404)
    if path.startswith("/gallery/"):
        return HTMLResponse("<html><head><title>Not found · gallery</title></head></html>", status_code=404)
    if path.startswith("/media/"):
        return PlainTextResponse("Not Found", status_code=404)
    return HTMLResponse(SHELL, status_code=404)  # the SPA shell, 404.html


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    (tmp_path / "__spa-fallback.html").write_text(SHELL)
    app = Starlette(routes=[Route("/{path:path}", inner, methods=["GET", "HEAD", "POST"])])
    with serve(NotFoundPages(app, not_found_page(SpaShell(tmp_path)))) as base_url, httpx.Client(base_url=base_url) as client:
        yield client


@pytest.mark.parametrize("path", ["/nope-page", "/nope/deeper/path", "/generate/extra", "/404"])
def test_an_unknown_path_gets_the_styled_page_with_a_404(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    parsed = parse_html(response.text)
    assert parsed.title == "Page not found · SmartSpec Pro"
    assert "Back to the home page" in parsed.body_text and str(client.base_url).rstrip("/") + "/gallery" in parsed.anchors
    assert 'id="spa-root"' in response.text  # the app still starts from the same document
    assert client.head(path).status_code == 404


def test_other_answers_pass_unchanged(client: httpx.Client) -> None:
    assert client.get("/").text == "<html><body>home</body></html>"
    api = client.get("/api/nope")
    assert api.status_code == 404 and api.json() == {"error": "not_found"}
    assert "Not found · gallery" in client.get("/gallery/missing").text
    assert client.get("/media/missing.png").text == "Not Found"
    posted = client.post("/nope-page")
    assert posted.status_code == 404 and posted.text == SHELL
