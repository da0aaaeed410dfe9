"""What crawlers and link unfurlers read without JavaScript: head tags, JSON-LD and a plain-HTML body.

`item_seo` / `listing_seo` / `not_found_seo` describe a page (`PageSeo`); `inject` writes that
description into the app's HTML shell, so people still get the live Reflex page at the same URL.

Escaping: every user-written string goes through `html.escape` (text and attributes), and JSON-LD
goes through `json_ld_text`, which also escapes `<`, `>`, `&`, U+2028 and U+2029 as \\uXXXX, so a title
such as `</script><script>alert(1)</script>` stays text everywhere.
"""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from smartspec_app.services.gallery import CATEGORIES, GalleryEntry, media_is_public
from smartspec_app.services.storage import Storage, refresh_url

SITE_NAME = "SmartSpec Pro"
DESCRIPTION_LIMIT = 160
SCHEMA_TYPES = {"image": "ImageObject", "video": "VideoObject", "audio": "AudioObject"}
SEO_BLOCK_ID = "seo-content"
_BLOCK_STYLE = "max-width:64em;margin:2em auto;padding:0 1.5em;font-family:system-ui,sans-serif;line-height:1.5"


@dataclass(frozen=True)
class SiteUrls:
    """Absolute URLs of the site's pages and media (PUBLIC_BASE_URL, or the request's own base)."""

    base_url: str
    storage: Storage | None = None

    def absolute(self, url: str) -> str:
        if url.startswith("/") and not url.startswith("//"):
            return self.base_url.rstrip("/") + url  # site-relative (local media, pages): the common case, no parsing
        if not url or urlsplit(url).scheme in ("http", "https"):
            return url
        return f"{self.base_url.rstrip('/')}/{url.lstrip('/')}"

    def media(self, url: str | None, *, signed: bool = False) -> str:
        """A loadable absolute URL for stored media (presigned URLs are signed afresh).

        `signed`: the media is not public (see `refresh_url`)."""
        if not url:
            return ""
        return self.absolute((refresh_url(self.storage, url, signed=signed) if self.storage else url) or "")

    def gallery(self, page: int = 1) -> str:
        return self.absolute("/gallery" + (f"?page={page}" if page > 1 else ""))

    def item(self, slug: str) -> str:
        return self.absolute(f"/gallery/{quote(slug, safe='')}")

    def category(self, category: str, page: int = 1) -> str:
        return self.absolute(f"/gallery/category/{quote(category, safe='')}" + (f"?page={page}" if page > 1 else ""))

    def tag(self, tag: str, page: int = 1) -> str:
        return self.absolute(f"/gallery/tag/{quote(tag, safe='')}" + (f"?page={page}" if page > 1 else ""))

    def user(self, username: str, page: int = 1) -> str:
        return self.absolute(f"/gallery/user/{quote(username, safe='')}" + (f"?page={page}" if page > 1 else ""))


@dataclass(frozen=True)
class PageSeo:
    """Everything a page tells crawlers; rendered by `head_html` and `inject`."""

    title: str
    description: str
    canonical_url: str
    og_type: str = "website"
    image_url: str = ""
    image_alt: str = ""
    video_url: str = ""
    video_type: str = ""
    audio_url: str = ""
    audio_type: str = ""
    robots: str = "index, follow"
    prev_url: str = ""
    next_url: str = ""
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    body_html: str = ""  # already escaped HTML

    @property
    def twitter_card(self) -> str:
        return "summary_large_image" if self.image_url else "summary"


