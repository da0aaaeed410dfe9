"""`migrate-storage`: local media to R2 (moto's S3 server over HTTP), resumable, with URL rewriting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlmodel import Session

from smartspec_app import cli
from smartspec_app.models import GalleryItem, GenerationTask, TaskStatus
from smartspec_app.services import auth
from smartspec_app.services.db import session_scope
from smartspec_app.services.storage_r2 import R2Storage
from smartspec_app.settings import reload_settings

if TYPE_CHECKING:
    from tests.support.s3 import Bucket

pytest_plugins = ["tests.support.s3"]  # the moto S3 server and bucket fixtures

MB = 1024 * 1024
FILES = {
    "generations/images/1/t1.png": b"\x89PNG" + b"i" * 5000,
    "generations/videos/1/t2.mp4": b"v" * (9 * MB),  # big enough for a multipart upload
    "generations/audio/1/t3.mp3": b"ID3" + b"a" * 3000,
    "thumbnails/t1_thumb.jpg": b"\xff\xd8" + b"j" * 800,
    "thumbnails/t2_thumb.jpg": b"\xff\xd8" + b"k" * 900,
    "gallery/g1/original.png": b"\x89PNG" + b"g" * 4000,
    "gallery/g1/thumbnail.jpg": b"\xff\xd8" + b"h" * 700,
}
TYPES = {"png": "image/png", "mp4": "video/mp4", "mp3": "audio/mpeg", "jpg": "image/jpeg"}


@pytest.fixture
def media_dir(app_env: Path, r2_env: Bucket) -> Path:
    """Local media as a dev machine has it, and settings pointing at the test bucket."""
    reload_settings()  # both DATABASE_URL and the R2_* variables are set now
    root = app_env / "media"
    for key, data in FILES.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    (root / "generations/images/1/.part-leftover").write_bytes(b"half a download")  # never copied
    return root


def bucket_contents(b: Bucket) -> dict[str, int]:
    pages = b.admin.get_paginator("list_objects_v2").paginate(Bucket=b.name)
    return {item["Key"]: item["Size"] for page in pages for item in page.get("Contents", [])}


def test_migration_copies_every_object_with_its_type(media_dir: Path, r2_env: Bucket, capsys) -> None:
    assert cli.main(["migrate-storage"]) == 0
    assert bucket_contents(r2_env) == {key: len(data) for key, data in FILES.items()}
    for key, data in FILES.items():
        got = r2_env.admin.get_object(Bucket=r2_env.name, Key=key)
        assert got["Body"].read() == data
        assert got["ContentType"] == TYPES[key.rsplit(".", 1)[1]]
        assert got["CacheControl"].startswith("public, max-age=")
    out = capsys.readouterr().out
    assert f"[2/{len(FILES)}] copied" in out  # progress, one line per object
    assert f"copied {len(FILES)} objects" in out and "skipped 0" in out


def test_an_interrupted_migration_resumes_where_it_stopped(media_dir: Path, r2_env: Bucket, monkeypatch, capsys) -> None:
    real_save = R2Storage.save_stream
    uploads: list[str] = []

    def save_then_crash(self, key, chunks, content_type=None):
        if len(uploads) == 3:
            raise KeyboardInterrupt  # Ctrl-C (or a lost connection) in the middle of the run
        uploads.append(key)
        return real_save(self, key, chunks, content_type)

    monkeypatch.setattr(R2Storage, "save_stream", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        cli.main(["migrate-storage"])
    assert sorted(bucket_contents(r2_env)) == sorted(uploads)
    # a stale object of another size under a key still to come is replaced, not skipped
    remaining = sorted(set(FILES) - set(uploads))
    r2_env.admin.put_object(Bucket=r2_env.name, Key=remaining[0], Body=b"stale")
    capsys.readouterr()

    monkeypatch.setattr(R2Storage, "save_stream", real_save)
    assert cli.main(["migrate-storage"]) == 0
    out = capsys.readouterr().out
    assert f"copied {len(FILES) - 3} objects" in out and "skipped 3 already in place" in out
    assert not any(key in out for key in uploads)  # what was there is not uploaded again
    assert bucket_contents(r2_env) == {key: len(data) for key, data in FILES.items()}
    assert r2_env.admin.get_object(Bucket=r2_env.name, Key=remaining[0])["Body"].read() == FILES[remaining[0]]

    assert cli.main(["migrate-storage"]) == 0  # a third run has nothing left to do
    assert f"copied 0 objects (0.0 MB), skipped {len(FILES)}" in capsys.readouterr().out


def test_a_failing_object_is_reported_and_the_rest_are_copied(media_dir: Path, r2_env: Bucket, monkeypatch, capsys) -> None:
    real_save = R2Storage.save_stream

    def refuse_audio(self, key, chunks, content_type=None):
        if key.endswith(".mp3"):
            raise ConnectionError("bucket unreachable")
        return real_save(self, key, chunks, content_type)

    monkeypatch.setattr(R2Storage, "save_stream", refuse_audio)
    assert cli.main(["migrate-storage"]) == 1
    captured = capsys.readouterr()
    assert "FAILED generations/audio/1/t3.mp3" in captured.out
    assert "generations/audio/1/t3.mp3: ConnectionError: bucket unreachable" in captured.err
    assert "Run the command again" in captured.err
    assert set(bucket_contents(r2_env)) == set(FILES) - {"generations/audio/1/t3.mp3"}


def _rows(engine) -> tuple[str, str]:
    with session_scope(engine) as s:
        user = auth.create_user(s, "owner@example.com", "a long password")
        task = GenerationTask(
            user_id=user.id,
            task_type="image",
            model_id="nano-banana-pro",
            prompt="fox",
            status=TaskStatus.COMPLETED,
            output_url="/media/generations/images/1/t1.png",
            output_urls=["/media/generations/images/1/t1.png", "/media/generations/images/1/missing_2.png"],
            output_keys=["generations/images/1/t1.png", "generations/images/1/missing_2.png"],
            thumbnail_url="/media/thumbnails/t1_thumb.jpg",
        )
        other = GenerationTask(
            user_id=user.id,
            task_type="image",
            model_id="nano-banana-pro",
            prompt="elsewhere",
            status=TaskStatus.COMPLETED,
            output_url="https://cdn.example.com/x.png",
        )
        s.add(task)
        s.add(other)
        s.flush()
        s.add(
            GalleryItem(
                id="g1",
                task_id=task.id,
                user_id=user.id,
                title="Fox",
                slug="fox-g1",
                media_type="image",
                media_url="/media/gallery/g1/original.png",
                thumbnail_url="/media/gallery/g1/thumbnail.jpg",
            )
        )
        return task.id, other.id


def test_rewrite_urls_points_rows_at_r2(media_dir: Path, r2_env: Bucket, engine, monkeypatch, capsys) -> None:
    public = f"{r2_env.endpoint}/{r2_env.name}"  # stands in for the bucket's custom domain
    monkeypatch.setenv("R2_PUBLIC_URL", public)
    reload_settings()
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
    r2_env.admin.put_bucket_policy(Bucket=r2_env.name, Policy=json.dumps(policy))
    task_id, other_id = _rows(engine)

    assert cli.main(["migrate-storage", "--rewrite-urls"]) == 0
    out = capsys.readouterr().out
    assert "rewrote URLs of 1 generation task and 1 gallery item" in out
    assert "left 1 URL whose object is not in the target" in out
    with Session(engine) as s:
        task, other, item = s.get(GenerationTask, task_id), s.get(GenerationTask, other_id), s.get(GalleryItem, "g1")
        assert task.output_url == f"{public}/generations/images/1/t1.png"
        assert task.output_urls == [f"{public}/generations/images/1/t1.png", "/media/generations/images/1/missing_2.png"]
        assert task.thumbnail_url == f"{public}/thumbnails/t1_thumb.jpg"
        assert other.output_url == "https://cdn.example.com/x.png"
        assert item.media_url == f"{public}/gallery/g1/original.png"
        assert item.thumbnail_url == f"{public}/gallery/g1/thumbnail.jpg"
    for url in (task.output_url, task.thumbnail_url, item.media_url, item.thumbnail_url):
        response = httpx.get(url)
        assert response.status_code == 200
        assert response.content == FILES[url.removeprefix(f"{public}/")]

    assert cli.main(["migrate-storage", "--rewrite-urls"]) == 0  # running it again changes nothing
    assert "rewrote URLs of 0 generation tasks and 0 gallery items" in capsys.readouterr().out


def test_rewrite_urls_refuses_presigned_urls(media_dir: Path, r2_env: Bucket, capsys) -> None:
    assert cli.main(["migrate-storage", "--rewrite-urls"]) == 1
    assert "--rewrite-urls needs R2_PUBLIC_URL" in capsys.readouterr().err
    assert bucket_contents(r2_env) == {}


def test_without_r2_settings_the_command_says_what_is_missing(app_env: Path, capsys) -> None:
    assert cli.main(["migrate-storage"]) == 1
    err = capsys.readouterr().err
    assert "R2 storage is not configured" in err and "R2_BUCKET_NAME" in err
