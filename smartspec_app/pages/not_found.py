"""Any path no page has (Reflex's "404" route): say so, with the navigation and the way home.

The server answers such a path with status 404 and the same page in plain HTML (api/not_found.py);
this live page replaces it once the app has started."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.nav import page_frame
from smartspec_app.state.gallery import REMOVE_SEO_BLOCK

NOT_FOUND_TITLE = "Page not found · SmartSpec Pro"
NOT_FOUND_DESCRIPTION = "There is no page at this address."


def not_found_page() -> rx.Component:
    return page_frame(
        rx.heading("Page not found", size="7", id="not-found"),
        rx.text("There is no page at this address: it may have moved, or the link has a typo.", color_scheme="gray"),
        rx.hstack(
            rx.link(rx.button("Back to the home page", size="3"), href="/", id="not-found-home"),
            rx.link(rx.button("Browse the gallery", size="3", variant="soft"), href="/gallery"),
            spacing="3",
            wrap="wrap",
        ),
        rx.box(on_mount=rx.run_script(REMOVE_SEO_BLOCK), display="none"),  # the server-rendered page gives way (no eval: CSP)
    )
