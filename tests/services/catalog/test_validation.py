"""Request validation against the catalog (services/catalog/validation.py) and the catalog's own consistency."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from smartspec_app.services import catalog
from smartspec_app.services.catalog import (
    CATALOG,
    ELEVENLABS_VOICES,
    ModelSpec,
    ParamSpec,
    ValidatedRequest,
    catalog_as_dicts,
    get_model,
    models_for,
    validate_request,
)
from smartspec_app.services.errors import SmartSpecError, ValidationError

NANO = "nano-banana-pro"
FLUX_PRO = "flux-2/pro-text-to-image"
FLUX_FLEX = "flux-2/flex-text-to-image"
SEEDREAM = "seedream/4.5-text-to-image"
IMAGEN = "google/imagen4"
IMAGEN_FAST = "google/imagen4-fast"
IMAGEN_ULTRA = "google/imagen4-ultra"
WAN = "wan/2-6-text-to-video"
TURBO = "elevenlabs/text-to-speech-turbo-2-5"
MULTI = "elevenlabs/text-to-speech-multilingual-v2"

IMAGE_IDS = [NANO, FLUX_PRO, FLUX_FLEX, SEEDREAM, IMAGEN, IMAGEN_FAST, IMAGEN_ULTRA]
VIDEO_IDS = [WAN]
SPEECH_IDS = [TURBO, MULTI]
ALL_IDS = IMAGE_IDS + VIDEO_IDS + SPEECH_IDS
TYPE_OF = {
    **dict.fromkeys(IMAGE_IDS, "image"),
    **dict.fromkeys(VIDEO_IDS, "video"),
    **dict.fromkeys(SPEECH_IDS, "speech"),
}


def ok(model_id: str, params: dict | None = None, prompt: str = "a red fox in snow"):
    """Validate a request that must pass."""
    return validate_request(TYPE_OF[model_id], model_id, prompt, params)


def rejected(model_id: str, params: dict | None = None, prompt: str = "a red fox in snow") -> ValidationError:
    """Validate a request that must fail and return the error."""
    with pytest.raises(ValidationError) as info:
        validate_request(TYPE_OF[model_id], model_id, prompt, params)
    return info.value


# ------------------------------------------------------------------------------------
# The catalog itself
# ------------------------------------------------------------------------------------


def test_catalog_holds_exactly_the_seed_models():
    assert list(CATALOG) == ALL_IDS
    for model_id, model in CATALOG.items():
        assert model.id == model_id
        assert model.task_type == TYPE_OF[model_id]


def test_specs_are_frozen():
    model = get_model(NANO)
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.name = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.params[0].default = "x"  # type: ignore[misc]


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_catalog_entries_are_consistent(model_id):
    model = get_model(model_id)
    assert model.name and model.vendor and model.description
    assert model.output_ext in {"png", "jpg", "mp4", "mp3"}
    assert model.credits_per_task > 0
    assert 0 < model.min_prompt_chars <= model.max_prompt_chars
    names = model.param_names
    assert len(names) == len(set(names))
    for spec in model.params:
        assert isinstance(spec, ParamSpec)
        assert spec.label
        if spec.kind == "select":
            assert spec.options and spec.default in spec.options
        if spec.kind in ("number", "integer") and spec.default is not None:
            assert spec.minimum <= spec.default <= spec.maximum
    if model.size_param:
        options = model.param(model.size_param).options
        assert model.size_tiers
        assert all(tier in options for tier, _ in model.size_tiers)
        limits = [limit for _, limit in model.size_tiers]
        assert limits == sorted(limits)
    for rule in model.credit_rules:
        for name, value in rule.when:
            assert value in model.param(name).options


TASK_PER_IMAGE_IDS = [m for m in IMAGE_IDS if m != IMAGEN_FAST]


@pytest.mark.parametrize("model_id", TASK_PER_IMAGE_IDS)
def test_image_models_of_one_image_per_task_make_num_images_of_tasks(model_id):
    spec = get_model(model_id).param("num_images")
    assert spec is not None
    assert (spec.kind, spec.default, spec.minimum, spec.maximum) == ("integer", 1, 1, 4)
    assert spec.send is False


def test_prompt_fields():
    for model_id in ALL_IDS:
        expected = "text" if model_id in SPEECH_IDS else "prompt"
        assert get_model(model_id).prompt_field == expected


def test_elevenlabs_voice_list_starts_with_the_documented_presets():
    documented = [
        "Rachel", "Aria", "Roger", "Sarah", "Laura", "Charlie", "George", "Callum", "River", "Liam", "Charlotte",
        "Alice", "Matilda", "Will", "Jessica", "Eric", "Chris", "Brian", "Daniel", "Lily", "Bill",
    ]  # fmt: skip
    assert list(ELEVENLABS_VOICES[:21]) == documented
    for model_id in SPEECH_IDS:
        assert get_model(model_id).param("voice").options == ELEVENLABS_VOICES


# ------------------------------------------------------------------------------------
# get_model / models_for
# ------------------------------------------------------------------------------------


def test_get_model_returns_the_spec():
    model = get_model(NANO)
    assert isinstance(model, ModelSpec)
    assert model.name == "Nano Banana Pro"
    assert get_model(f"  {WAN} ").id == WAN


def test_get_model_unknown_names_known_ids():
    with pytest.raises(ValidationError) as info:
        get_model("dall-e-9")
    err = info.value
    assert err.field == "model_id"
    assert '"dall-e-9"' in err.message
    for model_id in ALL_IDS:
        assert model_id in err.message
    assert isinstance(err, SmartSpecError)
    assert err.http_status == 422


def test_get_model_rejects_non_strings():
    with pytest.raises(ValidationError) as info:
        get_model(None)  # type: ignore[arg-type]
    assert info.value.field == "model_id"


def test_models_for_each_type():
    assert [m.id for m in models_for("image")] == IMAGE_IDS
    assert [m.id for m in models_for("video")] == VIDEO_IDS
    assert [m.id for m in models_for("speech")] == SPEECH_IDS


def test_models_for_unknown_type():
    with pytest.raises(ValidationError) as info:
        models_for("audio")
    assert info.value.field == "task_type"
    assert "image, video, speech" in info.value.message
    assert '"audio"' in info.value.message


# ------------------------------------------------------------------------------------
# Defaults
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize("model_id", ALL_IDS)
@pytest.mark.parametrize("params", [None, {}])
def test_each_model_validates_its_defaults(model_id, params):
    request = ok(model_id, params)
    model = get_model(model_id)
    assert isinstance(request, ValidatedRequest)
    assert request.model is model
    assert request.prompt == "a red fox in snow"
    assert list(request.parameters) == list(model.param_names)
    for spec in model.params:
        assert request.parameters[spec.name] == spec.default_value()
    assert len(request.provider_inputs) == 1
    body = request.provider_inputs[0]
    assert body[model.prompt_field] == "a red fox in snow"
    assert ("num_images" in body) == (model_id == IMAGEN_FAST)
    for spec in model.params:
        if spec.send and not spec.omit_if_empty:
            assert body[spec.field_name] == request.parameters[spec.name]


def test_nano_banana_default_input_matches_the_documented_example():
    body = ok(NANO).provider_inputs[0]
    assert body == {
        "prompt": "a red fox in snow",
        "aspect_ratio": "1:1",
        "resolution": "1K",
        "output_format": "png",
        "image_input": [],
    }


def test_default_inputs_of_other_models():
    assert ok(FLUX_PRO).provider_inputs[0] == {
        "prompt": "a red fox in snow",
        "aspect_ratio": "1:1",
        "resolution": "1K",
    }
    assert ok(SEEDREAM).provider_inputs[0] == {
        "prompt": "a red fox in snow",
        "aspect_ratio": "1:1",
        "quality": "basic",
    }
    # An empty negative prompt is left out.
    assert ok(IMAGEN).provider_inputs[0] == {
        "prompt": "a red fox in snow",
        "aspect_ratio": "1:1",
    }
    assert ok(IMAGEN_FAST).provider_inputs[0] == {
        "prompt": "a red fox in snow",
        "aspect_ratio": "16:9",
        "num_images": "1",
    }
    assert ok(WAN).provider_inputs[0] == {
        "prompt": "a red fox in snow",
        "duration": "5",
        "resolution": "1080p",
    }


def test_defaults_are_not_shared_between_requests():
    first = ok(NANO)
    first.parameters["image_input"].append("https://example.com/a.png")
    first.provider_inputs[0]["image_input"].append("https://example.com/b.png")
    assert ok(NANO).parameters["image_input"] == []
    assert get_model(NANO).param("image_input").default == ()


def test_blank_values_fall_back_to_defaults():
    request = ok(NANO, {"aspect_ratio": "", "resolution": None, "image_input": " "})
    assert request.parameters["aspect_ratio"] == "1:1"
    assert request.parameters["resolution"] == "1K"
    assert request.parameters["image_input"] == []


# ------------------------------------------------------------------------------------
# Prompt rules
# ------------------------------------------------------------------------------------


def test_prompt_is_stripped():
    request = ok(NANO, prompt="  \n a castle at dusk \t ")
    assert request.prompt == "a castle at dusk"
    assert request.provider_inputs[0]["prompt"] == "a castle at dusk"


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t", None])
def test_empty_prompt_rejected(prompt):
    err = rejected(NANO, prompt=prompt)
    assert err.field == "prompt"
    assert err.message == "Enter a prompt"


def test_non_text_prompt_rejected():
    assert rejected(NANO, prompt=42).field == "prompt"


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_a_prompt_over_the_models_limit_is_rejected(model_id):
    limit = get_model(model_id).max_prompt_chars
    err = rejected(model_id, prompt="x" * 20_000)
    assert err.field == "prompt"
    assert str(limit) in err.message
    assert "20000" in err.message


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_prompt_at_the_limit_is_accepted(model_id):
    limit = get_model(model_id).max_prompt_chars
    assert len(ok(model_id, prompt="y" * limit).prompt) == limit
    err = rejected(model_id, prompt="y" * (limit + 1))
    assert f"{limit + 1} characters" in err.message


def test_prompt_limits_per_model():
    assert get_model(WAN).max_prompt_chars == 5000
    assert get_model(NANO).max_prompt_chars == 10_000
    assert get_model(FLUX_PRO).max_prompt_chars == 5000
    assert get_model(TURBO).max_prompt_chars == 5000
    assert get_model(SEEDREAM).max_prompt_chars == 3000


def test_short_prompt_rejected_for_flux():
    err = rejected(FLUX_PRO, prompt=" ab ")
    assert err.field == "prompt"
    assert "3" in err.message and "2 characters" in err.message
    assert ok(FLUX_FLEX, prompt="abc").prompt == "abc"


# ------------------------------------------------------------------------------------
# Task type / model id
# ------------------------------------------------------------------------------------


def test_task_type_must_match_model():
    with pytest.raises(ValidationError) as info:
        validate_request("video", NANO, "a cat", {})
    assert info.value.field == "model_id"
    assert NANO in info.value.message and "video" in info.value.message


def test_unknown_task_type_rejected():
    with pytest.raises(ValidationError) as info:
        validate_request("music", NANO, "a cat", {})
    assert info.value.field == "task_type"


def test_unknown_model_rejected():
    with pytest.raises(ValidationError) as info:
        validate_request("image", "midjourney", "a cat", {})
    assert info.value.field == "model_id"
    assert NANO in info.value.message


def test_parameters_must_be_a_mapping():
    err = rejected(NANO, ["aspect_ratio"])  # type: ignore[arg-type]
    assert err.field == "parameters"


# ------------------------------------------------------------------------------------
# Parameter rules
# ------------------------------------------------------------------------------------


def test_bad_aspect_ratio_lists_allowed_values():
    err = rejected(NANO, {"aspect_ratio": "7:3"})
    assert err.field == "aspect_ratio"
    assert err.message == ('aspect_ratio must be one of 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9, auto (got "7:3")')


def test_aspect_ratio_allowed_by_one_model_not_another():
    assert ok(NANO, {"aspect_ratio": "21:9"}).parameters["aspect_ratio"] == "21:9"
    err = rejected(FLUX_PRO, {"aspect_ratio": "21:9"})
    assert err.field == "aspect_ratio"
    assert "1:1, 4:3, 3:4, 16:9, 9:16, 3:2, 2:3 (got" in err.message
    err = rejected(IMAGEN_ULTRA, {"aspect_ratio": "auto"})
    assert "1:1, 16:9, 9:16, 3:4, 4:3" in err.message


def test_resolution_rules():
    assert ok(NANO, {"resolution": "4K"}).provider_inputs[0]["resolution"] == "4K"
    err = rejected(FLUX_PRO, {"resolution": "4K"})
    assert err.field == "resolution"
    assert "1K, 2K" in err.message and '"4K"' in err.message
    err = rejected(WAN, {"resolution": "480p"})
    assert "720p, 1080p" in err.message


def test_select_matches_case_insensitively_to_the_canonical_option():
    request = ok(NANO, {"resolution": "2k", "output_format": " JPG "})
    assert request.parameters["resolution"] == "2K"
    assert request.parameters["output_format"] == "jpg"


def test_output_format_and_extension():
    assert ok(NANO).output_ext == "png"
    request = ok(NANO, {"output_format": "jpg"})
    assert request.output_ext == "jpg"
    assert request.provider_inputs[0]["output_format"] == "jpg"
    err = rejected(NANO, {"output_format": "webp"})
    assert err.field == "output_format" and "png, jpg" in err.message
    assert ok(WAN).output_ext == "mp4"
    assert ok(TURBO).output_ext == "mp3"


def test_seedream_quality():
    assert ok(SEEDREAM, {"quality": "high"}).provider_inputs[0]["quality"] == "high"
    err = rejected(SEEDREAM, {"quality": "ultra"})
    assert err.field == "quality" and "basic, high" in err.message


def test_unknown_parameter_names_the_allowed_ones():
    err = rejected(NANO, {"foo": 1})
    assert err.field == "foo"
    assert err.message.startswith('unknown parameter "foo" for nano-banana-pro; allowed: ')
    for name in ("aspect_ratio", "resolution", "output_format", "image_input"):
        assert name in err.message
    assert "num_images" in err.message and "width" in err.message


def test_parameter_of_another_model_is_unknown():
    err = rejected(FLUX_PRO, {"output_format": "png"})
    assert err.field == "output_format"
    err = rejected(IMAGEN, {"resolution": "1K"})
    assert err.field == "resolution"
    err = rejected(WAN, {"num_images": 2})
    assert err.field == "num_images"


def test_width_height_are_unknown_for_speech():
    err = rejected(TURBO, {"width": 1024, "height": 1024})
    assert err.field == "width"
    assert "voice" in err.message


def test_num_images_range():
    err = rejected(NANO, {"num_images": 5})
    assert err.field == "num_images"
    assert err.message == "num_images must be between 1 and 4 (got 5)"
    err = rejected(NANO, {"num_images": 0})
    assert "between 1 and 4" in err.message
    err = rejected(NANO, {"num_images": 2.5})
    assert "whole number between 1 and 4" in err.message
    err = rejected(NANO, {"num_images": "many"})
    assert err.field == "num_images" and '"many"' in err.message
    err = rejected(NANO, {"num_images": True})
    assert err.field == "num_images"


@pytest.mark.parametrize("model_id", TASK_PER_IMAGE_IDS)
def test_num_images_makes_that_many_identical_inputs(model_id):
    request = ok(model_id, {"num_images": 3})
    assert request.parameters["num_images"] == 3
    assert request.task_count == 3
    assert len(request.provider_inputs) == 3
    first = request.provider_inputs[0]
    assert all(body == first for body in request.provider_inputs)
    assert "num_images" not in first
    # Independent copies: changing one does not change the others.
    request.provider_inputs[0]["prompt"] = "changed"
    assert request.provider_inputs[1]["prompt"] == "a red fox in snow"


def test_num_images_accepts_numeric_strings():
    assert ok(IMAGEN, {"num_images": "2"}).task_count == 2
    assert ok(IMAGEN, {"num_images": 4.0}).parameters["num_images"] == 4


def test_number_ranges_for_elevenlabs():
    err = rejected(TURBO, {"stability": 1.5})
    assert err.field == "stability"
    assert err.message == "stability must be between 0 and 1 (got 1.5)"
    for name in ("similarity_boost", "style"):
        err = rejected(MULTI, {name: -0.1})
        assert err.field == name
        assert err.message == f"{name} must be between 0 and 1 (got -0.1)"
    err = rejected(TURBO, {"speed": 1.3})
    assert err.message == "speed must be between 0.7 and 1.2 (got 1.3)"
    err = rejected(TURBO, {"speed": 0.5})
    assert err.field == "speed"
    err = rejected(TURBO, {"stability": "high"})
    assert err.field == "stability"
    assert err.message == 'stability must be a number between 0 and 1 (got "high")'
    for bad in (float("nan"), float("inf"), True, [0.5]):
        assert rejected(TURBO, {"stability": bad}).field == "stability"


def test_numbers_are_coerced_to_float():
    request = ok(TURBO, {"stability": "0.3", "similarity_boost": 1, "speed": "1.2"})
    assert request.parameters["stability"] == 0.3
    assert request.parameters["similarity_boost"] == 1.0
    assert isinstance(request.parameters["similarity_boost"], float)
    assert request.parameters["speed"] == 1.2


def test_voice_rules():
    request = ok(MULTI, {"voice": "Brian"})
    assert request.provider_inputs[0]["voice"] == "Brian"
    err = rejected(MULTI, {"voice": "HAL"})
    assert err.field == "voice"
    assert "Rachel" in err.message and "more; see GET /api/generation/models" in err.message and '"HAL"' in err.message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("false", False),
        ("TRUE", True),
        ("False", False),
        ("on", True),
        ("off", False),
        (1, True),
        (0, False),
        ("1", True),
        ("0", False),
    ],
)
def test_bool_coercion(given, expected):
    assert ok(TURBO, {"timestamps": given}).parameters["timestamps"] is expected
    assert ok(MULTI, {"timestamps": given}).provider_inputs[0]["timestamps"] is expected


@pytest.mark.parametrize("bad", ["maybe", 2, -1, 0.5, ["true"]])
def test_bool_rejects_other_values(bad):
    err = rejected(TURBO, {"timestamps": bad})
    assert err.field == "timestamps"
    assert "true or false" in err.message


def test_language_code_is_optional_and_checked():
    assert "language_code" not in ok(TURBO).provider_inputs[0]
    request = ok(TURBO, {"language_code": " de "})
    assert request.provider_inputs[0]["language_code"] == "de"
    assert ok(TURBO, {"language_code": "pt-BR"}).parameters["language_code"] == "pt-BR"
    err = rejected(TURBO, {"language_code": "german!"})
    assert err.field == "language_code"
    assert "en" in err.message and '"german!"' in err.message
    assert rejected(TURBO, {"language_code": 7}).field == "language_code"


def test_elevenlabs_provider_input_uses_text():
    request = ok(
        TURBO,
        {
            "voice": "Aria",
            "stability": 0.4,
            "similarity_boost": 0.9,
            "style": 0.2,
            "speed": 1.1,
            "timestamps": "on",
            "language_code": "en",
        },
        prompt="  Hello there.  ",
    )
    assert request.provider_inputs == [
        {
            "text": "Hello there.",
            "voice": "Aria",
            "stability": 0.4,
            "similarity_boost": 0.9,
            "style": 0.2,
            "speed": 1.1,
            "timestamps": True,
            "language_code": "en",
        }
    ]
    assert "prompt" not in request.provider_inputs[0]


def test_imagen_negative_prompt():
    request = ok(IMAGEN_FAST, {"negative_prompt": "  blurry, text "})
    assert request.provider_inputs[0]["negative_prompt"] == "blurry, text"
    err = rejected(IMAGEN, {"negative_prompt": "n" * 5001})
    assert err.field == "negative_prompt"
    assert "5000" in err.message and "5001" in err.message


# ------------------------------------------------------------------------------------
# Wan duration
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [(10, "10"), ("15", "15"), (5, "5"), (10.0, "10")])
def test_wan_duration_is_sent_as_string(given, expected):
    request = ok(WAN, {"duration": given})
    assert request.parameters["duration"] == expected
    assert request.provider_inputs[0]["duration"] == expected
    assert isinstance(request.provider_inputs[0]["duration"], str)


@pytest.mark.parametrize("bad", [7, "20", 10.5, True])
def test_wan_duration_rejects_other_values(bad):
    err = rejected(WAN, {"duration": bad})
    assert err.field == "duration"
    assert "5, 10, 15" in err.message


# ------------------------------------------------------------------------------------
# image_input
# ------------------------------------------------------------------------------------


def test_image_input_list_of_urls():
    urls = ["https://example.com/a.png", "http://example.org/b.jpg?x=1"]
    request = ok(NANO, {"image_input": urls})
    assert request.parameters["image_input"] == urls
    assert request.provider_inputs[0]["image_input"] == urls


def test_image_input_from_comma_or_newline_text():
    text = "https://example.com/a.png, https://example.com/b.png\n\nhttps://example.com/c.png\n"
    request = ok(NANO, {"image_input": text})
    assert request.parameters["image_input"] == [
        "https://example.com/a.png",
        "https://example.com/b.png",
        "https://example.com/c.png",
    ]


def test_image_input_at_most_eight():
    urls = [f"https://example.com/{i}.png" for i in range(9)]
    assert len(ok(NANO, {"image_input": urls[:8]}).parameters["image_input"]) == 8
    err = rejected(NANO, {"image_input": urls})
    assert err.field == "image_input"
    assert "at most 8" in err.message and "9" in err.message


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://example.com/a.png",
        "example.com/a.png",
        "https://",
        "javascript:alert(1)",
        "https://exa mple.com/a.png",
        ["https://example.com/a.png", 5],
        42,
    ],
)
def test_image_input_rejects_non_http_urls(bad):
    err = rejected(NANO, {"image_input": bad})
    assert err.field == "image_input"
    assert "http" in err.message


def test_image_input_is_only_for_nano_banana():
    err = rejected(FLUX_PRO, {"image_input": ["https://example.com/a.png"]})
    assert err.field == "image_input"


# ------------------------------------------------------------------------------------
# width/height mapping
# ------------------------------------------------------------------------------------


def test_1920x1080_maps_to_16_9_and_2k_for_nano():
    request = ok(NANO, {"width": 1920, "height": 1080})
    assert request.parameters["aspect_ratio"] == "16:9"
    assert request.parameters["resolution"] == "2K"
    body = request.provider_inputs[0]
    assert body["aspect_ratio"] == "16:9" and body["resolution"] == "2K"
    assert "width" not in body and "height" not in body
    assert "width" not in request.parameters


def test_1024_square_maps_to_1_1_and_1k():
    request = ok(NANO, {"width": 1024, "height": 1024})
    assert request.parameters["aspect_ratio"] == "1:1"
    assert request.parameters["resolution"] == "1K"


def test_portrait_maps_to_9_16():
    for model_id in (NANO, FLUX_PRO, SEEDREAM, IMAGEN):
        request = ok(model_id, {"width": 720, "height": 1280})
        assert request.parameters["aspect_ratio"] == "9:16", model_id
    assert ok(NANO, {"width": 720, "height": 1280}).parameters["resolution"] == "2K"


@pytest.mark.parametrize(
    ("width", "height", "model_id", "ratio"),
    [
        (2560, 1080, NANO, "21:9"),  # 2.37 is nearest to 21:9
        (2560, 1080, FLUX_PRO, "16:9"),  # flux has no 21:9
        (1200, 1000, NANO, "5:4"),
        (1200, 1000, IMAGEN, "4:3"),
        (1000, 1500, NANO, "2:3"),
        (1000, 1500, IMAGEN, "3:4"),  # imagen has no 2:3
        (1600, 1200, SEEDREAM, "4:3"),
        (64, 8192, NANO, "9:16"),  # extreme ratios land on the nearest, never "auto"
        (8192, 64, FLUX_PRO, "16:9"),
    ],
)
def test_nearest_aspect_ratio_by_log_distance(width, height, model_id, ratio):
    request = ok(model_id, {"width": width, "height": height})
    assert request.parameters["aspect_ratio"] == ratio


@pytest.mark.parametrize(
    ("width", "height", "model_id", "tier"),
    [
        (1024, 768, NANO, "1K"),
        (1025, 768, NANO, "2K"),
        (2048, 2048, NANO, "2K"),
        (2049, 1000, NANO, "4K"),
        (8192, 8192, NANO, "4K"),
        (3000, 2000, FLUX_PRO, "2K"),  # capped by what Flux allows
        (1000, 1000, FLUX_FLEX, "1K"),
        (1024, 1024, SEEDREAM, "basic"),
        (4096, 2304, SEEDREAM, "high"),
    ],
)
def test_size_tier_covers_the_longer_side(width, height, model_id, tier):
    request = ok(model_id, {"width": width, "height": height})
    size_param = get_model(model_id).size_param
    assert request.parameters[size_param] == tier


@pytest.mark.parametrize(
    ("width", "height", "tier"),
    [
        (1280, 720, "720p"),
        (720, 1280, "720p"),
        (1920, 1080, "1080p"),
        (1080, 1920, "1080p"),
        (640, 480, "720p"),
        (3840, 2160, "1080p"),
    ],
)
def test_wan_resolution_by_the_shorter_side(width, height, tier):
    request = ok(WAN, {"width": width, "height": height})
    assert request.parameters["resolution"] == tier
    assert "aspect_ratio" not in request.provider_inputs[0]


def test_explicit_values_win_over_width_height():
    request = ok(NANO, {"width": 1920, "height": 1080, "aspect_ratio": "1:1"})
    assert request.parameters["aspect_ratio"] == "1:1"
    assert request.parameters["resolution"] == "2K"
    request = ok(NANO, {"width": 1920, "height": 1080, "resolution": "4K"})
    assert request.parameters["aspect_ratio"] == "16:9"
    assert request.parameters["resolution"] == "4K"


def test_width_height_without_resolution_select_only_sets_aspect_ratio():
    request = ok(IMAGEN, {"width": 1920, "height": 1080})
    assert request.provider_inputs[0] == {
        "prompt": "a red fox in snow",
        "aspect_ratio": "16:9",
    }


def test_width_height_accept_numeric_strings():
    request = ok(NANO, {"width": "1920", "height": "1080"})
    assert request.parameters["aspect_ratio"] == "16:9"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"width": 1920}, "height"),
        ({"height": 1080}, "width"),
        ({"width": 63, "height": 1080}, "width"),
        ({"width": 1920, "height": 8193}, "height"),
        ({"width": 1920.5, "height": 1080}, "width"),
        ({"width": "wide", "height": 1080}, "width"),
        ({"width": True, "height": 1080}, "width"),
    ],
)
def test_bad_width_height_rejected(params, field):
    err = rejected(NANO, params)
    assert err.field == field
    if "given together" not in err.message:
        assert "between 64 and 8192" in err.message


# ------------------------------------------------------------------------------------
# Credits
# ------------------------------------------------------------------------------------


def test_estimated_credits_follow_the_price_data():
    nano = get_model(NANO)
    assert ok(NANO).estimated_credits == nano.credits_per_task
    assert ok(NANO, {"num_images": 3}).estimated_credits == 3 * nano.credits_per_task
    assert ok(NANO, {"resolution": "4K"}).estimated_credits > nano.credits_per_task
    wan = ok(WAN, {"duration": 10, "resolution": "720p"}).estimated_credits
    assert wan > ok(WAN, {"duration": 5, "resolution": "720p"}).estimated_credits
    short = ok(TURBO, prompt="x" * 100).estimated_credits
    long = ok(TURBO, prompt="x" * 4000).estimated_credits
    assert 0 < short < long


# ------------------------------------------------------------------------------------
# catalog_as_dicts
# ------------------------------------------------------------------------------------


def test_catalog_as_dicts_is_json_and_lists_every_model():
    dicts = catalog_as_dicts()
    text = json.dumps(dicts)
    assert json.loads(text) == dicts
    assert [d["id"] for d in dicts] == ALL_IDS
    for entry in dicts:
        model = get_model(entry["id"])
        assert entry["name"] == model.name
        assert entry["task_type"] == model.task_type
        assert entry["vendor"] == model.vendor
        assert entry["prompt_field"] == model.prompt_field
        assert entry["max_prompt_chars"] == model.max_prompt_chars
        assert entry["output_ext"] == model.output_ext
        assert entry["accepts_size"] == (model.task_type != "speech")
        assert [p["name"] for p in entry["params"]] == list(model.param_names)
        for param in entry["params"]:
            assert {"name", "label", "kind", "default", "options"} <= set(param)


def test_catalog_as_dicts_param_details():
    nano = next(d for d in catalog_as_dicts() if d["id"] == NANO)
    params = {p["name"]: p for p in nano["params"]}
    assert params["aspect_ratio"]["options"][-1] == "auto"
    assert params["image_input"]["default"] == []
    assert params["image_input"]["max_items"] == 8
    assert params["num_images"]["sent_to_provider"] is False
    turbo = next(d for d in catalog_as_dicts() if d["id"] == TURBO)
    speed = next(p for p in turbo["params"] if p["name"] == "speed")
    assert (speed["minimum"], speed["maximum"], speed["default"]) == (0.7, 1.2, 1.0)


def test_catalog_package_never_imports_reflex():
    for module in Path(catalog.__file__).parent.glob("*.py"):
        source = module.read_text(encoding="utf-8")
        assert "import reflex" not in source and "from reflex" not in source, module.name
