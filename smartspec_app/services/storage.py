"""Where media lives. One interface; LocalStorage is the default (served under /media/).

Keys follow the seed layout: generations/{images,videos,audio}/{user_id}/{task_id}.{ext},
thumbnails/{task_id}_thumb.jpg, gallery/{item_id}/original.{ext}.
"""

from __future__ import annotations

import mimetypes
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Protocol

from smartspec_app.services.errors import ValidationError

MEDIA_FOLDERS = {"image": "images", "video": "videos", "speech": "audio"}
CACHE_CONTROL = "public, max-age=31536000, immutable"


def generation_key(task_type: str, user_id: int, task_id: str, ext: str, index: int = 0) -> str:
    suffix = "" if index == 0 else f"_{index + 1}"
    return f"generations/{MEDIA_FOLDERS[task_type]}/{user_id}/{task_id}{suffix}.{ext.lstrip('.')}"


def thumbnail_key(task_id: str) -> str:
    return f"thumbnails/{task_id}_thumb.jpg"


def content_type_for(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def _check_key(key: str) -> str:
    path = PurePosixPath(key)
    if path.is_absolute() or ".." in path.parts or not key or "\\" in key:
        raise ValidationError(f"Invalid storage key: {key!r}")
    return str(path)


class Storage(Protocol):
    def save_stream(self, key: str, chunks: Iterable[bytes], content_type: str | None = None) -> int:
        """Write the chunks under `key` (all or nothing); returns the size in bytes."""

    def save_bytes(self, key: str, data: bytes, content_type: str | None = None) -> int: ...

    def read_bytes(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def url(self, key: str) -> str:
        """A URL a browser can load the object from."""


class LocalStorage:
    """Files in a directory; the backend serves them at `{base_url}/{key}`."""

    def __init__(self, root: Path, base_url: str = "/media") -> None:
        self.root = Path(root)
        self.base_url = base_url.rstrip("/")

    def path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def save_stream(self, key: str, chunks: Iterable[bytes], content_type: str | None = None) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    size += len(chunk)
            os.replace(tmp, target)  # readers never see a half-written file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return size

    def save_bytes(self, key: str, data: bytes, content_type: str | None = None) -> int:
        return self.save_stream(key, [data], content_type)

    def read_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def url(self, key: str) -> str:
        return f"{self.base_url}/{_check_key(key)}"


def get_storage() -> Storage:
    from smartspec_app.settings import get_settings

    settings = get_settings()
    return LocalStorage(settings.media_dir)
