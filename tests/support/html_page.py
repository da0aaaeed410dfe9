"""Read server-rendered HTML the way a crawler does (stdlib html.parser, no JavaScript)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class ParsedPage:
    title: str = ""
    titles: int = 0
    meta: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # name or property → contents
    links: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # rel → hrefs
    json_ld: list[dict] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)  # text of every other <script>
    body_text: str = ""
    media: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (tag, attributes) of img/video/audio/source
    anchors: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)

    def one(self, key: str) -> str:
        values = self.meta.get(key, [])
        assert len(values) == 1, f"expected one <meta> {key}, found {values}"
        return values[0]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()
        self._in: list[str] = []
        self._script_type = ""
        self._buffer: list[str] = []
        self._body: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.page.ids.add(a["id"])
        if tag == "meta" and a.get("content") is not None and (a.get("name") or a.get("property")):
            self.page.meta[a.get("name") or a.get("property")].append(a["content"])
        elif tag == "link" and a.get("rel"):
            self.page.links[a["rel"]].append(a.get("href", ""))
        elif tag in ("img", "video", "audio", "source"):
            self.page.media.append((tag, a))
        elif tag == "a" and a.get("href"):
            self.page.anchors.append(a["href"])
        if tag in ("title", "script", "style"):
            self._in.append(tag)
            self._script_type = a.get("type", "")
            self._buffer = []
        elif tag == "body":
            self._in.append("body")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("title", "script", "style") and self._in and self._in[-1] == tag:
            self._in.pop()
            text = "".join(self._buffer)
            if tag == "title":
                self.page.title, self.page.titles = text, self.page.titles + 1
            elif tag == "script" and self._script_type == "application/ld+json":
                self.page.json_ld.append(json.loads(text))
            elif tag == "script":
                self.page.scripts.append(text)

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] in ("title", "script", "style"):
            self._buffer.append(data)
        elif "body" in self._in:
            self._body.append(data)

    def close(self) -> None:
        super().close()
        self.page.body_text = " ".join(" ".join(self._body).split())


def parse_html(text: str) -> ParsedPage:
    parser = _Parser()
    parser.feed(text)
    parser.close()
    return parser.page
