"""The sandbox's jobs (services/sandbox.py): it renders what was asked, at the size kie.ai would make it."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session

from smartspec_app.services import catalog, sandbox
from smartspec_app.services.sandbox_render import ffmpeg_path

INSTANT = sandbox.SandboxTiming(image=0, video=0, speech=0)


def finished(session: Session, tmp_path: Path, model_id: str, params: dict) -> tuple[dict, list[Path]]:
    """A job made from the app's own input for these parameters, read once it is due: (record, files)."""
    model = catalog.get_model(model_id)
    (body,) = catalog.validate_request(model.task_type, model.id, "a red fox in snow", params).provider_inputs
    job = sandbox.create_job(session, model.id, body, None, INSTANT)
    session.commit()
    record = sandbox.record_info(session, job, tmp_path, "http://app.test/sandbox/kie/files", sign=lambda name: f"sig-{name}")
    assert record["state"] == "success", record
    urls = json.loads(record["resultJson"])["resultUrls"]
    names = [url.rsplit("/", 1)[1].split("?", 1)[0] for url in urls]
    assert all(url.endswith(f"?sig=sig-{name}") for url, name in zip(urls, names, strict=True))
    return record, [tmp_path / name for name in names]


def image_size(path: Path) -> tuple[int, int]:
    with Image.open(io.BytesIO(path.read_bytes())) as img:
        return img.size


@pytest.mark.parametrize(
    ("model_id", "params", "size"),
    [
        ("nano-banana-pro", {}, (1024, 1024)),
        ("nano-banana-pro", {"aspect_ratio": "16:9", "resolution": "2K"}, (2048, 1152)),
        ("nano-banana-pro", {"resolution": "4K"}, (4096, 4096)),
        ("flux-2/pro-text-to-image", {"aspect_ratio": "3:2", "resolution": "2K"}, (2048, 1365)),
        ("seedream/4.5-text-to-image", {"quality": "high", "aspect_ratio": "1:1"}, (4096, 4096)),
        ("google/imagen4-fast", {}, (1024, 576)),  # its default ratio is 16:9
    ],
)
def test_images_are_the_size_the_tier_asks_for(session: Session, tmp_path: Path, model_id: str, params: dict, size: tuple) -> None:
    _record, (path,) = finished(session, tmp_path, model_id, params)
    assert image_size(path) == size


def test_imagen_4_fast_renders_num_images_in_one_job(session: Session, tmp_path: Path) -> None:
    _record, paths = finished(session, tmp_path, "google/imagen4-fast", {"num_images": 3})
    assert len(paths) == 3 and len({p.read_bytes() for p in paths}) == 3  # three different pictures
    assert {sandbox.job_id_of(p.name) for p in paths} == {paths[0].name.split(".")[0]}


@pytest.mark.skipif(ffmpeg_path() is None, reason="ffmpeg is not installed")
@pytest.mark.parametrize(("resolution", "size"), [("1080p", "1920x1080"), ("720p", "1280x720")])
def test_a_video_is_the_resolution_asked_for(session: Session, tmp_path: Path, resolution: str, size: str) -> None:
    _record, (path,) = finished(session, tmp_path, "wan/2-6-text-to-video", {"resolution": resolution, "duration": 5})
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=width,height:format=duration", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(probe.stdout)
    stream = info["streams"][0]
    assert f"{stream['width']}x{stream['height']}" == size
    assert 4.5 <= float(info["format"]["duration"]) <= 5.5


def test_a_result_rendered_ahead_is_not_shown_before_the_job_is_due(session: Session, tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (body,) = catalog.validate_request("image", "nano-banana-pro", "a red fox in snow", {}).provider_inputs
    job = sandbox.create_job(session, "nano-banana-pro", body, None, sandbox.SandboxTiming(image=3600, video=0, speech=0))
    session.commit()
    sandbox.render_ahead(session, job, files)
    (rendered,) = list(files.iterdir())
    assert image_size(rendered) == (1024, 1024)
    record = sandbox.record_info(session, job, files, "http://app.test/files")
    assert record["state"] == "waiting" and record["resultJson"] == ""  # the job's time is not up

    job.duration_seconds = 0
    session.add(job)
    session.commit()
    written = rendered.stat().st_mtime_ns
    record = sandbox.record_info(session, job, files, "http://app.test/files")
    assert record["state"] == "success" and rendered.name in record["resultJson"]
    assert rendered.stat().st_mtime_ns == written  # not rendered a second time


@pytest.mark.parametrize("fault", ["fail", "badresult", "unknownstate"])
def test_a_job_that_will_not_succeed_is_not_rendered_ahead(session: Session, tmp_path: Path, fault: str) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (body,) = catalog.validate_request("image", "nano-banana-pro", f"a red fox [sandbox:{fault}]", {}).provider_inputs
    job = sandbox.create_job(session, "nano-banana-pro", body, None, INSTANT)
    session.commit()
    sandbox.render_ahead(session, job, files)
    assert list(files.iterdir()) == []
