"""Tests of the storage layout and LocalStorage (services/storage.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smartspec_app.services.errors import ValidationError
from smartspec_app.services.storage import (
    LocalStorage,
    content_type_for,
    generation_key,
    thumbnail_key,
)

BAD_KEYS = [
    "../x",
    "a/../../x",
    "images/../../../etc/passwd",
    "..",
    "/abs",
    "/etc/passwd",
    "a\\b",
    "..\\x",
    "",
]


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".part-")] if root.exists() else []


# ---------------------------------------------------------------- key layout


@pytest.mark.parametrize(
    ("task_type", "folder"),
    [("image", "images"), ("video", "videos"), ("speech", "audio")],
)
def test_generation_key_layout(task_type: str, folder: str) -> None:
    assert generation_key(task_type, 7, "abc123", "png") == f"generations/{folder}/7/abc123.png"


def test_generation_key_strips_a_leading_dot_of_the_extension() -> None:
    assert generation_key("video", 3, "t1", ".mp4") == "generations/videos/3/t1.mp4"


def test_generation_key_index_suffix() -> None:
    keys = [generation_key("image", 5, "task", "jpg", index=i) for i in range(3)]
    assert keys[0] == "generations/images/5/task.jpg"
    assert keys[1] != keys[0] and keys[2] not in keys[:2]
    for i, key in enumerate(keys[1:], start=1):
        assert key.startswith("generations/images/5/task_")
        assert key.endswith(".jpg")
        assert key == f"generations/images/5/task_{i + 1}.jpg"


def test_generation_key_unknown_task_type_is_refused() -> None:
    with pytest.raises(KeyError):
        generation_key("hologram", 1, "t", "png")


def test_thumbnail_key() -> None:
    assert thumbnail_key("abc") == "thumbnails/abc_thumb.jpg"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("generations/images/1/t.png", "image/png"),
        ("generations/images/1/t.jpg", "image/jpeg"),
        ("thumbnails/t_thumb.jpg", "image/jpeg"),
        ("generations/videos/1/t.mp4", "video/mp4"),
        ("generations/audio/1/t.mp3", "audio/mpeg"),
        ("generations/audio/1/t.wav", ("audio/wav", "audio/x-wav")),
        ("something/without_extension", "application/octet-stream"),
        ("weird/file.zzzunknown", "application/octet-stream"),
    ],
)
def test_content_type_for(key: str, expected: str | tuple[str, ...]) -> None:
    got = content_type_for(key)
    if isinstance(expected, tuple):
        assert got in expected
    else:
        assert got == expected


# ---------------------------------------------------------------- LocalStorage


def test_save_bytes_then_read_exists_delete(storage: LocalStorage) -> None:
    key = generation_key("image", 1, "task", "png")
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10
    assert not storage.exists(key)
    assert storage.save_bytes(key, data, "image/png") == len(data)
    assert storage.exists(key)
    assert storage.read_bytes(key) == data
    assert (storage.root / key).read_bytes() == data
    storage.delete(key)
    assert not storage.exists(key)
    assert not (storage.root / key).exists()


def test_delete_of_a_missing_key_is_fine(storage: LocalStorage) -> None:
    storage.delete("thumbnails/never_thumb.jpg")
    assert not storage.exists("thumbnails/never_thumb.jpg")


def test_save_overwrites(storage: LocalStorage) -> None:
    storage.save_bytes("a/b.txt", b"first")
    storage.save_bytes("a/b.txt", b"second, longer")
    assert storage.read_bytes("a/b.txt") == b"second, longer"
    assert _leftovers(storage.root) == []


def test_save_stream_concatenates_chunks_and_returns_size(storage: LocalStorage) -> None:
    chunks = [b"abc", b"", b"defg", b"h" * 100_000]
    size = storage.save_stream("x/y/z.bin", iter(chunks))
    assert size == sum(len(c) for c in chunks)
    assert storage.read_bytes("x/y/z.bin") == b"".join(chunks)
    assert _leftovers(storage.root) == []


def test_save_stream_failing_midway_leaves_nothing(storage: LocalStorage) -> None:
    key = generation_key("video", 2, "broken", "mp4")

    def chunks() -> Iterator[bytes]:
        yield b"a" * 1000
        yield b"b" * 1000
        raise RuntimeError("connection dropped")

    with pytest.raises(RuntimeError, match="connection dropped"):
        storage.save_stream(key, chunks())
    assert not storage.exists(key)
    assert not (storage.root / key).exists()
    assert _leftovers(storage.root) == []


def test_save_stream_failing_midway_keeps_the_previous_file(storage: LocalStorage) -> None:
    key = "generations/images/1/keep.png"
    storage.save_bytes(key, b"old complete content")

    def chunks() -> Iterator[bytes]:
        yield b"new partial"
        raise OSError("disk trouble")

    with pytest.raises(OSError, match="disk trouble"):
        storage.save_stream(key, chunks())
    assert storage.read_bytes(key) == b"old complete content"
    assert _leftovers(storage.root) == []


def test_url(storage: LocalStorage, tmp_path: Path) -> None:
    assert storage.url("generations/images/1/t.png") == "/media/generations/images/1/t.png"
    other = LocalStorage(tmp_path / "other", base_url="https://cdn.example.com/m/")
    assert other.url("thumbnails/t_thumb.jpg") == "https://cdn.example.com/m/thumbnails/t_thumb.jpg"


def test_files_stay_under_the_root(storage: LocalStorage) -> None:
    storage.save_bytes("deep/er/file.txt", b"x")
    assert storage.path("deep/er/file.txt").resolve().is_relative_to(storage.root.resolve())


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_rejected_everywhere(storage: LocalStorage, key: str) -> None:
    operations = [
        lambda: storage.save_bytes(key, b"evil"),
        lambda: storage.save_stream(key, [b"evil"]),
        lambda: storage.read_bytes(key),
        lambda: storage.exists(key),
        lambda: storage.delete(key),
        lambda: storage.url(key),
        lambda: storage.path(key),
    ]
    for operation in operations:
        with pytest.raises(ValidationError):
            operation()
    outside = storage.root.parent
    assert not (outside / "x").exists()
    assert not (outside / "abs").exists()
    assert _leftovers(storage.root) == []


@pytest.mark.parametrize("key", [".", "./", "./."])
def test_a_key_naming_the_root_is_rejected(storage: LocalStorage, key: str) -> None:
    with pytest.raises(ValidationError):
        storage.path(key)
