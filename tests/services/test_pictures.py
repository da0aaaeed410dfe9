"""WebP renditions of gallery pictures: made at share time, in local storage and R2, and by the
resumable `make-renditions` command for items shared before."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import update
from sqlmodel import Session, select

from smartspec_app import cli
from smartspec_app.models import GalleryItem
from smartspec_app.services import pictures, rendition_backfill
from smartspec_app.services.storage import LocalStorage, Storage, get_storage
from smartspec_app.services.storage_r2 import R2Storage
from tests.support.gallery_data import make_user, shared_item

pytest_plugins = ["tests.support.s3"]


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 90, 40, 128) if mode == "RGBA" else (200, 90, 40)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("width", "expected"),
    [(1024, [320, 480, 640, 960, 1024]), (2048, [320, 480, 640, 960, 1280]), (500, [320, 480, 500]), (320, [320]), (64, [64])],
)
def test_rendition_widths_stop_at_the_picture_and_at_1280(width: int, expected: list[int]) -> None:
    assert pictures.rendition_widths(width) == expected


def test_render_keeps_the_aspect_ratio_and_transparency() -> None:
    width, height, renditions = pictures.render(png((1000, 500), "RGBA"))
    assert (width, height) == (1000, 500)
    assert [(r.width, r.height) for r in renditions] == [(320, 160), (480, 240), (640, 320), (960, 480), (1000, 500)]
    for rendition in renditions:
        with Image.open(io.BytesIO(rendition.data)) as decoded:
            assert decoded.format == "WEBP" and decoded.size == (rendition.width, rendition.height)
            assert decoded.mode == "RGBA"
    assert len(renditions[0].data) < len(renditions[-1].data)


@pytest.mark.parametrize("data", [b"", b"not a picture", b"\x89PNG\r\n\x1a\n broken"])
def test_render_refuses_what_is_not_a_picture(data: bytes) -> None:
    with pytest.raises(pictures.PictureError):
        pictures.render(data)


def test_shown_picture_has_a_srcset_and_falls_back_without_renditions() -> None:
    picture = pictures.shown("abc", 1024, 768, [320, 640, 1024], lambda key: f"/media/{key}", "/media/gallery/abc/original.png")
    assert picture.srcset == "/media/gallery/abc/w320.webp 320w, /media/gallery/abc/w640.webp 640w, /media/gallery/abc/w1024.webp 1024w"
    assert picture.src == "/media/gallery/abc/w640.webp" and (picture.width, picture.height) == (1024, 768)
    assert picture.renditions[0] == ("/media/gallery/abc/w320.webp", 320, 240)
    bare = pictures.shown("abc", None, None, [], lambda key: f"/media/{key}", "/media/gallery/abc/original.png")
    assert bare.src == "/media/gallery/abc/original.png" and not bare.srcset and not bare.has_size


def _widths_stored(storage: Storage, item_id: str) -> list[int]:
    return sorted(int(key.rsplit("/w", 1)[1].removesuffix(".webp")) for key, _size in storage.list_objects(f"gallery/{item_id}/w"))


def test_sharing_makes_the_renditions_of_every_media_type(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    image = shared_item(session, storage, owner, "Image", image_size=(800, 600))
    assert (image.picture_width, image.picture_height, image.picture_widths) == (800, 600, [320, 480, 640, 800])
    assert _widths_stored(storage, image.id) == [320, 480, 640, 800]
    for task_type in ("video", "speech"):  # their picture is the poster frame / waveform thumbnail (32×32 here)
        item = shared_item(session, storage, owner, task_type, task_type=task_type)
        assert (item.picture_width, item.picture_height, item.picture_widths) == (32, 32, [32])
        assert _widths_stored(storage, item.id) == [32]


def test_sharing_on_r2_makes_them_in_the_bucket(session: Session, r2: R2Storage, bucket: Any) -> None:
    owner = make_user(session)
    item = shared_item(session, r2, owner, "On R2", image_size=(700, 400))
    assert item.picture_widths == [320, 480, 640, 700]
    head = bucket.admin.head_object(Bucket=bucket.name, Key=f"gallery/{item.id}/w640.webp")
    assert head["ContentType"] == "image/webp" and head["CacheControl"] == "public, max-age=31536000, immutable"


def test_the_backfill_makes_what_is_missing_and_resumes(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    items = [shared_item(session, storage, owner, f"Old {n}", image_size=(900, 900)) for n in range(3)]
    for item in items:  # as if shared before renditions existed
        for key, _size in list(storage.list_objects(f"gallery/{item.id}/w")):
            storage.delete(key)
    session.exec(update(GalleryItem).values(picture_width=None, picture_height=None, picture_widths=[]))
    session.commit()

    seen: list[str] = []

    def stop_after_first(item: GalleryItem, outcome: str) -> None:
        seen.append(item.id)
        if len(seen) == 1:
            raise KeyboardInterrupt  # interrupted after the first item was saved

    with pytest.raises(KeyboardInterrupt):
        rendition_backfill.backfill(session, storage, on_item=stop_after_first)
    session.expire_all()
    assert sum(1 for item in session.exec(select(GalleryItem)).all() if item.picture_width) == 1

    report = rendition_backfill.backfill(session, storage)  # carries on with the two left
    assert report.made == 2 and report.renditions == 8 and not report.failed  # 320, 480, 640 and 900 each
    session.expire_all()
    for item in session.exec(select(GalleryItem)).all():
        assert item.picture_widths == [320, 480, 640, 900] and _widths_stored(storage, item.id) == [320, 480, 640, 900]
    assert rendition_backfill.backfill(session, storage).made == 0  # nothing left
    assert rendition_backfill.backfill(session, storage, everything=True).made == 3


def test_the_backfill_reports_items_without_a_picture(session: Session, storage: LocalStorage) -> None:
    owner = make_user(session)
    item = shared_item(session, storage, owner, "No thumbnail", task_type="speech")
    storage.delete(f"gallery/{item.id}/thumbnail.jpg")
    item.picture_width, item.thumbnail_url = None, None
    session.add(item)
    session.commit()
    report = rendition_backfill.backfill(session, storage)
    assert report.made == 0 and item.id in report.failed


def test_the_make_renditions_command(app_env: Path, session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    media = get_storage()
    owner = make_user(session)
    item = shared_item(session, media, owner, "Command", image_size=(400, 300))
    session.exec(update(GalleryItem).values(picture_width=None))
    session.commit()
    assert cli.main(["make-renditions"]) == 0
    assert "made 2 WebP renditions for 1 gallery item" in capsys.readouterr().out  # 320 and 400 wide
    session.expire_all()
    assert session.get(GalleryItem, item.id).picture_width == 400
