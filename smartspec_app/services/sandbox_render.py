"""Honest local outputs for the offline (sandbox) stand-in of the AI generation API.

Nothing here pretends to be a real model: images and videos are drawn from a hash of
the prompt and carry a visible "SANDBOX" label, and speech comes from espeak-ng (or a
plain tone sequence when espeak-ng is not installed).  Plain Python: Pillow, the
standard library and, when present, the ffmpeg / espeak-ng binaries.
"""

from __future__ import annotations

import colorsys
import contextlib
import functools
import hashlib
import io
import math
import random
import shutil
import subprocess
import tempfile
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "espeak_path",
    "ffmpeg_path",
    "render_image",
    "render_speech",
    "render_video",
]

MIN_SIDE = 64
MAX_SIDE = 4096
MIN_VIDEO_S = 1
MAX_VIDEO_S = 15
MIN_FPS = 1
MAX_FPS = 60
SUBPROCESS_TIMEOUT_S = 60
BASE_WPM = 170
MAX_TONE_S = 30.0
TONE_RATE = 16_000

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LABEL = "SANDBOX"

IMAGE_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP"}

# ElevenLabs-style voice names mapped to espeak-ng variants; other names are hashed.
_VOICE_VARIANTS = {
    "rachel": "en-us+f3",
    "domi": "en-us+f4",
    "bella": "en-us+f2",
    "elli": "en-us+f5",
    "antoni": "en-us+m3",
    "josh": "en-us+m1",
    "arnold": "en-us+m7",
    "adam": "en-us+m2",
    "sam": "en-us+m4",
}
_FALLBACK_VARIANTS = (
    "en-us+f1",
    "en-us+f2",
    "en-us+f3",
    "en-us+f4",
    "en-us+m1",
    "en-us+m2",
    "en-us+m3",
    "en-us+m4",
)

Color = tuple[int, int, int]


# --------------------------------------------------------------------------- binaries


def ffmpeg_path() -> str | None:
    """Path of an ffmpeg binary: the one on PATH, else imageio-ffmpeg's, else None."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg  # type: ignore[import-not-found]

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError, OSError):  # not installed, or no bundled binary
        return None


def espeak_path() -> str | None:
    """Path of espeak-ng (or classic espeak) on PATH, else None."""
    return shutil.which("espeak-ng") or shutil.which("espeak")


def _run(cmd: list[str], *, stdin: bytes | None = None) -> None:
    """Run a command without a shell; raise RuntimeError carrying stderr on failure."""
    try:
        proc = subprocess.run(
            cmd,
            input=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=SUBPROCESS_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{Path(cmd[0]).name} timed out after {SUBPROCESS_TIMEOUT_S} s") from exc
    except OSError as exc:
        raise RuntimeError(f"could not run {cmd[0]}: {exc}") from exc
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"{Path(cmd[0]).name} failed (exit {proc.returncode}): {err}")


# --------------------------------------------------------------------------- drawing


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, int(value)))


@functools.lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans at `size` px when installed, else Pillow's built-in font."""
    size = max(6, int(size))
    if FONT_PATH.is_file():
        try:
            return ImageFont.truetype(str(FONT_PATH), size)
        except OSError:
            pass
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ValueError, OSError):  # old Pillow or no FreeType support
        return ImageFont.load_default()


def _text_width(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str) -> float:
    return float(font.getlength(text))


@dataclass(frozen=True)
class _Scene:
    """Everything drawn for a prompt, derived deterministically from its hash."""

    hues: tuple[float, float, float]
    shapes: tuple[tuple[str, tuple[float, ...], tuple[int, int, int, int]], ...]
    orbit: tuple[float, float, float, float]  # x/y frequencies and phases of the moving dot


