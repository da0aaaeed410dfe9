"""Moving media from one storage to another (local → R2 when a team goes from dev to prod).

`copy_all` is resumable: it lists the target once and skips every key already there with the
same size, so a run that was interrupted simply starts again. `rewrite_media_urls` then points
the rows' stored URLs at the new storage, but only for objects the target really holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session, col, or_, select

from smartspec_app.models import GalleryItem, GenerationTask
from smartspec_app.services.storage import Storage, content_type_for
from smartspec_app.services.wording import counted

Report = Callable[[str], None]


@dataclass
class CopyResult:
    copied: int = 0
    copied_bytes: int = 0
    skipped: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # key → error

    def summary(self) -> str:
        text = f"copied {counted(self.copied, 'object')} ({_megabytes(self.copied_bytes)}), skipped {self.skipped} already in place"
        return text + (f", {len(self.failed)} failed" if self.failed else "")


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def copy_all(source: Storage, target: Storage, *, report: Report = print) -> CopyResult:
    """Copy every object of `source` missing from `target` (or there with another size).

    Each object is streamed; one that fails is reported and the rest go on."""
    objects = list(source.list_objects())
    present = dict(target.list_objects())
    total = sum(size for _key, size in objects)
    report(f"{counted(len(objects), 'object')}, {_megabytes(total)} to check; {len(present)} already in the target")
    result = CopyResult()
    for number, (key, size) in enumerate(objects, start=1):
        if present.get(key) == size:
            result.skipped += 1
            continue
        try:
            written = target.save_stream(key, source.iter_bytes(key), content_type_for(key))
        except Exception as exc:
            result.failed[key] = f"{type(exc).__name__}: {exc}"
            report(f"[{number}/{len(objects)}] FAILED {key}: {exc}")
            continue
        result.copied += 1
        result.copied_bytes += written
        report(f"[{number}/{len(objects)}] copied {key} ({_megabytes(written)})")
    return result


@dataclass
class RewriteResult:
    tasks: int = 0
    gallery_items: int = 0
    left_alone: set[str] = field(default_factory=set)  # URLs whose object the target does not hold

    def summary(self) -> str:
        text = f"rewrote URLs of {counted(self.tasks, 'generation task')} and {counted(self.gallery_items, 'gallery item')}"
        return text + (f"; left {counted(len(self.left_alone), 'URL')} whose object is not in the target" if self.left_alone else "")


class _Rewriter:
    """Maps `{prefix}{key}` URLs to the target's URL when the target holds the key."""

    def __init__(self, prefix: str, target: Storage, present: set[str], result: RewriteResult) -> None:
        self.prefix, self.target, self.present, self.result = prefix, target, present, result

    def __call__(self, url: str | None) -> str | None:
        if not url or not url.startswith(self.prefix):
            return url
        key = url[len(self.prefix) :]
        if key not in self.present:
            self.result.left_alone.add(url)
            return url
        return self.target.url(key)


def rewrite_media_urls(session: Session, target: Storage, *, prefix: str = "/media/") -> RewriteResult:
    """Point generation_tasks.output_url/output_urls/thumbnail_url and gallery_items.media_url/
    thumbnail_url that start with `prefix` at the target storage. The caller commits."""
    result = RewriteResult()
    new = _Rewriter(prefix, target, {key for key, _size in target.list_objects()}, result)
    like = f"{prefix}%"
    tasks = session.exec(
        select(GenerationTask).where(or_(col(GenerationTask.output_url).like(like), col(GenerationTask.thumbnail_url).like(like)))
    ).all()
    for task in tasks:
        urls = [new(url) or url for url in task.output_urls]
        values = (new(task.output_url), urls, new(task.thumbnail_url))
        if values != (task.output_url, task.output_urls, task.thumbnail_url):
            task.output_url, task.output_urls, task.thumbnail_url = values
            session.add(task)
            result.tasks += 1
    items = session.exec(
        select(GalleryItem).where(or_(col(GalleryItem.media_url).like(like), col(GalleryItem.thumbnail_url).like(like)))
    ).all()
    for item in items:
        media_url, thumbnail_url = new(item.media_url) or item.media_url, new(item.thumbnail_url)
        if (media_url, thumbnail_url) != (item.media_url, item.thumbnail_url):
            item.media_url, item.thumbnail_url = media_url, thumbnail_url
            session.add(item)
            result.gallery_items += 1
    session.flush()
    return result
