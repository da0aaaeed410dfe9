"""Check sitemap XML against the required structure of sitemaps.org 0.9 and Google's image extension.

(The XSD files are not reachable offline; these checks encode what the schemas require.)
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

SM = "http://www.sitemaps.org/schemas/sitemap/0.9"
IMG = "http://www.google.com/schemas/sitemap-image/1.1"
W3C_DATETIME = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$")
URL_CHILDREN = {f"{{{SM}}}loc", f"{{{SM}}}lastmod", f"{{{SM}}}changefreq", f"{{{SM}}}priority", f"{{{IMG}}}image"}


def _absolute(loc: str) -> str:
    parts = urlsplit(loc)
    assert parts.scheme in ("http", "https") and parts.netloc, f"not an absolute URL: {loc!r}"
    assert len(loc) <= 2048, "a <loc> is at most 2048 characters"
    return loc


def _one(parent: ET.Element, tag: str) -> ET.Element:
    found = parent.findall(tag)
    assert len(found) == 1, f"{parent.tag} must have exactly one {tag}, has {len(found)}"
    return found[0]


def _root(xml: bytes | str) -> ET.Element:
    data = xml.encode() if isinstance(xml, str) else xml
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), "an XML declaration with UTF-8 comes first"
    return ET.fromstring(data)  # raises on anything not well-formed


def check_urlset(xml: bytes | str, limit: int = 50_000) -> dict[str, list[str]]:
    """{page URL: [image URLs]}; fails on any structural problem."""
    root = _root(xml)
    assert root.tag == f"{{{SM}}}urlset", root.tag
    pages: dict[str, list[str]] = {}
    for url in root:
        assert url.tag == f"{{{SM}}}url", f"unexpected {url.tag} in <urlset>"
        assert {child.tag for child in url} <= URL_CHILDREN, [c.tag for c in url]
        assert url[0].tag == f"{{{SM}}}loc", "<loc> comes first"
        loc = _absolute((_one(url, f"{{{SM}}}loc").text or "").strip())
        for lastmod in url.findall(f"{{{SM}}}lastmod"):
            assert W3C_DATETIME.match(lastmod.text or ""), lastmod.text
        images = url.findall(f"{{{IMG}}}image")
        assert len(images) <= 1000
        assert loc not in pages, f"{loc} listed twice"
        pages[loc] = [_absolute((_one(image, f"{{{IMG}}}loc").text or "").strip()) for image in images]
    assert len(pages) <= limit, f"{len(pages)} URLs in one file, limit {limit}"
    return pages


def check_index(xml: bytes | str) -> list[str]:
    """The sitemap URLs of a <sitemapindex>."""
    root = _root(xml)
    assert root.tag == f"{{{SM}}}sitemapindex", root.tag
    locs = []
    for sitemap in root:
        assert sitemap.tag == f"{{{SM}}}sitemap", f"unexpected {sitemap.tag} in <sitemapindex>"
        locs.append(_absolute((_one(sitemap, f"{{{SM}}}loc").text or "").strip()))
        for lastmod in sitemap.findall(f"{{{SM}}}lastmod"):
            assert W3C_DATETIME.match(lastmod.text or ""), lastmod.text
    assert locs and len(locs) == len(set(locs))
    return locs
