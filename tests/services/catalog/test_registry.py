"""Looking models up: kie.ai's ids, and the specification's `kie-ai/<id>` form of each."""

from __future__ import annotations

import pytest

from smartspec_app.services.catalog import CATALOG, KIE_PREFIX, canonical_model_id, get_model, validate_request
from smartspec_app.services.errors import ValidationError


@pytest.mark.parametrize("model_id", list(CATALOG))
def test_every_model_answers_to_the_kie_ai_prefix(model_id: str) -> None:
    assert get_model(f"kie-ai/{model_id}") is CATALOG[model_id]
    assert get_model(f"  KIE-AI/{model_id} ") is CATALOG[model_id]
    made = validate_request(CATALOG[model_id].task_type, f"{KIE_PREFIX}{model_id}", "a red fox in snow", {})
    assert made.model.id == model_id  # the canonical id is what is stored and listed


def test_the_specifications_request_validates_as_written() -> None:
    made = validate_request(
        "image", "kie-ai/nano-banana-pro", "A beautiful sunset over mountains", {"width": 1024, "height": 1024, "num_images": 1}
    )
    assert made.model.id == "nano-banana-pro"
    assert made.provider_inputs == [
        {
            "prompt": "A beautiful sunset over mountains",
            "aspect_ratio": "1:1",
            "resolution": "1K",
            "output_format": "png",
            "image_input": [],
        }
    ]


def test_canonical_model_id() -> None:
    assert canonical_model_id("kie-ai/wan/2-6-text-to-video") == "wan/2-6-text-to-video"
    assert canonical_model_id("wan/2-6-text-to-video") == "wan/2-6-text-to-video"


@pytest.mark.parametrize("bad", ["kie-ai/", "kie-ai/dall-e-9", "kieai/nano-banana-pro", "kie-ai/kie-ai/nano-banana-pro"])
def test_an_unknown_id_with_or_without_the_prefix_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        get_model(bad)
    assert info.value.field == "model_id" and "kie-ai/<id>" in info.value.message
