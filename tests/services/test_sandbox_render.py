"""Tests for the sandbox renderers: real decoding of every output, no mocks of the media."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import time
import wave
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from smartspec_app.services import sandbox_render as sr

FFMPEG = sr.ffmpeg_path()
FFPROBE = str(Path(FFMPEG).with_name("ffprobe")) if FFMPEG and Path(FFMPEG).with_name("ffprobe").is_file() else None
ESPEAK = sr.espeak_path()

needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
needs_ffprobe = pytest.mark.skipif(FFPROBE is None, reason="ffprobe is not installed")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed")

SHORT_TEXT = "Hello from the sandbox."
LONG_TEXT = (
    "Hello from the sandbox. This sentence is quite a bit longer, so the spoken "
    "audio that comes out of the speech engine has to last noticeably longer too."
)


def probe(path: Path) -> dict:
    """ffprobe's JSON description of a media file."""
    out = subprocess.run(
        [
            FFPROBE,
            "-v",
            "error",
            "-show_format",
            "-show_streams",
            "-count_frames",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


# --------------------------------------------------------------------------- image


@pytest.mark.parametrize(
    ("fmt", "pil_format"),
    [
        ("png", "PNG"),
        ("jpg", "JPEG"),
        ("jpeg", "JPEG"),
        ("webp", "WEBP"),
        ("PNG", "PNG"),
    ],
)
def test_image_decodes_at_requested_size_and_format(fmt: str, pil_format: str) -> None:
    data = sr.render_image("a lighthouse at dusk", 333, 211, fmt)
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == pil_format
    assert img.size == (333, 211)


def test_image_is_deterministic_per_prompt() -> None:
    a1 = sr.render_image("a lighthouse at dusk", 256, 192)
    a2 = sr.render_image("a lighthouse at dusk", 256, 192)
    b = sr.render_image("a bowl of ramen, top view", 256, 192)
    assert a1 == a2
    img_a = Image.open(io.BytesIO(a1)).convert("RGB")
    img_b = Image.open(io.BytesIO(b)).convert("RGB")
    diff = ImageChops.difference(img_a, img_b)
    assert diff.getbbox() is not None
    # not just the text: the background colours differ too
    assert img_a.getpixel((2, 100)) != img_b.getpixel((2, 100))


def test_image_is_not_flat_and_has_text_in_the_middle() -> None:
    img = Image.open(io.BytesIO(sr.render_image("colourful birds", 400, 300))).convert("L")
    lo, hi = img.getextrema()
    assert hi - lo > 100  # white text on a darkened panel over a gradient
    middle = img.crop((100, 120, 300, 180))
    mid_lo, mid_hi = middle.getextrema()
    assert mid_hi >= 250  # white glyph pixels near the centre
    assert mid_lo <= 90  # their dark outline / the darkened panel


@pytest.mark.parametrize(
    ("requested", "expected"),
    [((10, 10), (64, 64)), ((-5, 5000), (64, 4096)), ((9999, 100), (4096, 100))],
)
def test_image_size_is_clamped(requested: tuple[int, int], expected: tuple[int, int]) -> None:
    data = sr.render_image("clamp me", *requested)
    assert Image.open(io.BytesIO(data)).size == expected


def test_image_long_and_empty_prompts_render() -> None:
    long_prompt = "supercalifragilisticexpialidocious " * 80
    for prompt in (long_prompt, "", "   "):
        assert Image.open(io.BytesIO(sr.render_image(prompt, 120, 80))).size == (
            120,
            80,
        )


def test_image_rejects_unknown_format() -> None:
    with pytest.raises(ValueError, match="unsupported image format"):
        sr.render_image("x", 100, 100, "gif")


# --------------------------------------------------------------------------- speech


def test_voice_mapping_is_deterministic() -> None:
    assert sr.espeak_voice("Rachel") == "en-us+f3"
    assert sr.espeak_voice("rachel ") == "en-us+f3"
    assert sr.espeak_voice("Josh") != sr.espeak_voice("Rachel")
    assert sr.espeak_voice("Somebody New") == sr.espeak_voice("Somebody New")
    names = {sr.espeak_voice(f"voice-{i}") for i in range(40)}
    assert len(names) > 2


def test_speech_rejects_blank_text() -> None:
    with pytest.raises(ValueError, match="empty"):
        sr.render_speech("   ")


@needs_espeak
@needs_ffmpeg
@needs_ffprobe
def test_speech_mp3_duration_grows_with_text(tmp_path: Path) -> None:
    durations = []
    for name, text in (("short", SHORT_TEXT), ("long", LONG_TEXT)):
        data, ext = sr.render_speech(text, voice="Rachel")
        assert ext == "mp3"
        path = tmp_path / f"{name}.mp3"
        path.write_bytes(data)
        info = probe(path)
        assert info["streams"][0]["codec_name"] == "mp3"
        durations.append(float(info["format"]["duration"]))
    assert durations[0] > 0.3
    assert durations[1] > durations[0] + 1.0


@needs_espeak
@needs_ffmpeg
@needs_ffprobe
def test_speech_speed_changes_duration(tmp_path: Path) -> None:
    slow, _ = sr.render_speech(LONG_TEXT, speed=0.7)
    fast, _ = sr.render_speech(LONG_TEXT, speed=1.6)
    (tmp_path / "slow.mp3").write_bytes(slow)
    (tmp_path / "fast.mp3").write_bytes(fast)
    slow_s = float(probe(tmp_path / "slow.mp3")["format"]["duration"])
    fast_s = float(probe(tmp_path / "fast.mp3")["format"]["duration"])
    assert slow_s > fast_s * 1.5


@needs_espeak
def test_speech_wav_when_ffmpeg_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sr, "ffmpeg_path", lambda: None)
    short, ext = sr.render_speech(SHORT_TEXT, voice="Antoni")
    long, _ = sr.render_speech(LONG_TEXT, voice="Antoni")
    assert ext == "wav"
    assert short[:4] == b"RIFF"
    assert wav_seconds(short) > 0.3
    assert wav_seconds(long) > wav_seconds(short) + 1.0


def test_speech_tone_fallback_without_espeak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sr, "espeak_path", lambda: None)
    monkeypatch.setattr(sr, "ffmpeg_path", lambda: None)
    short, ext = sr.render_speech(SHORT_TEXT)
    long, _ = sr.render_speech(LONG_TEXT)
    huge, _ = sr.render_speech("word " * 5000)
    assert ext == "wav"
    assert 0.6 <= wav_seconds(short) < wav_seconds(long)
    assert wav_seconds(huge) == pytest.approx(30.0, abs=0.01)
    with wave.open(io.BytesIO(short), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        frames = wav.readframes(wav.getnframes())
    peak = max(abs(int.from_bytes(frames[i : i + 2], "little", signed=True)) for i in range(0, len(frames), 2))
    assert 1000 < peak < 16000  # audible but soft
    assert sr.render_speech(SHORT_TEXT) == (short, "wav")  # deterministic


@needs_ffmpeg
@needs_ffprobe
def test_speech_tone_fallback_is_converted_to_mp3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sr, "espeak_path", lambda: None)
    data, ext = sr.render_speech(LONG_TEXT)
    assert ext == "mp3"
    (tmp_path / "tone.mp3").write_bytes(data)
    assert float(probe(tmp_path / "tone.mp3")["format"]["duration"]) > 0.3


