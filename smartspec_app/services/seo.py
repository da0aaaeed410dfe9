"""What crawlers and link unfurlers read without JavaScript: head tags, JSON-LD and a plain-HTML body.

`item_seo` / `listing_seo` / `not_found_seo` describe a page (`PageSeo`); `inject` writes that
description into the app's HTML shell, so people still get the live Reflex page at the same URL.

Escaping: every user-written string goes through `html.escape` (text and attributes), and JSON-LD
goes through `json_ld_text`, which also escapes `<`, `>`, `&`, U+2028 and U+2029 as \\uXXXX, so a title
such as `</script><script>alert(1)</script>` stays text everywhere.

Bidi controls (embeddings, overrides, isolates, LRM/RLM/ALM — text_rules.without_bidi): descriptions,
prompts and searches may hold them, and titles the marks. In <title>, <meta> content and JSON-LD
nothing isolates them: an unclosed U+202E there reversed what a search result or an unfurled card
showed after it. So `head_html` and `json_ld_text` remove them all (the stored text keeps them). In
the body each element holding user text has dir="auto", which isolates it (HTML gives [dir]
`unicode-bidi: isolate`) and sets its direction from its first strong letter, so the text shows as
written without reordering what is around it.
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

from smartspec_app.services import pictures
from smartspec_app.services.gallery import CATEGORIES, GalleryEntry, media_is_public, shown_picture
from smartspec_app.services.pictures import CARD_SIZES, ITEM_SIZES, ShownPicture
from smartspec_app.services.storage import Storage, refresh_url
from smartspec_app.services.text_rules import without_bidi
from smartspec_app.services.wording import counted

SITE_NAME = "SmartSpec Pro"
DESCRIPTION_LIMIT = 160
SCHEMA_TYPES = {"image": "ImageObject", "video": "VideoObject", "audio": "AudioObject"}
SEO_BLOCK_ID = "seo-content"
SEO_STYLE_ID = "seo-style"
EAGER_CARDS = 4  # the first row of the grid on a wide screen; the rest load as they scroll into view
NAV_LINKS = (("Generate", "/generate"), ("My generations", "/generations"), ("Gallery", "/gallery"), ("SDKs", "/sdk"))
# The server-rendered page until the live one has its data (the app's root stays hidden meanwhile, so
# nothing moves when they swap): the Reflex page's layout in plain CSS, mobile first, light and dark.
PAGE_CSS = (
    "body>[data-is-root-theme]{display:none}"
    f"#{SEO_BLOCK_ID}{{font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',system-ui,sans-serif;"
    "color:#211f26;background:#fff;line-height:1.5;min-height:100vh;font-size:16px}"
    f"#{SEO_BLOCK_ID} a{{color:#6550b9}}"
    f"#{SEO_BLOCK_ID} .ssr-bar{{display:flex;flex-wrap:wrap;align-items:center;gap:.5em 1.25em;padding:1em 1.5em;"
    "border-bottom:1px solid #e4e2e4}"
    f"#{SEO_BLOCK_ID} .ssr-bar a{{text-decoration:none;font-weight:500}}"
    f"#{SEO_BLOCK_ID} .ssr-brand{{font-size:1.25rem;font-weight:700}}"
    f"#{SEO_BLOCK_ID} .ssr-main{{max-width:72em;margin:0 auto;padding:2em 16px;box-sizing:border-box}}"
    f"#{SEO_BLOCK_ID} .ssr-main a{{text-decoration:underline}}#{SEO_BLOCK_ID} .gallery li>a:first-child{{text-decoration:none}}"
    f"#{SEO_BLOCK_ID} h1{{font-size:1.75rem;line-height:1.25;margin:0 0 .5em}}"
    f"#{SEO_BLOCK_ID} img{{display:block;max-width:100%;height:auto;border-radius:8px}}"
    f"#{SEO_BLOCK_ID} .ssr-item{{display:grid;gap:2em}}"
    f"#{SEO_BLOCK_ID} .ssr-item figure{{margin:0}}"
    f"#{SEO_BLOCK_ID} .ssr-item img,#{SEO_BLOCK_ID} video,#{SEO_BLOCK_ID} audio{{width:100%}}"
    f"#{SEO_BLOCK_ID} dt{{font-size:.75rem;color:#65636d;font-weight:500}}"
    f"#{SEO_BLOCK_ID} dd{{margin:0 0 .75em;font-size:.875rem}}"
    f"#{SEO_BLOCK_ID} .tags{{display:flex;flex-wrap:wrap;gap:.5em;list-style:none;padding:0}}"
    f"#{SEO_BLOCK_ID} .gallery{{display:grid;grid-template-columns:1fr;gap:16px;list-style:none;padding:0}}"
    f"#{SEO_BLOCK_ID} .gallery img{{width:100%;aspect-ratio:1;object-fit:cover}}"
    f"#{SEO_BLOCK_ID} .gallery li{{font-size:.875rem}}"
    f"#{SEO_BLOCK_ID} .gallery .title{{display:block;font-weight:500;font-size:1rem;margin-top:.5em}}"
    "@media (min-width:30em){"
    f"#{SEO_BLOCK_ID} .gallery{{grid-template-columns:repeat(2,1fr)}}}}"
    "@media (min-width:48em){"
    f"#{SEO_BLOCK_ID} .gallery{{grid-template-columns:repeat(3,1fr)}}#{SEO_BLOCK_ID} .ssr-item{{grid-template-columns:1fr 1fr}}}}"
    "@media (min-width:62em){"
    f"#{SEO_BLOCK_ID} .gallery{{grid-template-columns:repeat(4,1fr)}}}}"
    "@media (prefers-color-scheme:dark){"
    f"#{SEO_BLOCK_ID}{{color:#eeeef0;background:#121113}}#{SEO_BLOCK_ID} a{{color:#baa7ff}}"
    f"#{SEO_BLOCK_ID} .ssr-bar{{border-color:#323035}}#{SEO_BLOCK_ID} dt{{color:#b5b2bc}}}}"
)


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
class Preload:
    """The page's largest picture, fetched from the head at high priority (it is what LCP measures)."""

    href: str
    srcset: str = ""
    sizes: str = ""


