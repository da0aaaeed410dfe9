"""/api/admin/gallery/*: the moderation queue, item detail, actions, bulk actions and audit log for admin
tokens (every route depends on `AdminUser`: 401 without a token, 403 for a non-admin), and
POST /api/gallery/item/{item_id}/report for any signed-in user."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from smartspec_app.api.deps import AdminUser, CurrentUser
from smartspec_app.api.schemas import (
    AdminItemDetail,
    AdminItemOut,
    AnalyticsOut,
    AuditOut,
    BulkOut,
    BulkRequest,
    DeletedOut,
    FeatureBody,
    NsfwBody,
    QueueFilter,
    QueueOut,
    ReasonBody,
    RejectBody,
    ReportBody,
    ReportOut,
    error_responses,
)
from smartspec_app.api.text_types import Text
from smartspec_app.models import GalleryItem
from smartspec_app.services import analytics, gallery, moderation, reports
from smartspec_app.services.db import session_scope
from smartspec_app.services.moderation import AuditEntry, QueueEntry
from smartspec_app.services.storage import get_storage
from smartspec_app.settings import get_settings

router = APIRouter(tags=["admin"])
PREFIX = "/api/admin/gallery"
ON_ITEM = error_responses(404)


def _iso_date_only(value: Any) -> Any:
    """YYYY-MM-DD only: pydantic would also read "0" as a Unix time (1970-01-01)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise PydanticCustomError("date_from_datetime_parsing", "Input should be a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def item_json(item: GalleryItem, author: str) -> dict[str, Any]:
    storage = get_storage()
    return {
        "id": item.id,
        "slug": item.slug,
        "title": item.title,
        "author": author,
        "user_id": item.user_id,
        "media_type": item.media_type,
        "media_url": gallery.shown_media_url(storage, item, item.media_url),
        "thumbnail_url": gallery.shown_media_url(storage, item, item.thumbnail_url) or None,
        "prompt": item.prompt,
        "model_id": item.model_id,
        "visibility": item.visibility,
        "moderation_status": item.moderation_status,
        "moderation_reason": item.moderation_reason,
        "is_nsfw": item.is_nsfw,
        "nsfw_score": item.nsfw_score,
        "nsfw_scores": dict(item.nsfw_scores or {}),
        "nsfw_flagged": item.nsfw_flagged,
        "nsfw_detector": item.nsfw_detector,
        "reports_count": item.reports_count,
        "review_requested_at": _iso(item.review_requested_at),
        "review_note": item.review_note,
        "review_open": item.review_open,
        "is_featured": item.is_featured,
        "featured_at": _iso(item.featured_at),
        "likes_count": item.likes_count,
        "views_count": item.views_count,
        "created_at": _iso(item.created_at),
    }


def _entry_json(entry: QueueEntry) -> dict[str, Any]:
    return item_json(entry.item, entry.author)


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    row = entry.action
    return {
        "id": row.id,
        "item_id": row.item_id,
        "item_title": row.item_title,
        "actor_id": row.actor_id,
        "actor": entry.actor,
        "action": row.action,
        "reason": row.reason,
        "details": dict(row.details or {}),
        "created_at": _iso(row.created_at),
    }


@router.get(f"{PREFIX}/queue", response_model=QueueOut)
def list_queue(
    admin: AdminUser,
    filter: QueueFilter = "pending",
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(24, ge=1, le=moderation.MAX_PAGE_SIZE),
    q: Annotated[Text, Query(max_length=200, description="Words in the title or prompt.")] = "",
) -> dict[str, Any]:
    """Items for review under one filter, with the count of every filter (the backlog)."""
    with session_scope() as session:
        result = moderation.queue(session, filter, page=page, page_size=page_size, search=q)
        counts = moderation.counts(session)
        items = [_entry_json(e) for e in result.entries]
    return {"items": items, "total": result.total, "page": result.page, "page_size": result.page_size, "counts": counts}


@router.get(f"{PREFIX}/items/{{item_id}}", response_model=AdminItemDetail, responses=ON_ITEM)
def item_detail(item_id: str, admin: AdminUser) -> dict[str, Any]:
    """One item with its NSFW scores, its reports and its moderation history."""
    with session_scope() as session:
        detail = moderation.item_detail(session, item_id)
        body = item_json(detail.item, detail.author)
        body["reports"] = [
            {
                "id": r.report.id,
                "reporter": r.reporter,
                "reason": r.report.reason,
                "details": r.report.details,
                "created_at": _iso(r.report.created_at),
                "resolved_at": _iso(r.report.resolved_at),
                "resolution": r.report.resolution,
            }
            for r in detail.reports
        ]
        body["history"] = [audit_json(e) for e in detail.history]
    return body


def _act(admin: AdminUser, action: str, item_id: str, reason: str) -> dict[str, Any]:
    with session_scope() as session:
        item = moderation.perform(session, get_storage(), admin, action, item_id, reason)
        if item is None:
            return {"id": item_id, "deleted": True}
        author = moderation.item_detail(session, item.id).author
        return item_json(item, author)


@router.post(f"{PREFIX}/items/{{item_id}}/approve", response_model=AdminItemOut, responses=ON_ITEM)
def approve(item_id: str, admin: AdminUser, body: ReasonBody | None = None) -> dict[str, Any]:
    return _act(admin, "approve", item_id, body.reason if body else "")


@router.post(f"{PREFIX}/items/{{item_id}}/reject", response_model=AdminItemOut, responses=ON_ITEM)
def reject(item_id: str, body: RejectBody, admin: AdminUser) -> dict[str, Any]:
    return _act(admin, "reject", item_id, body.reason)


@router.post(f"{PREFIX}/items/{{item_id}}/nsfw", response_model=AdminItemOut, responses=ON_ITEM)
def mark_nsfw(item_id: str, admin: AdminUser, body: NsfwBody | None = None) -> dict[str, Any]:
    body = body or NsfwBody()
    return _act(admin, "mark_nsfw" if body.nsfw else "unmark_nsfw", item_id, body.reason)


@router.post(f"{PREFIX}/items/{{item_id}}/feature", response_model=AdminItemOut, responses=error_responses(404, 409))
def feature(item_id: str, admin: AdminUser, body: FeatureBody | None = None) -> dict[str, Any]:
    """Feature (or with featured=false unfeature) an item; only an approved item that is not NSFW can be featured (409)."""
    body = body or FeatureBody()
    return _act(admin, "feature" if body.featured else "unfeature", item_id, body.reason)


@router.delete(f"{PREFIX}/items/{{item_id}}", response_model=DeletedOut, responses=ON_ITEM)
def delete(item_id: str, admin: AdminUser, reason: Annotated[Text, Query(max_length=moderation.MAX_REASON)] = "") -> dict[str, Any]:
    return _act(admin, "delete", item_id, reason)


@router.post(f"{PREFIX}/bulk", response_model=BulkOut)
def bulk(body: Annotated[BulkRequest, Body()], admin: AdminUser) -> dict[str, Any]:
    """One action on up to 100 items; `failed` names the items that could not take it and why."""
    with session_scope() as session:
        result = moderation.bulk(session, get_storage(), admin, body.action, body.item_ids, body.reason)
    return {"action": body.action, "done": result.done, "failed": result.failed}


@router.get(f"{PREFIX}/audit", response_model=AuditOut)
def audit(
    admin: AdminUser,
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(50, ge=1, le=moderation.MAX_PAGE_SIZE),
    item_id: Annotated[Text | None, Query(max_length=32)] = None,
    action: Annotated[Text | None, Query(max_length=32, description="approve, reject, screen, auto_hide, ...: that kind only.")] = None,
) -> dict[str, Any]:
    """The moderation audit log, newest first."""
    with session_scope() as session:
        result = moderation.audit_log(session, page=page, page_size=page_size, item_id=item_id, action=action)
        entries = [audit_json(e) for e in result.entries]
    return {"entries": entries, "total": result.total, "page": result.page, "page_size": result.page_size}


@router.get(f"{PREFIX}/analytics", response_model=AnalyticsOut)
def analytics_summary(
    admin: AdminUser,
    start: Annotated[IsoDate | None, Query(description="First day (UTC, YYYY-MM-DD); default: 29 days before `end`.")] = None,
    end: Annotated[IsoDate | None, Query(description="Last day, included (UTC); default: today, or 29 days after `start`.")] = None,
) -> dict[str, Any]:
    """The analytics dashboard's figures as JSON: generations by day, type and model (counts, success
    rate, average duration, credits), gallery activity by day and the moderation backlog.

    Any two dates make a range: in the wrong order they are swapped, and a range longer than 366 days
    keeps its last 366. `start` and `end` in the answer are the days counted."""
    start, end = analytics.requested_range(start, end, analytics.default_range()[1])
    with session_scope() as session:
        report = analytics.summary(session, start, end)
    return {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "generations": {
            "total": report.total,
            "completed": report.completed,
            "failed": report.failed,
            "success_rate": report.success_rate,
            "avg_seconds": report.avg_seconds,
            "credits": report.credits,
            "by_day": report.generations_by_day,
            "by_model": [{**asdict(m), "success_rate": m.success_rate} for m in report.by_model],
        },
        "gallery_by_day": report.gallery_by_day,
        "moderation": {"backlog": report.backlog, "oldest_pending_hours": report.oldest_pending_hours},
    }


@router.post(
    "/api/gallery/item/{item_id}/report",
    status_code=201,
    response_model=ReportOut,
    tags=["gallery"],
    responses=error_responses(403, 404, 409),
)
def report_item(item_id: str, body: ReportBody, user: CurrentUser) -> dict[str, Any]:
    """Report an item (once per user); enough open reports hide it until a moderator decides.

    403: it is your own item. 404: no such item (or not visible to you). 409: you already reported it."""
    with session_scope() as session:
        outcome = reports.report_item(session, user, item_id, body.reason, body.details, threshold=get_settings().gallery_report_threshold)
        return {"id": outcome.report.id, "item_id": item_id, "reason": outcome.report.reason, "reports_count": outcome.reports_count}
