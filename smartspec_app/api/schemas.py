"""Request and response bodies of the REST API, so /api/openapi.json describes them exactly.

The task JSON (`TaskOut`) is what the SDKs parse; change it only together with them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from smartspec_app.api.generation_request import GenerateRequest as GenerateRequest  # one schema per model, built there
from smartspec_app.api.text_types import Label, NonBlankText, Text, VisibleLabel, without_discriminator
from smartspec_app.services import gallery, moderation, reports
from smartspec_app.services.errors import ValidationError

TaskType = Literal["image", "video", "speech"]
TaskStatusName = Literal["pending", "running", "completed", "failed", "cancelled"]
Visibility = Literal["public", "unlisted", "private"]
LikeAction = Literal["toggle", "like", "unlike"]
Category = Literal[tuple(gallery.CATEGORIES)]  # type: ignore[valid-type]  # the one list, in services/gallery.py
ReportReason = Literal[tuple(reports.REASONS)]  # type: ignore[valid-type]
ModerationActionName = Literal[tuple(moderation.ACTIONS)]  # type: ignore[valid-type]
QueueFilter = Literal[tuple(moderation.FILTERS)]  # type: ignore[valid-type]


class RequestBody(BaseModel):
    """A request body: a field the API does not know is refused (a 422 naming it), not silently dropped."""

    model_config = ConfigDict(extra="forbid")


# --- errors ----------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code: validation_error, not_found, rate_limited, ...")
    message: str = Field(description="What went wrong, in words for people.")
    details: dict[str, Any] = Field(default_factory=dict, description="More facts, e.g. `field` for a validation error.")


class ErrorResponse(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorDetail


ERROR_WORDS = {
    400: "Malformed request body (not JSON, or not readable)",
    401: "Missing, malformed, unknown or revoked token",
    402: "Not enough credits: the price is over the balance or what is left of the monthly quota",
    403: "Not allowed for this user",
    404: "Not found (or not yours)",
    409: "Conflicts with what is stored",
    413: "Request body over MAX_REQUEST_BYTES",
    422: "Invalid input; `details.field` names it",
    429: "Rate limit reached; see Retry-After",
    503: "No provider can run it now (no kie.ai key and the sandbox switched off)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the statuses its own logic answers, with the error shape.

    The statuses every route of a kind may answer are added in api/openapi.py from what the route
    is: 400 and 413 with a request body, 401 when it reads the token, 422 with any input, 429 when
    rate-limited."""
    return {status: {"model": ErrorResponse, "description": ERROR_WORDS.get(status, "Error")} for status in statuses}


# --- generation ------------------------------------------------------------------------------


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
    credits_used: float = Field(description="What it was finally charged: the held price once completed, 0 when failed or cancelled.")
    estimated_credits: float = Field(description="The price held from your credits when it started (its model's price for these settings).")
    provider: str = Field(description="kie (kie.ai) or sandbox (the built-in offline provider).")
    created_at: str = Field(description="ISO-8601, UTC.")
    updated_at: str
    completed_at: str | None


class EstimateOut(BaseModel):
    """The price of a generation before it is started, and whether it would be accepted now."""

    price: float = Field(description="Credits: the model's published kie.ai price for these settings.")
    balance: float = Field(description="Your credit balance now.")
    month_left: float | None = Field(description="What is left of your monthly quota; null: no quota.")
    affordable: bool
    message: str = Field(description="Why it would be refused (the 402's message); empty when affordable.")
    provider: Literal["kie", "sandbox"] = Field(description="Where it would run; sandbox charges are marked as such.")


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


class DetectorLabelOut(BaseModel):
    label: str = Field(description="The detector's label, e.g. FEMALE_BREAST_EXPOSED.")
    words: str = Field(description="The same in words.")
    score: float


