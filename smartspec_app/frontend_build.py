"""A Reflex build plugin: the app's JavaScript starts after the page's first paint.

Every page React Router emits names all ~30 of the app's modules as `<link rel="modulepreload">`
in its head and boots them from an inline module script. On a phone that JavaScript (about 300 KB
compressed) is fetched and evaluated ahead of the first paint, although the HTML (prerendered by
Reflex, or server-rendered by api/gallery_pages.py) already shows the page: Lighthouse measured
first and largest contentful paint at 3.5-4.5 s on a mid-range phone, against about 1 s without it.

`post_build` (Reflex's hook after `npm run export`, before the build is precompressed) rewrites
each HTML file of the build so that the inline boot script first waits for the first frame, then
adds the same modulepreload links (so the modules still load in parallel) and imports the same
modules in the same order. Hydration is otherwise untouched. A page whose markup does not look as
expected is left as it is, with a warning: the app works either way, only slower.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import reflex as rx
from reflex_base.utils import console

_PRELOAD = re.compile(r'<link rel="modulepreload" href="([^"]+)"\s*/?>')
_BOOT = re.compile(r'<script type="module" async="">(.*?)</script>', re.DOTALL)
_SIDE_EFFECT_IMPORT = re.compile(r'^\s*import "([^"]+)";', re.MULTILINE)
_NAMESPACE_IMPORT = re.compile(r'^\s*import \* as (\w+) from "([^"]+)";', re.MULTILINE)
_ROUTE_MODULES = re.compile(r"window\.__reactRouterRouteModules = (\{.*?\});", re.DOTALL)
_ENTRY = re.compile(r'^\s*import\("([^"]+)"\);\s*$', re.MULTILINE)
MARKER = "data-boot-after-paint"


def defer_boot(html: str) -> str | None:
    """The page with its boot script deferred to after the first paint; None if it is not one we know."""
    if MARKER in html:
        return html
    boot = _BOOT.search(html)
    if boot is None:
        return None
    body = boot.group(1)
    modules = _ROUTE_MODULES.search(body)
    entry = _ENTRY.search(body)
    routes = _NAMESPACE_IMPORT.findall(body)
    if modules is None or entry is None or not routes:
        return None
    preloads = _PRELOAD.findall(html)
    names = ", ".join(name for name, _url in routes)
    script = "".join(
        [
            # a frame, then a task: the browser has painted the HTML before any module is fetched or run
            "await new Promise((go) => requestAnimationFrame(() => setTimeout(go)));",
            f"for (const href of {json.dumps(preloads)}) {{",
            "const link = document.createElement('link'); link.rel = 'modulepreload'; link.href = href;",
            "document.head.appendChild(link); }",
            *(f"await import({json.dumps(url)});" for url in _SIDE_EFFECT_IMPORT.findall(body)),
            f"const [{names}] = await Promise.all([{', '.join(f'import({json.dumps(url)})' for _name, url in routes)}]);",
            f"window.__reactRouterRouteModules = {modules.group(1)};",
            f"import({json.dumps(entry.group(1))});",
        ]
    )
    html = _PRELOAD.sub("", html)
    return html.replace(boot.group(0), f'<script type="module" {MARKER}="">{script}</script>', 1)


class BootAfterPaintPlugin(rx.plugins.Plugin):
    """Reflex plugin (rxconfig.py) applying `defer_boot` to the production build's HTML files."""

    def post_build(self, **context: Any) -> None:
        static_dir = Path(context["static_dir"])
        for page in sorted(static_dir.rglob("*.html")):
            html = page.read_text(encoding="utf-8")
            deferred = defer_boot(html)
            if deferred is None:
                console.warn(f"{page}: unfamiliar boot script, left as it is (its JavaScript starts before the first paint)")
            elif deferred != html:
                page.write_text(deferred, encoding="utf-8")
