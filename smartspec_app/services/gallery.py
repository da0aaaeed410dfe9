"""Gallery items: share a finished generation, edit it, delete it, find it by slug, and who may see it.

The visibility rule lives here and only here:
- *listed* (gallery pages, sitemap, the list API, crawlers): `is_public` (which mirrors
  visibility == "public"), moderation_status == "approved" and not `is_nsfw`;
- *viewable by link*: listed, or unlisted with the same approval and NSFW conditions;
- owners (and admins) always see their own items.

Listing and ranking are in `gallery_feed`, likes and views in `gallery_engagement`.
"""

from __future__ import annotations

import logging
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from slugify import slugify
from sqlalchemy import ColumnElement, and_, delete, false
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlmodel import Session, select

from smartspec_app.models import (
    GalleryItem,
    GalleryItemTag,
    GalleryLike,
    GallerySlugRedirect,
    GalleryView,
    GalleryVisibility,
    GenerationTask,
    TaskStatus,
    User,
    new_id,
    utcnow,
)
from smartspec_app.services import catalog, nsfw, pictures, trending
from smartspec_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from smartspec_app.services.storage import Storage, gallery_key, gallery_prefix, gallery_thumbnail_key, local_copy, refresh_url
from smartspec_app.services.text_rules import check_label, check_text, has_refused, has_visible
from smartspec_app.services.thumbnails import ThumbnailError, make_thumbnail
from smartspec_app.settings import get_settings

log = logging.getLogger(__name__)

APPROVED = "approved"
PENDING = "pending"
# The categories people file generated media under (slug: label), in the order pages list them.
CATEGORIES: dict[str, str] = {
    "general": "General",
    "landscape": "Landscapes",
    "nature": "Nature",
    "animals": "Animals",
    "portrait": "Portraits",
    "character": "Characters",
    "art": "Art",
    "illustration": "Illustration",
    "photography": "Photography",
    "anime": "Anime",
    "fantasy": "Fantasy",
    "sci-fi": "Sci-fi",
    "architecture": "Architecture",
    "interior": "Interiors",
    "product": "Products",
    "food": "Food",
    "fashion": "Fashion",
    "design": "Logos & design",
    "3d": "3D",
    "abstract": "Abstract",
    "cinematic": "Cinematic",
    "animation": "Animation",
    "music": "Music",
    "voice": "Voice",
}
MEDIA_TYPES = ("image", "video", "audio")
MEDIA_FOR_TASK = {"image": "image", "video": "video", "speech": "audio"}
MAX_TITLE = 120
NO_VISIBLE_TITLE = "The title needs at least one visible character (a letter, digit, symbol or punctuation mark)"
MAX_DESCRIPTION = 2000
MAX_TAGS = 10
MAX_TAG_LENGTH = 32
SLUG_BASE_LENGTH = 60
SLUG_SUFFIX_LENGTH = 6
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True, slots=True)
class ListedItem:
    """The fields of a gallery item that listings show, read as plain columns.

    Public listings are the busiest reads in the app; building full ORM objects (identity map,
    change tracking, the moderation JSON) for rows that are only rendered costs more than the
    query itself. Same attribute names as GalleryItem, so views take either."""

    id: str
    user_id: int
    slug: str
    title: str
    description: str
    media_type: str
    media_url: str
    thumbnail_url: str | None
    prompt: str
    model_id: str
    category: str
    tags: list[str]
    visibility: str
    moderation_status: str
    is_featured: bool
    likes_count: int
    views_count: int
    created_at: datetime
    updated_at: datetime
    picture_width: int | None
    picture_height: int | None
    picture_widths: list[int]


LISTED_COLUMNS = tuple(getattr(GalleryItem, name) for name in ListedItem.__slots__)


@dataclass(frozen=True)
class GalleryEntry:
    """An item with its author's username, as listings and pages show it."""

    item: GalleryItem | ListedItem
    author: str


@dataclass(frozen=True)
class SlugMatch:
    """The item a slug names; `moved` when the slug is a former one (answer with a redirect)."""

    entry: GalleryEntry
    moved: bool


# --- the visibility rule -------------------------------------------------------------------


