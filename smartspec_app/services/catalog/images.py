"""Image models. Every field, range and default is the model's docs.kie.ai page (`docs_url`); prices are
kie.ai's published credit prices (https://kie.ai/pricing, 1 credit = $0.005; seen 2026-06-09)."""

from __future__ import annotations

from smartspec_app.services.catalog.params import K_TIERS, aspect_ratio, num_images_as_tasks, optional_text, resolution
from smartspec_app.services.catalog.spec import CreditRule, ModelSpec, ParamSpec

NANO_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "auto")
# FLUX.2's `auto` matches an input image: its text-to-image models have none, so it is not offered.
FLUX_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3")
SEEDREAM_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "2:3", "3:2", "21:9")
IMAGEN_RATIOS = ("1:1", "16:9", "9:16", "3:4", "4:3")


def _flux(model_id: str, name: str, description: str, credits_1k: float, credits_2k: float) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        name=name,
        task_type="image",
        vendor="Black Forest Labs",
        description=description,
        docs_url=f"https://docs.kie.ai/market/flux2/{model_id.split('/', 1)[1]}",
        prompt_field="prompt",
        min_prompt_chars=3,
        max_prompt_chars=5000,
        params=(
            aspect_ratio(FLUX_RATIOS, required=True),
            resolution(("1K", "2K"), "1K", required=True),
            num_images_as_tasks(),
        ),
        output_ext="jpg",
        credits_per_task=credits_1k,
        credit_rules=(CreditRule((("resolution", "2K"),), credits_2k),),
        size_param="resolution",
        size_tiers=(("1K", 1024), ("2K", 2048)),
    )


def _negative_prompt() -> ParamSpec:
    return optional_text("negative_prompt", "Negative prompt", 5000, "What the image should not contain (optional).")


def _imagen(model_id: str, name: str, description: str, credits: float) -> ModelSpec:
    """Imagen 4 and Imagen 4 Ultra: one image per kie.ai task, `seed` is a string."""
    return ModelSpec(
        id=model_id,
        name=name,
        task_type="image",
        vendor="Google",
        description=description,
        docs_url=f"https://docs.kie.ai/market/{model_id}",
        prompt_field="prompt",
        min_prompt_chars=1,
        max_prompt_chars=5000,
        params=(
            aspect_ratio(IMAGEN_RATIOS),
            _negative_prompt(),
            optional_text("seed", "Seed", 500, "Optional: the same seed and prompt give the same image."),
            num_images_as_tasks(),
        ),
        output_ext="png",
        credits_per_task=credits,
    )


IMAGE_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="nano-banana-pro",
        name="Nano Banana Pro",
        task_type="image",
        vendor="Google",
        description="Gemini 3 Pro Image: sharp text, up to 4K, reference images.",
        docs_url="https://docs.kie.ai/market/google/pro-image-to-image",
        prompt_field="prompt",
        min_prompt_chars=1,
        max_prompt_chars=10_000,
        params=(
            aspect_ratio(NANO_RATIOS),
            resolution(("1K", "2K", "4K"), "1K"),
            ParamSpec(
                name="output_format",
                label="Output format",
                kind="select",
                default="png",
                options=("png", "jpg"),
            ),
            ParamSpec(
                name="image_input",
                label="Reference images",
                kind="text",
                default=(),
                help="Up to 8 image URLs (http/https), comma or newline separated.",
                list_of="url",
                max_items=8,
            ),
            num_images_as_tasks(),
        ),
        output_ext="png",
        credits_per_task=18,
        credit_rules=(CreditRule((("resolution", "4K"),), 24),),
        size_param="resolution",
        size_tiers=K_TIERS,
    ),
    _flux(
        "flux-2/pro-text-to-image",
        "FLUX.2 Pro",
        "Black Forest Labs' FLUX.2 Pro: fast, photorealistic text-to-image.",
        credits_1k=5,
        credits_2k=7,
    ),
    _flux(
        "flux-2/flex-text-to-image",
        "FLUX.2 Flex",
        "FLUX.2 Flex: finer control over typography and detail.",
        credits_1k=14,
        credits_2k=24,
    ),
    ModelSpec(
        id="seedream/4.5-text-to-image",
        name="Seedream 4.5",
        task_type="image",
        vendor="ByteDance",
        description="ByteDance Seedream 4.5: detailed, consistent images; 2K or 4K.",
        docs_url="https://docs.kie.ai/market/seedream/4.5-text-to-image",
        prompt_field="prompt",
        min_prompt_chars=1,
        max_prompt_chars=3000,
        params=(
            aspect_ratio(SEEDREAM_RATIOS, required=True),
            ParamSpec(
                name="quality",
                label="Quality",
                kind="select",
                default="basic",
                options=("basic", "high"),
                help="basic gives 2K images, high gives 4K.",
                required=True,
            ),
            num_images_as_tasks(),
        ),
        output_ext="jpg",
        credits_per_task=6.5,
        size_param="quality",
        size_tiers=(("basic", 2048), ("high", 4096)),
    ),
    _imagen("google/imagen4", "Imagen 4", "Google Imagen 4: balanced quality and speed.", 8),
    ModelSpec(
        id="google/imagen4-fast",
        name="Imagen 4 Fast",
        task_type="image",
        vendor="Google",
        description="Google Imagen 4 Fast: quick, low-cost drafts; up to 4 images in one task.",
        docs_url="https://docs.kie.ai/market/google/imagen4-fast",
        prompt_field="prompt",
        min_prompt_chars=1,
        max_prompt_chars=5000,
        params=(
            aspect_ratio(IMAGEN_RATIOS, "16:9"),
            _negative_prompt(),
            ParamSpec(
                name="num_images",
                label="Number of images",
                kind="select",
                default="1",
                options=("1", "2", "3", "4"),
                help="Imagen 4 Fast makes them all in one kie.ai task.",
            ),
            ParamSpec(
                name="seed",
                label="Seed",
                kind="integer",
                default=None,
                step=1,
                help="Optional whole number: the same seed and prompt give the same images.",
                omit_if_empty=True,
            ),
        ),
        output_ext="png",
        credits_per_task=4,  # kie.ai prices Imagen 4 Fast per request
        outputs_param="num_images",
    ),
    _imagen("google/imagen4-ultra", "Imagen 4 Ultra", "Google Imagen 4 Ultra: highest fidelity and prompt adherence.", 12),
)
