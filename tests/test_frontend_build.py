"""The build plugin that starts the app's JavaScript after the first paint (smartspec_app/frontend_build.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartspec_app.frontend_build import IDLE_BOOT_MS, LAZY_PAGES, MARKER, BootAfterPaintPlugin, defer_boot

# the head and boot script React Router 7 writes into every page Reflex builds (shortened)
PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>'
    '<link rel="modulepreload" href="/assets/manifest-1.js"/><link rel="modulepreload" href="/assets/entry.client-2.js"/>'
    '<link rel="modulepreload" href="/assets/root-3.js"/><link rel="modulepreload" href="/assets/_login_-4.js"/>'
    '<link href="/assets/styles-5.css" rel="stylesheet" type="text/css"/>'
    "</head><body><div>Log in</div>"
    '<script>window.__reactRouterContext = {"isSpaMode":true};</script>'
    '<script type="module" async="">import "/assets/manifest-1.js";\n'
    'import * as route0 from "/assets/root-3.js";\n'
    'import * as route1 from "/assets/_login_-4.js";\n'
    "  \n"
    '  window.__reactRouterRouteModules = {"root":route0,"routes/[login]._index":route1};\n'
    "\n"
    'import("/assets/entry.client-2.js");</script></body></html>'
)


def test_the_boot_waits_for_a_frame_and_loads_the_same_modules_in_the_same_order() -> None:
    out = defer_boot(PAGE)
    assert out is not None and MARKER in out and "async=" not in out
    assert 'rel="modulepreload"' not in out  # no fetch before the first paint...
    script = out[out.index('<script type="module"') :]
    order = [
        "const LAZY = false;",
        '["/assets/styles-5.css"].map(',  # the app's stylesheet, when a server-rendered page left it out
        '["/assets/manifest-1.js", "/assets/entry.client-2.js", "/assets/root-3.js", "/assets/_login_-4.js"]',  # ...then all at once
        'await import("/assets/manifest-1.js")',
        'const [route0, route1] = await Promise.all([import("/assets/root-3.js"), import("/assets/_login_-4.js")])',
        'window.__reactRouterRouteModules = {"root":route0,"routes/[login]._index":route1};',
        'await import("/assets/entry.client-2.js");',
        'addEventListener("submit"',
        "requestAnimationFrame",
        "if (!LAZY || signedIn) {\n  start();",
    ]
    positions = [script.index(part) for part in order]
    assert positions == sorted(positions)
    assert out.index("<div>Log in</div>") < out.index("__reactRouterContext") < out.index(MARKER)
    assert defer_boot(out) == out  # running the build step twice changes nothing
    lazy = defer_boot(PAGE, lazy=True)
    assert lazy is not None and "const LAZY = true;" in lazy and f"const IDLE_MS = {IDLE_BOOT_MS};" in lazy
    assert "localStorage.getItem(SESSION_KEY)" in lazy and '"pointerdown"' in lazy


@pytest.mark.parametrize(
    ("page", "lazy"),
    [
        ("index.html", True),
        ("login/index.html", True),
        ("signup.html", True),
        ("gallery/index.html", True),
        ("__spa-fallback.html", True),
        ("404.html", True),
        ("generate/index.html", False),
        ("generations.html", False),
        ("account/index.html", False),
        ("admin/moderation/index.html", False),
        ("sdk.html", False),
    ],
)
def test_only_pages_complete_without_the_app_wait_for_the_visitor(page: str, lazy: bool) -> None:
    assert bool(LAZY_PAGES.match(page)) is lazy


def test_unfamiliar_pages_are_left_alone(tmp_path: Path) -> None:
    assert defer_boot("<html><body><script type='module'>import('/x.js')</script></body></html>") is None
    (tmp_path / "page.html").write_text(PAGE)
    (tmp_path / "odd.html").write_text("<html><body>static</body></html>")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "index.html").write_text(PAGE)
    BootAfterPaintPlugin().post_build(static_dir=tmp_path)
    assert MARKER in (tmp_path / "page.html").read_text() and MARKER in (tmp_path / "nested" / "index.html").read_text()
    assert (tmp_path / "odd.html").read_text() == "<html><body>static</body></html>"
