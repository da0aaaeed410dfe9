"""Database tables (SQLModel). Plain Python: services import these without Reflex.

`generation_tasks` and `gallery_items` keep the seed schema's column names and meanings;
the columns after the "worker bookkeeping" comments are ours.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, false
from sqlmodel import Field, SQLModel

from smartspec_app import search_schema


def utcnow() -> datetime:
    """Aware UTC; SQLModel's datetime columns store and return UTC on SQLite and PostgreSQL alike."""
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class TaskStatus:
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    ACTIVE = (PENDING, RUNNING)
    TERMINAL = (COMPLETED, FAILED, CANCELLED)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=254)
    username: str = Field(index=True, unique=True, max_length=40)
    password_hash: str = Field(max_length=255)
    is_admin: bool = Field(default=False)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None


class AdminBootstrap(SQLModel, table=True):
    """At most one row (id 1): the site has had an admin. A sign-up claims the first-admin role by
    INSERTing it, so of two sign-ups at the same moment exactly one succeeds (services/admin_bootstrap.py)."""

    __tablename__ = "admin_bootstrap"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class UserSession(SQLModel, table=True):
    """A login. The browser holds the token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ApiToken(SQLModel, table=True):
    """A named REST/SDK token. Looked up by SHA-256; kept encrypted so its owner can see it again."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=80)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    encrypted_token: str
    token_hint: str = Field(max_length=20)  # "ssp_AbC…xYz9", safe to show
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ProviderKey(SQLModel, table=True):
    """A provider API key, encrypted: the operator's (user_id NULL) or a user's own (bring your own key)."""

    __tablename__ = "provider_keys"
    __table_args__ = (Index("ux_provider_keys_owner", "provider", "owner_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(default="kie", max_length=20)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    owner_key: str = Field(max_length=32)  # "operator" or "user:<id>": one key per owner and provider
    encrypted_key: str
    key_hint: str = Field(max_length=20)  # first 4 and last 4 characters
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class GenerationTask(SQLModel, table=True):
    __tablename__ = "generation_tasks"
    __table_args__ = (
        Index("ix_generation_tasks_user_created", "user_id", "created_at"),
        Index("ix_generation_tasks_status_next_check", "status", "next_check_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: int = Field(foreign_key="users.id", index=True)
    task_type: str = Field(max_length=16)  # image | video | speech
    model_id: str = Field(max_length=100)
    prompt: str
    parameters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=TaskStatus.PENDING, max_length=16, index=True)
    progress: int = Field(default=0)
    output_url: str | None = None  # the first result's URL in our storage
    thumbnail_url: str | None = None
    error_message: str | None = None
    credits_used: float = Field(default=0.0)
    credits_held: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})  # (ours) held at submit: services/credits.py
    provider_task_id: str | None = Field(default=None, max_length=200)  # the first provider task
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    completed_at: datetime | None = None

    # worker bookkeeping (ours)
    provider: str = Field(default="sandbox", max_length=20)  # kie | sandbox
    status_detail: str = Field(default="Queued", max_length=200)  # human words for the current step
    provider_inputs: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    provider_task_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    output_urls: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    output_keys: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_expires_at: datetime | None = None
    next_check_at: datetime | None = None
    deadline_at: datetime | None = None
    poll_count: int = Field(default=0)
    error_count: int = Field(default=0)  # provider errors in a row
    callback_secret: str | None = Field(default=None, max_length=64)  # in the callback URL; a forged call only triggers a re-check
    submitting_since: datetime | None = None  # a createTask is in flight; still set after a crash: outcome unknown


class GalleryVisibility:
    PUBLIC = "public"  # listed, in the sitemap, indexable (once approved and not NSFW)
    UNLISTED = "unlisted"  # anyone with the link; never listed, noindex
    PRIVATE = "private"  # the owner only

    ALL = (PUBLIC, UNLISTED, PRIVATE)


LISTED_FLAGS = ("is_public", "moderation_status", "is_nsfw")  # services/gallery.listed_clause; every listing index starts so


class GalleryItem(SQLModel, table=True):
    __tablename__ = "gallery_items"
    __table_args__ = (
        Index("ix_gallery_items_listing", *LISTED_FLAGS, "created_at"),
        # covers counting listed items and ranking them (newest, trending) without reading the rows
        Index("ix_gallery_items_listing_rank", *LISTED_FLAGS, "created_at", "id", "likes_count", "views_count"),
        # listed items per category (counts, category pages) and in id order (sitemap files)
        Index("ix_gallery_items_listing_category", *LISTED_FLAGS, "category", "created_at"),
        Index("ix_gallery_items_listing_id", *LISTED_FLAGS, "id"),
        # trending is a stored, time-invariant rank (services/trending.py): listing by it is an index scan
        Index("ix_gallery_items_listing_trending", *LISTED_FLAGS, "trending_rank", "created_at", "id"),
        # the gallery's filters by their default sort: counted and paged off an index, not a sort of every match
        Index("ix_gallery_items_listing_category_trending", *LISTED_FLAGS, "category", "trending_rank", "created_at", "id"),
        Index("ix_gallery_items_listing_media_trending", *LISTED_FLAGS, "media_type", "trending_rank", "created_at", "id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    task_id: str | None = Field(default=None, foreign_key="generation_tasks.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="")
    slug: str = Field(index=True, unique=True, max_length=240)
    media_type: str = Field(max_length=16)  # image | video | audio
    media_url: str
    thumbnail_url: str | None = None
    prompt: str = Field(default="")
    model_id: str = Field(default="", max_length=100)
    category: str = Field(default="general", max_length=50, index=True)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    is_public: bool = Field(default=True)
    is_featured: bool = Field(default=False)
    featured_at: datetime | None = None
    is_nsfw: bool = Field(default=False)
    nsfw_score: float | None = None
    moderation_status: str = Field(default="pending", max_length=16, index=True)  # pending|approved|rejected
    likes_count: int = Field(default=0)
    views_count: int = Field(default=0)
    trending_rank: float = Field(default=0.0)  # services/trending.py: recomputed when likes or views change
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)

    # gallery (ours): is_public mirrors visibility == "public"
    visibility: str = Field(default=GalleryVisibility.PUBLIC, max_length=16, sa_column_kwargs={"server_default": "public"})

    # moderation (ours): the NSFW detector's output and the open community reports
    nsfw_scores: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    nsfw_flagged: bool = Field(default=False, sa_column_kwargs={"server_default": false()})  # over the threshold: review
    nsfw_detector: str | None = Field(default=None, max_length=60)  # "nudenet 3.4.2", "none", "error: ..."
    nsfw_checked_at: datetime | None = None
    reports_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # open (unresolved) reports
    moderation_reason: str | None = None  # the last reviewer's reason (a rejection's, say)

    # responsive pictures (services/pictures.py): the size of the item's picture (the image, or the
    # poster / waveform of video and audio) and the widths of its WebP renditions in storage
    picture_width: int | None = None
    picture_height: int | None = None
    picture_widths: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # the author's one re-review request (services/author_moderation.py)
    review_requested_at: datetime | None = None  # set once, never cleared: one request per item
    review_note: str | None = Field(default=None, max_length=1000)  # what the author told the moderators
    review_open: bool = Field(default=False, sa_column_kwargs={"server_default": false()})  # until a moderator decides


search_schema.attach(GalleryItem.__table__)  # the full-text index (FTS5 / tsvector) is built with the table


class SandboxJob(SQLModel, table=True):
    """A job of the built-in kie.ai sandbox; kept in the database so it survives restarts."""

    __tablename__ = "sandbox_jobs"

    id: str = Field(primary_key=True, max_length=100)  # the kie-style taskId
    model: str = Field(max_length=100)
    input: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    callback_url: str | None = None
    fault: str | None = Field(default=None, max_length=200)
    duration_seconds: float = Field(default=4.0)
    created_at: datetime = Field(default_factory=utcnow)
    result_file: str | None = None
    fail_message: str | None = None


class GallerySlugRedirect(SQLModel, table=True):
    """A gallery item's former slug, so links made before a title change keep working (301)."""

    __tablename__ = "gallery_slug_redirects"

    old_slug: str = Field(primary_key=True, max_length=240)
    item_id: str = Field(foreign_key="gallery_items.id", ondelete="CASCADE", index=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class GalleryItemTag(SQLModel, table=True):
    """One tag of a gallery item (the item's `tags` JSON keeps the display order; this table is for filtering)."""

    __tablename__ = "gallery_item_tags"

    item_id: str = Field(foreign_key="gallery_items.id", ondelete="CASCADE", primary_key=True, max_length=32)
    tag: str = Field(primary_key=True, max_length=40, index=True)


class GalleryLike(SQLModel, table=True):
    """One like of one user on one item; the primary key makes it one per user."""

    __tablename__ = "gallery_likes"

    item_id: str = Field(foreign_key="gallery_items.id", ondelete="CASCADE", primary_key=True, max_length=32)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class GalleryView(SQLModel, table=True):
    """A counted view: one per item, viewer and hour (rows older than an hour only guard that hour)."""

    __tablename__ = "gallery_views"

    item_id: str = Field(foreign_key="gallery_items.id", ondelete="CASCADE", primary_key=True, max_length=32)
    viewer_key: str = Field(primary_key=True, max_length=64)  # "user:<id>" or a hash of IP + user agent
    hour: int = Field(primary_key=True)  # whole hours since the Unix epoch, UTC
    created_at: datetime = Field(default_factory=utcnow, index=True)


class GalleryReport(SQLModel, table=True):
    """A signed-in user's report of a gallery item; one per user and item. Open until a moderator decides."""

    __tablename__ = "gallery_reports"
    __table_args__ = (Index("ux_gallery_reports_item_user", "item_id", "user_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: str = Field(foreign_key="gallery_items.id", ondelete="CASCADE", index=True, max_length=32)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    reason: str = Field(max_length=32)  # one of services.reports.REASONS
    details: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    resolved_at: datetime | None = None
    resolution: str | None = Field(default=None, max_length=32)  # the moderation action that closed it


class ModerationAction(SQLModel, table=True):
    """The moderation audit log: who (NULL: the system) did what to which item, when and why.

    Rows outlive their item (a deleted item keeps its log), so `item_id` is not a foreign key
    and `item_title` keeps the title as it was."""

    __tablename__ = "moderation_actions"
    __table_args__ = (Index("ix_moderation_actions_item_created", "item_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: str | None = Field(default=None, max_length=32)
    item_title: str = Field(default="", max_length=200)
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL", index=True)
    action: str = Field(max_length=32, index=True)
    reason: str = Field(default="")
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class CreditAccount(SQLModel, table=True):
    """A user's app credits (what this site charges, not kie.ai's own balance). Amounts are integer
    hundredths of a credit, so sums and comparisons are exact on every database (services/credits.py)."""

    __tablename__ = "credit_accounts"

    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    # 64-bit: a billion credits is 10^11 hundredths, past a 32-bit INTEGER on PostgreSQL
    balance: int = Field(default=0, sa_type=BigInteger)  # hundredths of a credit; never below zero
    monthly_quota: int | None = Field(default=None, sa_type=BigInteger)  # hundredths; NULL: the site's default
    period: str = Field(default="", max_length=7)  # the UTC month `period_spent` counts, "2026-12"
    period_spent: int = Field(default=0, sa_type=BigInteger)  # hundredths held or charged in `period`, refunds taken off
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CreditLedgerEntry(SQLModel, table=True):
    """One change to a user's credits: a grant, a hold at submit, its settlement or refund when the task
    ends, an admin's adjustment (with who and why), or a quota change (amount 0)."""

    __tablename__ = "credit_ledger"
    __table_args__ = (
        Index("ix_credit_ledger_user_created", "user_id", "created_at"),
        Index("ux_credit_ledger_task_kind", "task_id", "kind", unique=True),  # a task is held, settled or refunded once
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)  # grant | hold | settle | refund | adjustment | quota
    amount: int = Field(sa_type=BigInteger)  # hundredths of a credit added to the balance (negative: taken)
    balance_after: int = Field(sa_type=BigInteger)
    task_id: str | None = Field(default=None, max_length=32)  # not a foreign key: entries outlive deleted tasks
    provider: str | None = Field(default=None, max_length=20)  # kie | sandbox: whose generation it paid for
    provider_credits: float | None = None  # the provider's own figure for the task, when it reports one
    period: str = Field(default="", max_length=7)  # the UTC month a hold counted against
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")  # the admin who adjusted
    note: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)


ALL_TABLES = (
    User,
    AdminBootstrap,
    UserSession,
    ApiToken,
    ProviderKey,
    GenerationTask,
    GalleryItem,
    SandboxJob,
    GallerySlugRedirect,
    GalleryItemTag,
    GalleryLike,
    GalleryView,
    GalleryReport,
    ModerationAction,
    CreditAccount,
    CreditLedgerEntry,
)
