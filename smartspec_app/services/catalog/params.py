"""Parameter building blocks shared by several models (aspect ratio, resolution, image count, ...)."""

from __future__ import annotations

from smartspec_app.services.catalog.spec import ParamSpec

K_TIERS = (("1K", 1024), ("2K", 2048), ("4K", 4096))


def aspect_ratio(options: tuple[str, ...], default: str = "1:1", *, required: bool = False) -> ParamSpec:
    return ParamSpec(
        name="aspect_ratio",
        label="Aspect ratio",
        kind="select",
        default=default,
        options=options,
        help="Width:height of the result.",
        required=required,
    )


def resolution(options: tuple[str, ...], default: str, *, required: bool = False) -> ParamSpec:
    return ParamSpec(
        name="resolution",
        label="Resolution",
        kind="select",
        default=default,
        options=options,
        help="Output size tier; larger tiers cost more.",
        required=required,
    )


def num_images_as_tasks() -> ParamSpec:
    """How many images, for models whose kie.ai task makes one: each is a kie.ai task of its own."""
    return ParamSpec(
        name="num_images",
        label="Number of images",
        kind="integer",
        default=1,
        minimum=1,
        maximum=4,
        step=1,
        help="Each image is a separate kie.ai task.",
        send=False,
    )


def unit_interval(name: str, label: str, default: float, help_text: str) -> ParamSpec:
    """A number from 0 to 1 in steps of 0.01 (ElevenLabs' voice settings)."""
    return ParamSpec(
        name=name,
        label=label,
        kind="number",
        default=default,
        minimum=0.0,
        maximum=1.0,
        step=0.01,
        help=help_text,
    )


def optional_text(name: str, label: str, max_length: int, help_text: str) -> ParamSpec:
    """A free text field kie.ai documents as optional: left out of the input when empty."""
    return ParamSpec(
        name=name,
        label=label,
        kind="text",
        default="",
        max_length=max_length,
        help=help_text,
        omit_if_empty=True,
    )
