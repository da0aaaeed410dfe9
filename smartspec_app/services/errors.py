"""One error family for the services; the API maps it to HTTP, the pages to form errors."""

from __future__ import annotations


class SmartSpecError(Exception):
    """Base of every error a service raises on purpose."""

    http_status = 400
    code = "error"

    def __init__(self, message: str, *, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}


class ValidationError(SmartSpecError):
    """Input that breaks a rule; `field` names the input when there is one."""

    http_status = 422
    code = "validation_error"


class NotFound(SmartSpecError):
    http_status = 404
    code = "not_found"


class PermissionDenied(SmartSpecError):
    http_status = 403
    code = "permission_denied"


class AuthenticationError(SmartSpecError):
    """Missing, wrong or expired credentials."""

    http_status = 401
    code = "unauthenticated"


class Conflict(SmartSpecError):
    """The request clashes with what is stored (a duplicate e-mail, say)."""

    http_status = 409
    code = "conflict"


class InsufficientCredits(SmartSpecError):
    """A generation would cost more than the user's balance or what is left of their monthly quota."""

    http_status = 402
    code = "insufficient_credits"


class RateLimited(SmartSpecError):
    http_status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServiceUnavailable(SmartSpecError):
    """Nothing can run the request now (e.g. no kie.ai key and the sandbox switched off)."""

    http_status = 503
    code = "service_unavailable"


class ProviderError(SmartSpecError):
    """The generation provider refused or failed; `retryable` says whether to try again."""

    http_status = 502
    code = "provider_error"

    def __init__(self, message: str, *, provider_code: int | None = None, retryable: bool = False, **kwargs):
        super().__init__(message, **kwargs)
        self.provider_code = provider_code
        self.retryable = retryable
        self.enveloped = True  # False when the answer was not a kie.ai envelope (a gateway's error page)
