"""The FastAPI app mounted next to the Reflex pages (rx.App(api_transformer=...))."""

from __future__ import annotations

from fastapi import FastAPI

from smartspec_app.api import admin_gallery, credits, gallery, gallery_pages, generation, sandbox, sdk
from smartspec_app.api.body_limit import BodyLimitMiddleware
from smartspec_app.api.caching import CacheHeadersMiddleware
from smartspec_app.api.compression import CompressionMiddleware
from smartspec_app.api.errors import ApiRouteFallback, install_error_handlers
from smartspec_app.api.header_limit import HeaderLimitMiddleware
from smartspec_app.api.media import MediaFiles
from smartspec_app.api.not_found import NotFoundPages
from smartspec_app.api.openapi import install_openapi
from smartspec_app.api.origins import WebsocketOriginGuard
from smartspec_app.api.page_paths import BarePagePaths
from smartspec_app.api.rate_limits import RateLimitMiddleware
from smartspec_app.api.security_headers import SecurityHeadersMiddleware
from smartspec_app.services.media_signing import signer_from_settings
from smartspec_app.services.rate_limit import get_limiter
from smartspec_app.settings import get_settings


def build_api() -> FastAPI:
    settings = get_settings()
    get_limiter()  # a malformed RATE_LIMIT_* setting stops the app here, not at the first request
    api = FastAPI(
        title="SmartSpec Pro API",
        version="1.0.0",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url="/api/docs/oauth2-redirect",
        swagger_ui_parameters={"persistAuthorization": True},
    )
    install_error_handlers(api)
    install_openapi(api)
    # outermost last: count every /api/ request (unknown routes too), then answer unrouted /api/ paths
    api.add_middleware(ApiRouteFallback, router=api.router)
    api.add_middleware(NotFoundPages)  # Reflex's bare 404 shell → the styled not-found page, still a 404
    api.add_middleware(gallery_pages.CanonicalGalleryPaths)  # before Reflex's SPA fallback sees /gallery/ and the like
    api.add_middleware(BarePagePaths, build_dir=settings.resolved_spa_build_dir)  # /generate served, /generate/ → 301 there
    api.add_middleware(RateLimitMiddleware)
    # before anything reads a body
    api.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes, prefixes=("/api/", sandbox.router.prefix + "/"))
    # Reflex mounts its pages, built assets and websocket inside this app (api_transformer), so these
    # two see every HTTP answer the server makes, the static build's included
    api.add_middleware(CacheHeadersMiddleware, html_max_age=settings.html_cache_seconds)
    api.add_middleware(SecurityHeadersMiddleware)  # inside compression: it reads the docs page's inline scripts
    api.add_middleware(CompressionMiddleware)  # outside the others: error answers are compressed too
    api.add_middleware(WebsocketOriginGuard)  # Reflex's websocket (/_event) is mounted inside too
    api.add_middleware(HeaderLimitMiddleware, max_bytes=settings.max_request_header_bytes)  # outermost: before anything reads a header
    api.include_router(generation.router)
    api.include_router(sdk.router)
    if settings.sandbox_mounted:
        api.include_router(sandbox.router)
    api.include_router(gallery.router)
    api.include_router(admin_gallery.router)
    api.include_router(credits.router)
    api.include_router(gallery_pages.build_router())

    @api.get("/api/health", tags=["meta"])
    async def health() -> dict:
        return {"status": "ok", "provider": "sandbox" if settings.uses_sandbox else "kie"}

    settings.media_dir.mkdir(parents=True, exist_ok=True)
    api.mount("/media", MediaFiles(settings.media_dir, signer=lambda: signer_from_settings(get_settings())), name="media")
    return api