def _scene(prompt: str) -> _Scene:
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    rng = random.Random(int.from_bytes(digest, "big"))
    h0 = rng.random()
    hues = (
        h0,
        (h0 + 0.25 + rng.random() * 0.2) % 1.0,
        (h0 + 0.55 + rng.random() * 0.2) % 1.0,
    )
    shapes = []
    for _ in range(rng.randint(3, 6)):
        kind = rng.choice(("ellipse", "rectangle", "triangle"))
        # coordinates are fractions of the canvas, so any size draws the same picture
        coords = tuple(rng.random() for _ in range(6))
        r, g, b = _hsv(rng.random(), 0.35 + rng.random() * 0.4, 0.6 + rng.random() * 0.4)
        shapes.append((kind, coords, (r, g, b, rng.randint(60, 130))))
    orbit = (
        rng.choice((1.0, 2.0, 3.0)),
        rng.choice((1.0, 2.0)),
        rng.random() * math.tau,
        rng.random() * math.tau,
    )
    return _Scene(hues=hues, shapes=tuple(shapes), orbit=orbit)


def _hsv(h: float, s: float, v: float) -> Color:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return round(r * 255), round(g * 255), round(b * 255)


@functools.lru_cache(maxsize=8)
def _gradient_masks(width: int, height: int) -> tuple[Image.Image, Image.Image]:
    """A top-to-bottom mask and a softened left-to-right mask of the given size."""
    base = Image.linear_gradient("L")
    vertical = base.resize((width, height), Image.Resampling.BILINEAR)
    horizontal = base.transpose(Image.Transpose.ROTATE_90).resize((width, height), Image.Resampling.BILINEAR)
    horizontal = horizontal.point(lambda v: int(v * 0.6))
    return vertical, horizontal


def _gradient(width: int, height: int, hues: tuple[float, float, float], shift: float = 0.0) -> Image.Image:
    """A smooth three-colour gradient; `shift` rotates every hue (0..1 = full circle).

    The blend is linear, so it is mixed on a small canvas and scaled up (much faster).
    """
    scale = max(1.0, max(width, height) / 128)
    small = (max(2, math.ceil(width / scale)), max(2, math.ceil(height / scale)))
    vertical, horizontal = _gradient_masks(*small)
    top = _hsv(hues[0] + shift, 0.55, 0.92)
    bottom = _hsv(hues[1] + shift, 0.70, 0.45)
    side = _hsv(hues[2] + shift, 0.60, 0.80)
    img = Image.composite(Image.new("RGB", small, bottom), Image.new("RGB", small, top), vertical)
    img = Image.composite(Image.new("RGB", small, side), img, horizontal)
    if img.size == (width, height):
        return img
    return img.resize((width, height), Image.Resampling.BILINEAR)


