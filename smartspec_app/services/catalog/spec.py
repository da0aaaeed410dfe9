"""The shapes of the catalog's data: a model (`ModelSpec`), its parameters (`ParamSpec`), its prices.

A `ParamSpec` that is sent to kie.ai describes the kie.ai input field it fills exactly as the model's
page on docs.kie.ai documents it (type, allowed values, range, length, required), so the same data
validates users' requests (`validation.py`) and, in the sandbox, the createTask inputs kie.ai would
refuse (`kie_input.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

TaskType = Literal["image", "video", "speech"]
ParamKind = Literal["select", "number", "integer", "bool", "text"]
WireType = Literal["string", "integer", "number", "boolean", "array"]

TASK_TYPES: tuple[str, ...] = ("image", "video", "speech")

# Generic size parameters accepted by image/video models and mapped onto each model's
# own aspect_ratio / resolution (never sent to kie.ai as such).
SIZE_PARAMS: tuple[str, ...] = ("width", "height")

_WIRE_TYPES: dict[str, WireType] = {"select": "string", "number": "number", "integer": "integer", "bool": "boolean", "text": "string"}


@dataclass(frozen=True)
class ParamSpec:
    """One model parameter: how the form shows it, how it is checked and how it travels to kie.ai."""

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
    send: bool = True  # False: ours only (e.g. num_images made of several kie.ai tasks); never in the input
    provider_name: str | None = None  # kie.ai field name, when it differs from `name`
    omit_if_empty: bool = False  # leave the field out of the provider input when "" or [] or None
    required: bool = False  # kie.ai refuses an input without this field
    # A "text" parameter that holds a list (comma/newline separated in the form).
    list_of: Literal["url"] | None = None
    max_items: int | None = None
    pattern: str | None = None  # regular expression a non-empty text value must match
    pattern_hint: str = ""  # what `pattern` accepts, for the error message
    option_labels: tuple[tuple[str, str], ...] = ()  # (option, label) where an option is an opaque id
    searchable: bool = False  # a long list of options: the form offers type-to-search

    @property
    def field_name(self) -> str:
        """The kie.ai input field this parameter fills."""
        return self.provider_name or self.name

    @property
    def wire_type(self) -> WireType:
        """The JSON type of the kie.ai field."""
        return "array" if self.list_of is not None else _WIRE_TYPES[self.kind]

    def default_value(self) -> Any:
        """The default as a fresh value (lists are copied, never shared)."""
        return list(self.default) if isinstance(self.default, tuple) else self.default

    def label_of(self, option: str) -> str:
        """How the form names an option (the option itself unless it has a label)."""
        return dict(self.option_labels).get(option, option)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description for the form and the REST API."""
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "default": self.default_value(),
            "options": list(self.options),
            "option_labels": {option: label for option, label in self.option_labels},
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
    """One kie.ai model: identity, prompt limits, parameters, prices, how width/height map onto it."""

    id: str  # the kie.ai model id ("kie-ai/<id>" is accepted too)
    name: str
    task_type: TaskType
    vendor: str
    description: str
    docs_url: str  # the model's page on docs.kie.ai, where every fact below comes from
    prompt_field: str  # kie.ai field holding the prompt: "prompt" or "text"
    min_prompt_chars: int
    max_prompt_chars: int
    params: tuple[ParamSpec, ...]
    output_ext: str  # default extension of results; an "output_format" parameter overrides it
    credits_per_task: float  # kie.ai's published price of one task (see prices in the family modules)
    credit_rules: tuple[CreditRule, ...] = ()  # first matching rule wins over credits_per_task
    credits_per_1k_chars: float | None = None  # speech: the price scales with the text length
    # width/height mapping: the select chosen from the size, its tiers (option, max
    # pixels of the measured side, ascending) and which side is measured.
    size_param: str | None = None
    size_tiers: tuple[tuple[str, int], ...] = ()
    size_side: Literal["longer", "shorter"] = "longer"
    # kie.ai fields this model refuses, with kie.ai's reason (e.g. language_code on Multilingual v2)
    refused_fields: tuple[tuple[str, str], ...] = ()
    # the parameter whose value is how many results ONE kie.ai task makes (Imagen 4 Fast's num_images)
    outputs_param: str | None = None

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
        """kie.ai's price of ONE provider task with these normalized parameters."""
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
            "docs_url": self.docs_url,
            "prompt_field": self.prompt_field,
            "min_prompt_chars": self.min_prompt_chars,
            "max_prompt_chars": self.max_prompt_chars,
            "output_ext": self.output_ext,
            "credits_per_task": self.credits_per_task,
            "credit_rules": [{"when": dict(rule.when), "credits": rule.credits} for rule in self.credit_rules],
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
    provider_inputs: list[dict[str, Any]] = field(default_factory=list)  # one kie.ai `input` body per provider task

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
        """kie.ai's price of the whole request (all provider tasks)."""
        return request_credits(self.model, self.parameters, self.prompt, self.task_count)


def request_credits(model: ModelSpec, parameters: Mapping[str, Any], prompt: str, task_count: int) -> float:
    """The price of `task_count` kie.ai tasks of `model` with these parameters and this prompt."""
    return round(model.credits_for(parameters, len(prompt)) * task_count, 2)
