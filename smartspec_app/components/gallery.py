"""Gallery pieces: media cards, the filter bar, the item's media player, like and share buttons."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.brand_icons import FACEBOOK_LOGO, X_LOGO, brand_icon
from smartspec_app.components.moderation_notice import card_notice
from smartspec_app.components.wording import counted
from smartspec_app.services.pictures import CARD_SIZES, ITEM_SIZES
from smartspec_app.services.seo import EAGER_CARDS
from smartspec_app.state.gallery import REMOVE_SEO_BLOCK, GalleryCard, GalleryState
from smartspec_app.state.gallery_item import GalleryItemState

MEDIA_ICONS = (("video", "film"), ("audio", "audio_lines"))
VISIBILITY_COLORS = (("public", "green"), ("unlisted", "amber"), ("private", "gray"))


def _placeholder(media_type: rx.Var[str]) -> rx.Component:
    return rx.center(
        rx.match(media_type, ("video", rx.icon("film", size=40)), ("audio", rx.icon("audio_lines", size=40)), rx.icon("image", size=40)),
        width="100%",
        height="100%",
        background="var(--gray-a3)",
    )


def picture(
    src: rx.Var[str], srcset: rx.Var[str], width: rx.Var[int], height: rx.Var[int], alt: rx.Var[str], sizes: str, **props
) -> rx.Component:
    """<img> with the renditions' srcset and the picture's own dimensions (no layout shift while it loads)."""
    return rx.el.img(
        src=src,
        src_set=srcset,
        sizes=sizes,
        alt=alt,
        custom_attrs=_size_attrs(width, height) | props.pop("custom_attrs", {}),
        **props,
    )


def _size_attrs(width: rx.Var[int], height: rx.Var[int]) -> dict[str, rx.Var]:
    """width/height attributes when the picture's size is known (0: leave them out)."""
    return {"width": rx.cond(width > 0, width, None), "height": rx.cond(height > 0, height, None)}


def reveal_when_loaded(loaded: rx.Var[bool]) -> rx.Component:
    """Once the page has its data: remove the server-rendered page that stood in for it (api/gallery_pages.py)."""
    return rx.cond(loaded, rx.box(on_mount=rx.run_script(REMOVE_SEO_BLOCK), display="none"))


def _picture(card: rx.Var[GalleryCard], index: rx.Var[int]) -> rx.Component:
    return rx.box(
        rx.cond(
            card.picture_src != "",
            picture(
                card.picture_src,
                card.picture_srcset,
                card.picture_width,
                card.picture_height,
                card.title,
                CARD_SIZES,
                # the first row is in view on any screen: fetched at once, the very first at high priority
                loading=rx.cond(index < EAGER_CARDS, "eager", "lazy"),
                custom_attrs={"fetchPriority": rx.cond(index == 0, "high", "auto")},
                style={"width": "100%", "height": "100%", "objectFit": "cover", "display": "block"},
            ),
            _placeholder(card.media_type),
        ),
        width="100%",
        aspect_ratio="1",
        overflow="hidden",
        border_radius="8px",
        position="relative",
    )


def _visibility_menu(card: rx.Var[GalleryCard]) -> rx.Component:
    return rx.hstack(
        rx.badge(card.visibility, color_scheme=rx.match(card.visibility, *VISIBILITY_COLORS, "gray"), class_name="visibility-badge"),
        rx.cond(card.moderation_status != "approved", rx.badge(card.moderation_status, color_scheme="orange")),
        rx.spacer(),
        rx.select(
            ["public", "unlisted", "private"],
            value=card.visibility,
            size="1",
            on_change=lambda value: GalleryState.set_visibility(card.id, value),
        ),
        width="100%",
        align="center",
    )


def media_card(card: rx.Var[GalleryCard], index: rx.Var[int]) -> rx.Component:
    """A grid card: picture, title, author, likes; the author's own page adds visibility controls."""
    return rx.card(
        rx.vstack(
            rx.link(_picture(card, index), href=card.href, width="100%"),
            rx.link(rx.text(card.title, weight="medium", trim="end", class_name="card-title"), href=card.href, underline="none"),
            rx.hstack(
                rx.link(card.author, href="/gallery/user/" + card.author, size="2", color_scheme="gray"),
                rx.spacer(),
                rx.match(card.media_type, *[(kind, rx.icon(icon, size=14)) for kind, icon in MEDIA_ICONS], rx.fragment()),
                rx.icon("heart", size=14),
                rx.text(card.likes_count, size="2", class_name="card-likes"),
                width="100%",
                align="center",
                spacing="2",
            ),
            rx.cond(GalleryState.own_view, rx.vstack(_visibility_menu(card), card_notice(card), spacing="1", width="100%")),
            spacing="2",
            width="100%",
        ),
        class_name="gallery-card",
        width="100%",
    )


