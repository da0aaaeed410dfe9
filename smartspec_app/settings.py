"""Every environment variable the app reads, typed, with its default and meaning.

The defaults make the embedded mode work with nothing set: SQLite under ./data,
the in-process SqliteHuey queue, local media storage and the built-in kie.ai sandbox.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Field(PROJECT_ROOT / "data", alias="DATA_DIR", description="Where the SQLite files, queue and local media live.")
    database_url: str = Field("", alias="DATABASE_URL", description="SQLAlchemy URL; empty means sqlite:///<DATA_DIR>/smartspec.db.")
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

    worker_in_process: bool = Field(True, alias="WORKER_IN_PROCESS", description="Run the queue consumer inside the backend process.")
    worker_threads: int = Field(4, alias="WORKER_THREADS", description="Queue consumer threads in the backend process.")
    sandbox_seconds_image: float = Field(4.0, alias="SANDBOX_SECONDS_IMAGE", description="How long a sandbox image task takes.")
    sandbox_seconds_video: float = Field(8.0, alias="SANDBOX_SECONDS_VIDEO", description="How long a sandbox video task takes.")
    sandbox_seconds_speech: float = Field(3.0, alias="SANDBOX_SECONDS_SPEECH", description="How long a sandbox speech task takes.")
    max_download_bytes: int = Field(
        200 * 1024 * 1024, alias="MAX_DOWNLOAD_BYTES", description="Largest result file accepted from a provider."
    )
    session_days: int = Field(30, alias="SESSION_DAYS", description="How long a login lasts.")

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
    def resolved_internal_url(self) -> str:
        return (self.internal_url or "http://127.0.0.1:8000").rstrip("/")

    @property
    def sandbox_base_url(self) -> str:
        return f"{self.resolved_internal_url}/sandbox/kie"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reload_settings() -> Settings:
    """Forget the cached settings (tests change the environment)."""
    get_settings.cache_clear()
    return get_settings()