class ModerationOut(BaseModel):
    """Where the item stands in moderation and why, as its author is told."""

    status: Literal["pending", "approved", "rejected"]
    state: Literal["approved", "waiting", "flagged", "reported", "nsfw", "rejected"]
    headline: str
    reason: str = Field(description="The moderator's reason, the detector's findings or the reports; may be empty.")
    labels: list[DetectorLabelOut] = Field(description="The detector's labels at or over the threshold, when it flagged the item.")
    listed: bool = Field(description="Whether it appears in the public gallery.")
    review_requested_at: str | None = Field(description="When the author asked for a re-review (once per item).")
    review_note: str
    review_open: bool = Field(description="A re-review was asked for and no moderator has decided since.")
    can_request_review: bool


class GalleryItemDetail(GalleryItemOut):
    liked: bool = Field(description="Whether the caller likes it (false without a token).")
    moderation: ModerationOut | None = Field(None, description="For the author and admins only; null for everyone else.")


class ReviewRequest(BaseModel):
    """Ask for another look at your rejected, flagged, NSFW-marked or reported item (once per item)."""

    note: Text = Field("", max_length=1000, description="What the moderators should know.")


class GalleryPage(BaseModel):
    items: list[GalleryItemOut]
    page: int
    page_size: int
    total: int
    has_more: bool


def _no_default(schema: dict[str, Any]) -> None:
    """Left out, the field is not given; it is never null."""
    schema.pop("default", None)


