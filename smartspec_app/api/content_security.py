"""The Content-Security-Policy of the app's pages: only the scripts the build itself wrote may run.

Every page the browser gets is the production build's HTML (`.web/build/client`, prerendered by
Reflex and rewritten by frontend_build.py) or the gallery's server-rendered HTML, which is the same
shell with meta tags, JSON-LD and a content block added (api/gallery_pages.py). Their inline
scripts (React Router's context and stream, React's hydration helpers, Reflex's theme script, the
boot script) are the same bytes on every visit, so the policy lists their SHA-256 hashes, read
from the built files and read again when a new build replaces them, instead of 'unsafe-inline': a
script injected into a page (say through an item's text) does not run. JSON-LD blocks are data,
not scripts, and need no hash.

The relaxations, each because the built app needs it:
- style-src 'unsafe-inline': Emotion (Reflex's styling) and Radix put `<style>` elements and `style`
  attributes in the prerendered HTML and add more at run time, different on every page and state;
  the gallery pages carry their own `<style>` block. Styles cannot run code.
- img-src/media-src data: and blob: (Radix's and the browser's own small images, media players),
  plus the media storage's origins when media lives in R2 (its public domain, or the endpoint that
  presigned URLs point at). connect-src 'self' covers the websocket: in Chromium and Firefox 'self'
  matches ws:/wss: to the page's own host and port.
- No 'unsafe-eval': the app's scripts never evaluate strings (`rx.run_script` compiles its code into
  the bundle; `rx.call_script` would need eval and is not used).

The API docs page (/api/docs, FastAPI's Swagger UI) is not the build: it loads Swagger UI from
its CDN and starts it from an inline script; `docs_policy` allows that CDN and the hash of the
inline scripts of the answer itself.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Iterable
from pathlib import Path

from smartspec_app.services.storage_r2 import r2_endpoint
from smartspec_app.settings import Settings

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)
_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
# script types the browser runs (anything else, JSON-LD say, is a data block CSP does not govern)
EXECUTABLE_TYPES = {"", "module", "text/javascript", "application/javascript", "text/ecmascript", "application/ecmascript"}
# files whose change means a new build (frontend_build.py rewrites every page in one go)
BUILD_STAMPS = ("__spa-fallback.html", "index.html")
SWAGGER_CDN = "https://cdn.jsdelivr.net"


def script_hash(text: str) -> str:
    """The CSP source for an inline script with exactly this text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def inline_script_hashes(html: str) -> set[str]:
    """The hashes of the inline scripts in `html` that a browser would run."""
    hashes = set()
    for attributes, text in _SCRIPT.findall(html):
        if _SRC.search(attributes):
            continue
        kind = _TYPE.search(attributes)
        if (kind.group(1).lower() if kind else "") in EXECUTABLE_TYPES:
            hashes.add(script_hash(text))
    return hashes


def media_origins(settings: Settings) -> list[str]:
    """Where the browser loads media from besides the site itself: R2's public domain and, for
    presigned URLs (path-style), its S3 endpoint."""
    if not settings.r2_enabled:
        return []
    urls = [settings.r2_public_url, r2_endpoint(settings.r2_account_id, settings.r2_endpoint_url)]
    return sorted({_origin(url) for url in urls if url and _origin(url)})


def _origin(url: str) -> str:
    scheme, _, rest = url.strip().partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme.lower()}://{host.lower()}" if scheme and host else ""


def policy(script_hashes: Iterable[str], media: Iterable[str] = ()) -> str:
    """The page policy (see the module docstring for each relaxation)."""
    media_sources = " ".join(["'self'", "data:", "blob:", *media])
    directives = [
        "default-src 'self'",
        " ".join(["script-src 'self'", *sorted(script_hashes)]),
        "style-src 'self' 'unsafe-inline'",
        f"img-src {media_sources}",
        f"media-src {media_sources}",
        "font-src 'self' data:",
        " ".join(["connect-src 'self'", *media]),
        "object-src 'none'",
        "frame-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def docs_policy(html: str) -> str:
    """The API docs page's policy: Swagger UI from its CDN, started by the page's own inline script."""
    directives = [
        "default-src 'self'",
        " ".join(["script-src 'self'", SWAGGER_CDN, *sorted(inline_script_hashes(html))]),
        f"style-src 'self' {SWAGGER_CDN}",
        "img-src 'self' data: https://fastapi.tiangolo.com",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


class BuildScriptHashes:
    """The inline script hashes of every page of a build directory, read again when the build changes."""

    def __init__(self, build_dir: Path) -> None:
        self.build_dir = Path(build_dir)
        self._stamp: tuple[int, ...] | None = None
        self._hashes: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def _current_stamp(self) -> tuple[int, ...]:
        stamp = []
        for name in BUILD_STAMPS:
            try:
                stamp.append((self.build_dir / name).stat().st_mtime_ns)
            except OSError:
                stamp.append(-1)
        return tuple(stamp)

    def hashes(self) -> frozenset[str]:
        stamp = self._current_stamp()
        with self._lock:
            if stamp == self._stamp:
                return self._hashes
        found: set[str] = set()
        for page in sorted(self.build_dir.rglob("*.html")) if self.build_dir.is_dir() else ():
            try:
                found |= inline_script_hashes(page.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
        with self._lock:
            self._stamp, self._hashes = stamp, frozenset(found)
        return self._hashes
