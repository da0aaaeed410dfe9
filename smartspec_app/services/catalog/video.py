"""Video models. Fields and defaults from the model's docs.kie.ai page (`docs_url`); prices are kie.ai's
published credit prices (https://kie.ai/pricing, seen 2026-06-09)."""

from __future__ import annotations

from smartspec_app.services.catalog.params import resolution
from smartspec_app.services.catalog.spec import CreditRule, ModelSpec, ParamSpec

VIDEO_MODELS: tuple[ModelSpec, ...] = (
    # `multi_shots` is documented only for the Wan 2.6 flash image/video-to-video models, so it is not sent here.
    ModelSpec(
        id="wan/2-6-text-to-video",
        name="Wan 2.6",
        task_type="video",
        vendor="Alibaba",
        description="Alibaba Wan 2.6: 5 to 15 second clips at 720p or 1080p.",
        docs_url="https://docs.kie.ai/market/wan/2-6-text-to-video",
        prompt_field="prompt",
        min_prompt_chars=1,
        max_prompt_chars=5000,
        params=(
            ParamSpec(
                name="duration",
                label="Duration (seconds)",
                kind="select",
                default="5",
                options=("5", "10", "15"),
                help="Length of the clip.",
            ),
            resolution(("720p", "1080p"), "1080p"),
        ),
        output_ext="mp4",
        credits_per_task=104.5,
        credit_rules=(
            CreditRule((("resolution", "720p"), ("duration", "5")), 70),
            CreditRule((("resolution", "720p"), ("duration", "10")), 140),
            CreditRule((("resolution", "720p"), ("duration", "15")), 210),
            CreditRule((("resolution", "1080p"), ("duration", "5")), 104.5),
            CreditRule((("resolution", "1080p"), ("duration", "10")), 209.5),
            CreditRule((("resolution", "1080p"), ("duration", "15")), 315),
        ),
        size_param="resolution",
        size_tiers=(("720p", 720), ("1080p", 1080)),
        size_side="shorter",
    ),
)
