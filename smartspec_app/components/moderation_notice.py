"""What the author sees of their item's moderation: the panel on the item page (with the one re-review
request) and the line on their cards in "My gallery"."""

from __future__ import annotations

import reflex as rx

from smartspec_app.state.gallery import GalleryCard
from smartspec_app.state.gallery_item import GalleryItemState

STATE_COLORS = (("approved", "green"), ("rejected", "red"), ("flagged", "orange"), ("nsfw", "orange"), ("reported", "orange"))


def _review_dialog() -> rx.Component:
    state = GalleryItemState
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("message_square_reply", size=16), "Ask for a re-review", variant="soft", id="request-review")),
        rx.dialog.content(
            rx.dialog.title("Ask a moderator to look again"),
            rx.dialog.description(
                "You can ask once for this item. Tell the moderators what they should know (optional).", size="2", margin_bottom="1em"
            ),
            rx.form(
                rx.vstack(
                    rx.text_area(
                        name="note", id="review-note", rows="4", max_length=1000, width="100%", placeholder="Why it should be shown"
                    ),
                    rx.cond(state.review_error != "", rx.text(state.review_error, color_scheme="red", size="2", id="review-error")),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Send the request", type="submit", id="review-submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=state.request_review,
            ),
        ),
        open=state.review_dialog_open,
        on_open_change=state.set_review_dialog_open,
    )


def moderation_panel() -> rx.Component:
    """The item page, for its author (and admins): status, the reason, the detector's labels, the request."""
    notice = GalleryItemState.moderation
    return rx.cond(
        notice.shown,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text("Moderation", size="2", weight="medium"),
                    rx.badge(notice.state, color_scheme=rx.match(notice.state, *STATE_COLORS, "gray"), id="moderation-state"),
                    rx.cond(notice.listed, rx.badge("in the public gallery", color_scheme="green", variant="soft")),
                    align="center",
                    wrap="wrap",
                ),
                rx.text(notice.headline, weight="medium", size="2", id="moderation-headline"),
                rx.cond(notice.reason != "", rx.text(notice.reason, size="2", id="moderation-explanation")),
                rx.cond(
                    notice.labels.length() > 0,
                    rx.hstack(
                        rx.foreach(notice.labels, lambda label: rx.badge(label, color_scheme="orange")), wrap="wrap", id="moderation-labels"
                    ),
                ),
                rx.cond(
                    notice.review_requested != "",
                    rx.text(
                        "You asked for a re-review on ",
                        notice.review_requested,
                        rx.cond(notice.review_open, ": a moderator will look again.", "; a moderator has decided since."),
                        size="2",
                        color_scheme="gray",
                        id="review-requested",
                    ),
                ),
                rx.cond(notice.can_request_review & GalleryItemState.is_author, _review_dialog()),
                spacing="2",
                width="100%",
            ),
            width="100%",
            id="moderation-notice",
        ),
    )


def card_notice(card: rx.Var[GalleryCard]) -> rx.Component:
    """The author's own cards: where an item that is not simply approved stands, and why."""
    return rx.cond(
        card.moderation_headline != "",
        rx.vstack(
            rx.text(card.moderation_headline, size="1", weight="medium", color_scheme="orange"),
            rx.cond(card.moderation_reason != "", rx.text(card.moderation_reason, size="1", color_scheme="gray", class_name="card-reason")),
            spacing="0",
            class_name="card-moderation",
            width="100%",
        ),
    )
