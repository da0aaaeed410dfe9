"""services/redirects.py: ?next= leads only to a path on this site."""

from __future__ import annotations

import pytest

from smartspec_app.services.redirects import same_origin_path


@pytest.mark.parametrize("target", ["/generate", "/gallery/a-cat-x1y2?sort=new#top", "/account", "/%2F%2Fevil.example"])
def test_paths_on_this_site_are_kept(target: str) -> None:
    assert same_origin_path(target, "/generate") == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/generate",
        "/\\evil.example",
        "/\\/evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/ /evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "",
        None,
        ["/generate"],
    ],
)
def test_anything_else_gets_the_default(target: object) -> None:
    assert same_origin_path(target, "/generate") == "/generate"
