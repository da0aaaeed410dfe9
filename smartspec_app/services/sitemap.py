"""The gallery sitemap (sitemaps.org 0.9 with Google's image extension) and robots.txt.

One conceptual list of URLs — /gallery, each category that has listed items, then every listed item
in id order — is cut into files of at most `limit` URLs. Up to `limit` URLs: /gallery/sitemap.xml is
the urlset itself. Beyond: /gallery/sitemap.xml is a sitemap index of /gallery/sitemap-{n}.xml
(n from 1). Files are streamed in chunks while items are read in keyset batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from xml.sax.saxutils import escape

from sqlmodel import Session

from smartspec_app.models import GalleryItem
from smartspec_app.services.gallery import GalleryEntry
from smartspec_app.services.gallery_feed import listed_categories, listed_row_batches, listed_version
from smartspec_app.services.seo import SiteUrls, iso

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
IMAGE_NS = "http://www.google.com/schemas/sitemap-image/1.1"
MAX_URLS = 50_000
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class SitemapUrl:
    loc: str
    lastmod: datetime | None = None
    images: tuple[str, ...] = ()


def url_xml(url: SitemapUrl) -> str:
    parts = [f"<url><loc>{escape(url.loc)}</loc>"]
    if url.lastmod is not None:
        parts.append(f"<lastmod>{iso(url.lastmod)}</lastmod>")
    parts.extend(f"<image:image><image:loc>{escape(image)}</image:loc></image:image>" for image in url.images)
    parts.append("</url>\n")
    return "".join(parts)


def urlset_chunks(urls: Iterable[SitemapUrl | str], *, per_chunk: int = 500) -> Iterator[str]:
    """A <urlset> document, yielded a few hundred URLs at a time (a str is a <url> element already made)."""
    yield f'{XML_DECLARATION}<urlset xmlns="{SITEMAP_NS}" xmlns:image="{IMAGE_NS}">\n'
    buffer: list[str] = []
    for url in urls:
        buffer.append(url if isinstance(url, str) else url_xml(url))
        if len(buffer) >= per_chunk:
            yield "".join(buffer)
            buffer.clear()
    yield "".join(buffer) + "</urlset>\n"


def index_xml(sitemap_urls: Iterable[str], lastmod: datetime | None = None) -> str:
    stamp = f"<lastmod>{iso(lastmod)}</lastmod>" if lastmod else ""
    entries = "".join(f"<sitemap><loc>{escape(loc)}</loc>{stamp}</sitemap>\n" for loc in sitemap_urls)
    return f'{XML_DECLARATION}<sitemapindex xmlns="{SITEMAP_NS}">\n{entries}</sitemapindex>\n'


def entry_url(entry: GalleryEntry, urls: SiteUrls) -> SitemapUrl:
    item = entry.item
    return item_url(item.slug, item.media_type, item.media_url, item.thumbnail_url, item.updated_at, urls)


def item_url(slug: str, media_type: str, media_url: str, thumbnail_url: str | None, updated_at: datetime, urls: SiteUrls) -> SitemapUrl:
    picture = media_url if media_type == "image" else thumbnail_url
    return SitemapUrl(loc=urls.item(slug), lastmod=updated_at, images=(urls.media(picture),) if picture else ())


class ItemLinks:
    """`item_url` for tens of thousands of items: the same URLs as SiteUrls.item / SiteUrls.media,
    without re-parsing the base URL for every item."""

    def __init__(self, urls: SiteUrls) -> None:
        self.urls = urls
        self.item_prefix = urls.item("x")[:-1]  # ".../gallery/"

    def url(self, slug: str, media_type: str, media_url: str, thumbnail_url: str | None, updated_at: datetime) -> SitemapUrl:
        picture = media_url if media_type == "image" else thumbnail_url
        return SitemapUrl(self.item_prefix + quote(slug, safe=""), updated_at, (self.urls.media(picture),) if picture else ())

    def xml(self, slug: str, media_type: str, media_url: str, thumbnail_url: str | None, updated_at: datetime | None) -> str:
        """`url_xml(self.url(...))`, made directly."""
        picture = media_url if media_type == "image" else thumbnail_url
        image = f"<image:image><image:loc>{escape(self.urls.media(picture))}</image:loc></image:image>" if picture else ""
        lastmod = f"<lastmod>{iso(updated_at)}</lastmod>" if updated_at is not None else ""
        return f"<url><loc>{escape(self.item_prefix + quote(slug, safe=''))}</loc>{lastmod}{image}</url>\n"


# what an item's <url> needs, read as plain columns (no ORM objects: see bench/sitemap.py)
ITEM_COLUMNS = (GalleryItem.slug, GalleryItem.media_type, GalleryItem.media_url, GalleryItem.thumbnail_url, GalleryItem.updated_at)


class GallerySitemap:
    """The gallery's sitemap files; `session_factory` opens a session (a context manager)."""

    def __init__(self, session_factory: Callable[[], AbstractContextManager[Session]], urls: SiteUrls, limit: int = MAX_URLS) -> None:
        if not 1 <= limit <= MAX_URLS:
            raise ValueError(f"a sitemap holds 1 to {MAX_URLS} URLs")
        self.session_factory = session_factory
        self.urls = urls
        self.limit = limit

    def _static_urls(self, session: Session) -> list[SitemapUrl]:
        return [SitemapUrl(self.urls.gallery()), *(SitemapUrl(self.urls.category(name)) for name, _n in listed_categories(session))]

    def version(self) -> tuple[int, str, int]:
        """What the files depend on: listed items, their latest change, categories. One read serves a
        request: the cache key of a rendered file and, passed back in, the page count below."""
        with self.session_factory() as session:
            count, latest = listed_version(session)
            return count, latest, len(listed_categories(session))

    def page_count(self, version: tuple[int, str, int] | None = None) -> int:
        """How many urlset files there are (1 means /gallery/sitemap.xml is the urlset)."""
        count, _latest, categories = version or self.version()
        total = 1 + categories + count  # /gallery, each listed category, each listed item (_static_urls)
        return max(1, math.ceil(total / self.limit))

    def is_index(self, version: tuple[int, str, int] | None = None) -> bool:
        return self.page_count(version) > 1

    def index(self, version: tuple[int, str, int] | None = None) -> str:
        pages = self.page_count(version)
        return index_xml(self.urls.absolute(f"/gallery/sitemap-{n}.xml") for n in range(1, pages + 1))

    def page_chunks(self, page: int) -> Iterator[str]:
        """The urlset of file `page` (1-based): its share of the static URLs, then of the items.

        Streamed to the client without holding a database connection while it reads: each batch of
        rows is read in a session of its own (gallery_feed.listed_row_batches)."""
        if page < 1:
            raise ValueError("sitemap pages start at 1")
        yield from urlset_chunks(self._page_urls(page))

    def _page_urls(self, page: int) -> Iterator[SitemapUrl | str]:
        start, stop = (page - 1) * self.limit, page * self.limit
        with self.session_factory() as session:
            static = self._static_urls(session)
        yield from static[start:stop]
        item_offset = max(0, start - len(static))
        item_limit = stop - max(start, len(static))
        if item_limit > 0:
            links = ItemLinks(self.urls)
            for rows in listed_row_batches(self.session_factory, *ITEM_COLUMNS, offset=item_offset, limit=item_limit):
                for _id, *columns in rows:
                    yield links.xml(*columns)

    def exists(self, page: int, version: tuple[int, str, int] | None = None) -> bool:
        return 1 <= page <= self.page_count(version)


def robots_txt(base_url: str) -> str:
    """Crawl everything but the API and the sandbox; the gallery sitemap is where the content is."""
    return (
        "User-agent: *\n"
        "Allow: /\n"
        "Disallow: /api/\n"
        "Disallow: /sandbox/\n"
        "Disallow: /_event/\n"
        "Disallow: /_upload/\n"
        f"\nSitemap: {base_url.rstrip('/')}/gallery/sitemap.xml\n"
    )
