"""Builds the Reflex app: pages, the REST/sandbox/media routes, and the in-process task consumer."""

from __future__ import annotations

import contextlib
import logging
import os

import reflex as rx

import smartspec_app.models  # noqa: F401  (declares the tables; see below)
from smartspec_app import search_schema
from smartspec_app.api import build_api
from smartspec_app.api.origins import let_guard_check_socket_origins
from smartspec_app.pages.account import account_page
from smartspec_app.pages.admin import admin_page
from smartspec_app.pages.admin_analytics import admin_analytics_page
from smartspec_app.pages.admin_audit import admin_audit_page
from smartspec_app.pages.admin_credits import admin_credits_page
from smartspec_app.pages.admin_moderation import admin_moderation_page
from smartspec_app.pages.auth import login_page, signup_page
from smartspec_app.pages.gallery import gallery_page
from smartspec_app.pages.gallery_item import gallery_item_page
from smartspec_app.pages.generate import generate_page
from smartspec_app.pages.generations import generations_page
from smartspec_app.pages.index import index_page
from smartspec_app.pages.not_found import NOT_FOUND_DESCRIPTION, NOT_FOUND_TITLE, not_found_page
from smartspec_app.pages.sdk import sdk_page
from smartspec_app.settings import get_settings
from smartspec_app.state.account import AccountState
from smartspec_app.state.admin import AdminState
from smartspec_app.state.analytics import AnalyticsState
from smartspec_app.state.auth import AuthState
from smartspec_app.state.credits import AdminCreditsState, CreditsState
from smartspec_app.state.gallery import GalleryState
from smartspec_app.state.gallery_item import GalleryItemState
from smartspec_app.state.generation import GenerationState
from smartspec_app.state.history import HistoryState
from smartspec_app.state.moderation import AuditState, ModerationState
from smartspec_app.state.sdk import SdkState

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

# No rx.ModelRegistry.register(...) for our tables: `reflex db` reads the registry, which always holds
# rx.Model, whose metadata is SQLModel.metadata, where every table of models.py already is. Registering
# the table classes made Reflex merge that one metadata once per class, and SQLAlchemy warned
# "Table ... already exists within the given MetaData" for every table at every start.
search_schema.ignore_in_autogenerate()  # the full-text index lives outside the models (search_schema.py)


def _point_worker_at_this_backend() -> None:
    """The worker reaches the sandbox over HTTP; default to this backend's own address."""
    if not os.environ.get("SMARTSPEC_INTERNAL_URL"):
        api_url = rx.config.get_config().api_url.replace("localhost", "127.0.0.1")
        os.environ["SMARTSPEC_INTERNAL_URL"] = api_url
        get_settings.cache_clear()


@contextlib.asynccontextmanager
async def task_consumer():
    if not get_settings().worker_in_process:
        yield
        return
    from smartspec_app.services.worker import embedded_consumer

    with embedded_consumer():
        yield


@contextlib.asynccontextmanager
async def sandbox_callbacks():
    """The sandbox keeps one HTTP client for its callbacks; close it when the backend stops."""
    yield
    from smartspec_app.api.sandbox import close_callback_client

    await close_callback_client()


_point_worker_at_this_backend()

app = rx.App(api_transformer=build_api())  # the theme is RadixThemesPlugin's, in rxconfig.py
let_guard_check_socket_origins(app.sio)  # api/origins.py: the guard knows the site's own origin, engineio's list does not
app.register_lifespan_task(task_consumer)
app.register_lifespan_task(sandbox_callbacks)
app.add_page(
    index_page,
    route="/",
    title="SmartSpec Pro — AI images, video and speech",
    description="Generate images, videos and speech from one prompt with kie.ai's models, watch the progress live, "
    "share the results to a public gallery and call the same service from your code.",
    on_load=AuthState.load_user,
)
app.add_page(
    signup_page,
    route="/signup",
    title="Sign up · SmartSpec Pro",
    description="Create a SmartSpec Pro account to generate AI images, videos and speech and share them.",
    on_load=AuthState.clear_auth_error,
)
app.add_page(
    login_page,
    route="/login",
    title="Log in · SmartSpec Pro",
    description="Log in to SmartSpec Pro to generate AI images, videos and speech.",
    on_load=AuthState.clear_auth_error,
)
app.add_page(
    generate_page,
    route="/generate",
    title="Generate · SmartSpec Pro",
    description="Generate images, videos and speech with kie.ai models.",
    on_load=GenerationState.on_load,
)
app.add_page(generations_page, route="/generations", title="My generations · SmartSpec Pro", on_load=HistoryState.on_load)
app.add_page(account_page, route="/account", title="Account · SmartSpec Pro", on_load=[AccountState.on_load, CreditsState.on_load])
app.add_page(admin_page, route="/admin", title="Admin · SmartSpec Pro", on_load=AdminState.on_load)
app.add_page(admin_moderation_page, route="/admin/moderation", title="Moderation · SmartSpec Pro", on_load=ModerationState.on_load)
app.add_page(admin_analytics_page, route="/admin/analytics", title="Analytics · SmartSpec Pro", on_load=AnalyticsState.on_load)
app.add_page(admin_credits_page, route="/admin/credits", title="Credits · SmartSpec Pro", on_load=AdminCreditsState.on_load)
app.add_page(admin_audit_page, route="/admin/audit", title="Audit log · SmartSpec Pro", on_load=AuditState.on_load)
app.add_page(
    sdk_page,
    route="/sdk",
    title="SDKs · SmartSpec Pro",
    description="Python, JavaScript, TypeScript and React clients for the SmartSpec Pro API.",
    on_load=SdkState.on_load,
)
GALLERY_DESCRIPTION = "AI images, videos and speech shared by SmartSpec Pro creators."
app.add_page(gallery_page, route="/gallery", title="Gallery · SmartSpec Pro", description=GALLERY_DESCRIPTION, on_load=GalleryState.on_load)
for gallery_route in ("/gallery/category/[gallery_category]", "/gallery/tag/[gallery_tag]", "/gallery/user/[gallery_user]"):
    app.add_page(gallery_page, route=gallery_route, title="Gallery · SmartSpec Pro", on_load=GalleryState.on_load)
app.add_page(gallery_item_page, route="/gallery/[gallery_slug]", title=GalleryItemState.page_title, on_load=GalleryItemState.on_load)
# every path no page has: the server answers 404 with the same page in plain HTML (api/not_found.py)
app.add_page(not_found_page, route="404", title=NOT_FOUND_TITLE, description=NOT_FOUND_DESCRIPTION, on_load=AuthState.load_user)