def listed_clause(columns: ReadOnlyColumnCollection | None = None) -> ColumnElement[bool]:
    """SQL: the item appears publicly (lists, sitemap, crawlers). `columns`: another table's copy of
    the three flags (the SQLite search index keeps one), by default the item's own."""
    c = GalleryItem.__table__.c if columns is None else columns
    return and_(c.is_public, c.moderation_status == APPROVED, c.is_nsfw == false())


def is_listed(item: GalleryItem) -> bool:
    """Python twin of `listed_clause`."""
    return item.is_public and item.moderation_status == APPROVED and not item.is_nsfw


def is_viewable_by_link(item: GalleryItem) -> bool:
    """Anyone with the link may open it: listed, or unlisted and otherwise public."""
    if item.moderation_status != APPROVED or item.is_nsfw:
        return False
    return item.visibility in (GalleryVisibility.PUBLIC, GalleryVisibility.UNLISTED)


def media_is_public(item: GalleryItem | ListedItem) -> bool:
    """Its media may be loaded by anyone without a signed URL (and cached): the item is listed.

    Unlisted items are viewable by whoever has the page's link, but their media is not public:
    the page hands each viewer signed, expiring URLs, so the media stops loading (once those
    expire) when the item is made private, and is never a permanent public address of its own.
    ListedItem rows only ever come from listed queries."""
    return True if isinstance(item, ListedItem) else is_listed(item)


def shown_media_url(storage: Storage, item: GalleryItem | ListedItem, url: str | None) -> str:
    """One of the item's stored media URLs as a page shows it: public if listed, else signed."""
    return refresh_url(storage, url, signed=not media_is_public(item)) or ""


def shown_picture(storage: Storage, item: GalleryItem | ListedItem) -> pictures.ShownPicture:
    """The item's picture with its renditions' srcset, through public or signed URLs like its media."""
    public = media_is_public(item)
    picture_url = item.media_url if item.media_type == "image" else item.thumbnail_url
    return pictures.shown(
        item.id,
        item.picture_width,
        item.picture_height,
        item.picture_widths,
        storage.url if public else storage.signed_url,
        shown_media_url(storage, item, picture_url),
    )


def media_key_is_public(session: Session, key: str) -> bool:
    """The stored object `key` belongs to a listed gallery item (gallery/{item_id}/...)."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "gallery" or not parts[1]:
        return False
    row = session.exec(
        select(GalleryItem.is_public, GalleryItem.moderation_status, GalleryItem.is_nsfw).where(GalleryItem.id == parts[1])
    ).first()
    return row is not None and bool(row[0]) and row[1] == APPROVED and not row[2]


def can_view(item: GalleryItem, user: User | None) -> bool:
    if is_viewable_by_link(item):
        return True
    return user is not None and (user.id == item.user_id or user.is_admin)


def can_edit(item: GalleryItem, user: User | None) -> bool:
    return user is not None and (user.id == item.user_id or user.is_admin)


# --- input checks ----------------------------------------------------------------------------


def clean_title(title: str) -> str:
    """The title with white space runs made one space; it must show something (text_rules.has_visible)."""
    title = " ".join(check_label(title or "", "title", "The title").split())
    if not title:
        raise ValidationError("Give the item a title", field="title")
    if not has_visible(title):
        raise ValidationError(NO_VISIBLE_TITLE, field="title")
    if len(title) > MAX_TITLE:
        raise ValidationError(f"Keep the title under {MAX_TITLE} characters", field="title")
    return title


def suggest_title(prompt: str, limit: int = 60) -> str:
    """A title to start from: the prompt's first words, at most `limit` characters."""
    text = " ".join((prompt or "").split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return text[:1].upper() + text[1:]


def clean_description(description: str) -> str:
    description = check_text(description or "", "description", "The description").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError(f"Keep the description under {MAX_DESCRIPTION} characters", field="description")
    return description


def normalize_category(category: str | None) -> str:
    """A category as stored: trimmed and lower-case ("Landscape " -> "landscape")."""
    return (category or "").strip().lower()


def clean_category(category: str) -> str:
    category = normalize_category(check_text(category or "", "category", "The category")) or "general"
    if category not in CATEGORIES:
        raise ValidationError(f"Unknown category {category!r}; pick one of {', '.join(CATEGORIES)}", field="category")
    return category


def clean_visibility(visibility: str) -> str:
    visibility = (visibility or GalleryVisibility.PUBLIC).strip().lower()
    if visibility not in GalleryVisibility.ALL:
        raise ValidationError("Visibility is public, unlisted or private", field="visibility")
    return visibility


def normalize_tag(tag: str) -> str:
    """A tag as stored and as it appears in /gallery/tag/{tag}: lower-case ASCII words joined by hyphens."""
    return slugify(tag or "", max_length=MAX_TAG_LENGTH, word_boundary=True)


def clean_tags(tags: str | Iterable[str] | None) -> list[str]:
    """Comma-separated text or a list → unique normalized tags, in the order given."""
    raw = tags.split(",") if isinstance(tags, str) else list(tags or [])
    cleaned: list[str] = []
    for tag in raw:
        normalized = normalize_tag(check_label(str(tag), "tags", f"The tag {_quoted(tag)}"))
        if normalized and normalized not in cleaned:
            cleaned.append(normalized)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(f"Use at most {MAX_TAGS} tags", field="tags")
    return cleaned


def _quoted(tag: object) -> str:
    """A tag as an error message shows it: its printable part, quoted."""
    return repr("".join(c for c in str(tag) if c.isprintable())[:40])


# --- slugs ---------------------------------------------------------------------------------


def make_slug(title: str) -> str:
    """python-slugify of the title plus a short random suffix: `a-lighthouse-at-dawn-k3x9qa`."""
    base = slugify(title, max_length=SLUG_BASE_LENGTH, word_boundary=True) or "untitled"
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(SLUG_SUFFIX_LENGTH))
    return f"{base}-{suffix}"


