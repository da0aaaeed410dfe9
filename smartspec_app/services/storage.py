"""Where media lives. One interface; LocalStorage is the default (served under /media/),
R2Storage (`storage_r2.py`) keeps media in Cloudflare R2 or any S3-compatible store.

Keys follow the seed layout: generations/{images,videos,audio}/{user_id}/{task_id}.{ext},
thumbnails/{task_id}_thumb.jpg, gallery/{item_id}/original.{ext}, gallery/{item_id}/thumbnail.jpg
and the WebP renditions of the item's picture, gallery/{item_id}/w{width}.webp.

Two kinds of URL: `url(key)` for media anyone may load (listed gallery items: cacheable, stable)
and `signed_url(key)` for everything else (generations, unlisted and private items): it works
for a limited time for whoever holds it (R2 presigns; local media is HMAC-signed, see
media_signing.py). Which one a viewer gets is decided where media is shown (`refresh_url`).
"""

from __future__ import annotations

import mimetypes
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from smartspec_app.services.errors import ValidationError

if TYPE_CHECKING:
    from smartspec_app.services.media_signing import MediaSigner
    from smartspec_app.services.storage_r2 import R2Storage

MEDIA_FOLDERS = {"image": "images", "video": "videos", "speech": "audio"}
CACHE_CONTROL = "public, max-age=31536000, immutable"
CHUNK = 1024 * 1024
_PART_PREFIX = ".part-"
_GENERIC_TYPES = ("", "application/octet-stream", "binary/octet-stream")


def generation_key(task_type: str, user_id: int, task_id: str, ext: str, index: int = 0) -> str:
    suffix = "" if index == 0 else f"_{index + 1}"
    return f"generations/{MEDIA_FOLDERS[task_type]}/{user_id}/{task_id}{suffix}.{ext.lstrip('.')}"


def thumbnail_key(task_id: str) -> str:
    return f"thumbnails/{task_id}_thumb.jpg"


def gallery_key(item_id: str, ext: str) -> str:
    """The gallery's own copy of a published item's media."""
    return f"gallery/{item_id}/original.{ext.lstrip('.')}"


def gallery_thumbnail_key(item_id: str) -> str:
    return f"gallery/{item_id}/thumbnail.jpg"


def gallery_rendition_key(item_id: str, width: int) -> str:
    """A WebP rendition of the item's picture, `width` pixels wide (services/pictures.py)."""
    return f"gallery/{item_id}/w{width}.webp"


def gallery_prefix(item_id: str) -> str:
    """Every object of one gallery item lives under this prefix."""
    return f"gallery/{item_id}/"


