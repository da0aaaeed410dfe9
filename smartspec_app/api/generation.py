"""/api/generation/*: start generations, read your tasks, the model catalog, and the provider callback.

The routes call the same services as the generation page (services/generation.start_generation,
worker.provider_name, worker.enqueue), so a task started here shows up live on /generate too.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from smartspec_app.api.deps import CurrentUser, OptionalUser
from smartspec_app.api.gallery import site_urls
from smartspec_app.api.schemas import EstimateOut, GenerateRequest, ModelsOut, TaskOut, TaskPage, TaskStatusName, TaskType, error_responses
from smartspec_app.api.text_types import Text
from smartspec_app.api.time_types import Moment
from smartspec_app.models import GenerationTask
from smartspec_app.services import catalog, credits, generation, task_media, worker
from smartspec_app.services.db import session_scope
from smartspec_app.services.errors import ValidationError
from smartspec_app.services.seo import SiteUrls, iso
from smartspec_app.services.storage import get_storage

router = APIRouter(prefix="/api/generation", tags=["generation"])
REQUEST_FIELDS = ("task_type", "model_id", "prompt", "parameters")


def task_json(task: GenerationTask, urls: SiteUrls) -> dict[str, Any]:
    """The task as the SDKs read it (schemas.TaskOut); media URLs absolute and freshly signed."""
    return {
        "id": task.id,
        "task_type": task.task_type,
        "model_id": task.model_id,
        "prompt": task.prompt,
        "parameters": dict(task.parameters),
        "status": task.status,
        "progress": max(0, min(100, int(task.progress))),
        "status_detail": task.status_detail,
        "output_url": urls.media(task.output_url, signed=True) or None,
        "output_urls": [urls.media(url, signed=True) for url in task.output_urls],
        "thumbnail_url": urls.media(task.thumbnail_url, signed=True) or None,
        "error_message": task.error_message,
        "credits_used": task.credits_used,
        "estimated_credits": task.credits_held,
        "provider": task.provider,
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
        "completed_at": iso(task.completed_at) if task.completed_at else None,
    }


@router.get("/models", response_model=ModelsOut)
def list_models(user: OptionalUser) -> dict:
    """Every model the app can run, with its parameters, ranges and defaults.

    `provider` says where the caller's new tasks run: kie.ai when a key is there for them
    (their own or the operator's), else the sandbox."""
    return {"provider": worker.provider_name(user.id if user else None), "models": catalog.catalog_as_dicts()}


@router.post("/estimate", response_model=EstimateOut, responses=error_responses())
def estimate(body: GenerateRequest, user: CurrentUser) -> dict:
    """What this generation would cost now, in credits, and whether your balance and monthly quota allow
    it. Nothing is started or held: POST /generate does that."""
    try:
        request = catalog.validate_request(body.task_type, body.model_id, body.prompt, body.parameters)
    except ValidationError as exc:
        if exc.field and exc.field not in REQUEST_FIELDS:
            exc.field = f"parameters.{exc.field}"
        raise
    with session_scope() as session:
        quote = credits.quote(session, user.id, request.estimated_credits)
    return {**dataclasses.asdict(quote), "provider": worker.provider_name(user.id)}


@router.post("/generate", status_code=202, response_model=TaskOut, responses=error_responses(402, 503))
def generate(body: GenerateRequest, request: Request, user: CurrentUser) -> dict:
    """Start a generation; answers at once with the pending task, whose `estimated_credits` (the model's
    price for these settings) is held from your credits until it ends: kept when it completes, given back
    when it fails or is cancelled. Over your balance or monthly quota: a 402, and nothing is started.
    Poll GET /tasks/{id} until it ends."""
    try:
        with session_scope() as session:
            task = generation.start_generation(
                session, user, body.task_type, body.model_id, body.prompt, body.parameters, worker.provider_for_new_task(user.id)
            )
    except ValidationError as exc:
        if exc.field and exc.field not in REQUEST_FIELDS:  # a model parameter: name it as it sits in the body
            exc.field = f"parameters.{exc.field}"
        raise
    worker.enqueue(task.id)
    return task_json(task, site_urls(request))


@router.get("/tasks", response_model=TaskPage)
def list_tasks(
    request: Request,
    user: CurrentUser,
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(20, ge=1, le=100),
    status: TaskStatusName | None = None,
    task_type: TaskType | None = None,
    model_id: Annotated[Text | None, Query(max_length=100, description="Only tasks of this model.")] = None,
    q: Annotated[
        Text | None, Query(max_length=generation.MAX_TASK_QUERY, description="Only tasks whose prompt contains this (any case).")
    ] = None,
    created_after: Annotated[Moment | None, Query(description="Created at or after: a date (midnight UTC) or an RFC 3339 time.")] = None,
    created_before: Annotated[Moment | None, Query(description="Created before: a date (midnight UTC) or an RFC 3339 time.")] = None,
) -> dict:
    """Your own tasks, newest first, narrowed by any of the filters (all must hold)."""
    urls = site_urls(request)
    filters = generation.TaskFilters(status, task_type, model_id, q, created_after, created_before)
    with session_scope() as session:
        tasks, total = generation.list_tasks_for_user_id(session, user.id, limit=page_size, offset=(page - 1) * page_size, filters=filters)
        items = [task_json(t, urls) for t in tasks]
    return {"items": items, "page": page, "page_size": page_size, "total": total, "has_more": page * page_size < total}


@router.get("/tasks/{task_id}", response_model=TaskOut, responses=error_responses(404))
def get_task(task_id: str, request: Request, user: CurrentUser) -> dict:
    """One of your tasks (another user's task is a 404, the same as a missing one)."""
    with session_scope() as session:
        return task_json(generation.get_task_for_user(session, user, task_id), site_urls(request))


@router.post("/tasks/{task_id}/cancel", response_model=TaskOut, responses=error_responses(404, 409))
def cancel_task(task_id: str, request: Request, user: CurrentUser) -> dict:
    """Cancel one of your pending or running tasks: it ends `cancelled`, nothing more is downloaded or
    charged. A task that has already ended is a 409. (kie.ai has no cancel call: a task already
    submitted there runs to its end at kie.ai, and its result is ignored.)"""
    with session_scope() as session:
        return task_json(generation.cancel_task(session, user, task_id), site_urls(request))


@router.delete("/tasks/{task_id}", status_code=204, responses=error_responses(404, 409))
def delete_task(task_id: str, user: CurrentUser) -> Response:
    """Delete one of your finished tasks and its stored media (a running task is a 409)."""
    with session_scope() as session:
        task_media.delete_task(session, get_storage(), user, task_id)
    return Response(status_code=204)


@router.post("/callback/{task_id}", include_in_schema=False)
async def provider_callback(task_id: str, request: Request, sig: str = "") -> dict:
    """kie.ai calls this when a task ends. Authenticated by the task's secret; triggers a re-check."""
    try:
        data = (await request.json()).get("data") or {}
        provider_task_id = str(data["taskId"]) if isinstance(data, dict) and data.get("taskId") else None
    except (ValueError, AttributeError):
        provider_task_id = None

    def _accept() -> bool:  # one thread hop: the check and, when it passes, the re-check queued
        with session_scope() as session:
            accepted = generation.accept_callback(session, task_id, sig, provider_task_id)
        if accepted:
            worker.enqueue(task_id)
        return accepted

    if await run_in_threadpool(_accept):
        return {"status": "accepted"}
    return {"status": "ignored", "reason": "the task has already ended"}
