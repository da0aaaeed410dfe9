"""Where a page may send the browser after signing in: only a path on this site.

`?next=` is typed by whoever made the link, so "//evil.example" (a scheme-relative URL),
"/\\evil.example" (browsers read the backslash as a slash) and "/\t/evil.example" (browsers drop
tabs and newlines from URLs) must not leave the site. A path is accepted only when it starts with
one "/" followed by anything but "/" or "\\", and holds no backslash, whitespace or control character.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def same_origin_path(target: object, default: str) -> str:
    """`target` when it is a path on this site, else `default`."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch == "\\" or ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default
