"""services/login_throttle.py: failed sign-ins locked with a doubling delay per account and per address,
sign-ups per address; counted in memory and shared in Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from smartspec_app.services import login_throttle
from smartspec_app.services.errors import AuthenticationError, RateLimited
from smartspec_app.services.login_throttle import LoginThrottle
from smartspec_app.settings import reload_settings
from tests.services.test_rate_limit import REDIS_URL, needs_redis


@pytest.fixture(params=["memory", pytest.param("redis", marks=needs_redis)])
def make_throttle(request: pytest.FixtureRequest) -> Iterator:
    """Builds throttles on one store: this process's memory, or Redis under a prefix of this test's own."""
    prefix = f"test-login-{uuid.uuid4().hex}"
    uri = "memory://" if request.param == "memory" else REDIS_URL

    def build(**options) -> LoginThrottle:
        return LoginThrottle(uri, key_prefix=prefix, **options)

    yield build
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


def wrong() -> None:
    raise AuthenticationError("Wrong e-mail or password")


def fail(throttle: LoginThrottle, subjects) -> RateLimited | AuthenticationError:
    """One wrong password through `attempt`; returns what it raised."""
    with pytest.raises((RateLimited, AuthenticationError)) as caught:
        throttle.attempt(subjects, wrong)
    return caught.value


def test_the_failure_after_the_free_ones_locks_and_the_right_password_is_refused(make_throttle) -> None:
    throttle = make_throttle(free_failures=3, lockout_seconds=2, max_lockout_seconds=60)
    subjects = throttle.subjects(account="alice@example.com", address="203.0.113.7")
    assert [type(fail(throttle, subjects)) for _ in range(3)] == [AuthenticationError] * 3
    locked = fail(throttle, subjects)
    assert isinstance(locked, RateLimited) and locked.message == "Too many attempts; try again in 2 s"
    assert locked.http_status == 429 and locked.details == {"retry_after": 2}
    with pytest.raises(RateLimited, match=r"^Too many attempts; try again in [12] s$"):
        throttle.attempt(subjects, lambda: "signed in")  # the right password: refused, not even checked
    time.sleep(2.1)
    assert throttle.attempt(subjects, lambda: "signed in") == "signed in"


def test_each_further_failure_doubles_the_lock_up_to_the_cap(make_throttle) -> None:
    throttle = make_throttle(free_failures=2, lockout_seconds=15, max_lockout_seconds=100)
    assert [throttle.lockout_for(n, "account") for n in range(1, 8)] == [0, 0, 15, 30, 60, 100, 100]
    subjects = throttle.subjects(account="bob@example.com")
    for _ in range(2):
        throttle.record_failure(subjects)
    with pytest.raises(RateLimited, match="try again in 15 s"):
        throttle.record_failure(subjects)
    with pytest.raises(RateLimited, match="try again in 30 s"):
        throttle.record_failure(subjects)  # a caller that records without checking: the lock still grows
    assert 29 < throttle.retry_after(subjects) <= 30


def test_unknown_and_existing_accounts_get_the_same_answer(make_throttle) -> None:
    throttle = make_throttle(free_failures=2, lockout_seconds=5)
    answers = []
    for account in ("exists@example.com", "nobody-here@example.com"):
        subjects = throttle.subjects(account=account)
        answers.append([(type(e).__name__, e.message) for e in (fail(throttle, subjects) for _ in range(4))])
    assert answers[0] == answers[1]
    assert answers[0][-1] == ("RateLimited", "Too many attempts; try again in 5 s")


def test_the_account_is_counted_however_its_e_mail_is_typed(make_throttle) -> None:
    throttle = make_throttle(free_failures=1, lockout_seconds=5)
    fail(throttle, throttle.subjects(account="Carol@Example.com"))
    fail(throttle, throttle.subjects(account="  carol@example.COM "))
    with pytest.raises(RateLimited):
        throttle.check(throttle.subjects(account="carol@example.com"))
    throttle.check(throttle.subjects(account="dave@example.com"))  # another account is not locked


def test_a_success_forgets_the_accounts_failures_but_not_the_addresss(make_throttle) -> None:
    throttle = make_throttle(free_failures=2, free_failures_per_address=3, lockout_seconds=5)
    mine = throttle.subjects(account="erin@example.com", address="198.51.100.4")
    fail(throttle, mine)
    fail(throttle, mine)
    assert throttle.attempt(mine, lambda: "ok") == "ok"
    assert isinstance(fail(throttle, mine), AuthenticationError)  # the account starts counting again
    # the address has 3 failures now; one more from it, at any account, locks the address
    other = throttle.subjects(account="frank@example.com", address="198.51.100.4")
    assert isinstance(fail(throttle, other), RateLimited)
    with pytest.raises(RateLimited):
        throttle.check(throttle.subjects(account="grace@example.com", address="198.51.100.4"))
    throttle.check(throttle.subjects(account="grace@example.com", address="198.51.100.5"))


def test_an_ipv6_client_is_counted_by_its_64(make_throttle) -> None:
    throttle = make_throttle(free_failures_per_address=1, lockout_seconds=5)
    fail(throttle, throttle.subjects(address="2001:db8:1:2::1"))
    fail(throttle, throttle.subjects(address="2001:db8:1:2::ffff"))
    with pytest.raises(RateLimited):
        throttle.check(throttle.subjects(address="2001:db8:1:2:abcd::9"))
    throttle.check(throttle.subjects(address="2001:db8:1:3::1"))


def test_sign_ups_are_limited_per_address(make_throttle) -> None:
    throttle = make_throttle(signup_limit="3/hour")
    for _ in range(3):
        throttle.check_signup("192.0.2.10")
    with pytest.raises(RateLimited, match=r"^Too many attempts; try again in \d+ s$") as caught:
        throttle.check_signup("192.0.2.10")
    assert 3590 < caught.value.retry_after <= 3600
    throttle.check_signup("192.0.2.11")


@needs_redis
def test_two_workers_sharing_redis_see_the_same_counts() -> None:
    prefix = f"test-login-{uuid.uuid4().hex}"
    one, two = (LoginThrottle(REDIS_URL, key_prefix=prefix, free_failures=2, lockout_seconds=5) for _ in range(2))
    subjects = one.subjects(account="shared@example.com")
    fail(one, subjects)
    fail(two, subjects)
    assert isinstance(fail(one, subjects), RateLimited)
    with pytest.raises(RateLimited):
        two.check(subjects)


def test_a_dead_store_lets_attempts_through(caplog: pytest.LogCaptureFixture) -> None:
    throttle = LoginThrottle("redis://127.0.0.1:1/0", free_failures=1)
    subjects = throttle.subjects(account="x@example.com", address="192.0.2.1")
    for _ in range(3):
        assert isinstance(fail(throttle, subjects), AuthenticationError)
    throttle.check_signup("192.0.2.1")
    assert "login throttle store unavailable" in caplog.text


def test_the_process_throttle_follows_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGIN_FREE_FAILURES", "7")
    monkeypatch.setenv("LOGIN_LOCKOUT_SECONDS", "3")
    monkeypatch.setenv("SIGNUP_LIMIT", "2/minute")
    reload_settings()
    try:
        throttle = login_throttle.get_login_throttle()
        assert throttle is login_throttle.get_login_throttle()
        assert throttle.free["account"] == 7 and throttle.lockout_seconds == 3 and throttle.signup_limit.amount == 2
    finally:
        monkeypatch.undo()
        reload_settings()
