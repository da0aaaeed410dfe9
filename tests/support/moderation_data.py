"""Moderation test data: pictures drawn with Pillow (no downloads), tasks and gallery items showing them,
and detectors with fixed answers for policy tests.

- `landscape_png`: sky, sun, mountains, a lake and a meadow: clearly safe.
- `schematic_torso_png`: a crude, blurred drawing of a bare torso (a skin-coloured oval with two
  shaded discs). No real photograph can be made offline; this drawing is what NudeNet's model,
  run for real, scores as FEMALE_BREAST_EXPOSED (about 0.7-0.85), so it serves as the positive.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter
from sqlmodel import Session

from smartspec_app.models import GalleryItem, GenerationTask, User
from smartspec_app.services import gallery
from smartspec_app.services.nsfw import NsfwDetector
from smartspec_app.services.sandbox_render import ffmpeg_path
from smartspec_app.services.storage import Storage, thumbnail_key
from tests.support.gallery_data import completed_task


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def landscape(size: tuple[int, int] = (640, 420)) -> Image.Image:
    width, height = size
    img = Image.new("RGB", size, (135, 190, 235))
    draw = ImageDraw.Draw(img)
    draw.ellipse([width - 130, 30, width - 50, 110], fill=(255, 215, 60))
    draw.polygon([(0, 300), (160, 120), (320, 300)], fill=(110, 100, 95))
    draw.polygon([(220, 300), (420, 90), (620, 300)], fill=(95, 90, 88))
    draw.polygon([(380, 140), (420, 90), (460, 140)], fill=(245, 245, 250))
    draw.rectangle([0, 300, width, height], fill=(70, 150, 70))
    draw.ellipse([120, 320, 420, 390], fill=(60, 110, 190))
    for x in range(20, width, 60):
        draw.rectangle([x + 8, 330, x + 14, 360], fill=(90, 60, 30))
        draw.ellipse([x, 300, x + 22, 335], fill=(30, 100, 40))
    return img


def landscape_png() -> bytes:
    return _png(landscape())


def schematic_torso(background: tuple[int, int, int] = (200, 200, 200)) -> Image.Image:
    skin = (225, 170, 140)
    img = Image.new("RGB", (320, 320), background)
    draw = ImageDraw.Draw(img)
    draw.ellipse([80, 40, 240, 320], fill=skin)
    for cx in (125, 195):
        for r in range(34, 0, -2):
            shade = tuple(int(v * (0.8 + 0.2 * r / 34)) for v in skin)
            draw.ellipse([cx - r, 150 - r, cx + r, 150 + r], fill=shade)
        draw.ellipse([cx - 8, 150, cx + 8, 166], fill=(170, 90, 80))
    return img.filter(ImageFilter.GaussianBlur(3))


def schematic_torso_png() -> bytes:
    return _png(schematic_torso())


def mp4_of(frames: list[Image.Image], seconds_each: float = 1.0) -> bytes:
    """An H.264 MP4 showing each picture in turn (ffmpeg must be installed)."""
    binary = ffmpeg_path()
    assert binary, "ffmpeg is needed to encode test videos"
    with tempfile.TemporaryDirectory() as tmp:
        for n, frame in enumerate(frames):
            frame.convert("RGB").resize((320, 320)).save(Path(tmp) / f"f{n:03d}.png")
        out = Path(tmp) / "clip.mp4"
        cmd = [binary, "-hide_banner", "-loglevel", "error", "-y", "-framerate", str(1 / seconds_each), "-i", str(Path(tmp) / "f%03d.png")]
        cmd += ["-r", "10", "-pix_fmt", "yuv420p", "-c:v", "libx264", str(out)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        return out.read_bytes()


def task_showing(
    session: Session, storage: Storage, user: User, media: bytes, task_type: str = "image", poster: bytes | None = None
) -> GenerationTask:
    """A completed task whose output is `media` (and, for a video, whose thumbnail is `poster`)."""
    task = completed_task(session, storage, user, task_type)
    storage.save_bytes(task.output_keys[0], media)
    if poster is not None:
        storage.save_bytes(thumbnail_key(task.id), poster, "image/jpeg")
    return task


def share_showing(
    session: Session,
    storage: Storage,
    user: User,
    media: bytes,
    *,
    task_type: str = "image",
    poster: bytes | None = None,
    title: str = "A picture",
    **kwargs,
) -> GalleryItem:
    task = task_showing(session, storage, user, media, task_type, poster)
    item = gallery.share_to_gallery(session, storage, user, task.id, title, **kwargs)
    session.commit()
    return item


class FixedDetector:
    """Answers the same scores for every picture (for policy tests)."""

    def __init__(self, scores: dict[str, float], name: str = "fixed") -> None:
        self.name, self.available, self._scores, self.calls = name, True, dict(scores), 0

    def scores(self, picture: Image.Image) -> dict[str, float]:
        self.calls += 1
        return dict(self._scores)


class BrokenDetector:
    """A detector that fails on every picture (a corrupt model, say)."""

    name, available = "broken", True

    def scores(self, picture: Image.Image) -> dict[str, float]:
        raise RuntimeError("the model file is corrupt")


def as_detector(detector: object) -> NsfwDetector:
    return detector  # type: ignore[return-value]
