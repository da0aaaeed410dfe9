"""Speech models (ElevenLabs through kie.ai). Fields from the models' docs.kie.ai pages (`docs_url`);
prices are kie.ai's published credit prices per 1,000 characters (https://kie.ai/pricing, seen 2026-06-09)."""

from __future__ import annotations

from smartspec_app.services.catalog.params import optional_text, unit_interval
from smartspec_app.services.catalog.spec import ModelSpec, ParamSpec
from smartspec_app.services.catalog.voices import DEFAULT_VOICE, ELEVENLABS_VOICES, VOICE_IDS

# Only Turbo v2.5 (and Flash v2.5) enforce a language; kie.ai answers an error when other models get one.
LANGUAGE_CODE = ParamSpec(
    name="language_code",
    label="Language code",
    kind="text",
    default="",
    max_length=500,
    pattern=r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?",
    pattern_hint="a language code such as en, de or pt-BR",
    help="Optional ISO 639-1 code such as en or de, to enforce a language.",
    omit_if_empty=True,
)


def _elevenlabs(model_id: str, name: str, description: str, per_1k: float, *, language_code: bool) -> ModelSpec:
    params = (
        ParamSpec(
            name="voice",
            label="Voice",
            kind="select",
            default=DEFAULT_VOICE,
            options=ELEVENLABS_VOICES,
            option_labels=VOICE_IDS,
            searchable=True,
            help="A preset voice or one of ElevenLabs' voice library; type to search.",
            required=True,
        ),
        unit_interval("stability", "Stability", 0.5, "Higher is steadier, lower is more expressive."),
        unit_interval("similarity_boost", "Similarity boost", 0.75, "How closely to match the voice."),
        unit_interval("style", "Style", 0.0, "Style exaggeration; 0 is neutral."),
        ParamSpec(
            name="speed",
            label="Speed",
            kind="number",
            default=1.0,
            minimum=0.7,
            maximum=1.2,
            step=0.01,
            help="Speaking rate; 1 is normal.",
        ),
        ParamSpec(
            name="timestamps",
            label="Word timestamps",
            kind="bool",
            default=False,
            help="Also return timing for each word.",
        ),
        optional_text("previous_text", "Text before", 5000, "Optional: the text spoken before this one, for a continuous delivery."),
        optional_text("next_text", "Text after", 5000, "Optional: the text spoken after this one, for a continuous delivery."),
    )
    return ModelSpec(
        id=model_id,
        name=name,
        task_type="speech",
        vendor="ElevenLabs",
        description=description,
        docs_url=f"https://docs.kie.ai/market/{model_id}",
        prompt_field="text",
        min_prompt_chars=1,
        max_prompt_chars=5000,
        params=(*params, LANGUAGE_CODE) if language_code else params,
        output_ext="mp3",
        credits_per_task=per_1k,  # for 1,000 characters of text
        credits_per_1k_chars=per_1k,
        refused_fields=()
        if language_code
        else (("language_code", "Currently only Turbo v2.5 and Flash v2.5 support language enforcement"),),
    )


SPEECH_MODELS: tuple[ModelSpec, ...] = (
    _elevenlabs(
        "elevenlabs/text-to-speech-turbo-2-5",
        "ElevenLabs Turbo v2.5",
        "ElevenLabs Turbo v2.5: low-latency speech in 32 languages.",
        per_1k=6,
        language_code=True,
    ),
    _elevenlabs(
        "elevenlabs/text-to-speech-multilingual-v2",
        "ElevenLabs Multilingual v2",
        "ElevenLabs Multilingual v2: the most lifelike, emotionally rich speech.",
        per_1k=12,
        language_code=False,
    ),
)
