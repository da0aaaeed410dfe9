"""kie.ai's own check of createTask inputs (what the sandbox refuses): strict types, documented fields only."""

from __future__ import annotations

import itertools

import pytest

from smartspec_app.services.catalog import CATALOG, KieInputError, check_kie_input, validate_request

NANO = {"prompt": "a fox", "aspect_ratio": "1:1", "resolution": "1K", "output_format": "png", "image_input": []}
TURBO = "elevenlabs/text-to-speech-turbo-2-5"
MULTI = "elevenlabs/text-to-speech-multilingual-v2"


def refusal(model: object, input: object) -> str:
    with pytest.raises(KieInputError) as info:
        check_kie_input(model, input)
    return str(info.value)


def every_valid_request():
    """Requests the app accepts: every model with its defaults, and each select option of each model."""
    for model in CATALOG.values():
        yield model, {}
        for spec in model.params:
            for option in spec.options[:40]:
                yield model, {spec.name: option}


@pytest.mark.parametrize(("model", "params"), list(every_valid_request()), ids=itertools.count())
def test_whatever_the_app_sends_kie_ai_accepts(model, params) -> None:
    for body in validate_request(model.task_type, model.id, "a red fox in snow", params).provider_inputs:
        assert check_kie_input(model.id, body) is model


def test_the_documented_example_is_accepted() -> None:
    assert check_kie_input("nano-banana-pro", NANO).id == "nano-banana-pro"


@pytest.mark.parametrize(
    ("model", "input", "message"),
    [
        ("nano-banana-pro", {**NANO, "seed": 1}, "input.seed is not a field of nano-banana-pro"),
        ("nano-banana-pro", {**NANO, "resolution": "8K"}, "input.resolution must be one of 1K, 2K, 4K"),
        ("nano-banana-pro", {**NANO, "image_input": ["https://a.example/1.png"] * 9}, "at most 8 items"),
        ("nano-banana-pro", {**NANO, "image_input": "https://a.example/1.png"}, "input.image_input must be of type array"),
        ("nano-banana-pro", {**NANO, "prompt": "p" * 10_001}, "maximum length of 10000"),
        ("nano-banana-pro", {"aspect_ratio": "1:1"}, "input.prompt is required"),
        ("nano-banana-pro", {**NANO, "prompt": 5}, "input.prompt must be of type string"),
        ("flux-2/pro-text-to-image", {"prompt": "a fox", "aspect_ratio": "auto", "resolution": "1K"}, "input.aspect_ratio must be one of"),
        ("flux-2/pro-text-to-image", {"prompt": "a fox", "resolution": "1K"}, "input.aspect_ratio is required"),
        ("flux-2/pro-text-to-image", {"prompt": "ab", "aspect_ratio": "1:1", "resolution": "1K"}, "at least 3 characters"),
        ("seedream/4.5-text-to-image", {"prompt": "a fox", "aspect_ratio": "1:1"}, "input.quality is required"),
        ("google/imagen4-fast", {"prompt": "a fox", "num_images": 2}, "input.num_images must be of type string"),
        ("google/imagen4-fast", {"prompt": "a fox", "num_images": "5"}, "input.num_images must be one of 1, 2, 3, 4"),
        ("google/imagen4-fast", {"prompt": "a fox", "seed": "42"}, "input.seed must be of type integer"),
        ("google/imagen4", {"prompt": "a fox", "seed": 42}, "input.seed must be of type string"),
        ("google/imagen4", {"prompt": "a fox", "num_images": "2"}, "input.num_images is not a field of google/imagen4"),
        ("wan/2-6-text-to-video", {"prompt": "a fox", "duration": 5}, "input.duration must be of type string"),
        ("wan/2-6-text-to-video", {"prompt": "a fox", "multi_shots": False}, "input.multi_shots is not a field"),
        ("wan/2-6-text-to-video", {"prompt": "w" * 5001}, "maximum length of 5000"),
        (TURBO, {"text": "hi", "voice": "Rachel", "stability": 1.5}, "input.stability must be between 0 and 1"),
        (TURBO, {"text": "hi", "voice": "Rachel", "speed": 0.5}, "input.speed must be between 0.7 and 1.2"),
        (TURBO, {"text": "hi", "voice": "Rachel", "stability": "0.5"}, "input.stability must be of type number"),
        (TURBO, {"text": "hi", "voice": "Rachel", "timestamps": 1}, "input.timestamps must be of type boolean"),
        (TURBO, {"text": "hi", "voice": "HAL 9000"}, "input.voice must be one of"),
        (MULTI, {"text": "hi", "voice": "Rachel", "language_code": "de"}, "only Turbo v2.5 and Flash v2.5 support language enforcement"),
        (MULTI, {"text": "hi"}, "input.voice is required"),
        (MULTI, {"prompt": "hi", "voice": "Rachel"}, "input.text is required"),
        ("kie-ai/nano-banana-pro", NANO, "is not supported"),  # kie.ai knows its own ids only
        ("dall-e-9", NANO, "is not supported"),
        ("nano-banana-pro", ["a fox"], "input must be an object"),
    ],
)
def test_what_kie_ai_refuses(model: str, input: object, message: str) -> None:
    assert message in refusal(model, input)


def test_language_code_goes_to_turbo() -> None:
    assert check_kie_input(TURBO, {"text": "hallo", "voice": "Rachel", "language_code": "de"}).id == TURBO
