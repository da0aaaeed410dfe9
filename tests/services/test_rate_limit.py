"""services/rate_limit.py: moving-window limits per user and per client address, in memory or shared in Redis."""

from __future__ import annotations

import logging
import socket
import time
import uuid

import pytest
import redis

from smartspec_app.services import rate_limit
from smartspec_app.services.errors import RateLimited
from smartspec_app.services.rate_limit import RateLimiter
from smartspec_app.settings import reload_settings

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")


def test_refused_after_the_limit_and_allowed_again_after_the_window() -> None:
    limiter = RateLimiter("3/2 seconds", "1/minute")
    decisions = [limiter.hit_user(7) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert all(d.limit == 3 and d.scope == "user" for d in decisions)

    refused = limiter.hit_user(7)
    assert not refused.allowed and refused.remaining == 0
    assert 0 < refused.retry_after <= 2
    headers = refused.headers()
    assert headers["X-RateLimit-Limit"] == "3" and headers["X-RateLimit-Remaining"] == "0"
    assert int(headers["X-RateLimit-Reset"]) >= int(time.time()) and 1 <= int(headers["Retry-After"]) <= 2
    with pytest.raises(RateLimited) as caught:
        limiter.check_user(7)
    assert caught.value.http_status == 429 and caught.value.code == "rate_limited"
    assert caught.value.details["limit"] == 3 and caught.value.details["window"] == "2 seconds"
    assert "3 per 2 seconds" in caught.value.message and 0 < caught.value.retry_after <= 2

    time.sleep(refused.retry_after + 0.1)  # the first hit leaves the moving window
    again = limiter.hit_user(7)
    assert again.allowed and "Retry-After" not in again.headers()


def test_users_and_addresses_are_counted_apart() -> None:
    limiter = RateLimiter("2/minute", "1/minute")
    assert limiter.hit_user(1).allowed and limiter.hit_user(1).allowed
    assert not limiter.hit_user(1).allowed
    assert limiter.hit_user(2).allowed  # another user has a budget of their own

    first = limiter.hit_anonymous("10.0.0.1")
    assert first.allowed and first.limit == 1 and first.scope == "anonymous" and first.remaining == 0
    assert not limiter.hit_anonymous("10.0.0.1").allowed
    assert limiter.hit_anonymous("10.0.0.2").allowed
    assert limiter.hit_user(3).allowed  # the anonymous limit is not the users' one


def test_a_malformed_limit_is_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter("a lot", "10/minute")


@needs_redis
def test_two_limiters_share_counts_in_redis() -> None:
    prefix = f"smartspec-test-{uuid.uuid4().hex[:10]}"
    first = RateLimiter("3/minute", "2/minute", REDIS_URL, key_prefix=prefix)
    second = RateLimiter("3/minute", "2/minute", REDIS_URL, key_prefix=prefix)  # another worker process, say
    try:
        assert first.hit_user(5).allowed and second.hit_user(5).allowed
        third = first.hit_user(5)
        assert third.allowed and third.remaining == 0
        refused = second.hit_user(5)
        assert not refused.allowed and 55 < refused.retry_after <= 60

        assert second.hit_anonymous("192.0.2.9").allowed and first.hit_anonymous("192.0.2.9").allowed
        assert not second.hit_anonymous("192.0.2.9").allowed

        elsewhere = RateLimiter("3/minute", "2/minute", REDIS_URL, key_prefix=prefix + "-other")
        assert elsewhere.hit_user(5).allowed  # another prefix, other counts
        client = redis.Redis.from_url(REDIS_URL)
        assert client.keys(f"{prefix}:*")  # the counts really are in Redis
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


@needs_redis
def test_redis_window_recovers() -> None:
    prefix = f"smartspec-test-{uuid.uuid4().hex[:10]}"
    limiter = RateLimiter("2/1 second", "1/minute", REDIS_URL, key_prefix=prefix)
    assert limiter.hit_user(1).allowed and limiter.hit_user(1).allowed
    refused = limiter.hit_user(1)
    assert not refused.allowed
    time.sleep(refused.retry_after + 0.1)
    assert limiter.hit_user(1).allowed


def test_an_unreachable_redis_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter("1/minute", "1/minute", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    with caplog.at_level(logging.WARNING, logger="smartspec_app.services.rate_limit"):
        decisions = [limiter.hit_user(1) for _ in range(3)]
    assert all(d.allowed for d in decisions)
    assert "rate limit store unavailable" in caplog.text
    assert not limiter.in_process  # the API middleware counts it off the event loop


def test_memory_counts_are_in_process() -> None:
    """The API middleware counts these on the event loop: no I/O to wait for."""
    assert RateLimiter("1/minute", "1/minute").in_process


def test_the_shared_limiter_follows_the_settings(data_dir, monkeypatch: pytest.MonkeyPatch) -> None:
    default = rate_limit.get_limiter()
    assert (default.user_limit.amount, default.anonymous_limit.amount) == (100, 10)
    assert default.storage_uri == "memory://" and rate_limit.get_limiter() is default

    monkeypatch.setenv("RATE_LIMIT_USER", "5/hour")
    monkeypatch.setenv("RATE_LIMIT_ANONYMOUS", "2 per 30 seconds")
    reload_settings()
    changed = rate_limit.get_limiter()
    assert changed is not default
    assert (changed.user_limit.amount, changed.anonymous_limit.amount, changed.anonymous_limit.get_expiry()) == (5, 2, 30)

    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    reload_settings()
    assert rate_limit.get_limiter().storage_uri == REDIS_URL