def _slug_taken(session: Session, slug: str) -> bool:
    if session.exec(select(GalleryItem.id).where(GalleryItem.slug == slug)).first() is not None:
        return True
    return session.get(GallerySlugRedirect, slug) is not None


def _free_slug(session: Session, title: str) -> str:
    for _ in range(20):
        slug = make_slug(title)
        if not _slug_taken(session, slug):
            return slug
    raise Conflict("Could not find a free link for this title; try again")  # 36**6 suffixes: practically never


# --- sharing -------------------------------------------------------------------------------


def _copy_media(storage: Storage, task: GenerationTask, item_id: str) -> tuple[str, str | None, list[str]]:
    """Copy the task's first output (and its thumbnail) under gallery/{item_id}/; returns the keys."""
    source = task.output_keys[0]
    ext = PurePosixPath(source).suffix.lstrip(".") or "bin"
    media_key = gallery_key(item_id, ext)
    storage.copy(source, media_key)
    written = [media_key]
    thumb_key = gallery_thumbnail_key(item_id)
    task_thumb = storage.key_from_url(task.thumbnail_url) if task.thumbnail_url else None
    if task_thumb and storage.exists(task_thumb):
        storage.copy(task_thumb, thumb_key)
    elif not _render_thumbnail(storage, task.task_type, media_key, thumb_key):
        return media_key, None, written
    written.append(thumb_key)
    return media_key, thumb_key, written


def make_picture(
    storage: Storage, item_id: str, media_type: str, media_key: str | None, thumb_key: str | None
) -> tuple[pictures.PictureSet | None, list[str]]:
    """The WebP renditions of the item's picture (services/pictures.py) and the keys written.

    A picture that cannot be made (no thumbnail for an old audio item, an unreadable file) is not
    an error: the item is shared without renditions, pages show the original, and
    `cli make-renditions` can try again."""
    source = pictures.picture_key(media_type, media_key, thumb_key)
    if not source:
        return None, []
    try:
        return pictures.make_renditions(storage, item_id, source)
    except (pictures.PictureError, OSError) as exc:
        log.warning("no renditions for gallery item %s (%s): %s", item_id, source, exc)
        return None, []


def apply_picture(item: GalleryItem, picture: pictures.PictureSet | None) -> None:
    if picture is not None:
        item.picture_width, item.picture_height, item.picture_widths = picture.width, picture.height, list(picture.widths)