@dataclass(frozen=True)
class PageSeo:
    """Everything a page tells crawlers; rendered by `head_html` and `inject`."""

    title: str
    description: str
    canonical_url: str
    og_type: str = "website"
    image_url: str = ""
    image_alt: str = ""
    image_width: int = 0
    image_height: int = 0
    video_url: str = ""
    video_type: str = ""
    audio_url: str = ""
    audio_type: str = ""
    robots: str = "index, follow"
    prev_url: str = ""
    next_url: str = ""
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    body_html: str = ""  # already escaped HTML
    preload: Preload | None = None

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
    picture = _picture(entry, urls)
    original_size = item.media_type == "image" and picture.has_size
    return PageSeo(
        title=f"{item.title} · {SITE_NAME} Gallery",
        description=description,
        canonical_url=page_url,
        og_type="video.other" if item.media_type == "video" else "website",
        image_url=image_url,
        image_alt=summary(item.prompt or item.title, 420),
        image_width=picture.width if original_size else 0,
        image_height=picture.height if original_size else 0,
        video_url=media_url if item.media_type == "video" else "",
        video_type=mime_of(media_url) if item.media_type == "video" else "",
        audio_url=media_url if item.media_type == "audio" else "",
        audio_type=mime_of(media_url) if item.media_type == "audio" else "",
        robots="index, follow, max-image-preview:large" if indexable else "noindex, nofollow",
        json_ld=[
            item_json_ld(entry, urls, page_url=page_url, media_url=media_url, thumb_url=thumb_url, description=description, picture=picture)
        ],
        body_html=_item_body(entry, urls, media_url=media_url, thumb_url=thumb_url, model_name=model_name, picture=picture),
        preload=Preload(urls.absolute(picture.src), picture.srcset, ITEM_SIZES if picture.srcset else "") if picture.src else None,
    )


