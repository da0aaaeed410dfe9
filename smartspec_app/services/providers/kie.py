"""Async client of the kie.ai jobs API (see shared/kie-api.md).

Every answer is an envelope {"code", "msg", "data"}; the HTTP status is usually 200 even for
errors, so `code` decides. Transient failures (timeouts, connection errors, 429, 5xx) are
retried with exponential backoff and jitter, up to `max_attempts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx

from smartspec_app.services.errors import ProviderError
from smartspec_app.services.providers.base import ProviderTaskState
from smartspec_app.services.tls import client_tls

# kie.ai envelope codes → (meaning, retryable)
KIE_CODES: dict[int, tuple[str, bool]] = {
    401: ("The kie.ai API key is missing or wrong", False),
    402: ("The kie.ai account has insufficient credits", False),
    404: ("kie.ai does not know this task or endpoint", False),
    408: ("kie.ai's upstream model gave no result for over 10 minutes (an upstream timeout; retrying)", True),
    422: ("kie.ai rejected the input", False),
    429: ("kie.ai is rate limiting requests", True),
    433: ("This kie.ai sub-key has used up its limit", False),
    455: ("kie.ai is under maintenance", True),
    500: ("kie.ai had a server error", True),
    501: ("kie.ai failed to generate", False),
    505: ("This kie.ai feature is disabled", False),
}

_AMBIGUOUS_HTTP = (500, 504)  # the gateway may have passed the request on before failing

RECORD_NOT_READY = "recordInfo is null"  # kie.ai's 422 for a task whose record does not exist yet

_STATES = {"waiting": "queued", "queuing": "queued", "generating": "generating", "success": "success", "fail": "failed"}


class KieProvider:
    name = "kie"

    def __init__(
        self,
        api_key: str,
        base_url: str = "https://api.kie.ai",
        *,
        timeout: float = 30.0,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        transport: httpx.AsyncBaseTransport | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        """`client`: a pooled client to send through (kept open by its owner, services/step_io.py);
        without one each call opens and closes its own."""
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._timeout = httpx.Timeout(timeout, connect=10.0)
        self._transport = transport
        self._shared = client

    @contextlib.asynccontextmanager
    async def _client(self) -> AsyncIterator[httpx.AsyncClient]:
        if self._shared is not None:
            yield self._shared
            return
        async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport, verify=client_tls()) as client:
            yield client

    async def _request(self, method: str, path: str, *, creates: bool = False, **kwargs: Any) -> Any:
        """One API call with retries; returns the envelope's `data`.

        A call that `creates` a paid task is retried only when kie.ai surely did not take it
        (no connection, 429, 455, an envelope error, a 502/503 from its gateway); after a read
        timeout or an ambiguous 500/504 it may have started, so the error is not retried.
        """
        last: ProviderError | None = None
        async with self._client() as client:
            for attempt in range(1, self.max_attempts + 1):
                try:
                    response = await client.request(method, self.base_url + path, headers=self._headers, timeout=self._timeout, **kwargs)
                    return self._unwrap(response)
                except ProviderError as exc:
                    last = exc
                    if creates and exc.retryable and exc.provider_code in _AMBIGUOUS_HTTP and not exc.enveloped:
                        last = ProviderError(
                            f"{exc.message}; the task may or may not have started at kie.ai, so it is not sent again",
                            provider_code=exc.provider_code,
                        )
                except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                    last = ProviderError(f"Could not reach kie.ai: {type(exc).__name__}: {exc}", retryable=True)
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    message = f"Could not reach kie.ai: {type(exc).__name__}: {exc}"
                    if creates:
                        message += "; the task may or may not have started at kie.ai, so it is not sent again"
                    last = ProviderError(message, retryable=not creates)
                if not last.retryable or attempt == self.max_attempts:
                    break
                delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # full jitter keeps clients apart
        assert last is not None
        if last.retryable and self.max_attempts > 1:
            last.message = f"{last.message} (gave up after {self.max_attempts} attempts)"
            last.args = (last.message,)
        raise last

    @staticmethod
    def _unwrap(response: httpx.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            retryable = response.status_code >= 500 or response.status_code == 429
            error = ProviderError(
                f"kie.ai answered HTTP {response.status_code} with a body that is not JSON",
                provider_code=response.status_code,
                retryable=retryable,
            )
            error.enveloped = False
            raise error from None
        if not isinstance(body, dict) or "code" not in body:
            raise ProviderError(
                f"kie.ai answered HTTP {response.status_code} without the expected envelope",
                provider_code=response.status_code,
                retryable=response.status_code >= 500,
            )
        code = body.get("code")
        msg = str(body.get("msg") or body.get("message") or "")  # recordInfo's example says `message`
        if code == 200:
            return body.get("data")
        code_int = code if isinstance(code, int) else response.status_code
        meaning, retryable = KIE_CODES.get(code_int, (f"kie.ai error {code}", code_int >= 500))
        raise ProviderError(f"{meaning}: {msg}" if msg else meaning, provider_code=code_int, retryable=retryable)

    async def create_task(self, model: str, input: dict, callback_url: str | None = None) -> str:
        body: dict[str, Any] = {"model": model, "input": input}
        if callback_url:
            body["callBackUrl"] = callback_url
        data = await self._request("POST", "/api/v1/jobs/createTask", creates=True, json=body)
        task_id = data.get("taskId") if isinstance(data, dict) else None
        if not task_id:
            raise ProviderError("kie.ai accepted the task but returned no taskId")
        return str(task_id)

    async def get_task(self, provider_task_id: str) -> ProviderTaskState:
        try:
            data = await self._request("GET", "/api/v1/jobs/recordInfo", params={"taskId": provider_task_id})
        except ProviderError as exc:
            if exc.provider_code == 422 and RECORD_NOT_READY in exc.message:  # just created: no record yet
                return ProviderTaskState("queued", raw_state="recordInfo is null")
            raise
        if not isinstance(data, dict):
            raise ProviderError("kie.ai returned an empty task record")
        return parse_record(data)

    async def get_credits(self) -> float:
        data = await self._request("GET", "/api/v1/chat/credit")
        try:
            return float(data)
        except (TypeError, ValueError):
            raise ProviderError(f"kie.ai returned an unreadable credit balance: {data!r}") from None


def _result_urls(raw: Any) -> tuple[list[str], str]:
    """The result URLs of a finished task, or a message saying what is wrong with resultJson."""
    if raw in (None, ""):
        return [], "kie.ai reported success but sent no resultJson"
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return [], "kie.ai returned a result that is not valid JSON"
    if not isinstance(parsed, dict):
        return [], "kie.ai returned a resultJson that is not a JSON object"
    urls = parsed.get("resultUrls")
    if not isinstance(urls, list) or not urls:
        return [], "kie.ai reported success but no result URL"
    if not all(isinstance(u, str) and u.startswith(("https://", "http://")) for u in urls):
        return [], "kie.ai returned result URLs that are not http(s) URLs"
    return list(urls), ""


def parse_record(data: dict[str, Any]) -> ProviderTaskState:
    """Turn a recordInfo `data` object into a ProviderTaskState (resultJson is a JSON string)."""
    raw_state = str(data.get("state") or "")
    status = _STATES.get(raw_state, "unknown")
    progress = data.get("progress")
    progress_int = int(progress) if isinstance(progress, (int, float)) and 0 <= progress <= 100 else None
    urls: list[str] = []
    if status == "success":
        urls, problem = _result_urls(data.get("resultJson"))
        if problem:
            return ProviderTaskState("failed", error_message=problem, raw_state=raw_state)
    # Not in kie.ai's documented record; some families are seen to add it. Kept as the provider's own
    # figure only: what a task costs is the catalog's price (generation.task_credits).
    credits = data.get("creditsConsumed")
    return ProviderTaskState(
        status=status,
        progress=progress_int,
        result_urls=urls,
        error_code=str(data.get("failCode") or ""),
        error_message=str(data.get("failMsg") or ""),
        credits=float(credits) if isinstance(credits, (int, float)) and not isinstance(credits, bool) else None,
        raw_state=raw_state,
    )
