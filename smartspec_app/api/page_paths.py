"""One trailing-slash rule for the whole site: pages live at the bare path (`/generate`, `/gallery/x`).

Reflex's build keeps each prerendered page as `<route>/index.html`, and its static file server
answers the bare path with a 307 to the slash form. The gallery's own routes, canonical URLs, the
sitemaps and every link the app makes use the bare form, so the app's pages follow it too:
- `GET /generate` is served the page itself (the path is handed on as `/generate/`, which the static
  server answers with the file, not a redirect);
- `GET /generate/` is a 301 to `/generate`, query kept.
The gallery's paths have their own canonical rule (api/gallery_pages.py); the API, the websocket,
built assets and media are left alone.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

GET_HEAD = ("GET", "HEAD")
NOT_PAGES = ("/api/", "/gallery", "/_event", "/_upload", "/assets/", "/media/", "/sandbox/", "/ping", "/_health")


class BarePagePaths:
    def __init__(self, app: ASGIApp, build_dir: Path) -> None:
        self.app = app
        self.build_dir = build_dir

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] not in GET_HEAD or path == "/" or path.startswith(NOT_PAGES):
            await self.app(scope, receive, send)
            return
        if path.endswith("/"):
            bare = path.rstrip("/")
            if bare and is_page(self.build_dir, bare):
                query = scope.get("query_string", b"").decode("latin-1")
                await RedirectResponse(quote(bare) + (f"?{query}" if query else ""), status_code=301)(scope, receive, send)
                return
        elif is_page(self.build_dir, path):
            slashed = path + "/"
            scope = {**scope, "path": slashed, "raw_path": quote(slashed).encode()}
        await self.app(scope, receive, send)


def is_page(build_dir: Path, path: str) -> bool:
    """Whether the build has a prerendered page at `path` (its `index.html`)."""
    if ".." in path or "//" in path:
        return False
    return _page_file_exists(str(build_dir), path.strip("/"), _mtime(build_dir))


def _mtime(build_dir: Path) -> float:
    """The build's index.html time: a new build (tests rebuild while the app runs) invalidates the cache."""
    try:
        return (build_dir / "index.html").stat().st_mtime
    except OSError:
        return 0.0


@lru_cache(maxsize=512)
def _page_file_exists(build_dir: str, relative: str, _build_time: float) -> bool:
    return bool(relative) and (Path(build_dir) / relative / "index.html").is_file()
