"""api/content_security.py: which inline scripts count, and where media may load from."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartspec_app.api.content_security import BuildScriptHashes, inline_script_hashes, media_origins, policy, script_hash
from smartspec_app.settings import reload_settings
from tests.support.csp import directives, sha256_source


def test_only_scripts_a_browser_runs_are_hashed() -> None:
    html = (
        "<script>one()</script>"
        '<script type="module" async="">two()</script>'
        '<script type="application/ld+json">{"@type": "ImageObject"}</script>'
        '<script src="/assets/x.js"></script>'
        "<SCRIPT type='text/javascript'>three()</SCRIPT >"
    )
    assert inline_script_hashes(html) == {sha256_source("one()"), sha256_source("two()"), sha256_source("three()")}
    assert script_hash("one()") == sha256_source("one()")


def test_every_page_of_the_build_counts(tmp_path: Path) -> None:
    (tmp_path / "admin").mkdir()
    (tmp_path / "index.html").write_text("<script>home()</script>")
    (tmp_path / "admin" / "index.html").write_text("<script>admin()</script>")
    (tmp_path / "index.html.br").write_bytes(b"\x00not html")
    assert BuildScriptHashes(tmp_path).hashes() == {sha256_source("home()"), sha256_source("admin()")}
    assert BuildScriptHashes(tmp_path / "missing").hashes() == frozenset()  # no build: no inline script may run


def test_the_media_storage_is_allowed_for_pictures_and_media(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert media_origins(reload_settings()) == []  # local storage: the site itself
    for name, value in {
        "R2_ACCOUNT_ID": "acc",
        "R2_ACCESS_KEY_ID": "id",
        "R2_SECRET_ACCESS_KEY": "secret",
        "R2_BUCKET_NAME": "media",
        "R2_PUBLIC_URL": "https://Media.Example.com/prefix/",
    }.items():
        monkeypatch.setenv(name, value)
    origins = media_origins(reload_settings())
    assert origins == ["https://acc.r2.cloudflarestorage.com", "https://media.example.com"]  # public URLs and presigned ones
    rules = directives(policy({"'sha256-x'"}, origins))
    for directive in ("img-src", "media-src", "connect-src"):
        assert set(origins) <= set(rules[directive]), directive
    assert rules["script-src"] == ["'self'", "'sha256-x'"]
    for name in ("R2_ACCOUNT_ID", "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "R2_BUCKET_NAME", "R2_PUBLIC_URL"):
        monkeypatch.delenv(name)
    reload_settings()


def test_no_page_evaluates_a_string() -> None:
    """`rx.call_script` runs its code with eval, which the pages' policy (no 'unsafe-eval') refuses,
    and Reflex swallows the refusal without a console error: the page silently does nothing (the
    not-found page's server-rendered block stayed over the live one). `rx.run_script` compiles in."""
    package = Path(__file__).resolve().parents[2] / "smartspec_app"
    callers = [
        f"{path.relative_to(package.parent)}:{n}"
        for path in sorted(package.rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "call_script(" in line and not line.lstrip().startswith("#")
    ]
    assert callers == []
