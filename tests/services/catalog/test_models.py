"""The catalog's facts against docs.kie.ai: one regression test for each point an outside review found."""

from __future__ import annotations

import pytest

from smartspec_app.services.catalog import CATALOG, ELEVENLABS_VOICES, get_model, validate_request
from smartspec_app.services.catalog.voices import PRESET_VOICES, VOICE_IDS
from smartspec_app.services.errors import ValidationError

TURBO = "elevenlabs/text-to-speech-turbo-2-5"
MULTI = "elevenlabs/text-to-speech-multilingual-v2"
WAN = "wan/2-6-text-to-video"
IMAGEN, IMAGEN_FAST, IMAGEN_ULTRA = "google/imagen4", "google/imagen4-fast", "google/imagen4-ultra"
FLUX = ("flux-2/pro-text-to-image", "flux-2/flex-text-to-image")


def request(model_id: str, params: dict | None = None, prompt: str = "a red fox in snow"):
    return validate_request(get_model(model_id).task_type, model_id, prompt, params)


def refused(model_id: str, params: dict | None = None, prompt: str = "a red fox in snow") -> ValidationError:
    with pytest.raises(ValidationError) as info:
        request(model_id, params, prompt)
    return info.value


def test_every_model_names_its_docs_kie_ai_page() -> None:
    for model in CATALOG.values():
        assert model.docs_url.startswith("https://docs.kie.ai/market/"), model.id


# --- ElevenLabs: language_code only where kie.ai accepts it ------------------------------------


def test_language_code_is_offered_and_sent_for_turbo_v2_5_only() -> None:
    assert get_model(TURBO).param("language_code") is not None
    assert request(TURBO, {"language_code": "de"}).provider_inputs[0]["language_code"] == "de"
    assert get_model(MULTI).param("language_code") is None
    assert "language_code" not in request(MULTI).provider_inputs[0]


def test_language_code_for_multilingual_v2_is_refused_with_kie_ais_reason() -> None:
    error = refused(MULTI, {"language_code": "de"})
    assert error.field == "language_code"
    assert "only Turbo v2.5 and Flash v2.5 support language enforcement" in error.message


def test_elevenlabs_offers_previous_and_next_text() -> None:
    body = request(TURBO, {"previous_text": "It was late.", "next_text": "Then the lights went out."}).provider_inputs[0]
    assert body["previous_text"] == "It was late." and body["next_text"] == "Then the lights went out."
    assert "previous_text" not in request(MULTI).provider_inputs[0]  # optional: not sent empty
    assert refused(MULTI, {"next_text": "x" * 5001}).field == "next_text"


def test_voice_takes_a_preset_name_or_any_documented_voice_id() -> None:
    assert len(ELEVENLABS_VOICES) == len(set(ELEVENLABS_VOICES)) > 100
    assert {"Rachel", "Brian", "Bill"} <= set(PRESET_VOICES)
    assert all(len(voice_id) == 20 for voice_id, _label in VOICE_IDS)
    voice = get_model(MULTI).param("voice")
    assert voice.searchable and voice.default == "Rachel"
    assert voice.label_of("pNInz6obpgDQGcFmaJgB") == "Adam - Dominant, Firm"
    assert voice.label_of("Rachel") == "Rachel"
    for model_id in (TURBO, MULTI):
        assert request(model_id, {"voice": "EkK5I93UQWFDigLMpZcX"}).provider_inputs[0]["voice"] == "EkK5I93UQWFDigLMpZcX"
        assert request(model_id, {"voice": "Sm1seazb4gs7RSlUVw7c"}).parameters["voice"] == "Sm1seazb4gs7RSlUVw7c"  # Anika
        assert refused(model_id, {"voice": "EkK5I93UQWFDigLMpZcY"}).field == "voice"


def test_elevenlabs_voice_settings_step_in_hundredths() -> None:
    body = request(TURBO, {"stability": 0.37, "similarity_boost": 0.91, "style": 0.05, "speed": 0.83}).provider_inputs[0]
    assert (body["stability"], body["similarity_boost"], body["style"], body["speed"]) == (0.37, 0.91, 0.05, 0.83)
    assert get_model(TURBO).param("stability").step == 0.01