def _render_thumbnail(storage: Storage, task_type: str, media_key: str, thumb_key: str) -> bool:
    """Make the thumbnail from the media when the task has none (old tasks, or no ffmpeg then)."""
    try:
        with local_copy(storage, media_key) as path:
            jpeg = make_thumbnail(task_type, path)  # type: ignore[arg-type]
    except (ThumbnailError, ValueError, OSError) as exc:
        log.info("no thumbnail for %s: %s", media_key, exc)
        return False
    storage.save_bytes(thumb_key, jpeg, "image/jpeg")
    return True


def _set_tags(session: Session, item_id: str, tags: list[str]) -> None:
    session.exec(delete(GalleryItemTag).where(GalleryItemTag.item_id == item_id))
    for tag in tags:
        session.add(GalleryItemTag(item_id=item_id, tag=tag))


def _apply_visibility(item: GalleryItem, visibility: str) -> None:
    item.visibility = visibility
    item.is_public = visibility == GalleryVisibility.PUBLIC


def share_to_gallery(
    session: Session,
    storage: Storage,
    user: User,
    task_id: str,
    title: str,
    description: str = "",
    category: str = "general",
    tags: str | Iterable[str] | None = None,
    visibility: str = GalleryVisibility.PUBLIC,
    *,
    auto_approve: bool = True,
    detector: nsfw.NsfwDetector | None = None,
) -> GalleryItem:
    """Publish the user's completed task: copy its media to gallery/{item_id}/ and write the item.

    With `auto_approve` (the GALLERY_AUTO_APPROVE setting) the item is approved at once;
    otherwise it waits as "pending" for moderation. The caller commits.
    Images and videos are scanned for NSFW first (`detector`, default the configured one): flagged or
    unscanned media (no detector, or it failed) waits as "pending" whatever `auto_approve` says."""
    task = session.get(GenerationTask, task_id)
    if task is None or task.user_id != user.id:
        raise NotFound("No such generation task")
    if task.status != TaskStatus.COMPLETED or not task.output_keys:
        raise Conflict("Only a finished generation can be shared", field="task_id", details={"status": task.status})
    existing = session.exec(select(GalleryItem).where(GalleryItem.task_id == task.id, GalleryItem.user_id == user.id)).first()
    if existing is not None:
        raise Conflict("This generation is already in the gallery", details={"slug": existing.slug, "item_id": existing.id})
    title, description = clean_title(title), clean_description(description)
    category, visibility, tag_list = clean_category(category), clean_visibility(visibility), clean_tags(tags)

    item_id = new_id()
    media_key, thumb_key, written = _copy_media(storage, task, item_id)
    try:
        picture, picture_keys = make_picture(storage, item_id, MEDIA_FOR_TASK[task.task_type], media_key, thumb_key)
        written += picture_keys
        item = GalleryItem(
            id=item_id,
            task_id=task.id,
            user_id=user.id,
            title=title,
            description=description,
            slug=_free_slug(session, title),
            media_type=MEDIA_FOR_TASK[task.task_type],
            media_url=storage.url(media_key),
            thumbnail_url=storage.url(thumb_key) if thumb_key else None,
            prompt=task.prompt,
            model_id=task.model_id,
            category=category,
            tags=tag_list,
            moderation_status=APPROVED if auto_approve else PENDING,
        )
        item.trending_rank = trending.rank(0, 0, item.created_at)
        apply_picture(item, picture)
        _apply_visibility(item, visibility)
        _screen_new_item(session, storage, item, media_key, thumb_key, detector, auto_approve)
        session.add(item)
        session.flush()
        _set_tags(session, item.id, tag_list)
        session.flush()
    except BaseException:
        for key in written:
            storage.delete(key)
        raise
    return item