def _picture(entry: GalleryEntry, urls: SiteUrls) -> ShownPicture:
    """The item's picture with its renditions (public or signed like its media); without a storage, the stored URL."""
    item = entry.item
    if urls.storage is not None:
        return shown_picture(urls.storage, item)
    return pictures.ShownPicture(src=(item.media_url if item.media_type == "image" else item.thumbnail_url) or "")


def item_json_ld(
    entry: GalleryEntry,
    urls: SiteUrls,
    *,
    page_url: str,
    media_url: str,
    thumb_url: str,
    description: str,
    picture: ShownPicture | None = None,
) -> dict:
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
    if picture is not None and picture.renditions:  # the WebP renditions, smallest first
        data["thumbnail"] = [
            {"@type": "ImageObject", "contentUrl": urls.absolute(url), "width": width, "height": height, "encodingFormat": "image/webp"}
            for url, width, height in picture.renditions
        ]
    if item.media_type == "image":
        data["caption"] = item.prompt or item.title
        data["creditText"] = entry.author
        if picture is not None and picture.has_size:
            data["width"], data["height"] = picture.width, picture.height
    return {key: value for key, value in data.items() if value is not None}


def img_html(picture: ShownPicture, alt: str, sizes: str, *, lead: bool = False, lazy: bool = False) -> str:
    """<img> with srcset, sizes and explicit dimensions; `lead`: the page's largest picture (fetched
    first, at high priority), `lazy`: below the fold (loaded as it scrolls into view)."""
    attrs = [f'src="{escape(picture.src)}"']
    if picture.srcset:
        attrs += [f'srcset="{escape(picture.srcset)}"', f'sizes="{escape(sizes)}"']
    if picture.has_size:
        attrs += [f'width="{picture.width}"', f'height="{picture.height}"']
    attrs.append(f'alt="{escape(alt)}"')
    if lead:
        attrs.append('fetchpriority="high"')
    elif lazy:
        attrs += ['loading="lazy"', 'decoding="async"']
    return f"<img {' '.join(attrs)}>"


def _media_html(media_type: str, media_url: str, picture: ShownPicture, alt: str) -> str:
    src = escape(media_url)
    if media_type == "video":
        poster = f' poster="{escape(picture.src)}"' if picture.src else ""
        size = f' width="{picture.width}" height="{picture.height}"' if picture.has_size else ""
        return f'<video controls preload="none" src="{src}"{poster}{size}></video>'
    if media_type == "audio":
        waveform = img_html(picture, alt, ITEM_SIZES, lead=True) if picture.src else ""
        return f'{waveform}<audio controls preload="none" src="{src}"></audio>'
    return img_html(picture, alt, ITEM_SIZES, lead=True)


def _item_body(
    entry: GalleryEntry, urls: SiteUrls, *, media_url: str, thumb_url: str, model_name: str, picture: ShownPicture | None = None
) -> str:
    item = entry.item
    picture = picture or pictures.ShownPicture(src=media_url if item.media_type == "image" else thumb_url)
    category = CATEGORIES.get(item.category, item.category)
    tags = "".join(f'<li><a href="{escape(urls.tag(tag))}" rel="tag" dir="auto">#{escape(tag)}</a></li>' for tag in item.tags)
    parts = [
        '<article class="ssr-item">',
        f"<figure>{_media_html(item.media_type, media_url, picture, item.prompt or item.title)}</figure>",
        "<div>",
        f'<h1 dir="auto">{escape(item.title)}</h1>',
        f'<p><a href="{escape(urls.user(entry.author))}" rel="author" dir="auto">{escape(entry.author)}</a> · '
        f'<a href="{escape(urls.category(item.category))}">{escape(category)}</a> · '
        f'<time datetime="{iso(item.created_at)}">{item.created_at:%Y-%m-%d}</time></p>',
        f'<p dir="auto">{escape(item.description)}</p>' if item.description else "",
        "<dl>",
        f'<dt>Prompt</dt><dd dir="auto">{escape(item.prompt)}</dd>' if item.prompt else "",
        f"<dt>Model</dt><dd>{escape(model_name or item.model_id)}</dd>" if (model_name or item.model_id) else "",
        f"<dt>Likes</dt><dd>{item.likes_count}</dd><dt>Views</dt><dd>{item.views_count}</dd>",
        "</dl>",
        f'<ul class="tags">{tags}</ul>' if tags else "",
        f'<p><a href="{escape(urls.gallery())}">Gallery</a> › <a href="{escape(urls.category(item.category))}">{escape(category)}</a></p>',
        "</div>",
        "</article>",
    ]
    return _block("".join(parts), urls)