def summary(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """One line of at most `limit` characters, cut at a word with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


def mime_of(url: str) -> str:
    return mimetypes.guess_type(urlsplit(url).path)[0] or ""


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- items -----------------------------------------------------------------------------------


def item_seo(entry: GalleryEntry, urls: SiteUrls, *, model_name: str = "", indexable: bool = True) -> PageSeo:
    """The page of one gallery item: media in Open Graph and JSON-LD, its text in the body."""
    item = entry.item
    page_url = urls.item(item.slug)
    signed = not media_is_public(item)
    media_url = urls.media(item.media_url, signed=signed)
    thumb_url = urls.media(item.thumbnail_url, signed=signed)
    image_url = media_url if item.media_type == "image" else thumb_url
    description = summary(item.description or item.prompt or f"{item.title} by {entry.author}")
    return PageSeo(
        title=f"{item.title} · {SITE_NAME} Gallery",
        description=description,
        canonical_url=page_url,
        og_type="video.other" if item.media_type == "video" else "website",
        image_url=image_url,
        image_alt=summary(item.prompt or item.title, 420),
        video_url=media_url if item.media_type == "video" else "",
        video_type=mime_of(media_url) if item.media_type == "video" else "",
        audio_url=media_url if item.media_type == "audio" else "",
        audio_type=mime_of(media_url) if item.media_type == "audio" else "",
        robots="index, follow, max-image-preview:large" if indexable else "noindex, nofollow",
        json_ld=[item_json_ld(entry, urls, page_url=page_url, media_url=media_url, thumb_url=thumb_url, description=description)],
        body_html=_item_body(entry, urls, media_url=media_url, thumb_url=thumb_url, model_name=model_name),
    )


def item_json_ld(entry: GalleryEntry, urls: SiteUrls, *, page_url: str, media_url: str, thumb_url: str, description: str) -> dict:
    item = entry.item
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(item.media_type, "MediaObject"),
        "name": item.title,
        "description": description,
        "url": page_url,
        "contentUrl": media_url,
        "encodingFormat": mime_of(media_url) or None,
        "thumbnailUrl": thumb_url or (media_url if item.media_type == "image" else None),
        "uploadDate": iso(item.created_at),
        "datePublished": iso(item.created_at),
        "dateModified": iso(item.updated_at),
        "creator": {"@type": "Person", "name": entry.author, "url": urls.user(entry.author)},
        "keywords": ", ".join(item.tags) or None,
        "genre": CATEGORIES.get(item.category, item.category),
        "isPartOf": {"@type": "CollectionPage", "name": f"{SITE_NAME} Gallery", "url": urls.gallery()},
        "interactionStatistic": [
            {"@type": "InteractionCounter", "interactionType": "https://schema.org/LikeAction", "userInteractionCount": item.likes_count},
            {"@type": "InteractionCounter", "interactionType": "https://schema.org/WatchAction", "userInteractionCount": item.views_count},
        ],
    }
    if item.media_type == "image":
        data["caption"] = item.prompt or item.title
        data["creditText"] = entry.author
    return {key: value for key, value in data.items() if value is not None}


def _media_html(media_type: str, media_url: str, thumb_url: str, alt: str) -> str:
    src = escape(media_url)
    if media_type == "video":
        poster = f' poster="{escape(thumb_url)}"' if thumb_url else ""
        return f'<video controls preload="metadata" src="{src}"{poster} style="max-width:100%"></video>'
    if media_type == "audio":
        return f'<audio controls preload="metadata" src="{src}"></audio>'
    return f'<img src="{src}" alt="{escape(alt)}" style="max-width:100%;height:auto">'


def _item_body(entry: GalleryEntry, urls: SiteUrls, *, media_url: str, thumb_url: str, model_name: str) -> str:
    item = entry.item
    category = CATEGORIES.get(item.category, item.category)
    tags = "".join(f'<li><a href="{escape(urls.tag(tag))}" rel="tag">#{escape(tag)}</a></li>' for tag in item.tags)
    parts = [
        f'<nav><a href="{escape(urls.gallery())}">Gallery</a> › '
        f'<a href="{escape(urls.category(item.category))}">{escape(category)}</a></nav>',
        "<article>",
        f"<h1>{escape(item.title)}</h1>",
        f"<figure>{_media_html(item.media_type, media_url, thumb_url, item.prompt or item.title)}</figure>",
        f"<p>{escape(item.description)}</p>" if item.description else "",
        "<dl>",
        f"<dt>Prompt</dt><dd>{escape(item.prompt)}</dd>" if item.prompt else "",
        f"<dt>Model</dt><dd>{escape(model_name or item.model_id)}</dd>" if (model_name or item.model_id) else "",
        f'<dt>Author</dt><dd><a href="{escape(urls.user(entry.author))}" rel="author">{escape(entry.author)}</a></dd>',
        f'<dt>Shared</dt><dd><time datetime="{iso(item.created_at)}">{item.created_at:%Y-%m-%d}</time></dd>',
        f"<dt>Likes</dt><dd>{item.likes_count}</dd><dt>Views</dt><dd>{item.views_count}</dd>",
        "</dl>",
        f'<ul class="tags">{tags}</ul>' if tags else "",
        "</article>",
    ]
    return _block("".join(parts))


def _block(inner: str) -> str:
    return f'<main id="{SEO_BLOCK_ID}" style="{_BLOCK_STYLE}">{inner}</main>'


# --- listings --------------------------------------------------------------------------------


def listing_seo(
    *,
    heading: str,
    description: str,
    canonical_url: str,
    entries: list[GalleryEntry],
    urls: SiteUrls,
    prev_url: str = "",
    next_url: str = "",
    indexable: bool = True,
) -> PageSeo:
    """A gallery listing page: the items as links with thumbnails, and prev/next pages."""
    first_image = next((urls.media(e.item.thumbnail_url or e.item.media_url) for e in entries if _has_picture(e)), "")
    elements = [
        {"@type": "ListItem", "position": index, "url": urls.item(e.item.slug), "name": e.item.title}
        for index, e in enumerate(entries, start=1)
    ]
    json_ld = {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": heading,
        "description": description,
        "url": canonical_url,
        "isPartOf": {"@type": "WebSite", "name": SITE_NAME, "url": urls.absolute("/")},
        "mainEntity": {"@type": "ItemList", "numberOfItems": len(elements), "itemListElement": elements},
    }
    return PageSeo(
        title=f"{heading} · {SITE_NAME}",
        description=summary(description),
        canonical_url=canonical_url,
        image_url=first_image,
        image_alt=heading,
        robots="index, follow" if indexable else "noindex, follow",
        prev_url=prev_url,
        next_url=next_url,
        json_ld=[json_ld],
        body_html=_listing_body(heading, description, entries, urls, prev_url, next_url),
    )


def _has_picture(entry: GalleryEntry) -> bool:
    return bool(entry.item.thumbnail_url) or entry.item.media_type == "image"


def _card_html(entry: GalleryEntry, urls: SiteUrls) -> str:
    item = entry.item
    picture = ""
    if _has_picture(entry):
        src = urls.media(item.thumbnail_url or item.media_url)
        picture = f'<img src="{escape(src)}" alt="{escape(item.title)}" loading="lazy" width="256" style="height:auto"> '
    return (
        f'<li><a href="{escape(urls.item(item.slug))}">{picture}{escape(item.title)}</a>'
        f" ({escape(item.media_type)}) by "
        f'<a href="{escape(urls.user(entry.author))}">{escape(entry.author)}</a>'
        f" · {item.likes_count} likes · {item.views_count} views</li>"
    )


def _listing_body(heading: str, description: str, entries: list[GalleryEntry], urls: SiteUrls, prev_url: str, next_url: str) -> str:
    categories = " · ".join(f'<a href="{escape(urls.category(slug))}">{escape(label)}</a>' for slug, label in CATEGORIES.items())
    cards = "".join(_card_html(e, urls) for e in entries) or "<li>Nothing here yet.</li>"
    pager = []
    if prev_url:
        pager.append(f'<a href="{escape(prev_url)}" rel="prev">Previous page</a>')
    if next_url:
        pager.append(f'<a href="{escape(next_url)}" rel="next">Next page</a>')
    return _block(
        f'<nav><a href="{escape(urls.gallery())}">Gallery</a> — {categories}</nav>'
        f"<h1>{escape(heading)}</h1><p>{escape(description)}</p>"
        f'<ul class="gallery">{cards}</ul>' + (f"<nav>{' '.join(pager)}</nav>" if pager else "")
    )


def not_found_seo(canonical_url: str) -> PageSeo:
    return PageSeo(
        title=f"Not found · {SITE_NAME}",
        description="This gallery page does not exist or is not public.",
        canonical_url=canonical_url,
        robots="noindex, nofollow",
        body_html=_block("<h1>Not found</h1><p>This gallery page does not exist or is not public.</p>"),
    )


# --- rendering -------------------------------------------------------------------------------


def json_ld_text(data: Any) -> str:
    """JSON that is safe inside <script type="application/ld+json"> (no `</script>` can appear)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


def _meta(attr: str, name: str, content: str) -> str:
    return f'<meta {attr}="{name}" content="{escape(content)}">' if content else ""


def head_html(seo: PageSeo) -> str:
    tags = [
        f"<title>{escape(seo.title)}</title>",
        _meta("name", "description", seo.description),
        f'<link rel="canonical" href="{escape(seo.canonical_url)}">',
        _meta("name", "robots", seo.robots),
        _meta("property", "og:site_name", SITE_NAME),
        _meta("property", "og:title", seo.title),
        _meta("property", "og:description", seo.description),
        _meta("property", "og:url", seo.canonical_url),
        _meta("property", "og:type", seo.og_type),
        _meta("property", "og:image", seo.image_url),
        _meta("property", "og:image:alt", seo.image_alt if seo.image_url else ""),
        _meta("property", "og:video", seo.video_url),
        _meta("property", "og:video:type", seo.video_type),
        _meta("property", "og:audio", seo.audio_url),
        _meta("property", "og:audio:type", seo.audio_type),
        _meta("name", "twitter:card", seo.twitter_card),
        _meta("name", "twitter:title", seo.title),
        _meta("name", "twitter:description", seo.description),
        _meta("name", "twitter:image", seo.image_url),
        _meta("name", "twitter:image:alt", seo.image_alt if seo.image_url else ""),
        f'<link rel="prev" href="{escape(seo.prev_url)}">' if seo.prev_url else "",
        f'<link rel="next" href="{escape(seo.next_url)}">' if seo.next_url else "",
        *(f'<script type="application/ld+json">{json_ld_text(data)}</script>' for data in seo.json_ld),
    ]
    return "".join(tag for tag in tags if tag)


_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_SHELL_TAGS = (
    re.compile(r"<title\b[^>]*>.*?</title\s*>", re.IGNORECASE | re.DOTALL),
    re.compile(r"<meta\b[^>]*\b(?:name|property)=\"(?:description|robots|og:[^\"]*|twitter:[^\"]*)\"[^>]*>", re.IGNORECASE),
    re.compile(r"<link\b[^>]*\brel=\"(?:canonical|prev|next)\"[^>]*>", re.IGNORECASE),
)
MINIMAL_SHELL = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1"></head><body></body></html>'
)


def inject(shell: str, seo: PageSeo) -> str:
    """The shell with its own title/description/OG tags replaced by the page's, and the body block added.

    The block goes at the end of <body>, after the app's root, so the live page renders above it;
    the Reflex page removes it once its state has loaded."""
    head_end, body_end = _HEAD_END.search(shell), _BODY_END.search(shell)
    if head_end is None or body_end is None or body_end.start() < head_end.end():
        shell = MINIMAL_SHELL
        head_end, body_end = _HEAD_END.search(shell), _BODY_END.search(shell)
        assert head_end is not None and body_end is not None
    head = shell[: head_end.start()]
    for pattern in _SHELL_TAGS:
        head = pattern.sub("", head)
    middle = shell[head_end.start() : body_end.start()]
    return head + head_html(seo) + middle + seo.body_html + shell[body_end.start() :]
