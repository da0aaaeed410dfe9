"""Request and response bodies of the REST API, so /api/openapi.json describes them exactly.

The task JSON (`TaskOut`) is what the SDKs parse; change it only together with them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from smartspec_app.services.errors import ValidationError

TaskType = Literal["image", "video", "speech"]
TaskStatusName = Literal["pending", "running", "completed", "failed", "cancelled"]
Visibility = Literal["public", "unlisted", "private"]
LikeAction = Literal["toggle", "like", "unlike"]


# --- errors ----------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code: validation_error, not_found, rate_limited, ...")
    message: str = Field(description="What went wrong, in words for people.")
    details: dict[str, Any] = Field(default_factory=dict, description="More facts, e.g. `field` for a validation error.")


class ErrorResponse(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the listed statuses (and 429) documented with the error shape."""
    words = {
        400: "Malformed request (e.g. invalid JSON)",
        401: "Missing, malformed, unknown or revoked token",
        403: "Not allowed for this user",
        404: "Not found (or not yours)",
        409: "Conflicts with what is stored",
        422: "Invalid input; `details.field` names it",
        429: "Rate limit reached; see Retry-After",
        503: "No provider can run it now (no kie.ai key and the sandbox switched off)",
    }
    return {status: {"model": ErrorResponse, "description": words.get(status, "Error")} for status in (*statuses, 429)}


# --- generation ------------------------------------------------------------------------------


class GenerateRequest(BaseModel):
    """Start a generation. Parameters depend on the model: see GET /api/generation/models."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "task_type": "image",
                "model_id": "nano-banana-pro",
                "prompt": "A lighthouse at dawn",
                "parameters": {"aspect_ratio": "16:9"},
            }
        }
    )

    task_type: TaskType
    model_id: str = Field(
        min_length=1,
        max_length=100,
        description="A model of GET /api/generation/models: `<id>` or `kie-ai/<id>` (answers say `<id>`).",
    )
    prompt: str = Field(max_length=20_000)
    parameters: dict[str, Any] = Field(default_factory=dict)


class TaskOut(BaseModel):
    """One generation task."""

    id: str
    task_type: TaskType
    model_id: str
    prompt: str
    parameters: dict[str, Any]
    status: TaskStatusName
    progress: int = Field(ge=0, le=100)
    status_detail: str
    output_url: str | None = Field(description="The first result, as an absolute URL; null until completed.")
    output_urls: list[str] = Field(description="Every result (several images), absolute URLs.")
    thumbnail_url: str | None
    error_message: str | None
    credits_used: float
    provider: str = Field(description="kie (kie.ai) or sandbox (the built-in offline provider).")
    created_at: str = Field(description="ISO-8601, UTC.")
    updated_at: str
    completed_at: str | None


class TaskPage(BaseModel):
    items: list[TaskOut]
    page: int
    page_size: int
    total: int
    has_more: bool


class ParamOut(BaseModel):
    """One model parameter: its kind, default and allowed values or range."""

    model_config = ConfigDict(extra="allow")

    name: str
    label: str
    kind: str
    default: Any = None
    options: list[str] = Field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    help: str = ""
    max_length: int | None = None
    multiple: bool = False
    list_of: str | None = None
    max_items: int | None = None
    sent_to_provider: bool = True


class ModelOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    task_type: TaskType
    vendor: str
    description: str
    prompt_field: str
    min_prompt_chars: int
    max_prompt_chars: int
    output_ext: str
    credits_per_task: float
    credits_per_1k_chars: float | None = None
    accepts_size: bool
    params: list[ParamOut]


class ModelsOut(BaseModel):
    provider: Literal["kie", "sandbox"] = Field(description="Where the caller's new tasks run.")
    models: list[ModelOut]


# --- gallery ---------------------------------------------------------------------------------


class GalleryItemOut(BaseModel):
    id: str
    slug: str
    url: str = Field(description="The item's public page.")
    title: str
    description: str
    author: str
    media_type: Literal["image", "video", "audio"]
    media_url: str
    thumbnail_url: str | None
    prompt: str
    model_id: str
    category: str
    tags: list[str]
    visibility: Visibility
    likes_count: int
    views_count: int
    created_at: str
    updated_at: str


class GalleryItemDetail(GalleryItemOut):
    liked: bool = Field(description="Whether the caller likes it (false without a token).")


class GalleryPage(BaseModel):
    items: list[GalleryItemOut]
    page: int
    page_size: int
    total: int
    has_more: bool


class ShareRequest(BaseModel):
    """Share one of your completed generations to the gallery: name it by `task_id` or
    `generation_task_id` (the same thing; give one)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "title": "My Amazing Image",
                "description": "Generated with AI",
                "generation_task_id": "task_123",
                "category": "landscape",
                "tags": ["nature", "sunset"],
                "visibility": "public",
            }
        }
    )

    task_id: str | None = Field(None, min_length=1, max_length=32, description="The generation task to share.")
    generation_task_id: str | None = Field(None, min_length=1, max_length=32, description="Same as `task_id`.")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    category: str = Field("general", max_length=50)
    tags: list[str] = Field(default_factory=list, max_length=50)
    visibility: Visibility = "public"

    def task_to_share(self) -> str:
        """The task named by `task_id` or `generation_task_id`; a 422 naming the field otherwise."""
        if self.task_id is None and self.generation_task_id is None:
            raise ValidationError("Name the generation to share: task_id (or generation_task_id)", field="task_id")
        if self.task_id is not None and self.generation_task_id is not None and self.task_id != self.generation_task_id:
            raise ValidationError("task_id and generation_task_id name different tasks: give one of them", field="generation_task_id")
        return self.task_id or self.generation_task_id or ""


class LikeRequest(BaseModel):
    action: LikeAction = "toggle"


class LikeOut(BaseModel):
    item_id: str
    liked: bool
    likes_count: int
