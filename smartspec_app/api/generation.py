"""/api/generation/*: the model catalog and the provider callback.

The token-authenticated SDK routes (generate, tasks) come with the REST API work.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from smartspec_app.services import catalog, generation, worker
from smartspec_app.services.db import session_scope

router = APIRouter(prefix="/api/generation", tags=["generation"])


@router.get("/models")
async def list_models() -> dict:
    """Every model the app can run, with its parameters, ranges and defaults."""
    return {"provider": worker.provider_name(), "models": catalog.catalog_as_dicts()}


@router.post("/callback/{task_id}", include_in_schema=False)
async def provider_callback(task_id: str, sig: str = "") -> dict:
    """kie.ai calls this when a task ends. Authenticated by the task's secret; triggers a re-check."""

    def _accept() -> bool:
        with session_scope() as session:
            return generation.accept_callback(session, task_id, sig)

    if await run_in_threadpool(_accept):
        await run_in_threadpool(worker.enqueue, task_id)
        return {"status": "accepted"}
    return {"status": "ignored", "reason": "the task has already ended"}
