"""/api/generation/*: the catalog for now; the token-authenticated routes come with the REST API work."""

from __future__ import annotations

from fastapi import APIRouter

from smartspec_app.services import catalog
from smartspec_app.services.worker import provider_name

router = APIRouter(prefix="/api/generation", tags=["generation"])


@router.get("/models")
async def list_models() -> dict:
    """Every model the app can run, with its parameters, ranges and defaults."""
    return {"provider": provider_name(), "models": catalog.catalog_as_dicts()}
