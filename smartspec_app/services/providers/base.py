"""What every generation provider offers the worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

ProviderStatus = Literal["queued", "generating", "success", "failed", "unknown"]


@dataclass(frozen=True)
class ProviderTaskState:
    status: ProviderStatus
    progress: int | None = None  # 0–100 when the provider reports one
    result_urls: list[str] = field(default_factory=list)
    error_code: str = ""
    error_message: str = ""
    credits: float | None = None  # when the provider reports a cost
    raw_state: str = ""


class Provider(Protocol):
    name: str

    async def create_task(self, model: str, input: dict, callback_url: str | None = None) -> str:
        """Start a task; returns the provider's task id."""

    async def get_task(self, provider_task_id: str) -> ProviderTaskState: ...

    async def get_credits(self) -> float: ...
