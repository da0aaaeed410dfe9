"""The gallery's forms: "Share to gallery" on every completed task, and the author's edit dialog."""

from __future__ import annotations

import reflex as rx

from smartspec_app.models import GalleryVisibility
from smartspec_app.state.gallery_item import GalleryItemState
from smartspec_app.state.gallery_share import GalleryShareState

VISIBILITY_HELP = "Public: listed and findable. Unlisted: anyone with the link. Private: only you."


def _labelled(label: str, control: rx.Component, error: rx.Component | None = None) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, error or rx.fragment(), spacing="1", width="100%")


def _field_error(state_error: rx.Var[str], state_field: rx.Var[str], name: str) -> rx.Component:
    return rx.cond(state_field == name, rx.text(state_error, size="1", color_scheme="red", class_name="field-error"))


def _category_select(options: rx.Var, value: rx.Var[str] | str, element_id: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id=element_id, width="100%"),
        rx.select.content(rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["value"]))),
        name="category",
        default_value=value,
    )


def _visibility_select(value: rx.Var[str] | str, element_id: str) -> rx.Component:
    return rx.select(list(GalleryVisibility.ALL), name="visibility", default_value=value, id=element_id, width="100%")


def share_button(task_id: rx.Var[str], prompt: rx.Var[str], element_id: str = "", size: str = "2") -> rx.Component:
    """Opens `share_dialog` (once on the page) for one completed task."""
    return rx.button(
        rx.icon("share_2", size=16 if size == "2" else 14),
        "Share to gallery",
        id=element_id or None,
        class_name="share-to-gallery",
        variant="soft",
        size=size,
        title="Publish this result to the gallery",
        on_click=GalleryShareState.open_share(task_id, prompt),
    )


def share_dialog() -> rx.Component:
    state = GalleryShareState
    form = rx.form(
        rx.vstack(
            _labelled(
                "Title",
                rx.input(name="title", id="share-title", default_value=state.share_title, required=True, max_length=120, width="100%"),
                _field_error(state.share_error, state.share_field, "title"),
            ),
            _labelled(
                "Description",
                rx.text_area(name="description", id="share-description", rows="3", width="100%"),
                _field_error(state.share_error, state.share_field, "description"),
            ),
            rx.hstack(
                _labelled("Category", _category_select(state.category_options, "general", "share-category")),
                _labelled("Visibility", _visibility_select("public", "share-visibility")),
                width="100%",
                spacing="3",
            ),
            rx.text(VISIBILITY_HELP, size="1", color_scheme="gray"),
            _labelled(
                "Tags (comma-separated)",
                rx.input(name="tags", id="share-tags", placeholder="landscape, watercolor", width="100%"),
                _field_error(state.share_error, state.share_field, "tags"),
            ),
            rx.cond(
                (state.share_error != "") & (state.share_field == ""),
                rx.callout(state.share_error, color_scheme="red", icon="triangle_alert", id="share-error", width="100%"),
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                rx.button("Share", type="submit", id="share-submit"),
                justify="end",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=state.share,
        reset_on_submit=False,
    )
    return rx.dialog.root(
        rx.dialog.content(rx.dialog.title("Share to the gallery"), form, max_width="32em"),
        open=state.share_open,
        on_open_change=state.set_share_open,
    )


def edit_dialog() -> rx.Component:
    state = GalleryItemState
    item = state.item
    form = rx.form(
        rx.vstack(
            _labelled(
                "Title",
                rx.input(name="title", id="edit-title", default_value=item.title, required=True, max_length=120, width="100%"),
                _field_error(state.edit_error, state.edit_field, "title"),
            ),
            _labelled(
                "Description",
                rx.text_area(name="description", id="edit-description", default_value=item.description, rows="3", width="100%"),
                _field_error(state.edit_error, state.edit_field, "description"),
            ),
            rx.hstack(
                _labelled("Category", _category_select(state.category_options, item.category, "edit-category")),
                _labelled("Visibility", _visibility_select(item.visibility, "edit-visibility")),
                width="100%",
                spacing="3",
            ),
            rx.text(VISIBILITY_HELP, size="1", color_scheme="gray"),
            _labelled(
                "Tags (comma-separated)",
                rx.input(name="tags", id="edit-tags", default_value=item.tags.join(", "), width="100%"),
                _field_error(state.edit_error, state.edit_field, "tags"),
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                rx.button("Save", type="submit", id="edit-submit"),
                justify="end",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=state.save_edit,
        reset_on_submit=False,
    )
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("pencil", size=16), "Edit", variant="soft", id="edit-item")),
        rx.dialog.content(rx.dialog.title("Edit this item"), form, max_width="32em"),
        open=state.edit_open,
        on_open_change=state.set_edit_open,
    )


def delete_dialog() -> rx.Component:
    """The author's "Delete" with a confirmation: the item, its likes and its media go for good."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(rx.icon("trash_2", size=16), "Delete", color_scheme="red", variant="soft", id="delete-item")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this item?"),
            rx.alert_dialog.description("It leaves the gallery with its likes and views; links to it stop working."),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Delete", color_scheme="red", id="confirm-delete-item", on_click=GalleryItemState.delete_item)
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
    )
