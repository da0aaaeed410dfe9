"""The model catalog: the kie.ai models we offer, their parameters, request validation.

Plain Python (no Reflex). The models are data in `_MODELS` below; to add or change one,
edit its `ModelSpec` there. Field names and allowed values follow the kie.ai contract
(/work/shared/kie-api.md).

Prices (`credits_per_task`, `CreditRule`, `credits_per_1k_chars`) are estimates kept as
data: they MUST be checked against kie.ai's pricing page (https://kie.ai/pricing).
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from smartspec_app.services.errors import ValidationError

TaskType = Literal["image", "video", "speech"]
ParamKind = Literal["select", "number", "integer", "bool", "text"]

TASK_TYPES: tuple[str, ...] = ("image", "video", "speech")

# Generic size parameters accepted by image/video models and mapped onto each model's
# own aspect_ratio / resolution (never sent to kie.ai as such).
SIZE_PARAMS: tuple[str, ...] = ("width", "height")
SIZE_MIN = 64
SIZE_MAX = 8192

_TRUE_WORDS = frozenset({"true", "on", "1", "yes"})
_FALSE_WORDS = frozenset({"false", "off", "0", "no"})
_TASK_NOUNS = {"image": "images", "video": "videos", "speech": "speech"}


@dataclass(frozen=True)
class ParamSpec:
    """One model parameter: how the form shows it, how it is checked and sent."""

    name: str
    label: str
    kind: ParamKind
    default: str | int | float | bool | tuple[str, ...] | None
    options: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    help: str = ""
    max_length: int | None = None
    # How the value travels to kie.ai.
    send: bool = True  # False: ours only (num_images); never put in the provider input
    provider_name: str | None = None  # kie.ai field name, when it differs from `name`
    omit_if_empty: bool = False  # leave the field out of the provider input when "" or []
    # A "text" parameter that holds a list (comma/newline separated in the form).
    list_of: Literal["url"] | None = None
    max_items: int | None = None
    pattern: str | None = None  # regular expression a non-empty text value must match
    pattern_hint: str = ""  # what `pattern` accepts, for the error message

    @property
    def field_name(self) -> str:
        """The kie.ai input field this parameter fills."""
        return self.provider_name or self.name

    def default_value(self) -> Any:
        """The default as a fresh value (lists are copied, never shared)."""
        return list(self.default) if isinstance(self.default, tuple) else self.default

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description for the form and the REST API."""
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "default": self.default_value(),
            "options": list(self.options),
            "minimum": self.minimum,
            "maximum": self.maximum,
            "step": self.step,
            "help": self.help,
            "max_length": self.max_length,
            "multiple": self.list_of is not None,
            "list_of": self.list_of,
            "max_items": self.max_items,
            "sent_to_provider": self.send,
        }


@dataclass(frozen=True)
class CreditRule:
    """A per-task price applying when every (parameter, value) in `when` matches."""

    when: tuple[tuple[str, str], ...]
    credits: float


