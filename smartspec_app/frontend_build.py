"""Reflex build plugins: when the app's JavaScript starts, and which Radix Themes CSS it ships.

Every page React Router emits names all of the app's modules as `<link rel="modulepreload">` in
its head and boots them from an inline module script. On a phone that JavaScript (about 210 KB
brotli, 830 KB to parse and run) is fetched and evaluated ahead of the first paint, although the
HTML (prerendered by Reflex, or server-rendered by api/gallery_pages.py) already shows the page:
Lighthouse measured first and largest contentful paint at 3.5-4.5 s on its emulated mid-range phone.
Started after the first paint instead, the same work lands after it, as 0.5-2 s of main-thread
blocking (Total Blocking Time) while the visitor reads.

`BootAfterPaintPlugin.post_build` (Reflex's hook after `npm run export`, before the build is
precompressed) rewrites each built page's boot script:
- the modules are fetched and run only after the first paint (same modules, same order, the
  modulepreload links added then so they still load in parallel);
- on the public pages that are complete as served (/, /login, /signup and the gallery's, all
  prerendered or server-rendered), a visitor without a session gets the app when they first do
  something (pointer, touch, key, wheel, scroll, focus) or 5 s after the page has loaded, whichever
  comes first; with a session (a signed-in user) it starts at once. A form sent before the app has
  taken it over is held and sent again once it has; the app's forms are never submitted natively
  (they go over the websocket; a native GET would put a password in the URL).
A page whose markup does not look as expected is left as it is, with a warning: it works either
way, only slower.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import reflex as rx
from reflex_base.utils import console

_PRELOAD = re.compile(r'<link rel="modulepreload" href="([^"]+)"\s*/?>')
_STYLESHEET = re.compile(r'<link\b[^>]*\bhref="([^"]+\.css)"[^>]*\brel="stylesheet"[^>]*>')
_BOOT = re.compile(r'<script type="module" async="">(.*?)</script>', re.DOTALL)
_SIDE_EFFECT_IMPORT = re.compile(r'^\s*import "([^"]+)";', re.MULTILINE)
_NAMESPACE_IMPORT = re.compile(r'^\s*import \* as (\w+) from "([^"]+)";', re.MULTILINE)
_ROUTE_MODULES = re.compile(r"window\.__reactRouterRouteModules = (\{.*?\});", re.DOTALL)
_ENTRY = re.compile(r'^\s*import\("([^"]+)"\);\s*$', re.MULTILINE)
MARKER = "data-boot-after-paint"


IDLE_BOOT_MS = 5000
SESSION_KEY = "smartspec_session"  # state/auth.py: the session token's localStorage name
# pages that read completely without the app: prerendered by Reflex or server-rendered (gallery_pages.py)
LAZY_PAGES = re.compile(r"^(index|404|__spa-fallback|login|signup|gallery)(\.html|/index\.html|/.*)$")

_START = """
let started = false;
const isLive = (form) => Object.keys(form).some((key) => key.startsWith("__reactProps"));
const start = () => {
  if (!started) {
    started = true;
    boot();
  }
};
const idle = (then) => (window.requestIdleCallback ? requestIdleCallback(then, { timeout: 1000 }) : setTimeout(then, 200));
addEventListener("submit", (event) => {
  const form = event.target;
  if (form.hasAttribute("action")) return;
  // the app's forms are sent over its websocket, never natively (a GET would put a password in the URL)
  event.preventDefault();
  if (isLive(form)) return;
  start();
  // held until React has taken the form over and finished hydrating, then sent again
  const resend = () => (isLive(form) ? idle(() => form.requestSubmit()) : setTimeout(resend, 50));
  resend();
}, true);
await new Promise((go) => requestAnimationFrame(() => setTimeout(go)));
let signedIn = false;
try {
  signedIn = Boolean(localStorage.getItem(SESSION_KEY));
} catch {}
if (!LAZY || signedIn) {
  start();
} else {
  for (const type of ["pointerdown", "touchstart", "keydown", "wheel", "scroll", "mousemove", "focusin"]) {
    addEventListener(type, start, { once: true, passive: true, capture: true });
  }
  const later = () => setTimeout(start, IDLE_MS);
  if (document.readyState === "complete") later();
  else addEventListener("load", later, { once: true });
}
"""


def defer_boot(html: str, lazy: bool = False) -> str | None:
    """The page with its boot script started after the first paint (`lazy`: on the visitor's first
    action or after IDLE_BOOT_MS, unless signed in); None if it is not a page we know."""
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
    imports = ", ".join(f"import({json.dumps(url)})" for _name, url in routes)
    styles = _STYLESHEET.findall(html)
    boot_function = "\n".join(
        [
            "const boot = async () => {",
            # a server-rendered page (api/gallery_pages.py) leaves the app's stylesheet out: it is only
            # needed once the app shows, so it is added now, and the app waits for it
            f"  await Promise.all({json.dumps(styles)}.map((href) => {{",
            "    if (document.querySelector(`link[rel=stylesheet][href='${href}']`)) return null;",
            "    const sheet = document.createElement('link');",
            "    sheet.rel = 'stylesheet';",
            "    sheet.href = href;",
            "    const loaded = new Promise((done) => { sheet.onload = sheet.onerror = done; });",
            "    document.head.appendChild(sheet);",
            "    return loaded;",
            "  }));",
            f"  for (const href of {json.dumps(preloads)}) {{",
            "    const link = document.createElement('link');",
            "    link.rel = 'modulepreload';",
            "    link.href = href;",
            "    document.head.appendChild(link);",
            "  }",
            *(f"  await import({json.dumps(url)});" for url in _SIDE_EFFECT_IMPORT.findall(body)),
            f"  const [{names}] = await Promise.all([{imports}]);",
            f"  window.__reactRouterRouteModules = {modules.group(1)};",
            f"  await import({json.dumps(entry.group(1))});",
            "};",
        ]
    )
    settings = f"const LAZY = {'true' if lazy else 'false'}; const IDLE_MS = {IDLE_BOOT_MS}; const SESSION_KEY = {json.dumps(SESSION_KEY)};"
    script = f"{settings}\n{boot_function}{_START}"
    html = _PRELOAD.sub("", html)
    return html.replace(boot.group(0), f'<script type="module" {MARKER}="">{script}</script>', 1)


class BootAfterPaintPlugin(rx.plugins.Plugin):
    """Reflex plugin (rxconfig.py) applying `defer_boot` to the production build's HTML files."""

    def post_build(self, **context: Any) -> None:
        static_dir = Path(context["static_dir"])
        for page in sorted(static_dir.rglob("*.html")):
            html = page.read_text(encoding="utf-8")
            deferred = defer_boot(html, lazy=bool(LAZY_PAGES.match(page.relative_to(static_dir).as_posix())))
            if deferred is None:
                console.warn(f"{page}: unfamiliar boot script, left as it is (its JavaScript starts before the first paint)")
            elif deferred != html:
                page.write_text(deferred, encoding="utf-8")


# The color scales the app uses: the theme's accent (violet) and its gray (mauve), and every
# `color_scheme` in smartspec_app/ (badges, callouts, buttons, charts).
THEME_COLORS = ("violet", "mauve", "gray", "red", "green", "orange", "amber", "blue", "crimson")


class LeanRadixThemesPlugin(rx.plugins.RadixThemesPlugin):
    """Radix Themes with only the color scales the app uses.

    Reflex imports `@radix-ui/themes/styles.css` whole: 812 KB, a quarter of it the light, dark and
    P3 tokens of 31 color scales. Radix publishes the same CSS in parts (tokens/base.css, one file
    per color, components.css, utilities.css); this takes the parts, with the colors above."""

    def get_stylesheet_paths(self, **context: Any) -> tuple[str, ...]:
        if not self.enabled:
            return ()
        colors = tuple(f"@radix-ui/themes/tokens/colors/{color}.css" for color in THEME_COLORS)
        return ("@radix-ui/themes/tokens/base.css", *colors, "@radix-ui/themes/components.css", "@radix-ui/themes/utilities.css")