# --- Wan 2.6 ----------------------------------------------------------------------------------


def test_wan_prompt_allows_5000_characters() -> None:
    assert len(request(WAN, prompt="w" * 5000).prompt) == 5000
    assert "5000" in refused(WAN, prompt="w" * 5001).message


def test_wan_sends_only_documented_fields() -> None:
    assert get_model(WAN).param("multi_shots") is None  # documented only for the Wan 2.6 flash models
    assert refused(WAN, {"multi_shots": True}).field == "multi_shots"
    assert set(request(WAN, {"duration": 15, "resolution": "720p"}).provider_inputs[0]) == {"prompt", "duration", "resolution"}
    assert request(WAN).parameters["resolution"] == "1080p"


# --- Imagen 4 family --------------------------------------------------------------------------


def test_imagen_4_fast_makes_several_images_in_one_kie_task() -> None:
    made = request(IMAGEN_FAST, {"num_images": 3})
    assert made.task_count == 1
    assert made.provider_inputs[0]["num_images"] == "3"  # a string "1".."4", as documented
    assert made.estimated_credits == 4  # kie.ai prices Imagen 4 Fast per request
    assert refused(IMAGEN_FAST, {"num_images": 5}).field == "num_images"


def test_imagen_4_fast_defaults_to_16_9_and_takes_an_integer_seed() -> None:
    body = request(IMAGEN_FAST, {"seed": "42"}).provider_inputs[0]
    assert body["aspect_ratio"] == "16:9"
    assert body["seed"] == 42 and isinstance(body["seed"], int)
    assert "seed" not in request(IMAGEN_FAST).provider_inputs[0]
    assert refused(IMAGEN_FAST, {"seed": "forty-two"}).field == "seed"


@pytest.mark.parametrize("model_id", [IMAGEN, IMAGEN_ULTRA])
def test_imagen_4_and_ultra_take_a_string_seed_and_default_to_1_1(model_id: str) -> None:
    body = request(model_id, {"seed": "12345"}).provider_inputs[0]
    assert body["seed"] == "12345" and body["aspect_ratio"] == "1:1"
    assert "seed" not in request(model_id).provider_inputs[0]
    assert refused(model_id, {"seed": "9" * 501}).field == "seed"
    assert request(model_id, {"num_images": 2}).task_count == 2  # one image per kie.ai task
    assert "num_images" not in request(model_id, {"num_images": 2}).provider_inputs[0]


# --- FLUX.2 and Nano Banana Pro ---------------------------------------------------------------


@pytest.mark.parametrize("model_id", FLUX)
def test_flux_text_to_image_does_not_offer_auto(model_id: str) -> None:
    assert "auto" not in get_model(model_id).param("aspect_ratio").options
    assert refused(model_id, {"aspect_ratio": "auto"}).field == "aspect_ratio"


def test_nano_banana_pro_prompt_allows_10000_characters() -> None:
    assert len(request("nano-banana-pro", prompt="n" * 10_000).prompt) == 10_000
    assert refused("nano-banana-pro", prompt="n" * 10_001).field == "prompt"


# --- prices -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "params", "prompt_chars", "credits"),
    [
        ("nano-banana-pro", {}, 10, 18),
        ("nano-banana-pro", {"resolution": "4K"}, 10, 24),
        ("flux-2/pro-text-to-image", {"resolution": "2K"}, 10, 7),
        ("flux-2/flex-text-to-image", {}, 10, 14),
        ("seedream/4.5-text-to-image", {}, 10, 6.5),
        (IMAGEN, {}, 10, 8),
        (IMAGEN_ULTRA, {"num_images": 2}, 10, 24),
        (WAN, {"resolution": "720p", "duration": "10"}, 10, 140),
        (WAN, {"resolution": "1080p", "duration": "10"}, 10, 209.5),
        (WAN, {"resolution": "1080p", "duration": "15"}, 10, 315),
        (TURBO, {}, 1000, 6),
        (MULTI, {}, 2500, 30),
    ],
)
def test_prices_are_kie_ais_published_credits(model_id: str, params: dict, prompt_chars: int, credits: float) -> None:
    assert request(model_id, params, prompt="p" * prompt_chars).estimated_credits == credits
