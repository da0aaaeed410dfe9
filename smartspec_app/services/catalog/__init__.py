"""The model catalog: the kie.ai models we offer, their parameters and prices, request validation.

Plain Python (no Reflex). Laid out so a model is data in one place:

- `spec.py`: the shapes (`ModelSpec`, `ParamSpec`, `CreditRule`, `ValidatedRequest`);
- `images.py`, `video.py`, `speech.py`: the models of each media family, as documented on their
  docs.kie.ai pages (`voices.py`: ElevenLabs' voice list; `params.py`: shared building blocks);
- `registry.py`: the catalog by id (`kie-ai/<id>` accepted), `get_model`, `models_for`;
- `validation.py`: users' requests → typed parameters and kie.ai inputs (`validate_request`);
- `kie_input.py`: what kie.ai accepts in createTask, enforced by the sandbox (`check_kie_input`).

Adding a model is a `ModelSpec` in its family's tuple: README › "Adding a model".
"""

from smartspec_app.services.catalog.kie_input import KieInputError, check_kie_input
from smartspec_app.services.catalog.registry import (
    CATALOG,
    KIE_PREFIX,
    canonical_model_id,
    catalog_as_dicts,
    get_model,
    models_for,
)
from smartspec_app.services.catalog.spec import (
    SIZE_PARAMS,
    TASK_TYPES,
    CreditRule,
    ModelSpec,
    ParamSpec,
    ValidatedRequest,
    request_credits,
)
from smartspec_app.services.catalog.validation import SIZE_MAX, SIZE_MIN, validate_request
from smartspec_app.services.catalog.voices import ELEVENLABS_VOICES

__all__ = [
    "CATALOG",
    "ELEVENLABS_VOICES",
    "KIE_PREFIX",
    "SIZE_MAX",
    "SIZE_MIN",
    "SIZE_PARAMS",
    "TASK_TYPES",
    "CreditRule",
    "KieInputError",
    "ModelSpec",
    "ParamSpec",
    "ValidatedRequest",
    "canonical_model_id",
    "catalog_as_dicts",
    "check_kie_input",
    "get_model",
    "models_for",
    "request_credits",
    "validate_request",
]
