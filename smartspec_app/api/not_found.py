"""The styled not-found page for every unknown path outside the gallery and the API.

Reflex answers a path no page has with its SPA shell (`404.html`) and status 404: an empty document
without a title, which shows nothing until the app's JavaScript has started (on a signed-out
visitor's first action, frontend_build.py) and then the Reflex page registered for "404".
`NotFoundPages` keeps the 404 and answers with that shell filled in like the gallery's own 404
(api/gallery_pages.py): title, noindex, the site's navigation and a link home, in plain HTML; the
app's "404" page (pages/not_found.py) takes over from it when it starts. /api/ keeps its JSON 404
(api/errors.py) and /gallery its own page.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartspec_app.api.caching import html_page
from smartspec_app.api.gallery import site_urls
from smartspec_app.api.spa_shell import SpaShell
from smartspec_app.services import seo
from smartspec_app.settings import get_settings

GET_HEAD = ("GET", "HEAD")
OWN_404 = ("/api/", "/gallery/")  # answer their unknown paths themselves (JSON; the gallery's page)


def not_found_page(shell: SpaShell) -> Callable[[Request], Response]:
    """The 404 answer for `request`: the app's shell with the not-found page in it."""

    def answer(request: Request) -> Response:
        page = seo.missing_page_seo(str(request.url), site_urls(request))
        return html_page(request, seo.inject(shell.html(), page), 404, get_settings().html_cache_seconds)

    return answer


class NotFoundPages:
    """An HTML 404 from further in (Reflex's static frontend) is answered with `page` instead, still a 404."""

    def __init__(self, app: ASGIApp, page: Callable[[Request], Response] | None = None) -> None:
        self.app = app
        self.page = page or not_found_page(SpaShell(get_settings().resolved_spa_build_dir))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] not in GET_HEAD or path == "/gallery" or path.startswith(OWN_404):
            await self.app(scope, receive, send)
            return
        replaced = False

        async def unless_not_found(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                replaced = message["status"] == 404 and content_type.startswith("text/html")
            if not replaced:
                await send(message)  # anything else passes as it is; the shell's bytes are dropped

        await self.app(scope, receive, unless_not_found)
        if replaced:
            await self.page(Request(scope))(scope, receive, send)
