"""NSFW detection with the real NudeNet model on pictures the tests draw, the threshold, video frames,
and the fall-backs (no detector, a failing detector)."""

from __future__ import annotations

import pytest
from PIL import Image

from smartspec_app.services import nsfw
from smartspec_app.services.nsfw import NoDetector, Screening, screen_media, screen_pictures
from smartspec_app.services.sandbox_render import ffmpeg_path
from smartspec_app.services.storage import LocalStorage
from tests.support.moderation_data import (
    BrokenDetector,
    FixedDetector,
    as_detector,
    landscape,
    landscape_png,
    mp4_of,
    schematic_torso,
    schematic_torso_png,
)

THRESHOLD = 0.6  # the NSFW_THRESHOLD default
needs_nudenet = pytest.mark.skipif(not isinstance(nsfw.get_detector("auto"), nsfw.NudeNetDetector), reason="nudenet is not installed")
needs_ffmpeg = pytest.mark.skipif(not ffmpeg_path(), reason="ffmpeg is not installed")


@pytest.fixture(scope="module")
def nudenet() -> nsfw.NsfwDetector:
    return nsfw.get_detector("nudenet")


@needs_nudenet
def test_a_drawn_landscape_is_not_flagged(nudenet: nsfw.NsfwDetector, storage: LocalStorage) -> None:
    storage.save_bytes("gallery/x/original.png", landscape_png())
    screening = screen_media(storage, "image", "gallery/x/original.png", None, nudenet, THRESHOLD)
    assert screening.scanned and screening.error is None
    assert screening.frames == 1
    assert screening.score is not None and screening.score < 0.2  # NudeNet reports nothing under 0.2
    assert not screening.flagged and not screening.needs_review
    assert screening.detector.startswith("nudenet ")


@needs_nudenet
def test_the_real_model_flags_a_drawn_bare_torso(nudenet: nsfw.NsfwDetector, storage: LocalStorage) -> None:
    """The positive is a crude Pillow drawing (no photo can be downloaded here) that the real model scores."""
    storage.save_bytes("gallery/y/original.png", schematic_torso_png())
    screening = screen_media(storage, "image", "gallery/y/original.png", None, nudenet, THRESHOLD)
    assert screening.flagged and screening.needs_review
    assert screening.scores.get("FEMALE_BREAST_EXPOSED", 0.0) >= 0.6
    assert screening.score == screening.scores["FEMALE_BREAST_EXPOSED"]


@needs_nudenet
def test_threshold_decides_on_the_real_models_scores(nudenet: nsfw.NsfwDetector) -> None:
    real = nudenet.scores(schematic_torso())
    score = nsfw.explicit_score(real)
    replay = as_detector(FixedDetector(real, name="replay"))
    assert screen_pictures(replay, [landscape()], threshold=round(score + 0.01, 4)).flagged is False
    assert screen_pictures(replay, [landscape()], threshold=score).flagged is True  # at the threshold: flagged
    safe = nudenet.scores(landscape())
    assert screen_pictures(as_detector(FixedDetector(safe)), [landscape()], threshold=0.05).flagged is False


def test_labels_that_are_not_explicit_never_flag() -> None:
    detector = as_detector(FixedDetector({"FACE_FEMALE": 0.99, "FEET_EXPOSED": 0.9, "BELLY_COVERED": 0.8}))
    screening = screen_pictures(detector, [landscape()], THRESHOLD)
    assert screening.score == 0.0 and not screening.flagged
    assert screening.scores["FACE_FEMALE"] == 0.99  # kept for the moderator


def test_every_frame_counts_and_the_highest_score_wins() -> None:
    class PerFrame:
        name, available = "per-frame", True
        answers = iter([{"BUTTOCKS_EXPOSED": 0.1}, {"BUTTOCKS_EXPOSED": 0.7, "FACE_MALE": 0.5}, {}])

        def scores(self, picture: Image.Image) -> dict[str, float]:
            return next(self.answers)

    screening = screen_pictures(as_detector(PerFrame()), [landscape()] * 3, THRESHOLD)
    assert screening.scores == {"BUTTOCKS_EXPOSED": 0.7, "FACE_MALE": 0.5}
    assert screening.score == 0.7 and screening.flagged and screening.frames == 3


