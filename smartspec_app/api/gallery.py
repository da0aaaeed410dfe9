"""/api/gallery: the JSON the SDKs use — list listed items, read one, share a generation, like and unlike."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel, Field
from pydantic_core import to_json

from smartspec_app.api.deps import CurrentUser, OptionalUser
from smartspec_app.api.schemas import (
    GalleryItemDetail,
    GalleryItemOut,
    GalleryPage,
    LikeAction,
    LikeOut,
    LikeRequest,
    ModerationOut,
    ReviewRequest,
    ShareRequest,
    error_responses,
)
from smartspec_app.api.text_types import Text
from smartspec_app.services import author_moderation, gallery, gallery_engagement, gallery_feed, gallery_search
from smartspec_app.services.db import session_scope
from smartspec_app.services.gallery import CATEGORIES, GalleryEntry
from smartspec_app.services.seo import SiteUrls, iso
from smartspec_app.services.storage import get_storage
from smartspec_app.settings import get_settings

router = APIRouter(prefix="/api/gallery", tags=["gallery"])


def site_urls(request: Request) -> SiteUrls:
    """Absolute URLs from PUBLIC_BASE_URL, or from the request when it is not set."""
    base = get_settings().public_base_url or str(request.base_url)
    return SiteUrls(base.rstrip("/"), get_storage())


def item_json(entry: GalleryEntry, urls: SiteUrls) -> dict:
    item = entry.item
    signed = not gallery.media_is_public(item)  # unlisted, private, pending: signed, expiring URLs
    return {
        "id": item.id,
        "slug": item.slug,
        "url": urls.item(item.slug),
        "title": item.title,
        "description": item.description,
        "author": entry.author,
        "media_type": item.media_type,
        "media_url": urls.media(item.media_url, signed=signed),
        "thumbnail_url": urls.media(item.thumbnail_url, signed=signed) or None,
        "prompt": item.prompt,
        "model_id": item.model_id,
        "category": item.category,
        "tags": list(item.tags),
        "visibility": item.visibility,
        "likes_count": item.likes_count,
        "views_count": item.views_count,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
    }


class GalleryQuery(BaseModel):
    """The listing's query parameters, validated in one pass (the busiest route of the API)."""

    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(24, ge=1, le=gallery_feed.MAX_PAGE_SIZE)
    category: Text | None = Field(
        None, max_length=50, description=f"One of {', '.join(CATEGORIES)}; another category lists nothing (an empty page)."
    )
    tag: Text | None = Field(None, max_length=64)
    username: Text | None = Field(None, max_length=40)
    sort_by: Literal["relevance", "trending", "newest", "most_liked", "most_viewed"] | None = Field(
        None, description="Default: relevance with `q`, else trending (relevance without `q` is trending)."
    )
    media_type: Literal["image", "video", "audio"] | None = None
    q: Text | None = Field(
        None,
        max_length=gallery_search.MAX_QUERY_CHARS,
        description='Full-text search over title, description, prompt and tags: every word must match (by stem); "quoted phrases" too.',
    )


@router.get("", response_model=GalleryPage)
def list_gallery(request: Request, q: Annotated[GalleryQuery, Query()]) -> Response:
    """Listed items (public, approved, not NSFW), searched (`q`), filtered, sorted and paginated."""
    urls = site_urls(request)
    with session_scope() as session:
        result = gallery_feed.list_public(session, q.page, q.page_size, q.category, q.tag, q.media_type, q.username, q.sort_by, q.q)
        items = [item_json(e, urls) for e in result.entries]
    # The hottest public route: answered as built (item_json already has GalleryItemOut's shape, which
    # the schema-conformance tests check) instead of validating every item again on the way out,
    # and serialized by pydantic-core (Rust) rather than the json module.
    page_json = {"items": items, "page": result.page, "page_size": result.page_size, "total": result.total, "has_more": result.has_more}
    return Response(to_json(page_json), media_type="application/json")