def _block(inner: str, urls: SiteUrls | None = None) -> str:
    """The page as crawlers (and people, until the live page has its data) see it: the app's top bar and `inner`."""
    link = urls.absolute if urls is not None else (lambda path: path)
    nav = "".join(f'<a href="{escape(link(href))}">{label}</a>' for label, href in NAV_LINKS)
    bar = (
        f'<header class="ssr-bar"><a class="ssr-brand" href="{escape(link("/"))}">{SITE_NAME}</a>{nav}'
        f'<a href="{escape(link("/login"))}">Log in</a><a href="{escape(link("/signup"))}">Sign up</a></header>'
    )
    return f'<div id="{SEO_BLOCK_ID}">{bar}<main class="ssr-main">{inner}</main></div>'


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
    search_text: str = "",
) -> PageSeo:
    """A gallery listing page: a search form, the items as links with thumbnails, and prev/next pages."""
    first_image = next((urls.media(e.item.thumbnail_url or e.item.media_url) for e in entries if _has_picture(e)), "")
    card_pictures = [_picture(e, urls) if _has_picture(e) else None for e in entries]
    lead = next((picture for picture in card_pictures[:EAGER_CARDS] if picture is not None and picture.src), None)
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
        body_html=_listing_body(heading, description, entries, card_pictures, urls, prev_url, next_url, search_text),
        preload=Preload(urls.absolute(lead.src), lead.srcset, CARD_SIZES if lead.srcset else "") if lead else None,
    )


def _has_picture(entry: GalleryEntry) -> bool:
    return bool(entry.item.thumbnail_url) or entry.item.media_type == "image"


def _card_html(entry: GalleryEntry, picture: ShownPicture | None, urls: SiteUrls, position: int) -> str:
    item = entry.item
    image = ""
    if picture is not None and picture.src:
        # the first card is the page's largest picture on a phone; the first row is in view on any screen
        # alt="": the title follows in the same link, and a screen reader should not read it twice
        image = img_html(picture, "", CARD_SIZES, lead=position == 0, lazy=position >= EAGER_CARDS)
    return (
        f'<li><a href="{escape(urls.item(item.slug))}">{image}<span class="title" dir="auto">{escape(item.title)}</span></a>'
        f"{escape(item.media_type)} by "
        f'<a href="{escape(urls.user(entry.author))}" dir="auto">{escape(entry.author)}</a>'
        f" · {counted(item.likes_count, 'like')} · {counted(item.views_count, 'view')}</li>"
    )


def _listing_body(
    heading: str,
    description: str,
    entries: list[GalleryEntry],
    card_pictures: list[ShownPicture | None],
    urls: SiteUrls,
    prev_url: str,
    next_url: str,
    search_text: str = "",
) -> str:
    categories = " · ".join(f'<a href="{escape(urls.category(slug))}">{escape(label)}</a>' for slug, label in CATEGORIES.items())
    cards = "".join(_card_html(e, picture, urls, n) for n, (e, picture) in enumerate(zip(entries, card_pictures, strict=True)))
    empty = "<li>Nothing found.</li>" if search_text else "<li>Nothing here yet.</li>"
    search = (
        f'<form role="search" action="{escape(urls.gallery())}" method="get">'
        f'<input type="search" name="q" value="{escape(search_text)}" aria-label="Search the gallery" maxlength="200"> '
        '<button type="submit">Search</button></form>'
    )
    pager = []
    if prev_url:
        pager.append(f'<a href="{escape(prev_url)}" rel="prev">Previous page</a>')
    if next_url:
        pager.append(f'<a href="{escape(next_url)}" rel="next">Next page</a>')
    return _block(
        f'<h1 dir="auto">{escape(heading)}</h1>{search}'
        f'<ul class="gallery">{cards or empty}</ul>'
        + (f"<nav>{' '.join(pager)}</nav>" if pager else "")
        + f'<p dir="auto">{escape(description)}</p>'
        f'<nav><a href="{escape(urls.gallery())}">Gallery</a> — {categories}</nav>',
        urls,
    )


