"""/gallery and its filtered routes (category, tag, user): a grid of media cards with filters and "Load more"."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.gallery import filter_bar, media_card, reveal_when_loaded, search_box, search_summary
from smartspec_app.components.nav import page_frame
from smartspec_app.state.auth import AuthState
from smartspec_app.state.gallery import GalleryState


def _empty() -> rx.Component:
    return rx.cond(
        GalleryState.not_found,
        rx.callout("Nothing to show here: " + GalleryState.list_error, icon="circle_alert", color_scheme="gray", id="gallery-missing"),
        rx.cond(
            GalleryState.search_text != "",
            rx.text("Nothing matches this search. Try fewer or other words.", color_scheme="gray", id="gallery-empty"),
            rx.text("Nothing shared here yet.", color_scheme="gray", id="gallery-empty"),
        ),
    )


def gallery_page() -> rx.Component:
    return page_frame(
        rx.hstack(
            rx.heading(GalleryState.heading, size="7", id="gallery-heading"),
            rx.spacer(),
            rx.cond(
                AuthState.signed_in & ~GalleryState.own_view,
                rx.link(rx.button("My gallery", variant="soft", id="my-gallery"), href="/gallery/user/" + AuthState.username),
            ),
            width="100%",
            align="center",
        ),
        rx.cond(GalleryState.own_view, rx.text("Everything you shared, whatever its visibility.", color_scheme="gray")),
        rx.cond(~GalleryState.own_view, rx.vstack(search_box(), filter_bar(), search_summary(), width="100%", spacing="3")),
        rx.cond(
            GalleryState.cards.length() > 0,
            rx.grid(
                rx.foreach(GalleryState.cards, lambda card, index: media_card(card, index)),
                columns=rx.breakpoints(initial="1", sm="2", md="3", lg="4"),
                spacing="4",
                width="100%",
                id="gallery-grid",
            ),
            _empty(),
        ),
        rx.cond(
            GalleryState.has_more,
            rx.center(rx.button("Load more", variant="soft", on_click=GalleryState.load_more, id="load-more"), width="100%"),
        ),
        reveal_when_loaded(GalleryState.loaded),
    )
