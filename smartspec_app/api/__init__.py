"""The FastAPI app mounted next to the Reflex pages (rx.App(api_transformer=...))."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from smartspec_app.api import gallery, gallery_pages, generation, sandbox
from smartspec_app.api.errors import install_error_handlers
from smartspec_app.settings import get_settings


def build_api() -> FastAPI:
    settings = get_settings()
    api = FastAPI(title="SmartSpec Pro API", docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)
    install_error_handlers(api)
    api.include_router(generation.router)
    api.include_router(sandbox.router)
    api.include_router(gallery.router)
    api.include_router(gallery_pages.build_router())

    @api.get("/api/health", tags=["meta"])
    async def health() -> dict:
        return {"status": "ok", "provider": "sandbox" if settings.uses_sandbox else "kie"}

    settings.media_dir.mkdir(parents=True, exist_ok=True)
    api.mount("/media", StaticFiles(directory=settings.media_dir, check_dir=False), name="media")
    return api