def not_found_seo(canonical_url: str, urls: SiteUrls | None = None) -> PageSeo:
    return PageSeo(
        title=f"Not found · {SITE_NAME}",
        description="This gallery page does not exist or is not public.",
        canonical_url=canonical_url,
        robots="noindex, nofollow",
        body_html=_block("<h1>Not found</h1><p>This gallery page does not exist or is not public.</p>", urls),
    )


def missing_page_seo(canonical_url: str, urls: SiteUrls | None = None) -> PageSeo:
    """Any other path no page has (api/not_found.py): the navigation, and the way home."""
    home, gallery = (urls.absolute("/"), urls.gallery()) if urls is not None else ("/", "/gallery")
    return PageSeo(
        title=f"Page not found · {SITE_NAME}",
        description="There is no page at this address.",
        canonical_url=canonical_url,
        robots="noindex, nofollow",
        body_html=_block(
            "<h1>Page not found</h1><p>There is no page at this address: it may have moved, or the link has a typo.</p>"
            f'<p><a href="{escape(home)}">Back to the home page</a> · <a href="{escape(gallery)}">Browse the gallery</a></p>',
            urls,
        ),
    )


# --- rendering -------------------------------------------------------------------------------


def json_ld_text(data: Any) -> str:
    """JSON that is safe inside <script type="application/ld+json"> (no `</script>` can appear), without
    bidi controls (they are never part of JSON's syntax, so removing them from the text removes them from
    the strings)."""
    text = without_bidi(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


def _meta(attr: str, name: str, content: str) -> str:
    return f'<meta {attr}="{name}" content="{escape(without_bidi(content))}">' if content else ""


def head_html(seo: PageSeo) -> str:
    tags = [
        f"<title>{escape(without_bidi(seo.title))}</title>",
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
        _meta("property", "og:image:width", str(seo.image_width) if seo.image_url and seo.image_width else ""),
        _meta("property", "og:image:height", str(seo.image_height) if seo.image_url and seo.image_height else ""),
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
        _preload_html(seo.preload),
        f'<style id="{SEO_STYLE_ID}">{PAGE_CSS}</style>' if seo.body_html else "",
    ]
    return "".join(tag for tag in tags if tag)


def _preload_html(preload: Preload | None) -> str:
    if preload is None:
        return ""
    responsive = f' imagesrcset="{escape(preload.srcset)}" imagesizes="{escape(preload.sizes)}"' if preload.srcset else ""
    return f'<link rel="preload" as="image" href="{escape(preload.href)}"{responsive} fetchpriority="high">'


_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
# the app's stylesheet (and its preload): the server-rendered page has its own CSS, and the app's boot
# script (frontend_build.py) adds the sheet when the app starts, so it neither blocks the first paint
# nor costs the phone hundreds of milliseconds of parsing and style work for a page that does not use it
_APP_STYLES = (
    re.compile(r"<link\b[^>]*\brel=\"stylesheet\"[^>]*>", re.IGNORECASE),
    re.compile(r"<link\b(?=[^>]*\brel=\"preload\")(?=[^>]*\bas=\"style\")[^>]*>", re.IGNORECASE),
)
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
    for pattern in (*_SHELL_TAGS, *(_APP_STYLES if seo.body_html else ())):
        head = pattern.sub("", head)
    middle = shell[head_end.start() : body_end.start()]
    return head + head_html(seo) + middle + seo.body_html + shell[body_end.start() :]
