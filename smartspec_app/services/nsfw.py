"""NSFW detection behind a small interface, so the detector can be swapped or left out.

- `NsfwDetector`: `name` and `scores(picture) -> {label: score}` for one RGB picture.
- `NudeNetDetector`: NudeNet (the `nudenet` package, AGPL-3.0, an optional extra installed from
  requirements-nsfw.txt) with its bundled ONNX model on onnxruntime; loaded lazily, once per process.
- `NoDetector`: nothing installed (or NSFW_DETECTOR=none); every image and video goes to manual review.

`screen_media` scans what a gallery item shows: an image itself, a video's poster frame plus a few
frames spread through the clip. Audio has nothing to look at. The result's `score` is the highest
score of an explicit label over every frame; `flagged` when it reaches NSFW_THRESHOLD. A detector
that is missing or fails never blocks sharing: the item simply waits for a moderator.
"""

from __future__ import annotations

import io
import logging
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageOps

from smartspec_app.services.sandbox_render import ffmpeg_path
from smartspec_app.services.storage import Storage, local_copy

log = logging.getLogger(__name__)

# NudeNet's labels that make a picture explicit; the others (faces, covered parts, feet) are kept
# in the scores for the moderator but never flag on their own.
EXPLICIT_LABELS = frozenset(
    {
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)
MAX_SIDE = 1280  # pictures are shrunk to this before detection (the model itself sees 320x320)
VIDEO_FRAMES = 4  # frames sampled through a video besides its poster
FFMPEG_TIMEOUT_S = 60


class DetectorUnavailable(Exception):
    """The detector cannot run here (package missing, model unreadable)."""


class NsfwDetector(Protocol):
    """Scores one picture: the highest score per label (0..1); an empty dict means nothing found."""

    name: str

    @property
    def available(self) -> bool: ...

    def scores(self, picture: Image.Image) -> dict[str, float]: ...


class NoDetector:
    """No detector: `available` is False, so screening sends items to manual review."""

    name = "none"
    available = False

    def scores(self, picture: Image.Image) -> dict[str, float]:
        raise DetectorUnavailable("no NSFW detector is installed (pip install -r requirements-nsfw.txt)")


class NudeNetDetector:
    """NudeNet's NudeDetector (320n ONNX model shipped in its wheel). The model loads on first use, once."""

    def __init__(self) -> None:
        try:
            version = metadata.version("nudenet")
        except metadata.PackageNotFoundError as exc:
            raise DetectorUnavailable("the nudenet package is not installed") from exc
        self.name = f"nudenet {version}"
        self.available = True
        self._model: Any = None
        self._lock = threading.Lock()

    def _detector(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        from nudenet import NudeDetector
                    except ImportError as exc:  # onnxruntime or OpenCV missing or broken
                        raise DetectorUnavailable(f"nudenet cannot be imported: {exc}") from exc
                    self._model = NudeDetector()
        return self._model

    def scores(self, picture: Image.Image) -> dict[str, float]:
        import numpy as np

        bgr = np.ascontiguousarray(np.asarray(picture.convert("RGB"))[:, :, ::-1])  # what cv2.imread gives
        found: dict[str, float] = {}
        for detection in self._detector().detect(bgr):
            label, score = str(detection["class"]), round(float(detection["score"]), 4)
            found[label] = max(found.get(label, 0.0), score)
        return found


@lru_cache(maxsize=4)
def _detector_for(kind: str) -> NsfwDetector:
    if kind == "none":
        return NoDetector()
    try:
        return NudeNetDetector()
    except DetectorUnavailable as exc:
        if kind == "nudenet":
            log.warning("NSFW_DETECTOR=nudenet but %s; every image and video goes to manual review", exc)
        return NoDetector()


def get_detector(kind: str | None = None) -> NsfwDetector:
    """The configured detector (NSFW_DETECTOR), made once per process."""
    if kind is None:
        from smartspec_app.settings import get_settings

        kind = get_settings().nsfw_detector
    return _detector_for((kind or "auto").strip().lower())


@dataclass
class Screening:
    """What the detector said about one item's media."""

    detector: str
    scores: dict[str, float] = field(default_factory=dict)  # the highest score per label over every frame
    score: float | None = None  # the highest explicit score; None when nothing was scanned
    flagged: bool = False
    error: str | None = None  # the detector is missing or failed: manual review
    frames: int = 0

    @property
    def scanned(self) -> bool:
        return self.error is None and self.frames > 0

    @property
    def needs_review(self) -> bool:
        """Flagged, or it should have been scanned and was not."""
        return self.flagged or self.error is not None


def explicit_score(scores: dict[str, float]) -> float:
    return max((value for label, value in scores.items() if label in EXPLICIT_LABELS), default=0.0)


def screen_pictures(detector: NsfwDetector, pictures: list[Image.Image], threshold: float) -> Screening:
    """Score each picture and combine: a label's highest score across pictures."""
    if not detector.available:
        return Screening(detector=detector.name, error="no NSFW detector installed")
    combined: dict[str, float] = {}
    try:
        for picture in pictures:
            for label, value in detector.scores(picture).items():
                combined[label] = max(combined.get(label, 0.0), value)
    except Exception as exc:
        log.warning("NSFW detector %s failed: %s", detector.name, exc)
        return Screening(detector=detector.name, error=f"detector failed: {exc}"[:200])
    score = explicit_score(combined)
    return Screening(detector=detector.name, scores=combined, score=score, flagged=score >= threshold, frames=len(pictures))


def screen_media(
    storage: Storage,
    media_type: str,
    media_key: str,
    thumbnail_key: str | None,
    detector: NsfwDetector,
    threshold: float,
) -> Screening:
    """Scan a gallery item's media: the image, or a video's poster and sampled frames; audio is not scanned."""
    if media_type not in ("image", "video"):
        return Screening(detector=detector.name)
    if not detector.available:
        return Screening(detector=detector.name, error="no NSFW detector installed")
    try:
        if media_type == "image":
            pictures = [open_picture(storage.read_bytes(media_key))]
        else:
            pictures = video_pictures(storage, media_key, thumbnail_key)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return Screening(detector=detector.name, error=f"unreadable media: {exc}"[:200])
    if not pictures:
        return Screening(detector=detector.name, error="no frame of the video could be read")
    return screen_pictures(detector, pictures, threshold)


def open_picture(data: bytes) -> Image.Image:
    """Decode with Pillow (decompression-bomb guarded), upright, RGB, at most MAX_SIDE on a side."""
    with Image.open(io.BytesIO(data)) as img:
        img.draft("RGB", (MAX_SIDE, MAX_SIDE))
        picture = ImageOps.exif_transpose(img).convert("RGB")
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    return picture


def video_pictures(storage: Storage, media_key: str, thumbnail_key: str | None) -> list[Image.Image]:
    """The poster (the item's thumbnail) and up to VIDEO_FRAMES frames spread through the clip."""
    pictures: list[Image.Image] = []
    if thumbnail_key and storage.exists(thumbnail_key):
        try:
            pictures.append(open_picture(storage.read_bytes(thumbnail_key)))
        except (OSError, ValueError) as exc:
            log.info("unreadable poster %s: %s", thumbnail_key, exc)
    try:
        with local_copy(storage, media_key) as path:
            pictures.extend(sample_frames(path))
    except (OSError, ValueError) as exc:
        log.info("no frames from %s: %s", media_key, exc)
    return pictures


def sample_frames(path: Path, count: int = VIDEO_FRAMES) -> list[Image.Image]:
    """Frames at 0 %, 25 %, 50 % and 75 % of the clip (ffmpeg); empty without ffmpeg or for unreadable files."""
    binary = ffmpeg_path()
    if not binary:
        return []
    duration = _duration(binary, path)
    frames: list[Image.Image] = []
    with tempfile.TemporaryDirectory(prefix="smartspec-nsfw-") as tmp:
        for index in range(count):
            out = Path(tmp) / f"frame{index}.png"
            at = duration * index / count if duration else float(index)
            cmd = [binary, "-hide_banner", "-loglevel", "error", "-nostdin", "-ss", f"{at:.3f}", "-i", str(path)]
            cmd += ["-an", "-frames:v", "1", "-y", str(out)]
            try:
                subprocess.run(cmd, capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
            except (subprocess.TimeoutExpired, OSError):
                break
            if out.exists() and out.stat().st_size:
                frames.append(open_picture(out.read_bytes()))
    return frames


def _duration(binary: str, path: Path) -> float:
    """The clip's length in seconds from ffmpeg's banner, or 0.0 when it cannot tell."""
    try:
        proc = subprocess.run([binary, "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True, timeout=FFMPEG_TIMEOUT_S)
    except (subprocess.TimeoutExpired, OSError):
        return 0.0
    text = proc.stderr.decode("utf-8", "replace")
    marker = text.find("Duration: ")
    if marker < 0:
        return 0.0
    stamp = text[marker + 10 : marker + 21]
    try:
        hours, minutes, seconds = stamp.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return 0.0