def _shapes_layer(width: int, height: int, scene: _Scene) -> Image.Image:
    """Transparent RGBA layer with the prompt's static shapes."""
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer, "RGBA")
    unit = min(width, height)
    for kind, c, fill in scene.shapes:
        cx, cy = c[0] * width, c[1] * height
        size = unit * (0.12 + c[2] * 0.3)
        if kind == "ellipse":
            draw.ellipse(
                (
                    cx - size,
                    cy - size * (0.6 + c[3] * 0.4),
                    cx + size,
                    cy + size * (0.6 + c[3] * 0.4),
                ),
                fill=fill,
            )
        elif kind == "rectangle":
            draw.rectangle(
                (
                    cx - size,
                    cy - size * (0.4 + c[3] * 0.6),
                    cx + size * (0.5 + c[4]),
                    cy + size * 0.5,
                ),
                fill=fill,
            )
        else:
            angle = c[5] * math.tau
            points = [
                (
                    cx + size * math.cos(angle + k * math.tau / 3),
                    cy + size * math.sin(angle + k * math.tau / 3),
                )
                for k in range(3)
            ]
            draw.polygon(points, fill=fill)
    return layer


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, max_width: float) -> list[str]:
    """Greedy word wrap by measured width; over-long words are split by characters."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if _text_width(font, candidate) <= max_width:
                current = candidate
                continue
            if current:
                lines.append(current)
            while _text_width(font, word) > max_width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and _text_width(font, word[:cut]) > max_width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    while lines and not lines[-1]:
        lines.pop()
    return lines or [""]


def _layout_text(text: str, width: int, height: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, list[str], int]:
    """Pick a font size and wrapped lines that fit the middle of the canvas."""
    max_w = width * 0.84
    max_h = height * 0.62
    size = max(10, min(width, height) // 11)
    while True:
        font = _font(size)
        line_h = int(size * 1.25)
        lines = _wrap(text, font, max_w)
        if len(lines) * line_h <= max_h or size <= 10:
            break
        size = max(10, int(size * 0.88))
    max_lines = max(1, int(max_h // line_h))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _text_width(font, last + "...") > max_w:
            last = last[:-1]
        lines[-1] = last.rstrip() + "..."
    return font, lines, line_h


def _text_layer(prompt: str, width: int, height: int) -> Image.Image:
    """Transparent RGBA layer: the wrapped prompt on a soft panel, and the SANDBOX label."""
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer, "RGBA")
    text = " ".join(prompt.split()) or "(empty prompt)"
    font, lines, line_h = _layout_text(text, width, height)
    block_w = max(_text_width(font, line) for line in lines)
    block_h = line_h * len(lines)
    top = (height - block_h) / 2
    pad = max(6, line_h // 2)
    draw.rounded_rectangle(
        (
            (width - block_w) / 2 - pad,
            top - pad,
            (width + block_w) / 2 + pad,
            top + block_h + pad,
        ),
        radius=pad,
        fill=(0, 0, 0, 110),
    )
    stroke = max(1, line_h // 18)
    for i, line in enumerate(lines):
        x = (width - _text_width(font, line)) / 2
        draw.text(
            (x, top + i * line_h),
            line,
            font=font,
            fill=(255, 255, 255, 255),
            stroke_width=stroke,
            stroke_fill=(0, 0, 0, 160),
        )
    _draw_corner_label(draw, LABEL, width, height, corner="top-right")
    return layer


def _draw_corner_label(draw: ImageDraw.ImageDraw, text: str, width: int, height: int, corner: str) -> None:
    """A small white label on a dark tag in one corner."""
    size = max(9, min(width, height) // 26)
    font = _font(size)
    margin = max(3, size // 2)
    pad = max(2, size // 4)
    left, top_, right, bottom = draw.textbbox((0, 0), text, font=font)
    tw, th = right - left, bottom - top_
    x = width - margin - tw - pad if corner.endswith("right") else margin + pad
    y = margin + pad if corner.startswith("top") else height - margin - th - pad
    draw.rectangle((x - pad, y - pad, x + tw + pad, y + th + pad), fill=(0, 0, 0, 150))
    draw.text((x - left, y - top_), text, font=font, fill=(255, 255, 255, 235))


# --------------------------------------------------------------------------- image


def render_image(prompt: str, width: int, height: int, fmt: str = "png") -> bytes:
    """Draw a deterministic picture for `prompt`; same prompt and size give the same bytes.

    `fmt` is one of png, jpg, jpeg, webp; width and height are clamped to 64..4096.
    """
    key = fmt.lower().lstrip(".")
    if key not in IMAGE_FORMATS:
        raise ValueError(f"unsupported image format {fmt!r}; use one of {sorted(IMAGE_FORMATS)}")
    width = _clamp(width, MIN_SIDE, MAX_SIDE)
    height = _clamp(height, MIN_SIDE, MAX_SIDE)
    scene = _scene(prompt)
    img = _gradient(width, height, scene.hues)
    shapes = _shapes_layer(width, height, scene)
    img.paste(shapes, (0, 0), shapes)
    text = _text_layer(prompt, width, height)
    img.paste(text, (0, 0), text)
    out = io.BytesIO()
    pil_format = IMAGE_FORMATS[key]
    if pil_format == "PNG":
        img.save(out, "PNG", optimize=False)
    elif pil_format == "JPEG":
        img.save(out, "JPEG", quality=90)
    else:
        img.save(out, "WEBP", quality=88, method=4)
    return out.getvalue()


# --------------------------------------------------------------------------- speech


def espeak_voice(voice: str) -> str:
    """The espeak-ng voice variant used for a voice name (deterministic)."""
    key = voice.strip().lower()
    if key in _VOICE_VARIANTS:
        return _VOICE_VARIANTS[key]
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return _FALLBACK_VARIANTS[digest[0] % len(_FALLBACK_VARIANTS)]


def render_speech(text: str, voice: str = "Rachel", speed: float = 1.0) -> tuple[bytes, str]:
    """Speak `text`; returns (data, ext) with ext "mp3" when ffmpeg exists, else "wav".

    Uses espeak-ng when installed, otherwise a placeholder tone sequence (not speech)
    whose length follows the text length (at most 30 s). Raises ValueError for blank
    text and RuntimeError when a subprocess fails.
    """
    if not text or not text.strip():
        raise ValueError("text to speak is empty")
    speed = min(4.0, max(0.25, float(speed))) if math.isfinite(speed) else 1.0
    with tempfile.TemporaryDirectory(prefix="sandbox-tts-") as tmp:
        wav_path = Path(tmp) / "speech.wav"
        espeak = espeak_path()
        if espeak:
            wpm = _clamp(round(BASE_WPM * speed), 80, 450)
            _run(
                [
                    espeak,
                    "-v",
                    espeak_voice(voice),
                    "-s",
                    str(wpm),
                    "-b",
                    "1",
                    "-w",
                    str(wav_path),
                    "--stdin",
                ],
                stdin=text.encode("utf-8"),
            )
            if not wav_path.is_file() or wav_path.stat().st_size <= 44:
                raise RuntimeError("espeak-ng produced no audio")
        else:
            wav_path.write_bytes(_tone_wav(text, speed))
        ffmpeg = ffmpeg_path()
        if not ffmpeg:
            return wav_path.read_bytes(), "wav"
        mp3_path = Path(tmp) / "speech.mp3"
        _run(
            [
                ffmpeg,
                "-hide_banner",
                "-loglevel",
                "error",
                "-nostdin",
                "-y",
                "-i",
                str(wav_path),
                "-vn",
                "-codec:a",
                "libmp3lame",
                "-q:a",
                "4",
                str(mp3_path),
            ]
        )
        return mp3_path.read_bytes(), "mp3"


def _tone_wav(text: str, speed: float) -> bytes:
    """A soft, deterministic tone sequence (16 kHz mono WAV) standing in for speech."""
    seconds = min(MAX_TONE_S, max(0.6, len(text.strip()) * 0.065 / speed))
    total = int(seconds * TONE_RATE)
    note_len = max(1, int(0.22 / speed * TONE_RATE))
    scale = (261.63, 293.66, 329.63, 392.00, 440.00, 523.25)  # C major pentatonic
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    fade = max(1, int(0.02 * TONE_RATE))
    samples = array("h", bytes(2 * total))
    for start in range(0, total, note_len):
        n = start // note_len
        freq = scale[(digest[n % len(digest)] + n) % len(scale)]
        length = min(note_len, total - start)
        step = math.tau * freq / TONE_RATE
        for i in range(length):
            envelope = min(1.0, i / fade, (length - i) / fade)
            samples[start + i] = int(0.18 * 32767 * envelope * math.sin(step * i))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(TONE_RATE)
        wav.writeframes(samples.tobytes())
    return out.getvalue()


# --------------------------------------------------------------------------- video


DRAW_SIDE = 854  # the largest side video frames are drawn at before ffmpeg scales them


def render_video(prompt: str, duration_s: int, width: int, height: int, fps: int = 12) -> bytes:
    """An H.264 MP4 animating the prompt's picture (hue drift, moving dot, frame counter).

    Duration is capped to 1..15 s, fps to 1..60, sides to 64..4096 rounded down to even.
    Frames are piped to ffmpeg one by one. Raises RuntimeError when ffmpeg is missing or fails.
    """
    ffmpeg = ffmpeg_path()
    if not ffmpeg:
        raise RuntimeError("ffmpeg is not installed: install it (apt-get install ffmpeg) or pip install imageio-ffmpeg")
    duration = _clamp(duration_s, MIN_VIDEO_S, MAX_VIDEO_S)
    fps = _clamp(fps, MIN_FPS, MAX_FPS)
    width = _clamp(width, MIN_SIDE, MAX_SIDE) // 2 * 2
    height = _clamp(height, MIN_SIDE, MAX_SIDE) // 2 * 2
    frames = duration * fps
    # Frames are drawn at most DRAW_SIDE wide and ffmpeg scales them to the size asked for: the file
    # is honestly width x height, without Pillow compositing 1080p frames one by one.
    out_width, out_height = width, height
    shrink = max(1.0, max(width, height) / DRAW_SIDE)
    width, height = max(MIN_SIDE, int(width / shrink)) // 2 * 2, max(MIN_SIDE, int(height / shrink)) // 2 * 2

    scene = _scene(prompt)
    shapes = _shapes_layer(width, height, scene)
    text = _text_layer(prompt, width, height)
    dot_r = max(4, min(width, height) // 10)
    fx, fy, px, py = scene.orbit
    dot_color = (*_hsv(scene.hues[2] + 0.5, 0.3, 1.0), 170)

    with tempfile.TemporaryDirectory(prefix="sandbox-video-") as tmp:
        out_path = Path(tmp) / "video.mp4"
        err_path = Path(tmp) / "ffmpeg.log"
        cmd = [
            ffmpeg,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{width}x{height}",
            "-r",
            str(fps),
            "-i",
            "pipe:0",
            "-an",
            "-vf",
            f"scale={out_width}:{out_height}:flags=bicubic",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "23",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            str(out_path),
        ]
        with err_path.open("wb") as err:
            try:
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    bufsize=0,
                )
            except OSError as exc:
                raise RuntimeError(f"could not run ffmpeg: {exc}") from exc
            try:
                assert proc.stdin is not None
                for i in range(frames):
                    t = i / fps
                    phase = i / frames
                    frame = _gradient(width, height, scene.hues, shift=0.35 * phase)
                    frame.paste(shapes, (0, 0), shapes)
                    draw = ImageDraw.Draw(frame, "RGBA")
                    cx = width * (0.5 + 0.38 * math.sin(math.tau * fx * phase + px))
                    cy = height * (0.5 + 0.36 * math.sin(math.tau * fy * phase + py))
                    draw.ellipse((cx - dot_r, cy - dot_r, cx + dot_r, cy + dot_r), fill=dot_color)
                    frame.paste(text, (0, 0), text)
                    _draw_corner_label(
                        draw,
                        f"{t:05.2f}s  #{i + 1}/{frames}",
                        width,
                        height,
                        corner="bottom-left",
                    )
                    proc.stdin.write(frame.tobytes())
                proc.stdin.close()
                proc.wait(timeout=SUBPROCESS_TIMEOUT_S)
            except BrokenPipeError:  # ffmpeg quit early; its log says why
                _close_quietly(proc)
                proc.wait(timeout=SUBPROCESS_TIMEOUT_S)
            except subprocess.TimeoutExpired as exc:
                proc.kill()
                proc.wait()
                raise RuntimeError(f"ffmpeg timed out after {SUBPROCESS_TIMEOUT_S} s") from exc
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                _close_quietly(proc)
        if proc.returncode != 0 or not out_path.is_file():
            log = err_path.read_text("utf-8", "replace").strip()
            raise RuntimeError(f"ffmpeg failed (exit {proc.returncode}): {log[-2000:]}")
        return out_path.read_bytes()


def _close_quietly(proc: subprocess.Popen) -> None:
    """Close a child's stdin, ignoring a pipe that is already broken."""
    if proc.stdin is not None and not proc.stdin.closed:
        with contextlib.suppress(OSError):
            proc.stdin.close()