def search_box() -> rx.Component:
    """Full-text search of the listing (GalleryState.search puts it in the URL as ?q=)."""
    return rx.form(
        rx.hstack(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                name="q",
                type="search",
                default_value=GalleryState.search_text,
                key=GalleryState.search_text,  # a new search (or a cleared one) resets the box
                placeholder="Search titles, prompts, tags…",
                max_length=200,
                aria_label="Search the gallery",
                id="gallery-search",
                width="100%",
            ),
            rx.button("Search", type="submit", variant="soft", id="gallery-search-button"),
            width="100%",
        ),
        on_submit=GalleryState.search,
        role="search",
        width="100%",
    )


def search_summary() -> rx.Component:
    return rx.cond(
        GalleryState.search_text != "",
        rx.hstack(
            rx.text(
                counted(GalleryState.total, "result") + " for “",
                rx.text.strong(GalleryState.search_text),
                "”",
                size="2",
                id="search-summary",
            ),
            rx.button("Clear search", variant="ghost", size="1", on_click=GalleryState.search({"q": ""}), id="clear-search"),
            align="center",
            spacing="3",
        ),
    )


def filter_bar() -> rx.Component:
    return rx.hstack(
        rx.segmented_control.root(
            rx.segmented_control.item("All", value="all"),
            rx.segmented_control.item("Images", value="image"),
            rx.segmented_control.item("Videos", value="video"),
            rx.segmented_control.item("Audio", value="audio"),
            value=GalleryState.media_filter,
            on_change=GalleryState.set_media_filter,
            id="media-filter",
        ),
        rx.spacer(),
        rx.select.root(
            rx.select.trigger(id="category-filter", aria_label="Category"),
            rx.select.content(rx.foreach(GalleryState.category_options, lambda o: rx.select.item(o["label"], value=o["value"]))),
            value=GalleryState.category_filter,
            on_change=GalleryState.choose_category,
        ),
        rx.select.root(
            rx.select.trigger(id="sort-select", aria_label="Sort by"),
            rx.select.content(rx.foreach(GalleryState.sort_options, lambda o: rx.select.item(o["label"], value=o["value"]))),
            value=GalleryState.sort_by,
            on_change=GalleryState.set_sort,
        ),
        width="100%",
        align="center",
        wrap="wrap",
        spacing="3",
    )


def _item_picture(alt: rx.Var[str], element_id: str) -> rx.Component:
    item = GalleryItemState.item
    return picture(
        item.picture_src,
        item.picture_srcset,
        item.picture_width,
        item.picture_height,
        alt,
        ITEM_SIZES,
        id=element_id,
        custom_attrs={"fetchPriority": "high"},  # the page's largest picture: never lazy
        style={"width": "100%", "height": "auto", "borderRadius": "8px", "display": "block"},
    )


def item_media() -> rx.Component:
    item = GalleryItemState.item
    size = _size_attrs(item.picture_width, item.picture_height)
    return rx.match(
        item.media_type,
        (
            "video",
            rx.el.video(
                src=item.media_url,
                poster=item.picture_src,
                controls=True,
                preload="none",
                id="item-video",
                custom_attrs=size,
                style={"width": "100%", "height": "auto"},
            ),
        ),
        (
            "audio",
            rx.vstack(
                rx.cond(item.picture_src != "", _item_picture(item.title, "item-waveform")),
                rx.el.audio(src=item.media_url, controls=True, preload="none", id="item-audio", style={"width": "100%"}),
                width="100%",
            ),
        ),
        _item_picture(item.prompt, "item-image"),
    )


def like_button() -> rx.Component:
    return rx.button(
        rx.icon("heart", fill=rx.cond(GalleryItemState.liked, "currentColor", "none")),
        rx.text(GalleryItemState.likes_count, id="like-count"),
        id="like-button",
        variant=rx.cond(GalleryItemState.liked, "solid", "outline"),
        color_scheme="crimson",
        aria_pressed=GalleryItemState.liked,
        on_click=GalleryItemState.toggle_like,
    )


def _share_link(label: str, icon: rx.Component, href: rx.Var[str], element_id: str) -> rx.Component:
    return rx.link(
        rx.button(icon, label, variant="soft", size="2"),
        href=href,
        is_external=True,
        id=element_id,
    )


def share_buttons() -> rx.Component:
    return rx.hstack(
        rx.button(rx.icon("link", size=16), "Copy link", variant="soft", size="2", id="copy-link", on_click=GalleryItemState.copy_link),
        _share_link("X", brand_icon(X_LOGO), GalleryItemState.share_x_url, "share-x"),
        _share_link("Facebook", brand_icon(FACEBOOK_LOGO), GalleryItemState.share_facebook_url, "share-facebook"),
        _share_link("Reddit", rx.icon("message_circle", size=16), GalleryItemState.share_reddit_url, "share-reddit"),
        wrap="wrap",
        spacing="2",
    )
