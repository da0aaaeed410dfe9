"""Every model the app offers, looked up by id (kie.ai's id, or the same with a `kie-ai/` prefix)."""

from __future__ import annotations

from typing import Any

from smartspec_app.services.catalog.images import IMAGE_MODELS
from smartspec_app.services.catalog.spec import TASK_TYPES, ModelSpec
from smartspec_app.services.catalog.speech import SPEECH_MODELS
from smartspec_app.services.catalog.text import show
from smartspec_app.services.catalog.video import VIDEO_MODELS
from smartspec_app.services.errors import ValidationError

KIE_PREFIX = "kie-ai/"  # the product specification names models "kie-ai/<kie.ai id>"


def _build_catalog(*families: tuple[ModelSpec, ...]) -> dict[str, ModelSpec]:
    catalog: dict[str, ModelSpec] = {}
    for model in (m for family in families for m in family):
        if model.id in catalog:
            raise ValueError(f"duplicate model id in catalog: {model.id}")
        if model.task_type not in TASK_TYPES:
            raise ValueError(f"{model.id}: unknown task type {model.task_type}")
        catalog[model.id] = model
    return catalog


CATALOG: dict[str, ModelSpec] = _build_catalog(IMAGE_MODELS, VIDEO_MODELS, SPEECH_MODELS)


def canonical_model_id(model_id: str) -> str:
    """kie.ai's id of a model named with or without the `kie-ai/` prefix (trimmed)."""
    key = model_id.strip()
    return key[len(KIE_PREFIX) :] if key.lower().startswith(KIE_PREFIX) else key


def get_model(model_id: str) -> ModelSpec:
    """The model with this id (`kie-ai/` prefix allowed); ValidationError(field="model_id") when unknown."""
    model = CATALOG.get(canonical_model_id(model_id)) if isinstance(model_id, str) else None
    if model is None:
        raise ValidationError(
            f"unknown model {show(model_id)}; known: {', '.join(CATALOG)} (each also as {KIE_PREFIX}<id>)",
            field="model_id",
        )
    return model


def task_type_of(task_type: Any) -> str:
    """A task type as the catalog names it; ValidationError(field="task_type") otherwise."""
    kind = task_type.strip().lower() if isinstance(task_type, str) else None
    if kind not in TASK_TYPES:
        raise ValidationError(
            f"task_type must be one of {', '.join(TASK_TYPES)} (got {show(task_type)})",
            field="task_type",
        )
    return kind


def models_for(task_type: str) -> list[ModelSpec]:
    """The models of a task type, in catalog order; ValidationError if it is unknown."""
    kind = task_type_of(task_type)
    return [m for m in CATALOG.values() if m.task_type == kind]


def catalog_as_dicts() -> list[dict[str, Any]]:
    """JSON-ready description of every model and its parameters."""
    return [model.to_dict() for model in CATALOG.values()]
