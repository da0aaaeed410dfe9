"""Checking a generation request against the catalog and building the kie.ai inputs it becomes.

Values are coerced the forgiving way people and forms send them ("16:9", 2 or "2", "true"), then
typed exactly as kie.ai documents its fields; anything else is a ValidationError naming the field
and what it accepts.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from smartspec_app.services.catalog.registry import get_model, task_type_of
from smartspec_app.services.catalog.spec import ModelSpec, ParamSpec, ValidatedRequest
from smartspec_app.services.catalog.text import choices, fmt, range_text, show
from smartspec_app.services.errors import ValidationError
from smartspec_app.services.text_rules import check_text

SIZE_MIN = 64
SIZE_MAX = 8192

_TRUE_WORDS = frozenset({"true", "on", "1", "yes"})
_FALSE_WORDS = frozenset({"false", "off", "0", "no"})
_TASK_NOUNS = {"image": "images", "video": "videos", "speech": "speech"}


def validate_request(
    task_type: str,
    model_id: str,
    prompt: str,
    parameters: dict[str, Any] | None,
) -> ValidatedRequest:
    """Check a generation request against the catalog and build the kie.ai inputs."""
    kind = task_type_of(task_type)
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


def _validate_prompt(model: ModelSpec, prompt: Any) -> str:
    if prompt is None:
        raise ValidationError("Enter a prompt", field="prompt")
    if not isinstance(prompt, str):
        raise ValidationError("The prompt must be text", field="prompt")
    text = check_text(prompt, "prompt", "The prompt").strip()
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
    refused = dict(model.refused_fields)
    for key, value in parameters.items():
        if key in refused and not _is_blank(value):
            raise ValidationError(f"{model.name} does not take {key}: {refused[key]}", field=str(key))
        if key not in allowed and key not in refused:
            raise ValidationError(
                f"unknown parameter {show(key)} for {model.id}; allowed: {', '.join(allowed)}",
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
        f"{spec.name} must be one of {choices(spec.options)} (got {show(value)})",
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
    bounds = range_text(minimum, maximum)
    if integer and (number is None or not float(number).is_integer()):
        wanted = f"a whole number {bounds}".strip()
        raise ValidationError(f"{name} must be {wanted} (got {show(value)})", field=name)
    if number is None:
        wanted = f"a number {bounds}".strip()
        raise ValidationError(f"{name} must be {wanted} (got {show(value)})", field=name)
    result: int | float = int(number) if integer else float(number)
    if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
        raise ValidationError(f"{name} must be {bounds} (got {fmt(result)})", field=name)
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
    raise ValidationError(f"{spec.name} must be true or false (got {show(value)})", field=spec.name)


def _coerce_text(spec: ParamSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{spec.name} must be text (got {show(value)})", field=spec.name)
    text = check_text(value, spec.name, spec.name).strip()
    if spec.max_length is not None and len(text) > spec.max_length:
        raise ValidationError(
            f"{spec.name} must be at most {spec.max_length} characters (got {len(text)})",
            field=spec.name,
        )
    if text and spec.pattern and not re.fullmatch(spec.pattern, text):
        wanted = spec.pattern_hint or f"text matching {spec.pattern}"
        raise ValidationError(f"{spec.name} must be {wanted} (got {show(text)})", field=spec.name)
    return text


def _coerce_list(spec: ParamSpec, value: Any) -> list[str]:
    if isinstance(value, str):
        items = re.split(r"[,\r\n]+", value)
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ValidationError(
            f"{spec.name} must be a list of http(s) URLs, or such URLs separated by commas or new lines (got {show(value)})",
            field=spec.name,
        )
    urls: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValidationError(
                f"{spec.name} entries must be http:// or https:// URLs (got {show(item)})",
                field=spec.name,
            )
        item = check_text(item, spec.name, spec.name).strip()
        if not item:
            continue
        if not _is_http_url(item):
            raise ValidationError(
                f"{spec.name} entries must be http:// or https:// URLs (got {show(item)})",
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
    """One kie.ai `input` per provider task: a num_images that kie.ai does not take means that many tasks."""
    body: dict[str, Any] = {model.prompt_field: prompt}
    for spec in model.params:
        if not spec.send:
            continue
        value = values[spec.name]
        if spec.omit_if_empty and (value is None or value == "" or value == []):
            continue
        body[spec.field_name] = value
    count = values.get("num_images", 1) if _is_ours(model.param("num_images")) else 1
    return [copy.deepcopy(body) for _ in range(int(count))]


def _is_ours(spec: ParamSpec | None) -> bool:
    return spec is not None and not spec.send
