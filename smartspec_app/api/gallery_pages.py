"""Gallery URLs as crawlers see them: full HTML without JavaScript, the sitemap and robots.txt.

Routes of the app mounted with `api_transformer` answer before Reflex's static pages, so each
gallery URL returns the app's own HTML shell with the page's title, meta, Open Graph, Twitter
Card, JSON-LD and a plain-HTML content block filled in: crawlers read it as it is, browsers boot
the live Reflex page from the same document. Only listed items appear; unlisted ones answer with
noindex and `Referrer-Policy: no-referrer` (their URL is the secret); anything else is a 404 (still
the shell, so the author's browser can show a private item).

Every other spelling of a gallery URL (a trailing slash, doubled slashes, capitals) would reach the
SPA's fallback and get the bare shell with a 200: `CanonicalGalleryPaths` answers it with a 301 to
the canonical URL when that page exists, and with the page's own 404 (noindex) when it does not.
Deeper paths no page has are a 404 too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartspec_app.api.caching import html_page
from smartspec_app.api.gallery import site_urls
from smartspec_app.api.rendered_cache import RenderedCache
from smartspec_app.api.spa_shell import SpaShell
from smartspec_app.services import gallery, gallery_feed, gallery_search, seo, sitemap
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import ValidationError
from smartspec_app.services.gallery import CATEGORIES
from smartspec_app.settings import get_settings

PAGE_SIZE = 48
GET_HEAD = ["GET", "HEAD"]


def build_router(shell: SpaShell | None = None) -> APIRouter:
    """The routes, reading the HTML shell from the configured build (or `shell`)."""
    shell = shell or SpaShell(get_settings().resolved_spa_build_dir)
    router = APIRouter(include_in_schema=False)

    def html(request: Request, page: seo.PageSeo, status: int = 200, route: str | None = None) -> Response:
        return html_page(request, seo.inject(shell.html(route), page), status, get_settings().html_cache_seconds)

    def not_found(request: Request) -> Response:
        return html(request, seo.not_found_seo(str(request.url), site_urls(request)), 404)

    def gallery_sitemap(request: Request) -> sitemap.GallerySitemap:
        return sitemap.GallerySitemap(session_scope, site_urls(request), get_settings().sitemap_max_urls)

    @router.api_route("/robots.txt", methods=GET_HEAD)
    def robots(request: Request) -> PlainTextResponse:
        return PlainTextResponse(sitemap.robots_txt(site_urls(request).base_url))

    rendered = RenderedCache(ttl=get_settings().sitemap_cache_seconds)

    def sitemap_answer(key: tuple, render: Callable[[], Iterator[str]]) -> Response:
        """A sitemap file from the cache while the gallery's listed items are unchanged (api/rendered_cache.py)."""
        cached = rendered.get(key) if rendered.ttl > 0 else None
        if cached is not None:
            return Response(cached, media_type="application/xml")
        if rendered.ttl <= 0:
            return StreamingResponse(render(), media_type="application/xml")
        return StreamingResponse(rendered.stream(key, render), media_type="application/xml")

    @router.api_route("/gallery/sitemap.xml", methods=GET_HEAD)
    def sitemap_root(request: Request) -> Response:
        site = gallery_sitemap(request)
        version = site.version()
        key = ("root", site.urls.base_url, site.limit, version)
        if site.is_index(version):
            return sitemap_answer(key, lambda: iter([site.index(version)]))
        return sitemap_answer(key, lambda: site.page_chunks(1))

    @router.api_route("/gallery/sitemap-{number}.xml", methods=GET_HEAD)
    def sitemap_file(number: int, request: Request) -> Response:
        site = gallery_sitemap(request)
        version = site.version()
        if not site.is_index(version) or not site.exists(number, version):
            return Response("no such sitemap file", status_code=404, media_type="text/plain")
        return sitemap_answer((number, site.urls.base_url, site.limit, version), lambda: site.page_chunks(number))

    def listing(
        request: Request,
        *,
        heading: str,
        description: str,
        link: Callable[[seo.SiteUrls, int], str],
        filters: dict,
        route: str | None = None,
        empty_is_missing: bool = False,
    ) -> Response:
        """A listing page; with `?q=` its search results, crawlable but `noindex` (one page per query
        must not compete with the listings themselves in search engines)."""
        urls, number = site_urls(request), _page_number(request)
        search = gallery_search.parse(request.query_params.get("q"))
        sort_by = request.query_params.get("sort")
        if search is not None:
            plain_link = link
            heading = f"Search: {search.text} · {heading}"
            description = f"Results for “{search.text}”. {description}"

            def link(urls: seo.SiteUrls, n: int) -> str:
                return _with_query(plain_link(urls, n), search.text)

        try:
            with session_scope() as session:
                result = gallery_feed.list_public(
                    session,
                    number,
                    PAGE_SIZE,
                    sort_by=sort_by if sort_by in gallery_feed.SEARCH_SORTS else None,
                    q=search.text if search else None,
                    **filters,
                )
        except ValidationError:
            return not_found(request)
        if (number > result.pages) or (empty_is_missing and search is None and result.total == 0):
            return not_found(request)
        page = seo.listing_seo(
            heading=heading,
            description=description,
            canonical_url=link(urls, number),
            entries=result.entries,
            urls=urls,
            prev_url=link(urls, number - 1) if number > 1 else "",
            next_url=link(urls, number + 1) if result.has_more else "",
            indexable=result.total > 0 and search is None,
            search_text=search.text if search else "",
        )
        return html(request, page, route=route)

    @router.api_route("/gallery", methods=GET_HEAD)
    def gallery_index(request: Request) -> Response:
        return listing(
            request,
            heading="Gallery",
            description="Images, videos and speech made with SmartSpec Pro and shared by their creators.",
            link=lambda urls, n: urls.gallery(n),
            filters={},
            route="/gallery",
        )

    @router.api_route("/gallery/category/{category}", methods=GET_HEAD)
    def gallery_category(category: str, request: Request) -> Response:
        if category not in CATEGORIES:
            return not_found(request)
        label = CATEGORIES[category]
        return listing(
            request,
            heading=f"{label} · Gallery",
            description=f"{label}: AI images, videos and speech shared in the SmartSpec Pro gallery.",
            link=lambda urls, n: urls.category(category, n),
            filters={"category": category},
        )

    @router.api_route("/gallery/tag/{tag}", methods=GET_HEAD)
    def gallery_tag(tag: str, request: Request) -> Response:
        normalized = gallery.normalize_tag(tag)
        if not normalized:
            return not_found(request)
        if normalized != tag:
            return RedirectResponse(f"/gallery/tag/{quote(normalized)}", status_code=301)
        return listing(
            request,
            heading=f"#{normalized} · Gallery",
            description=f"Creations tagged #{normalized} in the SmartSpec Pro gallery.",
            link=lambda urls, n: urls.tag(normalized, n),
            filters={"tag": normalized},
            empty_is_missing=True,
        )

    @router.api_route("/gallery/user/{username}", methods=GET_HEAD)
    def gallery_user(username: str, request: Request) -> Response:
        with session_scope() as session:
            known = gallery_feed.user_exists(session, username)
        if not known:
            return not_found(request)
        return listing(
            request,
            heading=f"{username} · Gallery",
            description=f"Images, videos and speech shared by {username} on SmartSpec Pro.",
            link=lambda urls, n: urls.user(username, n),
            filters={"username": username},
        )

    @router.api_route("/gallery/{slug}", methods=GET_HEAD)
    def gallery_item(slug: str, request: Request) -> Response:
        with session_scope() as session:
            match = gallery.get_by_slug(session, slug)
        if match is None or not gallery.is_viewable_by_link(match.entry.item):
            return not_found(request)
        item = match.entry.item
        if match.moved:
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(f"/gallery/{quote(item.slug)}{query}", status_code=301)
        listed = gallery.is_listed(item)
        page = seo.item_seo(match.entry, site_urls(request), model_name=gallery.model_name(item.model_id), indexable=listed)
        answer = html(request, page)
        if not listed:
            answer.headers["Referrer-Policy"] = "no-referrer"  # its URL is what keeps it unlisted: never sent on
        return answer

    @router.api_route("/gallery/{rest:path}", methods=GET_HEAD)
    def gallery_nothing_here(rest: str, request: Request) -> Response:
        """Paths under /gallery/ that no route above takes (deeper paths): no such page."""
        return not_found(request)

    return router