def test_speech_engine_failure_raises_with_stderr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "broken-espeak"
    fake.write_text("#!/bin/sh\necho 'voice data is missing' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(sr, "espeak_path", lambda: str(fake))
    with pytest.raises(RuntimeError, match="voice data is missing"):
        sr.render_speech(SHORT_TEXT)


# --------------------------------------------------------------------------- video


@needs_ffmpeg
@needs_ffprobe
def test_video_is_h264_of_the_right_shape_and_length(tmp_path: Path) -> None:
    start = time.monotonic()
    data = sr.render_video("a paper boat on a rainy street", 2, 320, 180)
    elapsed = time.monotonic() - start
    assert elapsed < 5.0
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    info = probe(path)
    video = [s for s in info["streams"] if s["codec_type"] == "video"]
    assert len(video) == 1
    stream = video[0]
    assert stream["codec_name"] == "h264"
    assert stream["pix_fmt"] == "yuv420p"
    assert (stream["width"], stream["height"]) == (320, 180)
    assert int(stream["nb_read_frames"]) == 24
    assert float(info["format"]["duration"]) == pytest.approx(2.0, abs=0.25)
    assert not [s for s in info["streams"] if s["codec_type"] == "audio"]
    # +faststart: the index (moov) comes before the media data (mdat)
    assert 0 <= data.find(b"moov") < data.find(b"mdat")


@needs_ffmpeg
def test_video_first_and_last_frames_extract_and_differ(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(sr.render_video("a paper boat", 2, 320, 180, fps=10))
    first, last = tmp_path / "first.png", tmp_path / "last.png"
    for out, select in ((first, "eq(n\\,0)"), (last, "eq(n\\,19)")):
        subprocess.run(
            [
                FFMPEG,
                "-v",
                "error",
                "-y",
                "-i",
                str(path),
                "-vf",
                f"select={select}",
                "-frames:v",
                "1",
                str(out),
            ],
            check=True,
            timeout=60,
        )
    img_first = Image.open(first).convert("RGB")
    img_last = Image.open(last).convert("RGB")
    assert img_first.size == (320, 180)
    lo, hi = img_first.convert("L").getextrema()
    assert hi - lo > 100  # a real picture, not a blank frame
    assert ImageChops.difference(img_first, img_last).getbbox() is not None  # it moves


@needs_ffmpeg
@needs_ffprobe
def test_video_clamps_duration_and_evens_dimensions(tmp_path: Path) -> None:
    short = tmp_path / "short.mp4"
    short.write_bytes(sr.render_video("odd sizes", 0, 201, 99, fps=4))
    info = probe(short)
    stream = info["streams"][0]
    assert (stream["width"], stream["height"]) == (200, 98)
    assert float(info["format"]["duration"]) == pytest.approx(1.0, abs=0.3)

    long = tmp_path / "long.mp4"
    long.write_bytes(sr.render_video("too long", 600, 64, 64, fps=1))
    info = probe(long)
    assert int(info["streams"][0]["nb_read_frames"]) == 15
    assert float(info["format"]["duration"]) == pytest.approx(15.0, abs=1.1)


def test_video_without_ffmpeg_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sr, "ffmpeg_path", lambda: None)
    with pytest.raises(RuntimeError, match="ffmpeg is not installed"):
        sr.render_video("nothing", 2, 320, 180)


def test_video_ffmpeg_failure_raises_with_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "broken-ffmpeg"
    fake.write_text("#!/bin/sh\necho 'Unknown encoder libx264' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(sr, "ffmpeg_path", lambda: str(fake))
    with pytest.raises(RuntimeError, match="Unknown encoder libx264"):
        sr.render_video("nothing", 1, 64, 64, fps=2)


def test_binary_lookups_return_paths_or_none() -> None:
    for found in (sr.ffmpeg_path(), sr.espeak_path()):
        assert found is None or Path(found).is_file()
