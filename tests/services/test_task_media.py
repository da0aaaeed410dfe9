"""A generation task's media, on local storage and on R2 (moto's S3 server over HTTP): thumbnails
for every task type (generation._make_thumbnail), clean-up when a task fails after uploading
(generation._finish), and deleting a task with its objects (task_media.py)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from PIL import Image
from sqlmodel import Session

from smartspec_app.api import build_api
from smartspec_app.models import GalleryItem, GenerationTask, TaskStatus, User
from smartspec_app.services import auth, generation, task_media
from smartspec_app.services.db import session_scope
from smartspec_app.services.downloads import UrlPolicy
from smartspec_app.services.errors import Conflict, NotFound
from smartspec_app.services.providers.kie import KieProvider
from smartspec_app.services.sandbox_render import ffmpeg_path
from smartspec_app.services.storage import LocalStorage, Storage, gallery_key, gallery_thumbnail_key, thumbnail_key
from smartspec_app.services.storage_r2 import R2Storage
from smartspec_app.settings import reload_settings
from tests.support.sandbox import sandbox_api_key
from tests.support.servers import serve

if TYPE_CHECKING:
    from tests.support.s3 import Bucket

pytest_plugins = ["tests.support.s3"]  # the moto S3 server and bucket fixtures

VIDEO = ("video", "wan/2-6-text-to-video", {"duration": "5", "resolution": "720p"})
SPEECH = ("speech", "elevenlabs/text-to-speech-turbo-2-5", {"voice": "Aria"})
IMAGE = ("image", "nano-banana-pro", {"aspect_ratio": "16:9"})


@pytest.fixture
def sandbox_url(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for kind, seconds in (("IMAGE", "0.3"), ("SPEECH", "0.3"), ("VIDEO", "0.3")):
        monkeypatch.setenv(f"SANDBOX_SECONDS_{kind}", seconds)
    reload_settings()
    with serve(build_api()) as url:
        yield url


@pytest.fixture(params=["local", "r2"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """The same tests on LocalStorage and on R2Storage against moto's S3 server."""
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    return request.getfixturevalue("r2")


@pytest.fixture
def user(engine) -> User:
    with session_scope(engine) as s:
        return auth.create_user(s, "maker@example.com", "a long password")


def make_ctx(engine, storage: Storage, sandbox_url: str, max_bytes: int = 50_000_000) -> generation.WorkerContext:
    base = f"{sandbox_url}/sandbox/kie"
    return generation.WorkerContext(
        session_factory=lambda: session_scope(engine),
        storage=storage,
        provider_for=lambda _name: KieProvider(sandbox_api_key(), base, backoff_base=0.01),
        url_policy_for=lambda _name: UrlPolicy(trusted_prefix=base),
        max_download_bytes=max_bytes,
        worker_id="media-test",
    )


def start(engine, user: User, task: tuple[str, str, dict], prompt: str = "A red fox at dawn") -> str:
    task_type, model_id, params = task
    with session_scope(engine) as s:
        return generation.start_generation(s, user, task_type, model_id, prompt, params, "sandbox").id


def run_to_end(ctx: generation.WorkerContext, task_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delay = generation.advance_task(ctx, task_id)
        if delay is None:
            return
        time.sleep(min(delay, 0.2))
    raise AssertionError("task did not end")


def load(engine, task_id: str) -> GenerationTask | None:
    with Session(engine) as s:
        return s.get(GenerationTask, task_id)


def keys_in(storage: Storage) -> list[str]:
    return [key for key, _size in storage.list_objects()]


def fetch(storage: Storage, url: str) -> bytes:
    """What a browser gets from a stored URL: over HTTP for R2, from the served folder locally."""
    if isinstance(storage, LocalStorage):
        return storage.read_bytes(storage.key_from_url(url))
    response = httpx.get(url)
    assert response.status_code == 200, url
    return response.content


class BrokenStorage:
    """Delegates to a real storage but fails the first write of a key starting with `fail_on`."""

    def __init__(self, inner: Storage, fail_on: str, method: str = "save_bytes") -> None:
        self.inner, self.fail_on, self.method = inner, fail_on, method

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.inner, name)
        if name != self.method:
            return real

        def failing(key: str, *args: Any, **kwargs: Any) -> Any:
            if key.startswith(self.fail_on):
                raise ConnectionError(f"storage went away while writing {key}")
            return real(key, *args, **kwargs)

        return failing


