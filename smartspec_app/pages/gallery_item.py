"""/gallery/[gallery_slug]: the media, its prompt and model, the author, tags, likes, sharing, "Generate similar"."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.gallery import item_media, like_button, reveal_when_loaded, share_buttons
from smartspec_app.components.gallery_forms import delete_dialog, edit_dialog
from smartspec_app.components.moderation_notice import moderation_panel
from smartspec_app.components.nav import page_frame
from smartspec_app.components.report_dialog import report_dialog
from smartspec_app.components.wording import counted
from smartspec_app.state.gallery_item import GalleryItemState


def _detail(label: str, value: rx.Component | rx.Var | str) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray", weight="medium"), value, spacing="0", width="100%")


def _details() -> rx.Component:
    item = GalleryItemState.item
    return rx.vstack(
        rx.heading(item.title, size="7", id="item-title"),
        rx.hstack(
            rx.link(item.author, href="/gallery/user/" + item.author, id="item-author", weight="medium"),
            rx.text("·", color_scheme="gray"),
            rx.link(item.category_label, href="/gallery/category/" + item.category, color_scheme="gray"),
            rx.text("·", color_scheme="gray"),
            rx.text(item.created_at, color_scheme="gray", size="2"),
            align="center",
            wrap="wrap",
        ),
        rx.cond(item.visibility != "public", rx.badge(item.visibility, color_scheme="amber", id="item-visibility")),
        moderation_panel(),
        rx.cond(item.description != "", rx.text(item.description, id="item-description")),
        _detail("Prompt", rx.text(item.prompt, id="item-prompt", size="2")),
        _detail("Model", rx.text(item.model_name, id="item-model", size="2")),
        rx.cond(
            item.tags.length() > 0,
            rx.hstack(
                rx.foreach(item.tags, lambda tag: rx.link(rx.badge("#" + tag, variant="soft"), href="/gallery/tag/" + tag)),
                wrap="wrap",
                id="item-tags",
            ),
        ),
        rx.hstack(
            like_button(),
            rx.text(counted(item.views_count, "view"), size="2", color_scheme="gray", id="view-count"),
            rx.spacer(),
            rx.link(rx.button(rx.icon("sparkles", size=16), "Generate similar"), href=GalleryItemState.generate_similar_url, id="similar"),
            width="100%",
            align="center",
        ),
        share_buttons(),
        rx.cond(GalleryItemState.is_owner, rx.hstack(edit_dialog(), delete_dialog(), spacing="3")),
        rx.cond(~GalleryItemState.is_owner, report_dialog()),
        spacing="3",
        width="100%",
        align="start",
    )


def gallery_item_page() -> rx.Component:
    return page_frame(
        rx.cond(
            GalleryItemState.found,
            rx.grid(
                rx.box(item_media(), width="100%"),
                _details(),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="6",
                width="100%",
                id="gallery-item",
            ),
            rx.cond(
                GalleryItemState.loaded,
                rx.callout(
                    "This gallery item does not exist or is not shared with you.",
                    icon="circle_alert",
                    color_scheme="gray",
                    id="item-missing",
                ),
                rx.center(rx.spinner(size="3"), width="100%", padding="4em"),
            ),
        ),
        reveal_when_loaded(GalleryItemState.loaded),
    )
