"""/: what the product does, and the way in."""

from __future__ import annotations

import reflex as rx

from smartspec_app.components.nav import page_frame

FEATURES = [
    ("image", "Images", "Nano Banana Pro, FLUX 2, Seedream, Imagen 4 — aspect ratio, resolution, several at once."),
    ("film", "Video", "Wan 2.6 text-to-video, 5 to 15 seconds, 720p or 1080p."),
    ("audio_lines", "Speech", "ElevenLabs text-to-speech with a choice of voices, stability and speed."),
]


def index_page() -> rx.Component:
    return page_frame(
        rx.vstack(
            rx.heading("Images, video and speech from one prompt", size="8"),
            rx.text(
                "SmartSpec Pro runs kie.ai's generation models in the background and streams their progress live. "
                "Share results to a public gallery and call the same service from your own code.",
                size="4",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.link(rx.button("Start generating", size="3"), href="/generate"),
                rx.link(rx.button("Create an account", size="3", variant="soft"), href="/signup"),
            ),
            spacing="4",
            padding_y="2em",
        ),
        rx.grid(
            *[rx.card(rx.vstack(rx.icon(icon), rx.heading(title, size="4"), rx.text(text, size="2"))) for icon, title, text in FEATURES],
            columns=rx.breakpoints(initial="1", md="3"),
            spacing="4",
            width="100%",
        ),
    )