def content_type_for(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def upload_content_type(key: str, declared: str | None) -> str:
    """The Content-Type to store: the declared one unless it is missing or generic."""
    declared = (declared or "").split(";")[0].strip().lower()
    return content_type_for(key) if declared in _GENERIC_TYPES else declared


def _check_key(key: str) -> str:
    parts = [part for part in key.split("/") if part not in ("", ".")]
    if key.startswith("/") or ".." in parts or not parts or "\\" in key:
        raise ValidationError(f"Invalid storage key: {key!r}")
    return "/".join(parts)


class Storage(Protocol):
    def save_stream(self, key: str, chunks: Iterable[bytes], content_type: str | None = None) -> int:
        """Write the chunks under `key` (all or nothing); returns the size in bytes."""

    def save_bytes(self, key: str, data: bytes, content_type: str | None = None) -> int: ...

    def read_bytes(self, key: str) -> bytes:
        """The whole object; FileNotFoundError when there is none."""

    def iter_bytes(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        """The object in chunks, never all in memory; FileNotFoundError when there is none."""

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when there is none."""

    def list_objects(self, prefix: str = "") -> Iterator[tuple[str, int]]:
        """(key, size) of every object whose key starts with `prefix`, in key order."""

    def copy(self, source_key: str, target_key: str) -> None:
        """Copy an object inside this storage (the target's content type follows its key)."""

    def delete(self, key: str) -> None:
        """Remove the object; a missing one is fine."""

    def url(self, key: str) -> str:
        """A URL anyone can load the object from (for media that is public)."""

    def signed_url(self, key: str) -> str:
        """A URL that loads the object for a limited time, for whoever holds it (private media)."""

    def key_from_url(self, url: str) -> str | None:
        """The key behind a URL this storage made, or None for any other URL."""

    @property
    def stable_urls(self) -> bool:
        """The URLs `url` makes never expire or change, so `refresh_url` hands them back as they are."""


class LocalStorage:
    """Files in a directory; the backend serves them at `{base_url}/{key}` (api/media.py)."""

    def __init__(self, root: Path, base_url: str = "/media", signer: MediaSigner | None = None) -> None:
        self.root = Path(root)
        self.base_url = base_url.rstrip("/")
        self.signer = signer

    def path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def save_stream(self, key: str, chunks: Iterable[bytes], content_type: str | None = None) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=_PART_PREFIX)
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

    def iter_bytes(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        handle = self.path(key).open("rb")  # opened now, so a missing file fails at the call

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(chunk_size):
                    yield chunk

        return chunks()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int | None:
        path = self.path(key)
        return path.stat().st_size if path.is_file() else None

    def list_objects(self, prefix: str = "") -> Iterator[tuple[str, int]]:
        if not self.root.is_dir():
            return
        found = []
        for path in self.root.rglob("*"):
            if path.is_file() and not path.name.startswith(_PART_PREFIX):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append((key, path.stat().st_size))
        yield from sorted(found)

    def copy(self, source_key: str, target_key: str) -> None:
        self.save_stream(target_key, self.iter_bytes(source_key))

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def url(self, key: str) -> str:
        return f"{self.base_url}/{_check_key(key)}"

    def signed_url(self, key: str) -> str:
        if self.signer is None:
            raise RuntimeError("This LocalStorage has no MediaSigner, so it cannot hand out private media URLs")
        key = _check_key(key)
        return f"{self.base_url}/{key}?{self.signer.query(key)}"

    def key_from_url(self, url: str) -> str | None:
        return _key_after(url, self.base_url)

    @property
    def stable_urls(self) -> bool:
        return True


def _key_after(url: str, base: str) -> str | None:
    """The key in `url` when it is `{base}/{key}` (query and fragment ignored), else None."""
    if not base or not url.startswith(base + "/"):
        return None
    key = unquote(urlsplit(url[len(base) + 1 :]).path)
    try:
        return _check_key(key)
    except ValidationError:
        return None


def refresh_url(storage: Storage, url: str | None, *, signed: bool = False) -> str | None:
    """A loadable URL for a stored one, made when it is shown: presigned URLs expire.

    `signed`: the media is not public (a generation, an unlisted or private gallery item), so the
    URL is a signed, expiring one whatever the stored URL was. URLs the storage did not make
    (another storage's, a provider's) come back unchanged."""
    if not url or (storage.stable_urls and not signed):
        return url
    key = storage.key_from_url(url)
    if not key:
        return url
    return storage.signed_url(key) if signed else storage.url(key)


@contextmanager
def local_copy(storage: Storage, key: str) -> Iterator[Path]:
    """A file on disk with the object's bytes, for tools such as ffmpeg that want a path.

    LocalStorage hands out its own file; other storages stream the object into a temporary file
    (same extension) that is removed afterwards."""
    if isinstance(storage, LocalStorage):
        path = storage.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="smartspec-media-") as tmp:
        path = Path(tmp) / f"object{PurePosixPath(key).suffix}"
        with path.open("wb") as out:
            for chunk in storage.iter_bytes(key):
                out.write(chunk)
        yield path


def get_storage() -> Storage:
    """R2Storage when the R2 settings are complete (settings refuse a partial set), else LocalStorage."""
    from smartspec_app.settings import get_settings

    settings = get_settings()
    if settings.r2_enabled:
        from smartspec_app.services.storage_r2 import r2_storage_from_settings

        return r2_storage_from_settings(settings)
    from smartspec_app.services.media_signing import signer_from_settings

    return LocalStorage(settings.media_dir, signer=signer_from_settings(settings))


def __getattr__(name: str) -> Any:
    """`R2Storage` is importable from here too; boto3 is loaded only when it is asked for."""
    if name == "R2Storage":
        from smartspec_app.services.storage_r2 import R2Storage

        return R2Storage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CACHE_CONTROL",
    "LocalStorage",
    "R2Storage",
    "Storage",
    "content_type_for",
    "gallery_key",
    "gallery_prefix",
    "gallery_rendition_key",
    "gallery_thumbnail_key",
    "generation_key",
    "get_storage",
    "local_copy",
    "refresh_url",
    "thumbnail_key",
    "upload_content_type",
]
