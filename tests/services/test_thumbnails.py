"""Thumbnails of real media made by the sandbox renderers; every result is decoded and measured."""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from smartspec_app.services import sandbox_render, thumbnails
from smartspec_app.services.thumbnails import ThumbnailError, make_thumbnail

needs_ffmpeg = pytest.mark.skipif(sandbox_render.ffmpeg_path() is None, reason="ffmpeg is not installed (scripts/setup.sh installs it)")


def _decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"
    img.load()
    return img


def _silent_wav(seconds: float, rate: int = 16_000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\0\0" * int(seconds * rate))
    return out.getvalue()


# ---------------------------------------------------------------- images


@pytest.mark.parametrize(
    ("size", "fmt", "expected"),
    [
        ((1600, 900), "png", (512, 288)),
        ((600, 1200), "jpg", (256, 512)),
        ((2048, 2048), "webp", (512, 512)),
        ((300, 200), "png", (300, 200)),  # small pictures are not blown up
    ],
)
def test_image_thumbnail_fits_512_keeping_the_aspect(size: tuple[int, int], fmt: str, expected: tuple[int, int]) -> None:
    source = sandbox_render.render_image("A red fox in the snow", *size, fmt=fmt)
    thumb = _decode(make_thumbnail("image", source))
    assert thumb.size == expected
    assert thumb.mode == "RGB"


def test_image_thumbnail_from_a_path_matches_the_one_from_bytes(tmp_path: Path) -> None:
    source = sandbox_render.render_image("Same either way", 1024, 768)
    path = tmp_path / "picture.png"
    path.write_bytes(source)
    assert _decode(make_thumbnail("image", path)).size == _decode(make_thumbnail("image", source)).size == (512, 384)


def test_transparency_becomes_white_not_black() -> None:
    clear = Image.new("RGBA", (800, 400), (0, 0, 0, 0))
    buf = io.BytesIO()
    clear.save(buf, "PNG")
    thumb = _decode(make_thumbnail("image", buf.getvalue()))
    assert thumb.size == (512, 256)
    assert min(ImageStat.Stat(thumb).mean) > 250


def test_the_thumbnail_box_can_be_smaller() -> None:
    source = sandbox_render.render_image("Tiny", 1000, 500)
    assert _decode(make_thumbnail("image", source, box=(128, 128))).size == (128, 64)


def test_an_unreadable_image_is_a_thumbnail_error() -> None:
    with pytest.raises(ThumbnailError, match="not a readable image"):
        make_thumbnail("image", b"this is not a picture")


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="hologram"):
        make_thumbnail("hologram", b"")  # type: ignore[arg-type]


# ---------------------------------------------------------------- video posters


@needs_ffmpeg
def test_video_poster_is_a_frame_about_one_second_in() -> None:
    video = sandbox_render.render_video("A moving dot", 3, 1280, 720, fps=12)
    poster = _decode(make_thumbnail("video", video))
    assert poster.size == (512, 288)
    frames = _frames(video, ["0", "1"])
    first, at_one = (f.resize(poster.size) for f in frames)
    # the sandbox's picture drifts in hue and moves a dot: the poster is the 1 s frame, not the first
    assert _difference(poster, at_one) < _difference(poster, first)


@needs_ffmpeg
def test_a_clip_shorter_than_a_second_gives_its_first_frame(tmp_path: Path) -> None:
    clip = tmp_path / "short.mp4"
    subprocess.run(
        [
            sandbox_render.ffmpeg_path(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=0.4:size=320x240:rate=10",
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ],
        check=True,
    )
    poster = _decode(make_thumbnail("video", clip))
    assert poster.size == (320, 240)
    assert ImageStat.Stat(poster).stddev[0] > 20  # a real picture (test pattern), not a blank frame


@needs_ffmpeg
def test_portrait_video_poster_keeps_its_aspect() -> None:
    video = sandbox_render.render_video("Tall", 1, 360, 640, fps=4)
    assert _decode(make_thumbnail("video", video)).size == (288, 512)


@needs_ffmpeg
def test_a_broken_video_is_a_thumbnail_error() -> None:
    with pytest.raises(ThumbnailError, match="ffmpeg could not read"):
        make_thumbnail("video", b"\x00\x00\x00\x18ftypmp42 but then nothing")


def _frames(video: bytes, seconds: list[str]) -> list[Image.Image]:
    out = []
    for at in seconds:
        proc = subprocess.run(
            [
                sandbox_render.ffmpeg_path(),
                "-v",
                "error",
                "-ss",
                at,
                "-i",
                "pipe:0",
                "-frames:v",
                "1",
                "-f",
                "image2pipe",
                "-c:v",
                "png",
                "-",
            ],
            input=video,
            capture_output=True,
            check=True,
        )
        out.append(Image.open(io.BytesIO(proc.stdout)).convert("RGB"))
    return out


def _difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean)


# ---------------------------------------------------------------- audio waveforms


@needs_ffmpeg
def test_speech_waveform_is_a_512_by_256_picture_of_the_sound() -> None:
    audio, ext = sandbox_render.render_speech("Hello there, this is the waveform test.")
    assert ext == "mp3"
    picture = _decode(make_thumbnail("speech", audio))
    assert picture.size == (512, 256)
    columns_with_sound = sum(1 for x in range(512) if _wave_pixels(picture, x) > 6)
    assert columns_with_sound > 100  # the speech shows as bars, not just the middle line


@needs_ffmpeg
def test_silence_draws_only_the_middle_line() -> None:
    picture = _decode(make_thumbnail("audio", _silent_wav(1.5)))
    assert picture.size == (512, 256)
    assert max(_wave_pixels(picture, x) for x in range(512)) <= 6


@needs_ffmpeg
def test_a_file_without_sound_is_a_thumbnail_error() -> None:
    with pytest.raises(ThumbnailError):
        make_thumbnail("speech", b"ID3 not really an mp3")


def test_waveform_drawing_follows_the_loudest_sample() -> None:
    from array import array

    loud_then_quiet = array("h", [30000, -30000] * 400 + [100, -100] * 400)
    picture = thumbnails.draw_waveform(loud_then_quiet, 200, 100)
    assert picture.size == (200, 100)
    assert _wave_pixels(picture, 10) > 80  # the loud half fills the height
    assert _wave_pixels(picture, 190) < 6  # the quiet half stays near the line


def test_without_ffmpeg_video_and_audio_thumbnails_say_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(thumbnails, "ffmpeg_path", lambda: None)
    for kind in ("video", "speech"):
        with pytest.raises(ThumbnailError, match="ffmpeg is not installed"):
            make_thumbnail(kind, b"whatever")


def _wave_pixels(picture: Image.Image, x: int) -> int:
    """How many pixels of column x are drawn in the waveform's colour (JPEG-tolerant)."""
    r0, g0, b0 = thumbnails.WAVE_COLOR
    return sum(
        1 for y in range(picture.height) if sum(abs(c - w) for c, w in zip(picture.getpixel((x, y)), (r0, g0, b0), strict=True)) < 90
    )
