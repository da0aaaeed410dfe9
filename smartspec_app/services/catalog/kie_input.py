"""What kie.ai itself accepts in a createTask body, field by field, as its docs describe each model.

The sandbox answers every createTask with this check, so it refuses what kie.ai would refuse (a
field the model does not document, a wrong JSON type, a value outside the documented list or range,
a missing required field, `language_code` where kie.ai rejects it) with kie.ai's 422 envelope. The
rules come from the same `ParamSpec`s the app validates users' requests with: the sandbox holds the
app to the catalog, and the catalog's tests hold it to docs.kie.ai.

It checks kie.ai's types strictly (no coercion): "2" is not an integer and 1 is not a boolean.
"""

from __future__ import annotations

import math
from typing import Any

from smartspec_app.services.catalog.registry import CATALOG
from smartspec_app.services.catalog.spec import ModelSpec, ParamSpec, WireType
from smartspec_app.services.catalog.text import choices, fmt, range_text, show


class KieInputError(Exception):
    """The createTask body breaks the model's documented input; `str(error)` is kie.ai-style `msg`."""


def _is_type(value: Any, wire: WireType) -> bool:
    if wire == "string":
        return isinstance(value, str)
    if wire == "boolean":
        return isinstance(value, bool)
    if wire == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if wire == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, list)


def _check_field(spec: ParamSpec, value: Any) -> None:
    name = spec.field_name
    if not _is_type(value, spec.wire_type):
        raise KieInputError(f"input.{name} must be of type {spec.wire_type} (got {show(value)})")
    if spec.kind == "select" and value not in spec.options:
        raise KieInputError(f"input.{name} must be one of {choices(spec.options)} (got {show(value)})")
    below = spec.minimum is not None and value < spec.minimum
    above = spec.maximum is not None and value > spec.maximum
    if spec.kind in ("number", "integer") and (below or above):
        raise KieInputError(f"input.{name} must be {range_text(spec.minimum, spec.maximum)} (got {fmt(value)})")
    if spec.wire_type == "string" and spec.max_length is not None and len(value) > spec.max_length:
        raise KieInputError(f"input.{name} exceeds the maximum length of {spec.max_length} characters")
    if spec.wire_type == "array":
        if spec.max_items is not None and len(value) > spec.max_items:
            raise KieInputError(f"input.{name} accepts at most {spec.max_items} items (got {len(value)})")
        if not all(isinstance(item, str) for item in value):
            raise KieInputError(f"input.{name} must be an array of strings")


def _check_prompt(model: ModelSpec, input: dict[str, Any]) -> None:
    name = model.prompt_field
    if name not in input:
        raise KieInputError(f"input.{name} is required")
    text = input[name]
    if not isinstance(text, str):
        raise KieInputError(f"input.{name} must be of type string (got {show(text)})")
    if len(text) > model.max_prompt_chars:
        raise KieInputError(f"input.{name} exceeds the maximum length of {model.max_prompt_chars} characters")
    if len(text.strip()) < model.min_prompt_chars:
        raise KieInputError(f"input.{name} must be at least {model.min_prompt_chars} characters")


def check_kie_input(model_id: Any, input: Any) -> ModelSpec:
    """The model of a valid createTask body; KieInputError with kie.ai's kind of message otherwise."""
    model = CATALOG.get(model_id) if isinstance(model_id, str) else None
    if model is None:
        raise KieInputError(f"model {show(model_id)} is not supported")
    if not isinstance(input, dict):
        raise KieInputError("input must be an object")
    _check_prompt(model, input)
    fields = {spec.field_name: spec for spec in model.params if spec.send}
    refused = dict(model.refused_fields)
    for name, value in input.items():
        if name == model.prompt_field:
            continue
        if name in refused:
            raise KieInputError(f"input.{name} is not supported by {model.id}: {refused[name]}")
        spec = fields.get(name)
        if spec is None:
            raise KieInputError(f"input.{name} is not a field of {model.id}")
        _check_field(spec, value)
    missing = [name for name, spec in fields.items() if spec.required and name not in input]
    if missing:
        raise KieInputError(f"input.{missing[0]} is required")
    return model