class ShareRequest(RequestBody):
    """Share one of your completed generations to the gallery: name it by `task_id` or
    `generation_task_id` (the same thing; give one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "title": "My Amazing Image",
                "description": "Generated with AI",
                "generation_task_id": "task_123",
                "category": "landscape",
                "tags": ["nature", "sunset"],
                "visibility": "public",
            },
            # one of the two names (the API also takes both when they name the same task)
            "oneOf": [{"required": ["task_id"]}, {"required": ["generation_task_id"]}],
        },
    )

    task_id: Text = Field(None, min_length=1, max_length=32, description="The generation task to share.", json_schema_extra=_no_default)
    generation_task_id: Text = Field(None, min_length=1, max_length=32, description="Same as `task_id`.", json_schema_extra=_no_default)
    title: VisibleLabel = Field(max_length=gallery.MAX_TITLE, description="White space runs become one space.")
    description: Text = Field("", max_length=gallery.MAX_DESCRIPTION)
    category: Category = "general"
    tags: list[Annotated[Label, Field(max_length=100)]] = Field(
        default_factory=list,
        max_length=gallery.MAX_TAGS,
        description=f"Stored as lower-case ASCII words joined by hyphens, {gallery.MAX_TAG_LENGTH} characters at most; repeats count once.",
    )
    visibility: Visibility = "public"

    def task_to_share(self) -> str:
        """The task named by `task_id` or `generation_task_id`; a 422 naming the field otherwise."""
        if self.task_id is None and self.generation_task_id is None:
            raise ValidationError("Name the generation to share: task_id (or generation_task_id)", field="task_id")
        if self.task_id is not None and self.generation_task_id is not None and self.task_id != self.generation_task_id:
            raise ValidationError("task_id and generation_task_id name different tasks: give one of them", field="generation_task_id")
        return self.task_id or self.generation_task_id or ""


class LikeRequest(RequestBody):
    action: LikeAction = "toggle"


class LikeOut(BaseModel):
    item_id: str
    liked: bool
    likes_count: int


class SdkOut(BaseModel):
    language: Literal["python", "javascript", "typescript", "react"]
    filename: str
    code: str
    includes_api_key: bool = Field(description="Whether one of your tokens is written into the code.")


# --- reports and moderation ----------------------------------------------------------------


class ReportBody(RequestBody):
    reason: ReportReason
    details: Text = Field("", max_length=reports.MAX_DETAILS)


class ReportOut(BaseModel):
    id: int
    item_id: str
    reason: ReportReason
    reports_count: int = Field(description="Open reports on the item, this one included.")


class ReasonBody(RequestBody):
    reason: Text = Field("", max_length=moderation.MAX_REASON)


class RejectBody(RequestBody):
    reason: NonBlankText = Field(..., max_length=moderation.MAX_REASON)


class NsfwBody(ReasonBody):
    nsfw: StrictBool = True


class FeatureBody(ReasonBody):
    featured: StrictBool = True


class BulkBody(RequestBody):
    """One action on up to 100 items; a rejection needs a reason."""

    action: ModerationActionName
    item_ids: list[Annotated[Text, Field(min_length=1, max_length=32)]] = Field(..., min_length=1, max_length=moderation.MAX_BULK)
    reason: Text = Field("", max_length=moderation.MAX_REASON)


class BulkReject(BulkBody):
    action: Literal["reject"]
    reason: NonBlankText = Field(..., max_length=moderation.MAX_REASON)


class BulkOther(BulkBody):
    action: Literal[tuple(a for a in moderation.ACTIONS if a != "reject")]  # type: ignore[valid-type]


BulkRequest = Annotated[BulkReject | BulkOther, Field(discriminator="action", json_schema_extra=without_discriminator)]


class AdminItemOut(BaseModel):
    id: str
    slug: str
    title: str
    author: str
    user_id: int
    media_type: Literal["image", "video", "audio"]
    media_url: str | None
    thumbnail_url: str | None
    prompt: str
    model_id: str
    visibility: Visibility
    moderation_status: Literal["pending", "approved", "rejected"]
    moderation_reason: str | None
    is_nsfw: bool
    nsfw_score: float | None
    nsfw_scores: dict[str, float]
    nsfw_flagged: bool
    nsfw_detector: str | None
    reports_count: int
    review_requested_at: str | None = Field(description="When the author asked for a re-review (once per item).")
    review_note: str | None = Field(description="The author's note with the re-review request.")
    review_open: bool = Field(description="A re-review request waits for a moderator.")
    is_featured: bool
    featured_at: str | None
    likes_count: int
    views_count: int
    created_at: str


class DeletedOut(BaseModel):
    id: str
    deleted: Literal[True]


class AdminReportOut(BaseModel):
    id: int
    reporter: str
    reason: str
    details: str
    created_at: str
    resolved_at: str | None
    resolution: str | None


class AuditEntryOut(BaseModel):
    id: int
    item_id: str | None
    item_title: str
    actor_id: int | None
    actor: str = Field(description='The admin\'s username, or "system".')
    action: str
    reason: str
    details: dict[str, Any]
    created_at: str


class AdminItemDetail(AdminItemOut):
    reports: list[AdminReportOut]
    history: list[AuditEntryOut]


class QueueOut(BaseModel):
    items: list[AdminItemOut]
    total: int
    page: int
    page_size: int
    counts: dict[str, int] = Field(description="Items under every filter (the backlog).")


class BulkOut(BaseModel):
    action: ModerationActionName
    done: list[str]
    failed: dict[str, str] = Field(description="Item id → why it could not take the action.")


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    total: int
    page: int
    page_size: int


class ModelFigures(BaseModel):
    model_id: str
    total: int
    completed: int
    failed: int
    avg_seconds: float | None
    credits: float
    success_rate: float | None


class GenerationFigures(BaseModel):
    total: int
    completed: int
    failed: int
    success_rate: float | None
    avg_seconds: float | None
    credits: float
    by_day: list[dict[str, Any]] = Field(description="{day, image, video, speech, total, completed, failed, credits} per day.")
    by_model: list[ModelFigures]


class ModerationFigures(BaseModel):
    backlog: dict[str, int]
    oldest_pending_hours: float | None


class AnalyticsOut(BaseModel):
    start: str = Field(description="The first day counted (YYYY-MM-DD).")
    end: str = Field(description="The last day counted.")
    generations: GenerationFigures
    gallery_by_day: list[dict[str, Any]] = Field(description="{day, items, likes, views} per day.")
    moderation: ModerationFigures
