"""Every environment variable the app reads, typed, with its default and meaning.

The defaults make the embedded mode work with nothing set: SQLite under ./data,
the in-process SqliteHuey queue, local media storage and the built-in kie.ai sandbox.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """The environment describes a set-up that cannot work; raised when the settings load."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Field(PROJECT_ROOT / "data", alias="DATA_DIR", description="Where the SQLite files, queue and local media live.")
    database_url: str = Field("", alias="DATABASE_URL", description="SQLAlchemy URL; empty means sqlite:///<DATA_DIR>/smartspec.db.")
    database_pool_size: int = Field(
        10,
        alias="DATABASE_POOL_SIZE",
        ge=1,
        description="Connections each process keeps open to a server database (5 more may open at peaks).",
    )
    database_pool_guard: Literal["off", "record", "warn", "raise"] = Field(
        "off",
        alias="DATABASE_POOL_GUARD",
        description="Watch for a thread asking a pool for a second connection while it holds one (services/pool_guard.py).",
    )
    redis_url: str = Field("", alias="REDIS_URL", description="When set: Reflex state, task queue and rate limits go to Redis.")

    kie_ai_api_key: str = Field(
        "", alias="KIE_AI_API_KEY", description="The operator's kie.ai key; empty runs every model against the built-in sandbox."
    )
    kie_ai_base_url: str = Field("https://api.kie.ai", alias="KIE_AI_BASE_URL", description="kie.ai API base URL.")
    internal_url: str = Field(
        "", alias="SMARTSPEC_INTERNAL_URL", description="How the worker reaches this app's own backend (sandbox); empty: Reflex's api_url."
    )
    public_base_url: str = Field(
        "", alias="PUBLIC_BASE_URL", description="Absolute URL of the site as the world sees it (callbacks, SEO); empty: the internal URL."
    )

    encryption_key: str = Field("", alias="ENCRYPTION_KEY", description="Fernet key for secrets at rest (single key).")
    encryption_keys: str = Field("", alias="ENCRYPTION_KEYS", description="Comma-separated Fernet keys, newest first, for rotation.")

    r2_account_id: str = Field("", alias="R2_ACCOUNT_ID", description="Cloudflare account id; with the other R2_* set, media goes to R2.")
    r2_access_key_id: str = Field("", alias="R2_ACCESS_KEY_ID", description="R2 access key id.")
    r2_secret_access_key: str = Field("", alias="R2_SECRET_ACCESS_KEY", description="R2 secret access key.")
    r2_bucket_name: str = Field("", alias="R2_BUCKET_NAME", description="R2 bucket for media.")
    r2_public_url: str = Field("", alias="R2_PUBLIC_URL", description="Public custom domain of the bucket; empty: presigned URLs.")
    r2_endpoint_url: str = Field("", alias="R2_ENDPOINT_URL", description="Override the R2 endpoint (any S3-compatible store).")
    r2_presign_seconds: int = Field(
        3600, ge=1, le=604800, alias="R2_PRESIGN_SECONDS", description="Lifetime of presigned media URLs (no R2_PUBLIC_URL)."
    )

    media_url_seconds: int = Field(
        3600,
        ge=60,
        le=604800,
        alias="MEDIA_URL_SECONDS",
        description="Lifetime of signed local media URLs (generations, unlisted/private gallery items).",
    )

    html_cache_seconds: int = Field(
        60,
        ge=0,
        le=86400,
        alias="HTML_CACHE_SECONDS",
        description="How long browsers and proxies may keep a page's HTML before revalidating it (ETag); 0: always revalidate.",
    )

    worker_in_process: bool = Field(True, alias="WORKER_IN_PROCESS", description="Run the queue consumer inside the backend process.")
    worker_threads: int = Field(4, alias="WORKER_THREADS", description="Queue consumer threads in the backend process.")
    worker_submit_confirm_seconds: int = Field(
        300,
        ge=1,
        alias="WORKER_SUBMIT_CONFIRM_SECONDS",
        description="After a crash mid-submission: how long to wait for the provider's callback before submitting again.",
    )
    worker_lease_seconds: int = Field(
        120, ge=5, alias="WORKER_LEASE_SECONDS", description="How long a crashed worker's task stays held before another takes it over."
    )
    task_watch_resync_seconds: float = Field(
        30.0,
        gt=0,
        alias="TASK_WATCH_RESYNC_SECONDS",
        description="How often a page watching a running task re-reads it from the database (changes are pushed; this is the safety net).",
    )
    sandbox_seconds_image: float = Field(4.0, alias="SANDBOX_SECONDS_IMAGE", description="How long a sandbox image task takes.")
    sandbox_seconds_video: float = Field(8.0, alias="SANDBOX_SECONDS_VIDEO", description="How long a sandbox video task takes.")
    sandbox_seconds_speech: float = Field(3.0, alias="SANDBOX_SECONDS_SPEECH", description="How long a sandbox speech task takes.")
    sandbox_slow_seconds: float = Field(2.0, alias="SANDBOX_SLOW_SECONDS", description="Delay of each answer for [sandbox:slow] tasks.")
    sandbox_enabled: bool | None = Field(
        None,
        alias="SANDBOX_ENABLED",
        description="Mount the kie.ai sandbox: true or false; unset: only while KIE_AI_API_KEY is empty.",
    )
    sandbox_secret: str = Field(
        "", alias="SANDBOX_SECRET", description="The key only this app's own provider client uses for the sandbox; empty: made in DATA_DIR."
    )
    max_download_bytes: int = Field(
        200 * 1024 * 1024, alias="MAX_DOWNLOAD_BYTES", description="Largest result file accepted from a provider."
    )
    session_days: int = Field(30, alias="SESSION_DAYS", description="How long a login lasts.")
    max_request_bytes: int = Field(
        1024 * 1024, ge=1024, alias="MAX_REQUEST_BYTES", description="Largest request body the REST API accepts (413 above)."
    )
    max_request_header_bytes: int = Field(
        32 * 1024,
        ge=8 * 1024,
        alias="MAX_REQUEST_HEADER_BYTES",
        # nginx reads up to 32 KB of headers by default (4 x 8k buffers), Node 16 KB: a browser's
        # cookies and a Bearer token fit many times over; ten times that only costs memory and logs
        description="Largest total size of a request's headers, on every path (431 above).",
    )
    rate_limit_user: str = Field(
        "100/minute", alias="RATE_LIMIT_USER", description="REST API and Generate requests per signed-in user (limits notation)."
    )
    rate_limit_anonymous: str = Field(
        "10/minute", alias="RATE_LIMIT_ANONYMOUS", description="REST API requests per anonymous client address (limits notation)."
    )
    trusted_proxies: int = Field(
        0, ge=0, le=10, alias="TRUSTED_PROXIES", description="Reverse proxies in front that append to X-Forwarded-For; 0: ignore it."
    )

    cors_origins: str = Field(
        "",
        alias="CORS_ORIGINS",
        description="Comma-separated origins (https://host[:port]) besides the site's own whose pages may call the REST API "
        "and open the websocket; empty: the site's own origin only.",
    )
    hsts_seconds: int = Field(
        31_536_000,
        ge=0,
        le=63_072_000,
        alias="HSTS_SECONDS",
        description="Strict-Transport-Security max-age sent on answers served over HTTPS (TRUSTED_PROXIES: the forwarded scheme); 0: none.",
    )
    login_free_failures: int = Field(
        5,
        ge=1,
        le=1000,
        alias="LOGIN_FREE_FAILURES",
        description="Failed sign-ins per account (existing or not) that cost nothing; the next one locks it (services/login_throttle.py).",
    )
    login_free_failures_per_address: int = Field(
        20,
        ge=1,
        le=100_000,
        alias="LOGIN_FREE_FAILURES_PER_ADDRESS",
        description="Failed sign-ins per client address that cost nothing; the next one locks the address.",
    )
    login_lockout_seconds: int = Field(
        15, ge=1, le=86400, alias="LOGIN_LOCKOUT_SECONDS", description="The first lock; each further failure doubles it."
    )
    login_lockout_max_seconds: int = Field(
        900,
        ge=1,
        le=86400,
        alias="LOGIN_LOCKOUT_MAX_SECONDS",
        description="The longest lock; failures are forgotten an hour after a subject's first one.",
    )
    signup_limit: str = Field("5/hour", alias="SIGNUP_LIMIT", description="Sign-up attempts per client address (limits notation).")
    admin_emails: str = Field(
        "",
        alias="ADMIN_EMAILS",
        description="Comma-separated e-mails that are admins as soon as they sign up or sign in; when set, no first-account admin.",
    )
    admin_first_local_account: bool = Field(
        True,
        alias="ADMIN_FIRST_LOCAL_ACCOUNT",
        description="With ADMIN_EMAILS empty and no admin yet: an account signed up from this machine (loopback, no proxy) becomes admin.",
    )

    credits_starting_balance: float = Field(
        500.0,
        ge=0,
        le=1_000_000_000,
        alias="CREDITS_STARTING_BALANCE",
        description="The sign-up grant: app credits a new account starts with (granted on its first generation or credits view); 0: none.",
    )
    credits_monthly_quota: float = Field(
        0.0,
        ge=0,
        le=1_000_000_000,
        alias="CREDITS_MONTHLY_QUOTA",
        description="Credits each user may spend per calendar month (UTC) unless an admin set theirs; 0: no monthly quota.",
    )
    gallery_auto_approve: bool = Field(
        True, alias="GALLERY_AUTO_APPROVE", description="Items shared to the gallery are approved at once (no moderation queue)."
    )
    nsfw_detector: str = Field(
        "auto", alias="NSFW_DETECTOR", description="auto (NudeNet when installed), nudenet, or none (every image/video to manual review)."
    )
    nsfw_threshold: float = Field(
        0.6, ge=0.0, le=1.0, alias="NSFW_THRESHOLD", description="An image or video frame scoring this or more is flagged for review."
    )
    gallery_report_threshold: int = Field(
        3, ge=1, alias="GALLERY_REPORT_THRESHOLD", description="Open reports that hide an item until a moderator reviews it."
    )
    sitemap_cache_seconds: int = Field(
        300,
        ge=0,
        le=86400,
        alias="SITEMAP_CACHE_SECONDS",
        description="How long a rendered sitemap file is reused while the listed items are unchanged; 0: rendered every time.",
    )
    sitemap_max_urls: int = Field(
        50_000, ge=1, le=50_000, alias="SITEMAP_MAX_URLS", description="URLs per gallery sitemap file; more make a sitemap index."
    )
    spa_build_dir: str = Field(
        "", alias="SPA_BUILD_DIR", description="The built frontend whose HTML shell the SEO routes fill in; empty: .web/build/client."
    )

    @model_validator(mode="after")
    def _r2_all_or_nothing(self) -> Settings:
        """A partial R2 configuration stops the app at start-up instead of storing media locally by surprise."""
        missing = self.r2_missing()
        if missing and self.r2_requested:
            # not a ValueError: pydantic would wrap it and print every input, secrets included
            raise ConfigurationError(
                f"Incomplete Cloudflare R2 configuration: missing {', '.join(missing)}. "
                "Set them, or unset every R2_* variable to keep media in local storage."
            )
        return self

    @model_validator(mode="after")
    def _cors_origins_are_origins(self) -> Settings:
        """Every CORS_ORIGINS entry is a plain http(s) origin; `*` is refused (Reflex answers with credentials)."""
        for origin in self.cors_origin_list:
            scheme, _, rest = origin.partition("://")
            if scheme not in ("http", "https") or not rest or any(c in rest for c in "/?#*@ "):
                raise ConfigurationError(f"CORS_ORIGINS: {origin!r} is not an origin like https://app.example.com (no path, no wildcard).")
        return self

    @property
    def cors_origin_list(self) -> list[str]:
        """CORS_ORIGINS as a list, lower case, without trailing slashes."""
        return [part.strip().rstrip("/").lower() for part in self.cors_origins.split(",") if part.strip()]

    @property
    def r2_requested(self) -> bool:
        """Some R2_* variable is set."""
        values = (self.r2_account_id, self.r2_access_key_id, self.r2_secret_access_key, self.r2_bucket_name, self.r2_public_url)
        return any(values) or bool(self.r2_endpoint_url)

    def r2_missing(self) -> list[str]:
        """The R2 variables still needed for R2 storage (empty when complete)."""
        missing = [
            name
            for name, value in (
                ("R2_ACCESS_KEY_ID", self.r2_access_key_id),
                ("R2_SECRET_ACCESS_KEY", self.r2_secret_access_key),
                ("R2_BUCKET_NAME", self.r2_bucket_name),
            )
            if not value
        ]
        if not (self.r2_account_id or self.r2_endpoint_url):
            missing.append("R2_ACCOUNT_ID or R2_ENDPOINT_URL")
        return missing

    @property
    def r2_enabled(self) -> bool:
        """Media goes to R2: every needed R2 variable is set."""
        return not self.r2_missing()

    @property
    def admin_email_set(self) -> frozenset[str]:
        """ADMIN_EMAILS lower-cased, blanks dropped (compared with normalised account e-mails)."""
        return frozenset(part.strip().lower() for part in self.admin_emails.split(",") if part.strip())

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'smartspec.db'}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.db"

    @property
    def uses_sandbox(self) -> bool:
        return not self.kie_ai_api_key

    @property
    def sandbox_mounted(self) -> bool:
        """Whether the sandbox is served: SANDBOX_ENABLED, else only while there is no KIE_AI_API_KEY."""
        return self.sandbox_enabled if self.sandbox_enabled is not None else not self.kie_ai_api_key

    @property
    def resolved_internal_url(self) -> str:
        return (self.internal_url or "http://127.0.0.1:8000").rstrip("/")

    @property
    def sandbox_base_url(self) -> str:
        return f"{self.resolved_internal_url}/sandbox/kie"

    @property
    def resolved_spa_build_dir(self) -> Path:
        return Path(self.spa_build_dir) if self.spa_build_dir else PROJECT_ROOT / ".web" / "build" / "client"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reload_settings() -> Settings:
    """Forget the cached settings (tests change the environment)."""
    get_settings.cache_clear()
    return get_settings()