@router.post("", status_code=201, response_model=GalleryItemOut, responses=error_responses(404, 409))
def share_generation(body: ShareRequest, request: Request, user: CurrentUser) -> dict:
    """Share one of your completed generations. With GALLERY_AUTO_APPROVE off it waits for moderation.

    404: no such generation of yours. 409: it is not finished yet, or it is already shared (then
    `details` name the existing item)."""
    with session_scope() as session:
        item = gallery.share_to_gallery(
            session,
            get_storage(),
            user,
            body.task_to_share(),
            body.title,
            body.description,
            body.category,
            body.tags,
            body.visibility,
            auto_approve=get_settings().gallery_auto_approve,
        )
        return item_json(GalleryEntry(item=item, author=user.username), site_urls(request))


@router.get("/item/{item_id}", response_model=GalleryItemDetail, responses=error_responses(404))
def get_gallery_item(item_id: str, request: Request, user: OptionalUser) -> dict:
    """One item: anyone for listed and unlisted items, the author for private ones. The author (and
    admins) also get `moderation`: its status and, when it was rejected or flagged, why."""
    with session_scope() as session:
        entry = gallery.get_item(session, item_id, user)
        liked = gallery_engagement.has_liked(session, user, item_id)
        notice = None
        if gallery.can_edit(entry.item, user):
            notice = moderation_json(author_moderation.notice_for(session, entry.item, get_settings().nsfw_threshold))
        return {**item_json(entry, site_urls(request)), "liked": liked, "moderation": notice}


def moderation_json(notice: author_moderation.ModerationNotice) -> dict:
    data = dataclasses.asdict(notice)
    data["review_requested_at"] = iso(notice.review_requested_at) if notice.review_requested_at else None
    return data


@router.post("/item/{item_id}/review", response_model=ModerationOut, responses=error_responses(403, 404, 409))
def request_review(item_id: str, body: ReviewRequest, user: CurrentUser) -> dict:
    """Ask, once per item, for a moderator to look again at your rejected, flagged, NSFW-marked or
    reported item (a rejected one goes back to pending). A second request is a 409."""
    with session_scope() as session:
        notice = author_moderation.request_review(session, user, item_id, body.note, get_settings().nsfw_threshold)
        return moderation_json(notice)


@router.delete("/item/{item_id}", status_code=204, responses=error_responses(403, 404))
def delete_gallery_item(item_id: str, user: CurrentUser) -> Response:
    """Delete your item (admins: any), with its likes, views, tags, old links and its media."""
    with session_scope() as session:
        gallery.delete_item(session, get_storage(), user, item_id)
    return Response(status_code=204)


LIKE_ACTIONS = {"toggle": gallery_engagement.toggle_like, "like": gallery_engagement.like, "unlike": gallery_engagement.unlike}


@router.post("/item/{item_id}/like", response_model=LikeOut, responses=error_responses(404))
def like_item(
    item_id: str,
    user: CurrentUser,
    body: Annotated[LikeRequest | None, Body()] = None,
    action: Annotated[LikeAction | None, Query(description="Same as the body's `action`; the body wins.")] = None,
) -> dict:
    """Toggle your like (the default), or set it with `action`: "like" and "unlike" are idempotent.

    `action` comes in the JSON body ({"action": "like"}) or the query (?action=like)."""
    chosen = body.action if body is not None and "action" in body.model_fields_set else action or "toggle"
    with session_scope() as session:
        state = LIKE_ACTIONS[chosen](session, user, item_id)
    return {"item_id": item_id, "liked": state.liked, "likes_count": state.likes_count}


@router.delete("/item/{item_id}/like", response_model=LikeOut, responses=error_responses(404))
def unlike_item(item_id: str, user: CurrentUser) -> dict:
    """Take a like back (idempotent)."""
    with session_scope() as session:
        state = gallery_engagement.unlike(session, user, item_id)
    return {"item_id": item_id, "liked": state.liked, "likes_count": state.likes_count}