def canonical_gallery_path(path: str) -> str | None:
    """The canonical spelling of a gallery path (None: not one): single slashes, no trailing slash, lower case.

    Every gallery URL the app makes is lower case: slugs, categories, tags, usernames, sitemap files."""
    canonical = re.sub(r"/{2,}", "/", path).lower()
    if canonical.endswith("/"):
        canonical = canonical.rstrip("/") or "/"
    return canonical if canonical == "/gallery" or canonical.startswith("/gallery/") else None


class CanonicalGalleryPaths:
    """GET/HEAD of a gallery URL spelled otherwise than canonically: the app is asked for the canonical
    path; its 404 (or its own redirect) is the answer as it is, any other answer becomes a 301 there."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in GET_HEAD:
            await self.app(scope, receive, send)
            return
        canonical = canonical_gallery_path(scope["path"])
        if canonical is None or canonical == scope["path"]:
            await self.app(scope, receive, send)
            return
        started: Message | None = None
        held: list[Message] = []

        def exists(start: Message) -> bool:
            return 200 <= start["status"] < 300 or start["status"] == 304  # 304: the page, unchanged since

        async def capture(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = message
            elif started is not None and not exists(started):
                held.append(message)  # a 404 page or a redirect: small, passed on as it is

        await self.app({**scope, "path": canonical, "raw_path": quote(canonical).encode()}, receive, capture)
        if started is not None and not exists(started):
            for message in (started, *held):
                await send(message)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        await RedirectResponse(quote(canonical) + (f"?{query}" if query else ""), status_code=301)(scope, receive, send)


def _with_query(url: str, text: str) -> str:
    """`url` with `q=text` added before any other parameter."""
    base, _, query = url.partition("?")
    return f"{base}?q={quote(text, safe='')}" + (f"&{query}" if query else "")


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 100_000 else 1
