"""Form pieces: a field error line and the inputs a model parameter needs."""

from __future__ import annotations

import reflex as rx

from smartspec_app.state.generation import GenerationState, ParamField


def form_error(message: rx.Var, element_id: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", id=element_id, width="100%"),
    )


def param_input(field: rx.Var[ParamField]) -> rx.Component:
    """One model parameter, rendered by its kind (select, number, bool or text)."""
    value = GenerationState.param_values[field.name]
    control = rx.match(
        field.kind,
        (
            "select",
            rx.select(field.options, value=value, on_change=lambda v: GenerationState.set_param(field.name, v), width="100%"),
        ),
        (
            "searchable",
            rx.fragment(
                rx.input(
                    value=value,
                    on_change=lambda v: GenerationState.set_param(field.name, v),
                    placeholder="Type to search",
                    custom_attrs={"list": "options-" + field.name, "autocomplete": "off", "aria-label": field.label},
                    width="100%",
                ),
                rx.el.datalist(
                    rx.foreach(field.option_items, lambda item: rx.el.option(item["label"], value=item["value"])),
                    id="options-" + field.name,
                ),
            ),
        ),
        (
            "bool",
            rx.switch(checked=value == "true", on_change=lambda v: GenerationState.set_param(field.name, v)),
        ),
        (
            "text",
            rx.text_area(value=value, on_change=lambda v: GenerationState.set_param(field.name, v), rows="2", width="100%"),
        ),
        rx.input(
            type="number",
            value=value,
            min=field.minimum,
            max=field.maximum,
            step=field.step,
            on_change=lambda v: GenerationState.set_param(field.name, v),
            width="100%",
        ),
    )
    invalid = GenerationState.error_field == field.name
    return rx.vstack(
        rx.text(field.label, size="2", weight="medium"),
        rx.box(control, id="param-" + field.name, width="100%"),
        rx.cond(field.help != "", rx.text(field.help, size="1", color_scheme="gray")),
        rx.cond(invalid, rx.text(GenerationState.form_error, size="1", color_scheme="red")),
        spacing="1",
        width="100%",
        min_width="12em",
    )
