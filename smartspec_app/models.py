"""Database tables (SQLModel). Plain Python: services import these without Reflex.

`generation_tasks` and `gallery_items` keep the seed schema's column names and meanings;
the columns after the "worker bookkeeping" comments are ours.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


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


class UserSession(SQLModel, table=True):
    """A login. The browser holds the token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


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


class GalleryItem(SQLModel, table=True):
    __tablename__ = "gallery_items"

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
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class SandboxJob(SQLModel, table=True):
    """A job of the built-in kie.ai sandbox; kept in the database so it survives restarts."""

    __tablename__ = "sandbox_jobs"

    id: str = Field(primary_key=True, max_length=100)  # the kie-style taskId
    model: str = Field(max_length=100)
    input: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    callback_url: str | None = None
    fault: str | None = Field(default=None, max_length=40)
    duration_seconds: float = Field(default=4.0)
    created_at: datetime = Field(default_factory=utcnow)
    result_file: str | None = None
    fail_message: str | None = None


ALL_TABLES = (User, UserSession, GenerationTask, GalleryItem, SandboxJob)
