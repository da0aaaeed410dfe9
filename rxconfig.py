"""Reflex configuration: database and Redis come from the same settings the services use."""

import reflex as rx

from smartspec_app.api.origins import cors_allowed_origins
from smartspec_app.frontend_build import BootAfterPaintPlugin, LeanRadixThemesPlugin
from smartspec_app.settings import get_settings

settings = get_settings()
settings.data_dir.mkdir(parents=True, exist_ok=True)

config = rx.Config(
    app_name="smartspec_app",
    db_url=settings.resolved_database_url,
    redis_url=settings.redis_url or None,
    # Without Redis, Reflex runs one backend process: sessions' states stay in its memory. The disk
    # manager would rescan its whole directory (a file per state per session) after every debounced
    # write, a third of a core at 500 open pages; the sign-in lives in the browser's localStorage, so a
    # restarted backend loses nothing a page cannot hydrate again. With Redis, Reflex uses Redis.
    **({} if settings.redis_url else {"state_manager_mode": rx.constants.StateManagerMode.MEMORY}),
    # Reflex answers CORS with credentials allowed; its default `*` would echo any page's origin. Only the
    # configured ones (CORS_ORIGINS; none by default: same origin only). api/origins.py
    cors_allowed_origins=cors_allowed_origins(settings),
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        LeanRadixThemesPlugin(theme=rx.theme(accent_color="violet", radius="large")),
        rx.plugins.SitemapPlugin(),
        BootAfterPaintPlugin(),
    ],
    # the build writes .br and .gz beside every text file; Reflex serves the one the browser accepts
    frontend_compression_formats=["brotli", "gzip"],
    # pages import the component libraries they use, not every library's whole namespace (no
    # dynamic components here read window.__reflex)
    frontend_lazy_bundled_libraries=True,
)
