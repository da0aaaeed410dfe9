"""The built frontend's HTML for a route: the document the SEO routes fill in and people's browsers boot from.

Static pages are prerendered at build (`gallery.html`); dynamic routes such as /gallery/[slug] use
React Router's `__spa-fallback.html` (Reflex also copies it to `404.html`). Files are cached until
they change on disk (a new build). Without a build (tests, backend-only runs) a minimal document
stands in, so crawlers still get the full page.
"""

from __future__ import annotations

import threading
from pathlib import Path

from smartspec_app.services.seo import MINIMAL_SHELL

FALLBACKS = ("__spa-fallback.html", "404.html")


class SpaShell:
    def __init__(self, build_dir: Path) -> None:
        self.build_dir = Path(build_dir)
        self._cache: dict[Path, tuple[int, str]] = {}
        self._lock = threading.Lock()

    def _candidates(self, route: str | None) -> list[Path]:
        paths = []
        if route:
            name = route.strip("/") or "index"
            paths += [self.build_dir / f"{name}.html", self.build_dir / name / "index.html"]
        return paths + [self.build_dir / name for name in FALLBACKS]

    def html(self, route: str | None = None) -> str:
        """The prerendered page of a static `route`, else the SPA fallback, else a minimal document."""
        for path in self._candidates(route):
            text = self._read(path)
            if text is not None:
                return text
        return MINIMAL_SHELL

    def _read(self, path: Path) -> str | None:
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return None
        with self._lock:
            cached = self._cache.get(path)
            if cached and cached[0] == mtime:
                return cached[1]
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return None
        with self._lock:
            self._cache[path] = (mtime, text)
        return text
