"""The admin pages' sub-navigation: settings, moderation, analytics, credits, audit log."""

from __future__ import annotations

import reflex as rx

from smartspec_app.state.auth import AuthState

ADMIN_PAGES = (
    ("settings", "Settings", "/admin"),
    ("moderation", "Moderation", "/admin/moderation"),
    ("analytics", "Analytics", "/admin/analytics"),
    ("credits", "Credits", "/admin/credits"),
    ("audit", "Audit log", "/admin/audit"),
)


def admin_nav(current: str) -> rx.Component:
    """Shown to admins only (the pages themselves refuse everyone else on the server)."""
    links = rx.hstack(
        *[
            rx.link(
                rx.button(label, variant="solid" if key == current else "soft", size="2"),
                href=href,
                id=f"admin-nav-{key}",
            )
            for key, label, href in ADMIN_PAGES
        ],
        spacing="2",
        wrap="wrap",
        id="admin-nav",
    )
    return rx.cond(AuthState.is_admin, links)


def denied_callout() -> rx.Component:
    return rx.callout("This page is for admins.", icon="lock", color_scheme="red", id="admin-denied")
