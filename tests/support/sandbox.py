"""The sandbox's key as this app's provider client has it (services/sandbox_access.py)."""

from __future__ import annotations

from smartspec_app.services import sandbox_access
from smartspec_app.settings import get_settings


def sandbox_api_key() -> str:
    """The Bearer key the sandbox accepts: the only one that works with it."""
    settings = get_settings()
    return sandbox_access.sandbox_secret(settings.sandbox_secret, settings.data_dir)
