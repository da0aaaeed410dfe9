"""Request rate limits: so many requests per signed-in user, fewer per anonymous client address.

Built on the `limits` library with its *moving window* strategy: a limit such as "100/minute"
allows 100 hits in any 60-second span, and the oldest hit leaving the window frees the next
slot (no burst of 2x at a fixed window's edge). Counts live in this process's memory by default
and in Redis when REDIS_URL is set, so every backend worker shares them.

The REST API (api/rate_limits.py) and the generation page's Generate button both count here,
keyed the same way, so a user has one budget whichever way they ask.

If the counter store fails (Redis down), requests are allowed and a warning is logged: a
rate limiter must not take the site down with it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from smartspec_app.services.errors import RateLimited
from smartspec_app.settings import Settings, get_settings

log = logging.getLogger(__name__)

REDIS_KEY_PREFIX = "smartspec-rate"
REDIS_TIMEOUT_SECONDS = 1.0  # a slow Redis must not stall requests for long


@dataclass(frozen=True)
class RateDecision:
    """The outcome of one counted request."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds at which the next slot frees (the window's oldest hit leaves)
    scope: str  # "user" or "anonymous"
    window_text: str = "minute"  # the window in words: "minute", "2 seconds"

    @property
    def retry_after(self) -> float:
        """Seconds to wait before a refused request can succeed."""
        return max(0.0, self.reset_at - time.time())

    def headers(self) -> dict[str, str]:
        """X-RateLimit-* response headers (Reset is in epoch seconds, as GitHub's API does)."""
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers

    def error(self) -> RateLimited:
        """The error that tells a refused caller the limit and how long to wait."""
        wait = max(1, math.ceil(self.retry_after))
        return RateLimited(
            f"Too many requests: the limit is {self.limit} per {self.window_text}; try again in {wait} s",
            retry_after=self.retry_after,
            details={"limit": self.limit, "window": self.window_text, "scope": self.scope, "retry_after": wait},
        )

    def raise_if_refused(self) -> None:
        """RateLimited (HTTP 429, or a form error on the page) when the request was refused."""
        if not self.allowed:
            raise self.error()


class RateLimiter:
    """Counts requests per user id or per client address against two limits.

    `storage_uri` is "memory://" (this process only) or a redis:// URL (shared). `key_prefix`
    separates several limiters sharing one Redis (tests, or several sites)."""

    def __init__(
        self,
        user_limit: str,
        anonymous_limit: str,
        storage_uri: str = "memory://",
        *,
        key_prefix: str = REDIS_KEY_PREFIX,
    ) -> None:
        self.user_limit: RateLimitItem = parse(user_limit)
        self.anonymous_limit: RateLimitItem = parse(anonymous_limit)
        self.storage_uri = storage_uri
        options: dict[str, float | str | bool] = {"wrap_exceptions": True}
        if storage_uri.startswith(("redis://", "rediss://", "redis+unix://")):
            options.update(key_prefix=key_prefix, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS)
        self._strategy = MovingWindowRateLimiter(storage_from_string(storage_uri, **options))

    @property
    def in_process(self) -> bool:
        """Counts live in this process's memory: a hit is quick and does no I/O."""
        return self.storage_uri.startswith("memory://")

    def hit_user(self, user_id: int) -> RateDecision:
        """Count one request of a signed-in user."""
        return self._hit(self.user_limit, "user", str(user_id))

    def hit_anonymous(self, client: str) -> RateDecision:
        """Count one request of an anonymous client (by address)."""
        return self._hit(self.anonymous_limit, "anonymous", client or "unknown")

    def check_user(self, user_id: int) -> RateDecision:
        """Count a user's request and raise RateLimited when it is over the limit."""
        decision = self.hit_user(user_id)
        decision.raise_if_refused()
        return decision

    def _hit(self, item: RateLimitItem, scope: str, identity: str) -> RateDecision:
        try:
            allowed = self._strategy.hit(item, scope, identity)
            reset_at, remaining = self._strategy.get_window_stats(item, scope, identity)
        except StorageError as exc:  # fail open: see the module docstring
            log.warning("rate limit store unavailable (%s); request allowed", exc)
            return RateDecision(True, item.amount, item.amount, time.time() + item.get_expiry(), scope, _window_text(item))
        return RateDecision(allowed, item.amount, max(0, remaining), reset_at, scope, _window_text(item))


def _window_text(item: RateLimitItem) -> str:
    """ "minute" for 100/minute, "2 seconds" for 3/2 seconds."""
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"


def limiter_from_settings(settings: Settings) -> RateLimiter:
    """RATE_LIMIT_USER and RATE_LIMIT_ANONYMOUS, counted in Redis when REDIS_URL is set."""
    storage_uri = settings.redis_url or "memory://"
    return RateLimiter(settings.rate_limit_user, settings.rate_limit_anonymous, storage_uri, key_prefix=REDIS_KEY_PREFIX)


_current: tuple[Settings, RateLimiter] | None = None
_lock = threading.Lock()


def get_limiter() -> RateLimiter:
    """The process's limiter, shared by the REST API and the pages.

    It follows the settings object: when the settings are reloaded (tests change the environment)
    a fresh limiter, with fresh in-memory counts, is built for them."""
    global _current
    settings = get_settings()
    with _lock:
        if _current is None or _current[0] is not settings:
            _current = (settings, limiter_from_settings(settings))
        return _current[1]
