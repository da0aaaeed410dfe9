"""Responsive pictures of gallery items: WebP renditions at a few widths beside the original.

Every gallery item has a *picture*: an image item's own image, or the poster frame (video) or
waveform (speech) of the others. At share time (and by `python -m smartspec_app.cli make-renditions`
for items shared before) the picture is encoded as WebP at each width of `WIDTHS` below its own
width, plus one at its own width, and stored as `gallery/{item_id}/w{width}.webp` next to the
original, which stays as it was for downloads and for `og:image`. The item records the picture's
size and the widths made, so pages can write `srcset`, `sizes` and explicit dimensions without
touching storage.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from smartspec_app.services.storage import Storage, gallery_rendition_key, local_copy

log = logging.getLogger(__name__)

WIDTHS = (320, 480, 640, 960, 1280)
# The slots pictures fill, for `sizes` (the page frame is at most 72em wide with 16 px padding):
# the item page's picture is the full width on a phone, half of it from 48em on; gallery cards
# are one to four columns (Reflex's breakpoints: 30em, 48em, 62em).
ITEM_SIZES = "(min-width: 72em) 544px, (min-width: 48em) calc(50vw - 32px), calc(100vw - 32px)"
CARD_SIZES = (
    "(min-width: 72em) 256px, (min-width: 62em) calc(25vw - 28px), (min-width: 48em) calc(33vw - 32px), "
    "(min-width: 30em) calc(50vw - 24px), calc(100vw - 32px)"
)
WEBP_QUALITY = 80
WEBP_METHOD = 4  # 0 (fast) .. 6 (small); 4 is within a few per cent of 6 at half the time
MAX_SOURCE_PIXELS = 64_000_000  # refuse decompression bombs before decoding


class PictureError(Exception):
    """The picture could not be read or encoded."""


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class PictureSet:
    """What an item records: the picture's own size and the widths of its WebP renditions."""

    width: int
    height: int
    widths: tuple[int, ...]


def rendition_widths(width: int) -> list[int]:
    """The widths to make for a picture `width` pixels wide: each of WIDTHS below it, and its own
    (capped at the largest of WIDTHS: nobody's slot needs more)."""
    top = min(width, WIDTHS[-1])
    return [w for w in WIDTHS if w < top] + [top]


def height_for(width: int, picture_width: int, picture_height: int) -> int:
    return max(1, round(picture_height * width / picture_width))


def render(source: bytes | Path) -> tuple[int, int, list[Rendition]]:
    """(width, height, renditions) of an image file or its bytes; PictureError when it is not one."""
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as opened:
            if opened.width * opened.height > MAX_SOURCE_PIXELS:
                raise PictureError(f"picture too large ({opened.width}×{opened.height})")
            picture = ImageOps.exif_transpose(opened)
            picture.load()
    except PictureError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise PictureError(f"not a readable picture: {exc}") from exc
    picture = picture.convert("RGBA" if picture.mode in ("RGBA", "LA", "P") and _has_alpha(picture) else "RGB")
    width, height = picture.size
    renditions = []
    for target in rendition_widths(width):
        size = (target, height_for(target, width, height))
        scaled = picture if size == picture.size else picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        out = io.BytesIO()
        scaled.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
        renditions.append(Rendition(size[0], size[1], out.getvalue()))
    return width, height, renditions


def _has_alpha(picture: Image.Image) -> bool:
    return picture.mode in ("RGBA", "LA") or (picture.mode == "P" and "transparency" in picture.info)


def picture_key(media_type: str, media_key: str | None, thumbnail_key: str | None) -> str | None:
    """The stored object an item's renditions are made from."""
    return media_key if media_type == "image" else thumbnail_key


def make_renditions(storage: Storage, item_id: str, source_key: str) -> tuple[PictureSet, list[str]]:
    """Render and store the renditions of `source_key` for item `item_id`; returns what to record
    and the keys written. Nothing is left behind when it fails."""
    with local_copy(storage, source_key) as path:
        width, height, renditions = render(path)
    written: list[str] = []
    try:
        for rendition in renditions:
            key = gallery_rendition_key(item_id, rendition.width)
            storage.save_bytes(key, rendition.data, "image/webp")
            written.append(key)
    except BaseException:
        for key in written:
            storage.delete(key)
        raise
    return PictureSet(width, height, tuple(r.width for r in renditions)), written


@dataclass(frozen=True)
class ShownPicture:
    """An item's picture as a page writes it: `<img src srcset width height>`."""

    src: str
    srcset: str = ""
    width: int = 0
    height: int = 0
    renditions: tuple[tuple[str, int, int], ...] = ()  # (url, width, height), smallest first

    @property
    def has_size(self) -> bool:
        return self.width > 0 and self.height > 0


def shown(
    item_id: str,
    width: int | None,
    height: int | None,
    widths: list[int] | tuple[int, ...],
    url_for: Callable[[str], str],
    fallback_src: str,
    preferred_width: int = 640,
) -> ShownPicture:
    """The srcset of an item's renditions; `src` is the one nearest `preferred_width` (for browsers
    without srcset). Without renditions: the fallback (the original, or the thumbnail)."""
    if not widths or not width or not height:
        return ShownPicture(src=fallback_src, width=width or 0, height=height or 0)
    renditions = tuple((url_for(gallery_rendition_key(item_id, w)), w, height_for(w, width, height)) for w in sorted(widths))
    fitting = [r for r in renditions if r[1] <= preferred_width]
    src = (fitting[-1] if fitting else renditions[0])[0]
    srcset = ", ".join(f"{url} {w}w" for url, w, _h in renditions)
    return ShownPicture(src=src, srcset=srcset, width=width, height=height, renditions=renditions)