def _screen_new_item(
    session: Session,
    storage: Storage,
    item: GalleryItem,
    media_key: str,
    thumb_key: str | None,
    detector: nsfw.NsfwDetector | None,
    auto_approve: bool,
) -> None:
    """The NSFW check before an item can be public, and its audit row (services.moderation)."""
    from smartspec_app.services import moderation  # moderation builds on this module

    detector = detector or nsfw.get_detector()
    screening = nsfw.screen_media(storage, item.media_type, media_key, thumb_key, detector, get_settings().nsfw_threshold)
    moderation.apply_screening(item, screening, auto_approve=auto_approve)
    moderation.record_screening(session, item, screening)


# --- reading ---------------------------------------------------------------------------------


def model_name(model_id: str) -> str:
    """The catalog's name of a model, or its id when the catalog no longer has it."""
    try:
        return catalog.get_model(model_id).name
    except (NotFound, ValidationError):
        return model_id


def _entry(session: Session, item: GalleryItem) -> GalleryEntry:
    author = session.exec(select(User.username).where(User.id == item.user_id)).one()
    return GalleryEntry(item=item, author=author)


def get_by_slug(session: Session, slug: str) -> SlugMatch | None:
    """The item a current or former slug names (no visibility check: see `can_view`)."""
    if has_refused(slug):  # no slug holds a control character (and PostgreSQL could not even compare one)
        return None
    item = session.exec(select(GalleryItem).where(GalleryItem.slug == slug)).first()
    if item is not None:
        return SlugMatch(_entry(session, item), moved=False)
    redirect = session.get(GallerySlugRedirect, slug)
    if redirect is None:
        return None
    item = session.get(GalleryItem, redirect.item_id)
    return None if item is None else SlugMatch(_entry(session, item), moved=True)


def get_for_viewer(session: Session, slug: str, viewer: User | None) -> SlugMatch:
    """The item behind `slug` if `viewer` may see it; NotFound otherwise (never reveals private items)."""
    match = get_by_slug(session, slug)
    if match is None or not can_view(match.entry.item, viewer):
        raise NotFound("No such gallery item")
    return match


def get_item(session: Session, item_id: str, viewer: User | None) -> GalleryEntry:
    item = session.get(GalleryItem, item_id)
    if item is None or not can_view(item, viewer):
        raise NotFound("No such gallery item")
    return _entry(session, item)


# --- editing -------------------------------------------------------------------------------


def _owned(session: Session, user: User, item_id: str) -> GalleryItem:
    item = session.get(GalleryItem, item_id)
    if item is None or not can_view(item, user):
        raise NotFound("No such gallery item")
    if not can_edit(item, user):
        raise PermissionDenied("Only the author can change this item")
    return item


def update_item(
    session: Session,
    user: User,
    item_id: str,
    *,
    title: str | None = None,
    description: str | None = None,
    category: str | None = None,
    tags: str | Iterable[str] | None = None,
    visibility: str | None = None,
) -> GalleryItem:
    """Change what the author may change. A new title makes a new slug; the old one redirects.

    Every field is checked before any is changed, so a refused edit leaves the item as it was even
    in a session that goes on (the pages' and the API's roll back as well)."""
    item = _owned(session, user, item_id)
    title = clean_title(title) if title is not None else None
    description = clean_description(description) if description is not None else None
    category = clean_category(category) if category is not None else None
    cleaned_tags = clean_tags(tags) if tags is not None else None
    visibility = clean_visibility(visibility) if visibility is not None else None
    if title is not None and title != item.title:
        session.add(GallerySlugRedirect(old_slug=item.slug, item_id=item.id))
        item.title, item.slug = title, _free_slug(session, title)
    if description is not None:
        item.description = description
    if category is not None:
        item.category = category
    if cleaned_tags is not None:
        item.tags = cleaned_tags
        _set_tags(session, item.id, item.tags)
    if visibility is not None:
        _apply_visibility(item, visibility)
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    return item


def delete_item(session: Session, storage: Storage, user: User, item_id: str) -> None:
    """Remove the item, its likes, views, tags and redirects, and its media under gallery/{item_id}/."""
    item = _owned(session, user, item_id)
    for table in (GalleryLike, GalleryView, GalleryItemTag, GallerySlugRedirect):
        session.exec(delete(table).where(table.item_id == item.id))
    session.delete(item)
    session.flush()
    for key, _size in list(storage.list_objects(gallery_prefix(item.id))):
        storage.delete(key)
