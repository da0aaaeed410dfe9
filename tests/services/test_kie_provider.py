"""Tests of the kie.ai client (services/providers/kie.py) against respx-mocked HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import respx

from smartspec_app.services.errors import ProviderError
from smartspec_app.services.providers.base import ProviderTaskState
from smartspec_app.services.providers.kie import KieProvider, parse_record

BASE = "https://kie.test"
KEY = "kie_secret_key_1234"
CREATE = f"{BASE}/api/v1/jobs/createTask"
RECORD = f"{BASE}/api/v1/jobs/recordInfo"
CREDIT = f"{BASE}/api/v1/chat/credit"


def envelope(data=None, code: int = 200, msg: str = "success") -> dict:
    return {"code": code, "msg": msg, "data": data}


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
def provider() -> KieProvider:
    return KieProvider(KEY, BASE, backoff_base=0.001, backoff_max=0.002, max_attempts=4)


def record(**fields) -> dict:
    base = {"taskId": "task_1", "model": "nano-banana-pro", "failCode": "", "failMsg": ""}
    base.update(fields)
    return envelope(base)


# ---------------------------------------------------------------- createTask


async def test_create_task_sends_the_documented_body(mock: respx.MockRouter, provider: KieProvider) -> None:
    route = mock.post(CREATE).respond(200, json=envelope({"taskId": "task_nano_42"}))
    inputs = {"prompt": "A sunset", "aspect_ratio": "1:1", "resolution": "1K", "output_format": "png", "image_input": []}
    task_id = await provider.create_task("nano-banana-pro", inputs, "https://app.example/api/generation/callback/t1?sig=s")
    assert task_id == "task_nano_42"
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-Type"].startswith("application/json")
    assert json.loads(request.content) == {
        "model": "nano-banana-pro",
        "input": inputs,
        "callBackUrl": "https://app.example/api/generation/callback/t1?sig=s",
    }


@pytest.mark.parametrize("callback", [None, ""])
async def test_create_task_without_callback_omits_the_field(mock: respx.MockRouter, provider: KieProvider, callback) -> None:
    route = mock.post(CREATE).respond(200, json=envelope({"taskId": "t2"}))
    assert await provider.create_task("flux-2/pro-text-to-image", {"prompt": "cat"}, callback) == "t2"
    body = json.loads(route.calls.last.request.content)
    assert body == {"model": "flux-2/pro-text-to-image", "input": {"prompt": "cat"}}
    assert "callBackUrl" not in body


@pytest.mark.parametrize("data", [None, {}, {"taskId": ""}, {"other": "x"}, "task"])
async def test_create_task_without_task_id_is_an_error(mock: respx.MockRouter, provider: KieProvider, data) -> None:
    mock.post(CREATE).respond(200, json=envelope(data))
    with pytest.raises(ProviderError, match="taskId"):
        await provider.create_task("nano-banana-pro", {"prompt": "x"})


# ---------------------------------------------------------------- recordInfo


async def test_get_task_sends_task_id_and_bearer(mock: respx.MockRouter, provider: KieProvider) -> None:
    route = mock.get(RECORD).respond(200, json=record(state="waiting"))
    await provider.get_task("task_abc")
    request = route.calls.last.request
    assert request.url.params["taskId"] == "task_abc"
    assert request.headers["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("state", ["waiting", "queuing"])
async def test_waiting_and_queuing_are_queued(mock: respx.MockRouter, provider: KieProvider, state: str) -> None:
    mock.get(RECORD).respond(200, json=record(state=state))
    result = await provider.get_task("task_1")
    assert isinstance(result, ProviderTaskState)
    assert result.status == "queued"
    assert result.raw_state == state
    assert result.result_urls == []
    assert result.progress is None


async def test_generating_without_progress(mock: respx.MockRouter, provider: KieProvider) -> None:
    mock.get(RECORD).respond(200, json=record(state="generating"))
    result = await provider.get_task("task_1")
    assert result.status == "generating"
    assert result.progress is None


@pytest.mark.parametrize("progress", [0, 37, 100, 55.0])
async def test_generating_with_progress(mock: respx.MockRouter, provider: KieProvider, progress) -> None:
    mock.get(RECORD).respond(200, json=record(state="generating", progress=progress))
    result = await provider.get_task("task_1")
    assert result.status == "generating"
    assert result.progress == int(progress)


@pytest.mark.parametrize("progress", [-1, 101, "50", None, "x"])
def test_out_of_range_or_odd_progress_is_ignored(progress) -> None:
    assert parse_record({"state": "generating", "progress": progress}).progress is None


async def test_success_parses_result_json_string(mock: respx.MockRouter, provider: KieProvider) -> None:
    urls = ["https://tempfile.example/abc.png", "https://tempfile.example/def.png"]
    mock.get(RECORD).respond(200, json=record(state="success", resultJson=json.dumps({"resultUrls": urls, "extra": 1})))
    result = await provider.get_task("task_1")
    assert result.status == "success"
    assert result.result_urls == urls
    assert result.error_message == ""


async def test_fail_keeps_code_and_message(mock: respx.MockRouter, provider: KieProvider) -> None:
    mock.get(RECORD).respond(200, json=record(state="fail", failCode="400", failMsg="Your prompt was flagged"))
    result = await provider.get_task("task_1")
    assert result.status == "failed"
    assert result.error_code == "400"
    assert result.error_message == "Your prompt was flagged"
    assert result.result_urls == []


@pytest.mark.parametrize("state", ["teleporting", "", None, "SUCCESS"])
async def test_unknown_state(mock: respx.MockRouter, provider: KieProvider, state) -> None:
    mock.get(RECORD).respond(200, json=record(state=state))
    result = await provider.get_task("task_1")
    assert result.status == "unknown"


@pytest.mark.parametrize("raw", ["{not json", "[1, 2", "'single'"])
async def test_success_with_malformed_result_json_is_failed(mock: respx.MockRouter, provider: KieProvider, raw: str) -> None:
    mock.get(RECORD).respond(200, json=record(state="success", resultJson=raw))
    result = await provider.get_task("task_1")
    assert result.status == "failed"
    assert "not valid JSON" in result.error_message
    assert result.result_urls == []


@pytest.mark.parametrize(
    "raw",
    [json.dumps({"resultUrls": []}), json.dumps({}), json.dumps({"resultUrls": None})],
    ids=["empty-list", "no-key", "null"],
)
async def test_success_without_result_urls_is_failed(mock: respx.MockRouter, provider: KieProvider, raw) -> None:
    mock.get(RECORD).respond(200, json=record(state="success", resultJson=raw))
    result = await provider.get_task("task_1")
    assert result.status == "failed"
    assert "no result URL" in result.error_message
    assert result.result_urls == []


@pytest.mark.parametrize("raw", ["", None], ids=["empty-string", "missing"])
async def test_success_without_result_json_is_failed(mock: respx.MockRouter, provider: KieProvider, raw) -> None:
    mock.get(RECORD).respond(200, json=record(state="success", resultJson=raw))
    result = await provider.get_task("task_1")
    assert result.status == "failed"
    assert result.error_message
    assert result.result_urls == []


def test_success_with_result_json_that_is_not_an_object_is_failed() -> None:
    """A JSON list or number where the object should be must give a failed state, not a crash."""
    for raw in ["[1, 2]", "42", '"text"']:
        result = parse_record({"state": "success", "resultJson": raw})
        assert result.status == "failed", raw
        assert result.result_urls == []


def test_result_urls_as_a_single_string_is_not_split_into_characters() -> None:
    result = parse_record({"state": "success", "resultJson": json.dumps({"resultUrls": "https://tempfile.example/a.png"})})
    assert result.status == "failed" or result.result_urls == ["https://tempfile.example/a.png"]


def test_result_urls_that_are_not_strings_are_not_success() -> None:
    result = parse_record({"state": "success", "resultJson": json.dumps({"resultUrls": [None, 5]})})
    assert result.status == "failed"


async def test_empty_record_is_an_error(mock: respx.MockRouter, provider: KieProvider) -> None:
    mock.get(RECORD).respond(200, json=envelope(None))
    with pytest.raises(ProviderError):
        await provider.get_task("task_1")


def test_only_the_creditsconsumed_some_families_add_is_kept_as_the_providers_figure() -> None:
    # recordInfo documents no credits field: what a task costs comes from the catalog (generation.task_credits)
    assert (
        parse_record({"state": "success", "resultJson": '{"resultUrls": ["https://x.test/a.png"]}', "creditsConsumed": 12}).credits == 12.0
    )
    assert parse_record({"state": "waiting", "credits": 12, "costCredits": 3.5}).credits is None
    assert parse_record({"state": "waiting", "creditsConsumed": True}).credits is None
    assert parse_record({"state": "waiting"}).credits is None


async def test_record_info_message_is_read_as_well_as_msg(mock: respx.MockRouter, provider: KieProvider) -> None:
    mock.get(RECORD).respond(200, json={"code": 404, "message": "Task not found", "data": None})
    with pytest.raises(ProviderError) as info:
        await provider.get_task("task_1")
    assert "Task not found" in info.value.message and info.value.provider_code == 404


async def test_a_408_upstream_timeout_is_retried_with_a_clear_message(mock: respx.MockRouter, provider: KieProvider) -> None:
    body = {"code": 408, "message": "Upstream is currently experiencing service issues.", "data": None}
    route = mock.get(RECORD).mock(
        side_effect=[httpx.Response(200, json=body), httpx.Response(408, json=body), httpx.Response(200, json=record(state="generating"))]
    )
    state = await provider.get_task("task_1")
    assert state.status == "generating" and route.call_count == 3
    mock.get(RECORD).respond(200, json=body)
    with pytest.raises(ProviderError) as info:
        await provider.get_task("task_1")
    assert info.value.retryable and info.value.provider_code == 408
    assert "no result for over 10 minutes" in info.value.message and "Upstream is currently experiencing" in info.value.message


async def test_a_record_not_there_yet_reads_as_queued(mock: respx.MockRouter, provider: KieProvider) -> None:
    mock.get(RECORD).respond(200, json={"code": 422, "msg": "recordInfo is null", "data": None})
    state = await provider.get_task("task_1")
    assert state.status == "queued"
    mock.get(RECORD).respond(200, json={"code": 422, "msg": "taskId is invalid", "data": None})
    with pytest.raises(ProviderError):
        await provider.get_task("task_1")


# ---------------------------------------------------------------- credits


@pytest.mark.parametrize(("data", "expected"), [(100, 100.0), (12.5, 12.5), ("42", 42.0), (0, 0.0)])
async def test_credit_balance(mock: respx.MockRouter, provider: KieProvider, data, expected: float) -> None:
    route = mock.get(CREDIT).respond(200, json=envelope(data))
    assert await provider.get_credits() == expected
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("data", [None, "lots", {"credits": 5}])
async def test_unreadable_credit_balance_is_an_error(mock: respx.MockRouter, provider: KieProvider, data) -> None:
    mock.get(CREDIT).respond(200, json=envelope(data))
    with pytest.raises(ProviderError, match="credit"):
        await provider.get_credits()


# ---------------------------------------------------------------- envelope codes

CODES = [401, 402, 404, 408, 422, 429, 433, 455, 500, 501, 505]
RETRYABLE = {408, 429, 455, 500}


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("http_status", [200, "same"])
async def test_envelope_codes_map_to_provider_errors(mock: respx.MockRouter, code: int, http_status) -> None:
    provider = KieProvider(KEY, BASE, backoff_base=0.001, max_attempts=1)
    msg = f"provider says {code} went wrong"
    status = code if http_status == "same" else 200
    route = mock.get(CREDIT).respond(status, json=envelope(None, code=code, msg=msg))
    with pytest.raises(ProviderError) as info:
        await provider.get_credits()
    error = info.value
    assert msg in str(error)
    assert msg in error.message
    assert error.provider_code == code
    assert error.retryable is (code in RETRYABLE)
    assert route.call_count == 1


@pytest.mark.parametrize("code", CODES)
async def test_envelope_codes_are_retried_only_when_retryable(mock: respx.MockRouter, provider: KieProvider, code: int) -> None:
    route = mock.post(CREATE).respond(200, json=envelope(None, code=code, msg="nope"))
    with pytest.raises(ProviderError) as info:
        await provider.create_task("nano-banana-pro", {"prompt": "x"})
    expected_calls = provider.max_attempts if code in RETRYABLE else 1
    assert route.call_count == expected_calls
    assert info.value.provider_code == code
    assert ("gave up after" in str(info.value)) is (code in RETRYABLE)


# ---------------------------------------------------------------- retries


async def test_429_then_200_succeeds_with_two_calls(mock: respx.MockRouter, provider: KieProvider) -> None:
    route = mock.post(CREATE).mock(
        side_effect=[
            httpx.Response(200, json=envelope(None, code=429, msg="slow down")),
            httpx.Response(200, json=envelope({"taskId": "after_retry"})),
        ]
    )
    assert await provider.create_task("nano-banana-pro", {"prompt": "x"}) == "after_retry"
    assert route.call_count == 2
    first, second = (json.loads(c.request.content) for c in route.calls)
    assert first == second


async def test_http_429_status_then_success(mock: respx.MockRouter, provider: KieProvider) -> None:
    route = mock.get(CREDIT).mock(
        side_effect=[
            httpx.Response(429, json=envelope(None, code=429, msg="Too many requests")),
            httpx.Response(200, json=envelope(7)),
        ]
    )
    assert await provider.get_credits() == 7.0
    assert route.call_count == 2


@pytest.mark.parametrize("attempts", [1, 3, 5])
async def test_persistent_500_gives_up_after_max_attempts(mock: respx.MockRouter, attempts: int) -> None:
    provider = KieProvider(KEY, BASE, backoff_base=0.001, backoff_max=0.002, max_attempts=attempts)
    route = mock.get(RECORD).respond(200, json=envelope(None, code=500, msg="internal boom"))
    with pytest.raises(ProviderError) as info:
        await provider.get_task("task_1")
    assert route.call_count == attempts
    assert "internal boom" in str(info.value)
    assert info.value.provider_code == 500
    assert info.value.retryable is True
    if attempts > 1:
        assert f"gave up after {attempts}" in str(info.value)


async def test_non_retryable_401_is_called_once(mock: respx.MockRouter, provider: KieProvider) -> None:
    route = mock.post(CREATE).respond(401, json=envelope(None, code=401, msg="You do not have access permissions"))
    with pytest.raises(ProviderError) as info:
        await provider.create_task("nano-banana-pro", {"prompt": "x"})
    assert route.call_count == 1
    assert info.value.provider_code == 401
    assert info.value.retryable is False
    assert "You do not have access permissions" in str(info.value)
    assert "gave up after" not in str(info.value)


async def test_connect_timeout_is_retried(mock: respx.MockRouter, provider: KieProvider) -> None:
    route = mock.post(CREATE).mock(
        side_effect=[
            httpx.ConnectTimeout("connect timed out"),
            httpx.ConnectError("refused"),
            httpx.Response(200, json=envelope({"taskId": "finally"})),
        ]
    )
    assert await provider.create_task("nano-banana-pro", {"prompt": "x"}) == "finally"
    assert route.call_count == 3


async def test_persistent_timeout_gives_up_with_a_clear_error(mock: respx.MockRouter, provider: KieProvider) -> None:
    route = mock.get(CREDIT).mock(side_effect=httpx.ReadTimeout("read timed out"))
    with pytest.raises(ProviderError) as info:
        await provider.get_credits()
    assert route.call_count == provider.max_attempts
    assert info.value.retryable is True
    assert "gave up after" in str(info.value)
    assert "ReadTimeout" in str(info.value)


async def test_non_json_502_is_retryable(mock: respx.MockRouter, provider: KieProvider) -> None:
    route = mock.get(CREDIT).mock(
        side_effect=[
            httpx.Response(502, text="<html>Bad Gateway</html>", headers={"Content-Type": "text/html"}),
            httpx.Response(200, json=envelope(9)),
        ]
    )
    assert await provider.get_credits() == 9.0
    assert route.call_count == 2


async def test_persistent_non_json_502_gives_up(mock: respx.MockRouter, provider: KieProvider) -> None:
    route = mock.get(CREDIT).respond(502, text="<html>Bad Gateway</html>")
    with pytest.raises(ProviderError) as info:
        await provider.get_credits()
    assert route.call_count == provider.max_attempts
    assert info.value.retryable is True
    assert "502" in str(info.value)
    assert "not JSON" in str(info.value)


async def test_non_json_200_is_an_error_without_retry(mock: respx.MockRouter, provider: KieProvider) -> None:
    route = mock.get(CREDIT).respond(200, text="<html>maintenance page</html>")
    with pytest.raises(ProviderError) as info:
        await provider.get_credits()
    assert route.call_count == 1
    assert info.value.retryable is False
    assert "not JSON" in str(info.value)


@pytest.mark.parametrize("body", [{"data": {"taskId": "x"}}, {"status": "ok"}, [1, 2, 3], "just a string", 42])
async def test_envelope_less_json_is_an_error(mock: respx.MockRouter, provider: KieProvider, body) -> None:
    route = mock.post(CREATE).respond(200, json=body)
    with pytest.raises(ProviderError) as info:
        await provider.create_task("nano-banana-pro", {"prompt": "x"})
    assert "envelope" in str(info.value)
    assert info.value.retryable is False
    assert route.call_count == 1


async def test_base_url_trailing_slash_is_tolerated(mock: respx.MockRouter) -> None:
    provider = KieProvider(KEY, BASE + "/", backoff_base=0.001)
    route = mock.post(CREATE).respond(200, json=envelope({"taskId": "t"}))
    assert await provider.create_task("m", {}) == "t"
    assert route.call_count == 1
