"""Read a Content-Security-Policy and check a page against it the way a browser would (stdlib only,
independent of the app's own parsing in api/content_security.py)."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser

DATA_TYPES = ("application/ld+json", "application/json")


def directives(header: str) -> dict[str, list[str]]:
    """`{"script-src": ["'self'", ...], ...}`."""
    found: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            found[words[0].lower()] = words[1:]
    return found


class _InlineScripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "script":
            return
        attributes = {name: value or "" for name, value in attrs}
        runs = "src" not in attributes and attributes.get("type", "").lower() not in DATA_TYPES
        self._open = [] if runs else None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            self.scripts.append("".join(self._open))
            self._open = None


def inline_scripts(html: str) -> list[str]:
    """The text of every inline script the browser would run."""
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    return parser.scripts


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def blocked_inline_scripts(html: str, header: str) -> list[str]:
    """The page's inline scripts the policy would not run (the start of each)."""
    script_src = directives(header).get("script-src", directives(header).get("default-src", []))
    if "'unsafe-inline'" in script_src and not any(s.startswith(("'sha256-", "'nonce-")) for s in script_src):
        return []
    return [text[:80] for text in inline_scripts(html) if sha256_source(text) not in script_src]


def check_page_policy(header: str | None) -> dict[str, list[str]]:
    """The rules every page's policy follows; returns its directives."""
    assert header, "no Content-Security-Policy"
    policy = directives(header)
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    script_src = policy["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, script_src
    assert not any(source in ("*", "data:", "blob:", "http:", "https:") for source in script_src), script_src
    return policy