# ---------------------------------------------------------------- thumbnails for every type


@pytest.mark.skipif(ffmpeg_path() is None, reason="ffmpeg is not installed")
@pytest.mark.parametrize(
    ("task", "size"), [(IMAGE, (512, 288)), (VIDEO, (512, 288)), (SPEECH, (512, 256))], ids=["image", "video", "speech"]
)
def test_every_task_type_gets_a_thumbnail(engine, store, sandbox_url, user, task, size) -> None:
    task_id = start(engine, user, task)
    run_to_end(make_ctx(engine, store, sandbox_url), task_id)
    row = load(engine, task_id)
    assert row.status == TaskStatus.COMPLETED, row.error_message
    assert store.key_from_url(row.thumbnail_url) == thumbnail_key(task_id)
    with Image.open(io.BytesIO(fetch(store, row.thumbnail_url))) as thumb:
        assert thumb.format == "JPEG" and thumb.size == size
    assert fetch(store, row.output_url) == store.read_bytes(row.output_keys[0])
    assert sorted(keys_in(store)) == sorted([*row.output_keys, thumbnail_key(task_id)])


def test_without_ffmpeg_speech_completes_without_a_thumbnail(engine, store, sandbox_url, user, monkeypatch) -> None:
    monkeypatch.setattr("smartspec_app.services.thumbnails.ffmpeg_path", lambda: None)
    task_id = start(engine, user, SPEECH)
    run_to_end(make_ctx(engine, store, sandbox_url), task_id)
    row = load(engine, task_id)
    assert row.status == TaskStatus.COMPLETED and row.thumbnail_url is None
    assert keys_in(store) == row.output_keys


# ---------------------------------------------------------------- no row pointing at a missing object


def test_a_failed_thumbnail_upload_removes_the_outputs_too(engine, store, sandbox_url, user) -> None:
    task_id = start(engine, user, IMAGE)
    broken = BrokenStorage(store, "thumbnails/")
    with pytest.raises(ConnectionError, match="storage went away"):
        run_to_end(make_ctx(engine, broken, sandbox_url), task_id)
    row = load(engine, task_id)
    assert row.status != TaskStatus.COMPLETED
    assert row.output_url is None and row.output_keys == [] and row.thumbnail_url is None
    assert keys_in(store) == []  # the result had been uploaded; it is gone again
    # the worker's retry (here: a healthy storage) completes the task from scratch
    with session_scope(engine) as s:
        s.get(GenerationTask, task_id).lease_expires_at = None
    run_to_end(make_ctx(engine, store, sandbox_url), task_id)
    row = load(engine, task_id)
    assert row.status == TaskStatus.COMPLETED and all(store.exists(k) for k in row.output_keys)


def test_a_failure_while_marking_completed_removes_every_object(engine, store, sandbox_url, user) -> None:
    task_id = start(engine, user, IMAGE)
    broken = BrokenStorage(store, "generations/", method="url")  # _complete asks for the URLs last
    with pytest.raises(ConnectionError):
        run_to_end(make_ctx(engine, broken, sandbox_url), task_id)
    row = load(engine, task_id)
    assert row.status != TaskStatus.COMPLETED and row.output_url is None
    assert keys_in(store) == []