@needs_nudenet
@needs_ffmpeg
def test_a_video_is_scanned_through_its_frames_not_only_its_poster(nudenet: nsfw.NsfwDetector, storage: LocalStorage) -> None:
    storage.save_bytes("gallery/v/original.mp4", mp4_of([landscape(), schematic_torso(), landscape(), landscape()]))
    storage.save_bytes("gallery/v/thumbnail.jpg", landscape_png())  # a safe poster
    screening = screen_media(storage, "video", "gallery/v/original.mp4", "gallery/v/thumbnail.jpg", nudenet, THRESHOLD)
    assert screening.frames == 1 + nsfw.VIDEO_FRAMES
    assert screening.flagged

    storage.save_bytes("gallery/w/original.mp4", mp4_of([landscape()] * 4))
    clean = screen_media(storage, "video", "gallery/w/original.mp4", None, nudenet, THRESHOLD)
    assert clean.frames == nsfw.VIDEO_FRAMES and not clean.flagged and not clean.needs_review


def test_an_unreadable_video_with_a_poster_is_judged_on_the_poster(storage: LocalStorage) -> None:
    storage.save_bytes("gallery/u/original.mp4", b"not a video at all" * 10)
    storage.save_bytes("gallery/u/thumbnail.jpg", landscape_png())
    detector = FixedDetector({})
    screening = screen_media(storage, "video", "gallery/u/original.mp4", "gallery/u/thumbnail.jpg", as_detector(detector), THRESHOLD)
    assert screening.frames == 1 and detector.calls == 1 and not screening.needs_review


def test_without_a_detector_images_and_videos_need_review(storage: LocalStorage) -> None:
    storage.save_bytes("gallery/n/original.png", landscape_png())
    screening = screen_media(storage, "image", "gallery/n/original.png", None, NoDetector(), THRESHOLD)
    assert screening.needs_review and screening.error and not screening.scanned
    assert screen_media(storage, "video", "gallery/n/original.mp4", None, NoDetector(), THRESHOLD).needs_review
    assert nsfw.get_detector("none").available is False


def test_a_failing_detector_or_unreadable_image_means_review_not_an_error(storage: LocalStorage) -> None:
    storage.save_bytes("gallery/b/original.png", landscape_png())
    broken = screen_media(storage, "image", "gallery/b/original.png", None, as_detector(BrokenDetector()), THRESHOLD)
    assert broken.needs_review and "corrupt" in (broken.error or "")
    storage.save_bytes("gallery/c/original.png", b"\x89PNG garbage")
    garbled = screen_media(storage, "image", "gallery/c/original.png", None, as_detector(FixedDetector({})), THRESHOLD)
    assert garbled.needs_review and "unreadable" in (garbled.error or "")


def test_audio_is_not_scanned() -> None:
    screening = screen_media(LocalStorage.__new__(LocalStorage), "audio", "x.mp3", None, NoDetector(), THRESHOLD)
    assert screening == Screening(detector="none") and not screening.needs_review


@needs_nudenet
def test_the_model_is_loaded_once_and_lazily() -> None:
    detector = nsfw.get_detector("auto")
    assert detector is nsfw.get_detector("auto")
    assert isinstance(detector, nsfw.NudeNetDetector)
    detector.scores(landscape())
    model = detector._model
    assert model is not None
    detector.scores(landscape())
    assert detector._model is model
    assert nsfw.NudeNetDetector()._model is None  # nothing loads until the first picture


@needs_nudenet
@pytest.mark.parametrize("size", [(1024, 1024), (1024, 768), (768, 1024)])
def test_sandbox_renders_are_not_flagged_at_the_default_threshold(nudenet: nsfw.NsfwDetector, size: tuple[int, int]) -> None:
    """The sandbox's abstract pictures score up to about 0.4 on NudeNet's explicit labels: under the 0.6 default."""
    from smartspec_app.services.sandbox_render import render_image
    from smartspec_app.settings import Settings

    threshold = Settings.model_fields["nsfw_threshold"].default
    assert threshold == THRESHOLD
    for prompt in ("A lighthouse on a cliff at dawn", "A lighthouse at dawn", "A red fox in the snow"):
        picture = nsfw.open_picture(render_image(prompt, *size))
        assert not screen_pictures(nudenet, [picture], threshold).flagged, prompt
