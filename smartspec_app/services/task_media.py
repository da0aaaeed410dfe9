"""A generation task's stored objects: finding them and deleting them with the task, so no
object outlives its task and no row points at a missing object. (Gallery items keep their own
copies under gallery/{item_id}/; `gallery.py` looks after those.)"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from smartspec_app.models import GalleryItem, GenerationTask, TaskStatus, User
from smartspec_app.services.errors import Conflict
from smartspec_app.services.generation import get_task_for_user
from smartspec_app.services.storage import Storage, thumbnail_key


def task_media_keys(storage: Storage, task: GenerationTask) -> list[str]:
    """Every key a task's outputs and thumbnail may live under (also those only named by URL)."""
    keys = [*task.output_keys, thumbnail_key(task.id)]
    for url in [task.output_url, *task.output_urls, task.thumbnail_url]:
        key = storage.key_from_url(url) if url else None
        if key:
            keys.append(key)
    return list(dict.fromkeys(keys))


def delete_task_media(storage: Storage, task: GenerationTask) -> list[str]:
    """Delete a task's outputs and thumbnail; returns the keys removed (missing ones are fine)."""
    keys = task_media_keys(storage, task)
    for key in keys:
        storage.delete(key)
    return keys


def delete_task(session: Session, storage: Storage, user: User, task_id: str) -> None:
    """Delete one of the user's tasks (admins: anyone's): its objects first, then its row.

    Deleting objects is idempotent, so if it fails halfway the row stays and a retry finishes.
    Gallery items shared from the task keep their own copies and only lose the link. A task
    still running is refused: the worker would store results for a row that is gone.
    The caller commits."""
    task = get_task_for_user(session, user, task_id)
    if task.status in TaskStatus.ACTIVE:
        raise Conflict("This generation is still running; cancel it (or wait for it to finish) before deleting it")
    delete_task_media(storage, task)
    session.exec(update(GalleryItem).where(GalleryItem.task_id == task.id).values(task_id=None))
    session.delete(task)
    session.flush()
