"""/generate: pick a kind and a model, write a prompt, set the model's parameters, Generate."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.forms import form_error, param_input
from smartspec_app.components.gallery_forms import share_dialog
from smartspec_app.components.nav import page_frame
from smartspec_app.components.tasks import current_task_panel, task_history
from smartspec_app.state.generation import GenerationState

KINDS = [("image", "Image", "image"), ("video", "Video", "film"), ("speech", "Speech", "audio_lines")]


def sandbox_notice() -> rx.Component:
    # callout.root + callout.text, not rx.callout(rx.text(...)): that nests a <p> in the callout's <p>,
    # which the browser's parser splits, so the prerendered page no longer hydrates (React error #418).
    return rx.cond(
        GenerationState.sandbox_mode,
        rx.callout.root(
            rx.callout.icon(rx.icon("info")),
            rx.callout.text(
                'Sandbox mode: no kie.ai key is set, so results are rendered locally (labelled "sandbox") '
                "by a kie.ai-compatible stand-in served by this app. To use the real models, set ",
                rx.code("KIE_AI_API_KEY"),
                " (from kie.ai → API keys) in the environment or .env and restart.",
            ),
            color_scheme="orange",
            id="sandbox-notice",
            width="100%",
        ),
    )


def generation_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.segmented_control.root(
                *[
                    rx.segmented_control.item(rx.hstack(rx.icon(icon, size=16), label, align="center"), value=value)
                    for value, label, icon in KINDS
                ],
                value=GenerationState.task_type,
                on_change=GenerationState.set_task_type,
                id="task-type",
            ),
            rx.vstack(
                rx.text("Model", size="2", weight="medium"),
                rx.select.root(
                    rx.select.trigger(id="model-select", width="100%"),
                    rx.select.content(rx.foreach(GenerationState.model_options, lambda m: rx.select.item(m["name"], value=m["id"]))),
                    value=GenerationState.model_id,
                    on_change=GenerationState.set_model_id,
                ),
                rx.text(GenerationState.model_description, size="1", color_scheme="gray"),
                spacing="1",
                width="100%",
            ),
            rx.vstack(
                rx.text(rx.cond(GenerationState.task_type == "speech", "Text to speak", "Prompt"), size="2", weight="medium"),
                rx.text_area(
                    value=GenerationState.prompt,
                    on_change=GenerationState.set_prompt,
                    id="prompt",
                    placeholder="A lighthouse on a cliff at dawn, watercolor",
                    rows="4",
                    width="100%",
                ),
                rx.text(
                    GenerationState.prompt.length().to_string() + " / " + GenerationState.prompt_limit.to_string(),
                    size="1",
                    color_scheme="gray",
                ),
                spacing="1",
                width="100%",
            ),
            rx.grid(
                rx.foreach(GenerationState.param_fields, param_input),
                columns=rx.breakpoints(initial="1", sm="2", md="3"),
                spacing="4",
                width="100%",
            ),
            form_error(GenerationState.form_error, "form-error"),
            rx.hstack(
                rx.button(
                    rx.icon("sparkles", size=16),
                    "Generate",
                    rx.cond(
                        GenerationState.price_label != "",
                        rx.text("· " + GenerationState.price_label, as_="span", id="generate-price"),
                    ),
                    id="generate-button",
                    size="3",
                    on_click=GenerationState.generate,
                    loading=GenerationState.submitting,
                    disabled=GenerationState.generate_blocked != "",
                ),
                rx.cond(
                    GenerationState.generate_blocked != "",
                    rx.text(GenerationState.generate_blocked, size="2", color_scheme="red", id="generate-blocked", role="status"),
                ),
                rx.link(
                    rx.text(
                        GenerationState.balance_label,
                        rx.cond(GenerationState.sandbox_mode, " (sandbox: charged in app credits, nothing at kie.ai)", ""),
                        size="2",
                        color_scheme="gray",
                    ),
                    href="/account#credits",
                    underline="hover",
                    id="credit-balance",
                ),
                align="center",
                spacing="4",
                wrap="wrap",
            ),
            spacing="4",
            width="100%",
        ),
        width="100%",
    )


def generate_page() -> rx.Component:
    return page_frame(
        rx.heading("Generate", size="7"),
        sandbox_notice(),
        generation_form(),
        current_task_panel(),
        task_history(),
        share_dialog(),  # "Share to gallery" of the current task and of every completed row
    )
