"""The body of POST /api/generation/generate, one schema per model of the catalog (services/catalog.py).

Which parameters a request may carry, their values, ranges and defaults, and how long the prompt may
be all depend on the model, so the request is a union of one object per model told apart by
`model_id` (an OpenAPI discriminator). The document then says exactly what each model takes, and
the API refuses the rest before the service sees it: a request the document admits is one the
catalog accepts (schemathesis checks both directions). The service still validates on its own for
the generation page, which sends form text ("2" for a number).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, StrictBool, create_model, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from smartspec_app.api.text_types import Text, TextRule, nonblank_text, without_discriminator
from smartspec_app.services import catalog
from smartspec_app.services.catalog import ModelSpec, ParamSpec

URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?([/?#][!-~]*)?$"
URL_RULE = TextRule(URL_PATTERN, lambda _value: "must be an http:// or https:// URL (ASCII, no spaces)")


def _json_integer(value: Any) -> Any:
    """A JSON integer as JSON Schema has it: 4 or 4.0, never "4" nor true (the page's form sends text; the API does not)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def json_int(minimum: float | None, maximum: float | None) -> Any:
    return Annotated[int, Field(ge=minimum, le=maximum), BeforeValidator(_json_integer)]


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _component_name(prefix: str, model: ModelSpec) -> str:
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9]+', '_', model.id).strip('_')}"


def _literal(*values: str) -> Any:
    return Literal[values]  # type: ignore[valid-type]


def _param_field(spec: ParamSpec) -> tuple[Any, Any]:
    """(annotation, Field) of one parameter: strict JSON types, the catalog's default (none: left out, never null)."""
    described: dict[str, Any] = {"description": spec.help or spec.label, "title": spec.label}
    if spec.default is None:
        described["json_schema_extra"] = _drop_default
    if spec.kind == "select":
        return _literal(*spec.options), Field(spec.default, **described)
    if spec.kind in ("integer", "number"):
        if spec.kind == "integer":
            return json_int(spec.minimum, spec.maximum), Field(spec.default, **described)
        return Annotated[float, Field(strict=True, ge=spec.minimum, le=spec.maximum)], Field(spec.default, **described)
    if spec.kind == "bool":
        return StrictBool, Field(spec.default, **described)
    if spec.list_of == "url":
        url = Annotated[str, URL_RULE, Field(max_length=2048)]
        return list[url], Field(default_factory=list, max_length=spec.max_items, **described)
    rule = TextRule(f"^(?:{spec.pattern})?$", lambda _value, s=spec: f"must be {s.pattern_hint or s.pattern}") if spec.pattern else None
    annotation = Annotated[str, rule] if rule else Text
    return annotation, Field(spec.default, max_length=spec.max_length, **described)


def _size_field(side: str) -> tuple[Any, Any]:
    other = "height" if side == "width" else "width"
    description = f"{side.capitalize()} in pixels, given with `{other}`: the nearest aspect ratio (and size tier) is picked from both."
    absent_never_null = Field(None, description=description, json_schema_extra=_drop_default)
    return json_int(catalog.SIZE_MIN, catalog.SIZE_MAX), absent_never_null


class _Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _SizedParameters(_Parameters):
    """Image and video models also take the generic width and height, together (the catalog derives
    the aspect ratio and size tier from both)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"dependentRequired": {"width": ["height"], "height": ["width"]}})

    @model_validator(mode="after")
    def _both_or_neither(self) -> _SizedParameters:
        given = {"width", "height"} & self.model_fields_set
        if len(given) == 1:  # named like the catalog does: the missing side
            missing, there = ({"width", "height"} - given).pop(), given.pop()
            error = PydanticCustomError("size_pair", f"{missing} must be given together with {there}")
            raise ValidationError.from_exception_data(type(self).__name__, [InitErrorDetails(type=error, loc=(missing,), input=None)])
        return self


def parameters_model(model: ModelSpec) -> type[BaseModel]:
    fields: dict[str, Any] = {spec.name: _param_field(spec) for spec in model.params}
    if model.accepts_size:
        fields |= {side: _size_field(side) for side in catalog.SIZE_PARAMS}
    return create_model(  # type: ignore[call-overload]
        _component_name("Parameters", model),
        __base__=_SizedParameters if model.accepts_size else _Parameters,
        __doc__=f"The parameters {model.name} takes; any left out take their defaults.",
        **fields,
    )


def request_model(model: ModelSpec) -> type[BaseModel]:
    prompt_rule = nonblank_text(model.min_prompt_chars)
    params = parameters_model(model)
    return create_model(  # type: ignore[call-overload]
        _component_name("Generate", model),
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"{model.name} ({model.vendor}): {model.description}",
        task_type=(_literal(model.task_type), Field(description=f"{model.id} makes {model.task_type} tasks.")),
        model_id=(
            _literal(model.id, f"{catalog.KIE_PREFIX}{model.id}"),
            Field(description=f"`{model.id}` (or `{catalog.KIE_PREFIX}{model.id}`; answers say `{model.id}`)."),
        ),
        prompt=(
            Annotated[str, prompt_rule],
            Field(
                max_length=model.max_prompt_chars,
                description=f"{model.min_prompt_chars} to {model.max_prompt_chars} characters (leading and trailing spaces aside).",
            ),
        ),
        parameters=(params, Field(default_factory=params)),
    )


EXAMPLE = {"task_type": "image", "model_id": "nano-banana-pro", "prompt": "A lighthouse at dawn", "parameters": {"aspect_ratio": "16:9"}}
REQUEST_MODELS: dict[str, type[BaseModel]] = {model.id: request_model(model) for model in catalog.CATALOG.values()}
_Union = Annotated[Union[tuple(REQUEST_MODELS.values())], Field(discriminator="model_id")]  # type: ignore[valid-type]  # noqa: UP007


def _document(schema: dict[str, Any]) -> None:
    without_discriminator(schema)
    schema["example"] = EXAMPLE


class GenerateRequest(RootModel[_Union]):  # type: ignore[valid-type]
    """Start a generation: the model's id, its task type, a prompt and the model's parameters
    (GET /api/generation/models lists them too)."""

    model_config = ConfigDict(json_schema_extra=_document)

    @property
    def task_type(self) -> str:
        return self.root.task_type

    @property
    def model_id(self) -> str:
        return self.root.model_id

    @property
    def prompt(self) -> str:
        return self.root.prompt

    @property
    def parameters(self) -> dict[str, Any]:
        """Only the parameters the request gave (the service fills in the rest)."""
        return self.root.parameters.model_dump(exclude_unset=True)
