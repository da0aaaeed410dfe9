"""Gallery test data: users, completed generation tasks with real media files, shared items."""

from __future__ import annotations

import io
import itertools
from datetime import datetime

from PIL import Image
from sqlalchemy import update
from sqlmodel import Session

from smartspec_app.models import GalleryItem, GenerationTask, TaskStatus, User, new_id, utcnow
from smartspec_app.services import auth, gallery, trending
from smartspec_app.services.storage import Storage, generation_key, thumbnail_key

_counter = itertools.count(1)
MODELS = {"image": "nano-banana-pro", "video": "wan/2-6-text-to-video", "speech": "elevenlabs/text-to-speech-turbo-2-5"}
EXTS = {"image": "png", "video": "mp4", "speech": "mp3"}


def png_bytes(color: tuple[int, int, int] = (90, 60, 200), size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(color: tuple[int, int, int] = (20, 20, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(buf, "JPEG")
    return buf.getvalue()


def make_user(session: Session, name: str | None = None) -> User:
    n = next(_counter)
    name = name or f"maker{n}"
    user = auth.create_user(session, f"{name}-{n}@example.com", "a long password", username=name)
    session.commit()
    return user


def completed_task(
    session: Session,
    storage: Storage,
    user: User,
    task_type: str = "image",
    prompt: str = "A lighthouse at dawn",
    *,
    task_id: str | None = None,
    image_size: tuple[int, int] = (64, 48),
) -> GenerationTask:
    """A finished task whose output (and thumbnail) really exist in `storage`."""
    task_id = task_id or new_id()
    key = generation_key(task_type, user.id, task_id, EXTS[task_type])
    storage.save_bytes(key, png_bytes(size=image_size) if task_type == "image" else b"\x00fake media bytes" * 64)
    thumb = thumbnail_key(task_id)
    storage.save_bytes(thumb, jpeg_bytes(), "image/jpeg")
    task = GenerationTask(
        id=task_id,
        user_id=user.id,
        task_type=task_type,
        model_id=MODELS[task_type],
        prompt=prompt,
        status=TaskStatus.COMPLETED,
        progress=100,
        output_keys=[key],
        output_urls=[storage.url(key)],
        output_url=storage.url(key),
        thumbnail_url=storage.url(thumb),
        completed_at=utcnow(),
    )
    session.add(task)
    session.commit()
    return task


def shared_item(
    session: Session,
    storage: Storage,
    user: User,
    title: str = "A lighthouse",
    *,
    task_type: str = "image",
    prompt: str = "A lighthouse at dawn",
    created_at: datetime | None = None,
    likes: int | None = None,
    views: int | None = None,
    image_size: tuple[int, int] = (64, 48),
    **fields,
) -> GalleryItem:
    """Share a fresh completed task; optionally backdate it or set its counters directly."""
    task = completed_task(session, storage, user, task_type, prompt, image_size=image_size)
    item = gallery.share_to_gallery(session, storage, user, task.id, title, **fields)
    session.commit()
    values = {}
    if created_at is not None:
        values["created_at"] = created_at
    if likes is not None:
        values["likes_count"] = likes
    if views is not None:
        values["views_count"] = views
    if values:
        session.exec(update(GalleryItem).where(GalleryItem.id == item.id).values(**values))
        trending.refresh(session, [item.id])
        session.commit()
        session.refresh(item)
    return item