@dataclass(frozen=True)
class ModelSpec:
    """One kie.ai model: identity, prompt limits, parameters, mapping to its input."""

    id: str  # our id == the kie.ai model id
    name: str
    task_type: TaskType
    vendor: str
    description: str
    prompt_field: str  # kie.ai field holding the prompt: "prompt" or "text"
    min_prompt_chars: int
    max_prompt_chars: int
    params: tuple[ParamSpec, ...]
    output_ext: str  # default extension of results; an "output_format" parameter overrides it
    credits_per_task: float  # estimate; check against kie.ai's pricing page
    credit_rules: tuple[CreditRule, ...] = ()  # first matching rule wins over credits_per_task
    credits_per_1k_chars: float | None = None  # speech: price scales with the text length
    # width/height mapping: the select chosen from the size, its tiers (option, max
    # pixels of the measured side, ascending) and which side is measured.
    size_param: str | None = None
    size_tiers: tuple[tuple[str, int], ...] = ()
    size_side: Literal["longer", "shorter"] = "longer"

    @property
    def accepts_size(self) -> bool:
        """Whether the generic width/height parameters are accepted."""
        return self.task_type in ("image", "video")

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the model's own parameters, in form order."""
        return tuple(p.name for p in self.params)

    @property
    def allowed_names(self) -> tuple[str, ...]:
        """Every parameter name a request may carry for this model."""
        return self.param_names + (SIZE_PARAMS if self.accepts_size else ())

    def param(self, name: str) -> ParamSpec | None:
        """The parameter called `name`, or None."""
        return next((p for p in self.params if p.name == name), None)

    def credits_for(self, parameters: Mapping[str, Any], prompt_chars: int = 0) -> float:
        """Estimated credits of ONE provider task with these normalized parameters."""
        if self.credits_per_1k_chars is not None:
            return round(self.credits_per_1k_chars * max(prompt_chars, 1) / 1000, 2)
        for rule in self.credit_rules:
            if all(str(parameters.get(k)) == v for k, v in rule.when):
                return rule.credits
        return self.credits_per_task

    def output_ext_for(self, parameters: Mapping[str, Any]) -> str:
        """File extension of the results for these parameters."""
        fmt = parameters.get("output_format")
        return str(fmt) if fmt else self.output_ext

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description for the form and the REST API."""
        return {
            "id": self.id,
            "name": self.name,
            "task_type": self.task_type,
            "vendor": self.vendor,
            "description": self.description,
            "prompt_field": self.prompt_field,
            "min_prompt_chars": self.min_prompt_chars,
            "max_prompt_chars": self.max_prompt_chars,
            "output_ext": self.output_ext,
            "credits_per_task": self.credits_per_task,
            "credits_per_1k_chars": self.credits_per_1k_chars,
            "accepts_size": self.accepts_size,
            "params": [p.to_dict() for p in self.params],
        }


@dataclass(frozen=True)
class ValidatedRequest:
    """A request that passed validation, ready to send to kie.ai."""

    model: ModelSpec
    prompt: str  # stripped
    parameters: dict[str, Any]  # every ParamSpec's value (given, derived or default), typed
    provider_inputs: list[dict[str, Any]]  # one kie.ai `input` body per provider task

    @property
    def task_count(self) -> int:
        """How many provider tasks this request creates."""
        return len(self.provider_inputs)

    @property
    def output_ext(self) -> str:
        """File extension of the results."""
        return self.model.output_ext_for(self.parameters)

    @property
    def estimated_credits(self) -> float:
        """Estimated credits of the whole request (all provider tasks)."""
        per_task = self.model.credits_for(self.parameters, len(self.prompt))
        return round(per_task * self.task_count, 2)


# ------------------------------------------------------------------------------------
# Parameter building blocks
# ------------------------------------------------------------------------------------

_NANO_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "auto")
_FLUX_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "auto")
# Seedream 4.5 and Imagen 4 ratios: kie-api.md names the field only; these lists come
# from kie.ai's model pages and third-party clients of it (unconfirmed).
_SEEDREAM_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "2:3", "3:2", "21:9")
_IMAGEN_RATIOS = ("1:1", "16:9", "9:16", "3:4", "4:3")

_K_TIERS = (("1K", 1024), ("2K", 2048), ("4K", 4096))

# fmt: off
ELEVENLABS_VOICES = (
    "Rachel", "Aria", "Roger", "Sarah", "Laura", "Charlie", "George", "Callum",
    "River", "Liam", "Charlotte", "Alice", "Matilda", "Will", "Jessica", "Eric",
    "Chris", "Brian", "Daniel", "Lily", "Bill",
)
# fmt: on


def _aspect_ratio(options: tuple[str, ...], default: str = "1:1") -> ParamSpec:
    return ParamSpec(
        name="aspect_ratio",
        label="Aspect ratio",
        kind="select",
        default=default,
        options=options,
        help="Width:height of the result.",
    )


def _resolution(options: tuple[str, ...], default: str) -> ParamSpec:
    return ParamSpec(
        name="resolution",
        label="Resolution",
        kind="select",
        default=default,
        options=options,
        help="Output size tier; larger tiers cost more.",
    )


def _num_images() -> ParamSpec:
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


def _unit(name: str, label: str, default: float, help_text: str) -> ParamSpec:
    return ParamSpec(
        name=name,
        label=label,
        kind="number",
        default=default,
        minimum=0.0,
        maximum=1.0,
        step=0.05,
        help=help_text,
    )


def _imagen(model_id: str, name: str, description: str, credits: float) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        name=name,
        task_type="image",
        vendor="Google",
        description=description,
        prompt_field="prompt",
        min_prompt_chars=1,
        max_prompt_chars=5000,
        params=(
            _aspect_ratio(_IMAGEN_RATIOS),
            ParamSpec(
                name="negative_prompt",
                label="Negative prompt",
                kind="text",
                default="",
                max_length=5000,
                help="What the image should not contain (optional).",
                omit_if_empty=True,
            ),
            _num_images(),
        ),
        output_ext="png",
        credits_per_task=credits,
    )


def _flux(model_id: str, name: str, description: str, credits_1k: float, credits_2k: float) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        name=name,
        task_type="image",
        vendor="Black Forest Labs",
        description=description,
        prompt_field="prompt",
        min_prompt_chars=3,
        max_prompt_chars=5000,
        params=(
            _aspect_ratio(_FLUX_RATIOS),
            _resolution(("1K", "2K"), "1K"),
            _num_images(),
        ),
        output_ext="jpg",
        credits_per_task=credits_1k,
        credit_rules=(CreditRule((("resolution", "2K"),), credits_2k),),
        size_param="resolution",
        size_tiers=(("1K", 1024), ("2K", 2048)),
    )


def _elevenlabs(model_id: str, name: str, description: str, per_1k: float) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        name=name,
        task_type="speech",
        vendor="ElevenLabs",
        description=description,
        prompt_field="text",
        min_prompt_chars=1,
        max_prompt_chars=5000,
        params=(
            ParamSpec(
                name="voice",
                label="Voice",
                kind="select",
                default="Rachel",
                options=ELEVENLABS_VOICES,
                help="The speaker.",
            ),
            _unit(
                "stability",
                "Stability",
                0.5,
                "Higher is steadier, lower is more expressive.",
            ),
            _unit(
                "similarity_boost",
                "Similarity boost",
                0.75,
                "How closely to match the voice.",
            ),
            _unit("style", "Style", 0.0, "Style exaggeration; 0 is neutral."),
            ParamSpec(
                name="speed",
                label="Speed",
                kind="number",
                default=1.0,
                minimum=0.7,
                maximum=1.2,
                step=0.05,
                help="Speaking rate; 1 is normal.",
            ),
            ParamSpec(
                name="timestamps",
                label="Word timestamps",
                kind="bool",
                default=False,
                help="Also return timing for each word.",
            ),
            ParamSpec(
                name="language_code",
                label="Language code",
                kind="text",
                default="",
                max_length=10,
                pattern=r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?",
                pattern_hint="a language code such as en, de or pt-BR",
                help="Optional ISO 639-1 code such as en or de, to enforce a language.",
                omit_if_empty=True,
            ),
        ),
        output_ext="mp3",
        credits_per_task=per_1k,  # for 1,000 characters of text
        credits_per_1k_chars=per_1k,
    )


# ------------------------------------------------------------------------------------
# The models. Prices are estimates: check them against https://kie.ai/pricing.
# ------------------------------------------------------------------------------------

_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="nano-banana-pro",
        name="Nano Banana Pro",
        task_type="image",
        vendor="Google",
        description="Gemini 3 Pro Image: sharp text, up to 4K, reference images.",
        prompt_field="prompt",
        min_prompt_chars=1,
        max_prompt_chars=5000,
        params=(
            _aspect_ratio(_NANO_RATIOS),
            _resolution(("1K", "2K", "4K"), "1K"),
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
            _num_images(),
        ),
        output_ext="png",
        credits_per_task=18,
        credit_rules=(CreditRule((("resolution", "4K"),), 24),),
        size_param="resolution",
        size_tiers=_K_TIERS,
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
        prompt_field="prompt",
        min_prompt_chars=1,
        max_prompt_chars=3000,
        params=(
            _aspect_ratio(_SEEDREAM_RATIOS),
            ParamSpec(
                name="quality",
                label="Quality",
                kind="select",
                default="basic",
                options=("basic", "high"),
                help="basic gives 2K images, high gives 4K.",
            ),
            _num_images(),
        ),
        output_ext="jpg",
        credits_per_task=6.5,
        size_param="quality",
        size_tiers=(("basic", 2048), ("high", 4096)),
    ),
    _imagen("google/imagen4", "Imagen 4", "Google Imagen 4: balanced quality and speed.", 8),
    _imagen(
        "google/imagen4-fast",
        "Imagen 4 Fast",
        "Google Imagen 4 Fast: quick, low-cost drafts.",
        4,
    ),
    _imagen(
        "google/imagen4-ultra",
        "Imagen 4 Ultra",
        "Google Imagen 4 Ultra: highest fidelity and prompt adherence.",
        12,
    ),
    ModelSpec(
        id="wan/2-6-text-to-video",
        name="Wan 2.6",
        task_type="video",
        vendor="Alibaba",
        description="Alibaba Wan 2.6: 5 to 15 second clips, optionally multi-shot.",
        prompt_field="prompt",
        min_prompt_chars=1,
        max_prompt_chars=800,
        params=(
            ParamSpec(
                name="duration",
                label="Duration (seconds)",
                kind="select",
                default="5",
                options=("5", "10", "15"),
                help="Length of the clip.",
            ),
            _resolution(("720p", "1080p"), "1080p"),
            ParamSpec(
                name="multi_shots",
                label="Multiple shots",
                kind="bool",
                default=False,
                help="Let the model cut between several shots.",
            ),
        ),
        output_ext="mp4",
        credits_per_task=104.5,
        credit_rules=(
            CreditRule((("resolution", "720p"), ("duration", "5")), 70),
            CreditRule((("resolution", "720p"), ("duration", "10")), 140),
            CreditRule((("resolution", "720p"), ("duration", "15")), 210),
            CreditRule((("resolution", "1080p"), ("duration", "5")), 104.5),
            CreditRule((("resolution", "1080p"), ("duration", "10")), 209),
            CreditRule((("resolution", "1080p"), ("duration", "15")), 315),
        ),
        size_param="resolution",
        size_tiers=(("720p", 720), ("1080p", 1080)),
        size_side="shorter",
    ),
    _elevenlabs(
        "elevenlabs/text-to-speech-turbo-2-5",
        "ElevenLabs Turbo v2.5",
        "ElevenLabs Turbo v2.5: low-latency speech in 32 languages.",
        per_1k=6,
    ),
    _elevenlabs(
        "elevenlabs/text-to-speech-multilingual-v2",
        "ElevenLabs Multilingual v2",
        "ElevenLabs Multilingual v2: the most lifelike, emotionally rich speech.",
        per_1k=12,
    ),
)


def _build_catalog(models: tuple[ModelSpec, ...]) -> dict[str, ModelSpec]:
    catalog: dict[str, ModelSpec] = {}
    for model in models:
        if model.id in catalog:
            raise ValueError(f"duplicate model id in catalog: {model.id}")
        catalog[model.id] = model
    return catalog


CATALOG: dict[str, ModelSpec] = _build_catalog(_MODELS)


# ------------------------------------------------------------------------------------
# Public functions
# ------------------------------------------------------------------------------------


def get_model(model_id: str) -> ModelSpec:
    """The model with this id; ValidationError(field="model_id") when unknown."""
    key = model_id.strip() if isinstance(model_id, str) else model_id
    model = CATALOG.get(key) if isinstance(key, str) else None
    if model is None:
        raise ValidationError(
            f"unknown model {_show(model_id)}; known: {', '.join(CATALOG)}",
            field="model_id",
        )
    return model


def models_for(task_type: str) -> list[ModelSpec]:
    """The models of a task type, in catalog order; ValidationError if it is unknown."""
    kind = _task_type(task_type)
    return [m for m in CATALOG.values() if m.task_type == kind]


def validate_request(
    task_type: str,
    model_id: str,
    prompt: str,
    parameters: dict[str, Any] | None,
) -> ValidatedRequest:
    """Check a generation request against the catalog and build the kie.ai inputs."""
    kind = _task_type(task_type)
    model = get_model(model_id)
    if model.task_type != kind:
        raise ValidationError(
            f"{model.id} is not a {kind} model; it makes {_TASK_NOUNS[model.task_type]}",
            field="model_id",
        )
    text = _validate_prompt(model, prompt)
    values = _validate_parameters(model, parameters)
    return ValidatedRequest(
        model=model,
        prompt=text,
        parameters=values,
        provider_inputs=_provider_inputs(model, text, values),
    )


def catalog_as_dicts() -> list[dict[str, Any]]:
    """JSON-ready description of every model and its parameters."""
    return [model.to_dict() for model in CATALOG.values()]


# ------------------------------------------------------------------------------------
# Validation helpers
# ------------------------------------------------------------------------------------


def _task_type(task_type: Any) -> str:
    kind = task_type.strip().lower() if isinstance(task_type, str) else None
    if kind not in TASK_TYPES:
        raise ValidationError(
            f"task_type must be one of {', '.join(TASK_TYPES)} (got {_show(task_type)})",
            field="task_type",
        )
    return kind


def _validate_prompt(model: ModelSpec, prompt: Any) -> str:
    if prompt is None:
        raise ValidationError("Enter a prompt", field="prompt")
    if not isinstance(prompt, str):
        raise ValidationError("The prompt must be text", field="prompt")
    text = prompt.strip()
    if not text:
        raise ValidationError("Enter a prompt", field="prompt")
    if len(text) > model.max_prompt_chars:
        raise ValidationError(
            f"The prompt is too long for {model.name}: {len(text)} characters (at most {model.max_prompt_chars})",
            field="prompt",
        )
    if len(text) < model.min_prompt_chars:
        raise ValidationError(
            f"The prompt is too short for {model.name}: {len(text)} characters (at least {model.min_prompt_chars})",
            field="prompt",
        )
    return text


def _validate_parameters(model: ModelSpec, parameters: Any) -> dict[str, Any]:
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, Mapping):
        raise ValidationError("parameters must be an object of name: value pairs", field="parameters")
    allowed = model.allowed_names
    given: dict[str, Any] = {}
    for key, value in parameters.items():
        if key not in allowed:
            raise ValidationError(
                f"unknown parameter {_show(key)} for {model.id}; allowed: {', '.join(allowed)}",
                field=str(key),
            )
        if not _is_blank(value):
            given[key] = value

    values: dict[str, Any] = {}
    for spec in model.params:
        if spec.name in given:
            values[spec.name] = _coerce(spec, given[spec.name])
    if model.accepts_size:
        size = _size(given)
        if size is not None:
            _apply_size(model, size, values)
    return {spec.name: values[spec.name] if spec.name in values else spec.default_value() for spec in model.params}


def _is_blank(value: Any) -> bool:
    """None or an empty/whitespace string: the parameter counts as not given."""
    return value is None or (isinstance(value, str) and not value.strip())


def _coerce(spec: ParamSpec, value: Any) -> Any:
    if spec.kind == "select":
        return _coerce_select(spec, value)
    if spec.kind in ("number", "integer"):
        return _coerce_number(spec.name, value, spec.minimum, spec.maximum, integer=spec.kind == "integer")
    if spec.kind == "bool":
        return _coerce_bool(spec, value)
    if spec.list_of is not None:
        return _coerce_list(spec, value)
    return _coerce_text(spec, value)


def _coerce_select(spec: ParamSpec, value: Any) -> str:
    text: str | None = None
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if text is not None:
        for option in spec.options:
            if option.lower() == text.lower():
                return option
    raise ValidationError(
        f"{spec.name} must be one of {', '.join(spec.options)} (got {_show(value)})",
        field=spec.name,
    )


def _coerce_number(
    name: str,
    value: Any,
    minimum: float | None,
    maximum: float | None,
    *,
    integer: bool,
) -> int | float:
    number = _to_number(value)
    bounds = _range_text(minimum, maximum)
    if integer and (number is None or not float(number).is_integer()):
        wanted = f"a whole number {bounds}".strip()
        raise ValidationError(f"{name} must be {wanted} (got {_show(value)})", field=name)
    if number is None:
        wanted = f"a number {bounds}".strip()
        raise ValidationError(f"{name} must be {wanted} (got {_show(value)})", field=name)
    result: int | float = int(number) if integer else float(number)
    if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
        raise ValidationError(f"{name} must be {bounds} (got {_fmt(result)})", field=name)
    return result


def _to_number(value: Any) -> int | float | None:
    """A finite int/float from a number or numeric string, else None (bools too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    number: float
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _coerce_bool(spec: ParamSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise ValidationError(f"{spec.name} must be true or false (got {_show(value)})", field=spec.name)


def _coerce_text(spec: ParamSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{spec.name} must be text (got {_show(value)})", field=spec.name)
    text = value.strip()
    if spec.max_length is not None and len(text) > spec.max_length:
        raise ValidationError(
            f"{spec.name} must be at most {spec.max_length} characters (got {len(text)})",
            field=spec.name,
        )
    if text and spec.pattern and not re.fullmatch(spec.pattern, text):
        wanted = spec.pattern_hint or f"text matching {spec.pattern}"
        raise ValidationError(f"{spec.name} must be {wanted} (got {_show(text)})", field=spec.name)
    return text


def _coerce_list(spec: ParamSpec, value: Any) -> list[str]:
    if isinstance(value, str):
        items = re.split(r"[,\r\n]+", value)
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ValidationError(
            f"{spec.name} must be a list of http(s) URLs, or such URLs separated by commas or new lines (got {_show(value)})",
            field=spec.name,
        )
    urls: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValidationError(
                f"{spec.name} entries must be http:// or https:// URLs (got {_show(item)})",
                field=spec.name,
            )
        item = item.strip()
        if not item:
            continue
        if not _is_http_url(item):
            raise ValidationError(
                f"{spec.name} entries must be http:// or https:// URLs (got {_show(item)})",
                field=spec.name,
            )
        urls.append(item)
    if spec.max_items is not None and len(urls) > spec.max_items:
        raise ValidationError(
            f"{spec.name} accepts at most {spec.max_items} URLs (got {len(urls)})",
            field=spec.name,
        )
    return urls


def _is_http_url(text: str) -> bool:
    if any(ch.isspace() for ch in text):
        return False
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)


def _size(given: Mapping[str, Any]) -> tuple[int, int] | None:
    """The generic (width, height), both checked, or None when neither is given."""
    width, height = given.get("width"), given.get("height")
    if width is None and height is None:
        return None
    if width is None:
        raise ValidationError("width must be given together with height", field="width")
    if height is None:
        raise ValidationError("height must be given together with width", field="height")
    return (
        int(_coerce_number("width", width, SIZE_MIN, SIZE_MAX, integer=True)),
        int(_coerce_number("height", height, SIZE_MIN, SIZE_MAX, integer=True)),
    )


def _apply_size(model: ModelSpec, size: tuple[int, int], values: dict[str, Any]) -> None:
    """Fill aspect_ratio and the size tier from width/height unless given."""
    width, height = size
    ratio_spec = model.param("aspect_ratio")
    if ratio_spec is not None and "aspect_ratio" not in values:
        values["aspect_ratio"] = _nearest_ratio(ratio_spec.options, width, height)
    if model.size_param and model.size_tiers and model.size_param not in values:
        side = max(width, height) if model.size_side == "longer" else min(width, height)
        values[model.size_param] = _tier_for(model.size_tiers, side)


def _nearest_ratio(options: tuple[str, ...], width: int, height: int) -> str:
    """The option nearest width/height by log-ratio distance ("auto" skipped)."""
    target = math.log(width / height)
    best: tuple[float, str] | None = None
    for option in options:
        ratio = _parse_ratio(option)
        if ratio is None:
            continue
        distance = abs(math.log(ratio) - target)
        if best is None or distance < best[0]:
            best = (distance, option)
    if best is None:
        raise ValueError(f"no numeric aspect ratio among {options}")
    return best[1]


def _parse_ratio(option: str) -> float | None:
    match = re.fullmatch(r"(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)", option)
    if not match:
        return None
    a, b = float(match.group(1)), float(match.group(2))
    return a / b if a > 0 and b > 0 else None


def _tier_for(tiers: tuple[tuple[str, int], ...], side: int) -> str:
    """The smallest tier covering `side` pixels, capped at the largest tier."""
    for option, limit in tiers:
        if side <= limit:
            return option
    return tiers[-1][0]


def _provider_inputs(model: ModelSpec, prompt: str, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    body: dict[str, Any] = {model.prompt_field: prompt}
    for spec in model.params:
        if not spec.send:
            continue
        value = values[spec.name]
        if spec.omit_if_empty and (value is None or value == "" or value == []):
            continue
        body[spec.field_name] = value
    count = int(values.get("num_images", 1))
    return [copy.deepcopy(body) for _ in range(count)]


def _range_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"between {_fmt(minimum)} and {_fmt(maximum)}"
    if minimum is not None:
        return f"at least {_fmt(minimum)}"
    if maximum is not None:
        return f"at most {_fmt(maximum)}"
    return ""


def _fmt(number: float) -> str:
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return f"{number:g}" if isinstance(number, float) else str(number)


def _show(value: Any) -> str:
    """A short, quoted rendering of a user value for error messages."""
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return json.dumps(text, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _fmt(value)
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
