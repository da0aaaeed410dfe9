"""Throttling of password (and token) guessing: failed sign-ins per account and per client address,
sign-ups per address.

Failures are counted per *subject*: an account identifier (the normalised e-mail, counted whether
or not such an account exists, so a lock tells nothing about which accounts exist) and a client
address (an IPv6 client by its /64). A subject's first LOGIN_FREE_FAILURES failures (per address:
LOGIN_FREE_FAILURES_PER_ADDRESS) cost nothing; the failure that reaches the limit locks it for
LOGIN_LOCKOUT_SECONDS, and every further one doubles the lock up to LOGIN_LOCKOUT_MAX_SECONDS.
While locked, nothing is checked at all, the right password included: the caller gets
`RateLimited("Too many attempts; try again in N s")`, the same words for every subject. Failures
are forgotten an hour after a subject's first one; a successful sign-in forgets the account's
(never the address's: signing in to one's own account must not buy more guesses at others).

Any endpoint that checks a password or a secret token uses the same three calls::

    throttle = get_login_throttle()
    subjects = throttle.subjects(account=typed_identifier, address=client)
    throttle.attempt(subjects, lambda: check_the_secret())  # check, then record the failure or reset

or, spelled out: `throttle.check(subjects)` before (raises RateLimited), `throttle.record_failure(subjects)`
when the secret was wrong (raises RateLimited when that failure locks), `throttle.reset(subjects)` on
success. `throttle.check_signup(address)` counts one sign-up attempt (SIGNUP_LIMIT per address).

Counts use the `limits` library's storage, like services/rate_limit.py: this process's memory by
default, Redis when REDIS_URL is set, so every backend worker sees the same counts. If the store
fails, attempts are allowed and a warning is logged (the password check still applies).
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from limits import parse
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from smartspec_app.services.auth import normalize_email
from smartspec_app.services.client_address import address_bucket
from smartspec_app.services.errors import AuthenticationError, RateLimited, ValidationError
from smartspec_app.settings import Settings, get_settings

log = logging.getLogger(__name__)

REDIS_KEY_PREFIX = "smartspec-login"
REDIS_TIMEOUT_SECONDS = 1.0
FAILURE_MEMORY_SECONDS = 3600  # failures are forgotten this long after a subject's first one

T = TypeVar("T")


@dataclass(frozen=True)
class Subject:
    """What failures count against: an account identifier or a client address."""

    kind: str  # "account" or "address"
    key: str  # a digest of the identifier, or the address bucket (no e-mail stored in Redis)


def account_identifier(typed: str) -> str:
    """The form an account identifier is counted under: the e-mail as sign-up normalises it, or,
    for anything that is not an e-mail, the trimmed lower-cased text."""
    try:
        return normalize_email(typed)
    except ValidationError:
        return typed.strip().lower()


def too_many(retry_after: float) -> RateLimited:
    """The one message every locked subject gets."""
    wait = max(1, math.ceil(retry_after))
    return RateLimited(f"Too many attempts; try again in {wait} s", retry_after=retry_after, details={"retry_after": wait})


class LoginThrottle:
    """Counts failures per subject and locks subjects with a doubling delay (see the module docstring)."""

    def __init__(
        self,
        storage_uri: str = "memory://",
        *,
        key_prefix: str = REDIS_KEY_PREFIX,
        free_failures: int = 5,
        free_failures_per_address: int = 20,
        lockout_seconds: int = 15,
        max_lockout_seconds: int = 900,
        signup_limit: str = "5/hour",
    ) -> None:
        self.free = {"account": free_failures, "address": free_failures_per_address}
        self.lockout_seconds = lockout_seconds
        self.max_lockout_seconds = max(lockout_seconds, max_lockout_seconds)
        self.signup_limit = parse(signup_limit)
        options: dict[str, float | str | bool] = {"wrap_exceptions": True}
        if storage_uri.startswith(("redis://", "rediss://", "redis+unix://")):
            options.update(key_prefix=key_prefix, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS)
        self.storage: Storage = storage_from_string(storage_uri, **options)
        self._signups = MovingWindowRateLimiter(self.storage)

    def subjects(self, *, account: str | None = None, address: str | None = None) -> tuple[Subject, ...]:
        """The subjects one attempt counts against (the account first)."""
        found: list[Subject] = []
        if account is not None:
            found.append(Subject("account", hashlib.sha256(account_identifier(account).encode()).hexdigest()[:32]))
        if address is not None:
            found.append(Subject("address", address_bucket(address)))
        return tuple(found)

    def lockout_for(self, failures: int, kind: str) -> int:
        """Seconds a subject is locked after its `failures`-th failure (0: not locked)."""
        over = failures - self.free[kind] - 1
        if over < 0:
            return 0
        return min(self.max_lockout_seconds, self.lockout_seconds * 2 ** min(over, 30))

    def retry_after(self, subjects: Sequence[Subject]) -> float:
        """Seconds until every subject is unlocked (0: none is locked)."""
        wait = 0.0
        try:
            for subject in subjects:
                if self.storage.get(_lock_key(subject)) > 0:
                    wait = max(wait, self.storage.get_expiry(_lock_key(subject)) - time.time())
        except StorageError as exc:
            log.warning("login throttle store unavailable (%s); attempt allowed", exc)
            return 0.0
        return max(0.0, wait)

    def check(self, subjects: Sequence[Subject]) -> None:
        """Raise RateLimited while any subject is locked."""
        wait = self.retry_after(subjects)
        if wait > 0:
            raise too_many(wait)

    def record_failure(self, subjects: Sequence[Subject]) -> None:
        """Count a failed attempt; raise RateLimited when it locks a subject."""
        wait = 0
        try:
            for subject in subjects:
                failures = self.storage.incr(_failure_key(subject), FAILURE_MEMORY_SECONDS)
                seconds = self.lockout_for(failures, subject.kind)
                if seconds:
                    self.storage.clear(_lock_key(subject))  # a fresh lock with its own expiry
                    self.storage.incr(_lock_key(subject), seconds)
                    wait = max(wait, seconds)
        except StorageError as exc:
            log.warning("login throttle store unavailable (%s); failure not counted", exc)
            return
        if wait:
            raise too_many(wait)

    def reset(self, subjects: Sequence[Subject]) -> None:
        """Forget the failures of the account subjects after a success (addresses keep theirs)."""
        try:
            for subject in subjects:
                if subject.kind == "account":
                    self.storage.clear(_failure_key(subject))
                    self.storage.clear(_lock_key(subject))
        except StorageError as exc:
            log.warning("login throttle store unavailable (%s); failures not reset", exc)

    def attempt(self, subjects: Sequence[Subject], check_secret: Callable[[], T]) -> T:
        """Run `check_secret` unless a subject is locked; an AuthenticationError from it counts as a failure."""
        self.check(subjects)
        try:
            result = check_secret()
        except AuthenticationError:
            self.record_failure(subjects)
            raise
        self.reset(subjects)
        return result

    def check_signup(self, address: str) -> None:
        """Count one sign-up attempt from `address`; raise RateLimited past SIGNUP_LIMIT."""
        bucket = address_bucket(address)
        try:
            if self._signups.hit(self.signup_limit, "signup", bucket):
                return
            reset_at, _ = self._signups.get_window_stats(self.signup_limit, "signup", bucket)
        except StorageError as exc:
            log.warning("login throttle store unavailable (%s); sign-up allowed", exc)
            return
        raise too_many(reset_at - time.time())


def _failure_key(subject: Subject) -> str:
    return f"failures/{subject.kind}/{subject.key}"


def _lock_key(subject: Subject) -> str:
    return f"lock/{subject.kind}/{subject.key}"


def throttle_from_settings(settings: Settings) -> LoginThrottle:
    """The LOGIN_* and SIGNUP_LIMIT settings, counted in Redis when REDIS_URL is set."""
    return LoginThrottle(
        settings.redis_url or "memory://",
        free_failures=settings.login_free_failures,
        free_failures_per_address=settings.login_free_failures_per_address,
        lockout_seconds=settings.login_lockout_seconds,
        max_lockout_seconds=settings.login_lockout_max_seconds,
        signup_limit=settings.signup_limit,
    )


_current: tuple[Settings, LoginThrottle] | None = None
_lock = threading.Lock()


def get_login_throttle() -> LoginThrottle:
    """The process's throttle; a fresh one (fresh in-memory counts) when the settings are reloaded."""
    global _current
    settings = get_settings()
    with _lock:
        if _current is None or _current[0] is not settings:
            _current = (settings, throttle_from_settings(settings))
        return _current[1]