def test_a_download_over_the_limit_leaves_nothing_in_storage(engine, store, sandbox_url, user, request) -> None:
    task_id = start(engine, user, IMAGE)
    run_to_end(make_ctx(engine, store, sandbox_url, max_bytes=2000), task_id)
    row = load(engine, task_id)
    assert row.status == TaskStatus.FAILED and "limit" in row.error_message
    assert row.output_url is None and keys_in(store) == []
    if isinstance(store, R2Storage):
        admin: Bucket = request.getfixturevalue("bucket")
        assert admin.admin.list_multipart_uploads(Bucket=admin.name).get("Uploads", []) == []


# ---------------------------------------------------------------- deleting a task


@pytest.fixture
def done_task(engine, store, sandbox_url, user) -> GenerationTask:
    task_id = start(engine, user, IMAGE)
    run_to_end(make_ctx(engine, store, sandbox_url), task_id)
    row = load(engine, task_id)
    assert row.status == TaskStatus.COMPLETED
    return row


def test_deleting_a_task_deletes_its_objects_then_its_row(engine, store, user, done_task) -> None:
    store.save_bytes("generations/images/99/someone_else.png", b"keep me")
    with session_scope(engine) as s:
        task_media.delete_task(s, store, user, done_task.id)
    assert load(engine, done_task.id) is None
    assert keys_in(store) == ["generations/images/99/someone_else.png"]


def test_only_the_owner_deletes_a_task(engine, store, user, done_task) -> None:
    with session_scope(engine) as s:
        stranger = auth.create_user(s, "stranger@example.com", "another long password")
    with pytest.raises(NotFound), session_scope(engine) as s:
        task_media.delete_task(s, store, stranger, done_task.id)
    assert load(engine, done_task.id) is not None
    assert all(store.exists(k) for k in [*done_task.output_keys, thumbnail_key(done_task.id)])


def test_a_running_task_cannot_be_deleted(engine, store, user) -> None:
    task_id = start(engine, user, IMAGE)
    with pytest.raises(Conflict), session_scope(engine) as s:
        task_media.delete_task(s, store, user, task_id)
    assert load(engine, task_id) is not None


def test_delete_task_media_also_finds_objects_named_only_by_url(store) -> None:
    task = GenerationTask(id="t1", user_id=1, task_type="image", model_id="m", prompt="p")
    store.save_bytes("generations/images/1/t1.png", b"png")
    store.save_bytes(thumbnail_key("t1"), b"jpg")
    task.output_url = store.url("generations/images/1/t1.png")  # a row from before output_keys existed
    task.output_urls = [task.output_url]
    assert set(task_media.delete_task_media(store, task)) == {"generations/images/1/t1.png", thumbnail_key("t1")}
    assert keys_in(store) == []


# ---------------------------------------------------------------- tasks shared to the gallery


def test_a_gallery_copy_outlives_its_deleted_task(engine, store, user, done_task) -> None:
    media_key, thumb_key = gallery_key("item42", "png"), gallery_thumbnail_key("item42")
    store.copy(done_task.output_keys[0], media_key)  # what sharing to the gallery does
    store.copy(thumbnail_key(done_task.id), thumb_key)
    with session_scope(engine) as s:
        s.add(
            GalleryItem(
                id="item42",
                task_id=done_task.id,
                user_id=user.id,
                title="Fox",
                slug="fox-item42",
                media_type="image",
                media_url=store.url(media_key),
                thumbnail_url=store.url(thumb_key),
            )
        )
    with session_scope(engine) as s:
        task_media.delete_task(s, store, user, done_task.id)
    assert sorted(keys_in(store)) == [media_key, thumb_key]
    with Session(engine) as s:
        item = s.get(GalleryItem, "item42")
        assert item.task_id is None
    with Image.open(io.BytesIO(fetch(store, item.thumbnail_url))) as thumb:
        assert thumb.size == (512, 288)
    assert fetch(store, item.media_url)[:8] == b"\x89PNG\r\n\x1a\n"
