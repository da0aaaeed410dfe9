"""Thumbnails for every media type, as JPEG bytes.

- image: the picture itself, shrunk with Pillow to fit the box (aspect kept).
- video: a poster frame about 1 s in (the first frame for shorter clips), taken with ffmpeg.
- speech/audio: a waveform drawn with Pillow from mono 8 kHz PCM that ffmpeg decodes.
ffmpeg runs as a subprocess with an argument list (no shell) and a time limit.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageOps

from smartspec_app.services.sandbox_render import ffmpeg_path

Kind = Literal["image", "video", "speech", "audio"]
BOX = (512, 512)
WAVEFORM_SIZE = (512, 256)
POSTER_AT_SECONDS = 1.0
PCM_RATE = 8000
MAX_AUDIO_SECONDS = 600  # the waveform of a longer file shows its first ten minutes
FFMPEG_TIMEOUT_S = 60
JPEG_QUALITY = 85
BACKGROUND = (17, 24, 39)
WAVE_COLOR = (167, 139, 250)
AXIS_COLOR = (55, 65, 81)


class ThumbnailError(Exception):
    """The source could not be turned into a thumbnail (unreadable, or no ffmpeg)."""


def make_thumbnail(kind: Kind, source: Path | str | bytes, *, box: tuple[int, int] = BOX) -> bytes:
    """A JPEG thumbnail of `source` (a file path or the file's bytes) fitting inside `box`."""
    if kind == "image":
        return _image_thumbnail(source, box)
    if kind not in ("video", "speech", "audio"):
        raise ValueError(f"no thumbnails for {kind!r}")
    with _as_path(source) as path:
        if kind == "video":
            picture = _poster_frame(path)
        else:
            width, height = WAVEFORM_SIZE
            picture = draw_waveform(_decode_pcm(path), min(width, box[0]), min(height, box[1]))
    return _jpeg(_fit(picture, box))


def _image_thumbnail(source: Path | str | bytes, box: tuple[int, int]) -> bytes:
    opened = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with Image.open(opened) as img:
            img.draft("RGB", box)  # JPEG sources decode at a reduced size: faster, less memory
            return _jpeg(_fit(ImageOps.exif_transpose(img), box))
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ThumbnailError(f"not a readable image: {exc}") from exc


def _fit(img: Image.Image, box: tuple[int, int]) -> Image.Image:
    """The picture on an opaque RGB canvas (transparency over white), shrunk to fit `box`."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    else:
        img = img.convert("RGB")
    img.thumbnail(box, Image.Resampling.LANCZOS)
    return img


def _jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


@contextmanager
def _as_path(source: Path | str | bytes) -> Iterator[Path]:
    """ffmpeg reads files (an MP4's index may sit at its end), so bytes go to a temporary one."""
    if not isinstance(source, bytes):
        yield Path(source)
        return
    with tempfile.NamedTemporaryFile(prefix="smartspec-thumb-") as tmp:
        tmp.write(source)
        tmp.flush()
        yield Path(tmp.name)


def _ffmpeg(args: list[str]) -> bytes:
    """Run ffmpeg with `args` and return what it wrote to stdout."""
    binary = ffmpeg_path()
    if not binary:
        raise ThumbnailError("ffmpeg is not installed, so there is no poster or waveform")
    cmd = [binary, "-hide_banner", "-loglevel", "error", "-nostdin", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ThumbnailError(f"ffmpeg took longer than {FFMPEG_TIMEOUT_S} s") from exc
    except OSError as exc:
        raise ThumbnailError(f"could not run ffmpeg: {exc}") from exc
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()[-500:]
        raise ThumbnailError(f"ffmpeg could not read the file (exit {proc.returncode}): {message}")
    return proc.stdout


def _poster_frame(path: Path) -> Image.Image:
    """The frame about POSTER_AT_SECONDS in; clips shorter than that give their first frame."""
    for seek in (POSTER_AT_SECONDS, 0.0):
        png = _ffmpeg(["-ss", f"{seek:.3f}", "-i", str(path), "-an", "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"])
        if png:
            try:
                with Image.open(io.BytesIO(png)) as frame:
                    return frame.convert("RGB")
            except OSError as exc:
                raise ThumbnailError(f"ffmpeg gave an unreadable frame: {exc}") from exc
    raise ThumbnailError("the video has no frames")


def _decode_pcm(path: Path) -> array:
    """Mono 16-bit samples at PCM_RATE Hz (the first MAX_AUDIO_SECONDS)."""
    raw = _ffmpeg(
        ["-i", str(path), "-t", str(MAX_AUDIO_SECONDS), "-vn", "-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", "-ar", str(PCM_RATE), "-"]
    )
    samples = array("h")
    samples.frombytes(raw[: len(raw) - len(raw) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        raise ThumbnailError("the file has no audio")
    return samples


def draw_waveform(samples: array, width: int, height: int) -> Image.Image:
    """One vertical bar per column from the lowest to the highest sample it covers, scaled to
    the loudest sample so quiet recordings still show their shape."""
    img = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    middle = (height - 1) / 2
    draw.line((0, middle, width - 1, middle), fill=AXIS_COLOR)
    count = len(samples)
    loudest = max(max(samples), -min(samples), 1) if count else 1
    scale = middle * 0.95 / loudest
    for x in range(width):
        start = x * count // width
        segment = samples[start : max(start + 1, (x + 1) * count // width)]
        if not segment:
            continue
        top, bottom = middle - max(segment) * scale, middle - min(segment) * scale
        draw.line((x, top, x, max(bottom, top + 1)), fill=WAVE_COLOR)
    return img
