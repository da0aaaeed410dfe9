"""R2Storage against a real S3 HTTP API (moto's server on 127.0.0.1), and choosing the storage."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from smartspec_app.services.errors import ValidationError
from smartspec_app.services.storage import (
    CACHE_CONTROL,
    LocalStorage,
    gallery_key,
    gallery_thumbnail_key,
    get_storage,
    local_copy,
    refresh_url,
)
from smartspec_app.services.storage_r2 import R2Storage, make_s3_client, transfer_config
from smartspec_app.settings import ConfigurationError, reload_settings

if TYPE_CHECKING:
    from tests.support.s3 import Bucket

pytest_plugins = ["tests.support.s3"]  # the moto S3 server and bucket fixtures

MB = 1024 * 1024
KEY = "generations/images/1/task.png"


def _chunks(count: int, size: int = MB) -> Iterator[bytes]:
    for i in range(count):
        yield bytes([i % 251]) * size


def _digest(chunks: Iterator[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- uploads


def test_save_bytes_sets_content_type_and_cache_control(r2: R2Storage, bucket: Bucket) -> None:
    assert r2.save_bytes(KEY, b"\x89PNG fake", "image/png") == 9
    head = bucket.admin.head_object(Bucket=bucket.name, Key=KEY)
    assert head["ContentType"] == "image/png"
    assert head["CacheControl"] == CACHE_CONTROL
    assert head["ContentLength"] == 9
    assert r2.read_bytes(KEY) == b"\x89PNG fake"


@pytest.mark.parametrize(
    ("key", "declared", "stored"),
    [
        ("generations/videos/1/t.mp4", None, "video/mp4"),
        ("generations/audio/1/t.mp3", "application/octet-stream", "audio/mpeg"),
        ("thumbnails/t_thumb.jpg", "", "image/jpeg"),
        ("generations/images/1/t.webp", "image/webp; charset=binary", "image/webp"),
    ],
)
def test_a_missing_or_generic_content_type_follows_the_key(r2: R2Storage, bucket: Bucket, key: str, declared, stored: str) -> None:
    r2.save_stream(key, [b"abc", b"def"], declared)
    head = bucket.admin.head_object(Bucket=bucket.name, Key=key)
    assert head["ContentType"] == stored
    assert head["CacheControl"] == CACHE_CONTROL


def test_a_big_stream_goes_up_in_parts_without_being_held_whole(r2: R2Storage, bucket: Bucket) -> None:
    """64 MB from a generator: by the time 56 MB have been read, parts are already on the
    server, so the stream is never materialised (at most a few 8 MB parts are in memory)."""
    key = "generations/videos/1/big.mp4"
    seen_parts: list[int] = []

    def watched() -> Iterator[bytes]:
        for number, chunk in enumerate(_chunks(64), start=1):
            if number == 57:
                uploads = bucket.admin.list_multipart_uploads(Bucket=bucket.name).get("Uploads", [])
                upload = next((u for u in uploads if u["Key"] == key), None)
                parts = bucket.admin.list_parts(Bucket=bucket.name, Key=key, UploadId=upload["UploadId"]) if upload else {}
                seen_parts.append(len(parts.get("Parts", [])))
            yield chunk

    assert r2.save_stream(key, watched(), "video/mp4") == 64 * MB
    assert seen_parts and seen_parts[0] >= 2, f"only {seen_parts} part(s) uploaded after 56 MB were read"
    head = bucket.admin.head_object(Bucket=bucket.name, Key=key)
    assert head["ContentLength"] == 64 * MB
    assert head["ETag"].strip('"').endswith("-8")  # a multipart upload of eight 8 MB parts
    assert head["ContentType"] == "video/mp4" and head["CacheControl"] == CACHE_CONTROL
    assert _digest(r2.iter_bytes(key)) == _digest(_chunks(64))


def test_a_stream_just_over_10_mb_round_trips(r2: R2Storage) -> None:
    key = "generations/videos/2/t.mp4"
    chunks = (bytes([i % 251]) * 1000 for i in range(10_500))  # 10.5 MB in small pieces
    assert r2.save_stream(key, chunks) == 10_500_000
    assert r2.size(key) == 10_500_000
    assert _digest(r2.iter_bytes(key, chunk_size=300_000)) == _digest(bytes([i % 251]) * 1000 for i in range(10_500))


def test_a_stream_failing_midway_leaves_no_object_and_no_open_upload(r2: R2Storage, bucket: Bucket) -> None:
    key = "generations/videos/1/broken.mp4"

    def failing() -> Iterator[bytes]:
        yield from _chunks(20)
        raise ConnectionError("provider connection dropped")

    with pytest.raises(ConnectionError, match="provider connection dropped"):
        r2.save_stream(key, failing(), "video/mp4")
    assert not r2.exists(key)
    assert bucket.admin.list_multipart_uploads(Bucket=bucket.name).get("Uploads", []) == []


def test_a_small_stream_failing_leaves_no_object(r2: R2Storage) -> None:
    def failing() -> Iterator[bytes]:
        yield b"partial"
        raise OSError("gone")

    with pytest.raises(OSError, match="gone"):
        r2.save_stream(KEY, failing())
    assert not r2.exists(KEY)


# ---------------------------------------------------------------- URLs over HTTP


def test_presigned_url_is_fetched_over_http(r2: R2Storage, bucket: Bucket) -> None:
    data = bytes(range(256)) * 40
    r2.save_bytes(KEY, data, "image/png")
    url = r2.url(KEY)
    assert url.startswith(f"{bucket.endpoint}/{bucket.name}/{KEY}?")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=600" in url
    assert "%2Fauto%2Fs3%2Faws4_request" in url  # SigV4, region "auto"
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == CACHE_CONTROL


def test_public_url_goes_through_the_custom_domain(r2: R2Storage) -> None:
    public = R2Storage(r2.client, r2.bucket, endpoint_url=r2.endpoint_url, public_url="https://media.example.com/")
    assert public.url(KEY) == f"https://media.example.com/{KEY}"
    assert public.url("thumbnails/abc_thumb.jpg") == "https://media.example.com/thumbnails/abc_thumb.jpg"


def test_public_url_is_fetched_over_http(r2: R2Storage, bucket: Bucket) -> None:
    """The public URL is plain `{R2_PUBLIC_URL}/{key}`; here the "custom domain" is the bucket's own
    address, made world-readable as an R2 bucket with a public domain is."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket.name}/*"}],
    }
    bucket.admin.put_bucket_policy(Bucket=bucket.name, Policy=json.dumps(policy))
    public = R2Storage(r2.client, r2.bucket, endpoint_url=r2.endpoint_url, public_url=f"{bucket.endpoint}/{bucket.name}")
    public.save_bytes("generations/audio/3/t.mp3", b"ID3 sound", "audio/mpeg")
    url = public.url("generations/audio/3/t.mp3")
    assert url == f"{bucket.endpoint}/{bucket.name}/generations/audio/3/t.mp3"
    response = httpx.get(url)
    assert response.status_code == 200 and response.content == b"ID3 sound"
    assert response.headers["content-type"] == "audio/mpeg"


def test_urls_lead_back_to_their_keys(r2: R2Storage, tmp_path: Path) -> None:
    public = R2Storage(r2.client, r2.bucket, endpoint_url=r2.endpoint_url, public_url="https://media.example.com")
    assert r2.key_from_url(r2.url(KEY)) == KEY
    assert public.key_from_url(public.url(KEY)) == KEY
    assert r2.key_from_url("https://elsewhere.example.com/x.png") is None
    assert r2.key_from_url(f"{r2.endpoint_url}/{r2.bucket}/../secret") is None
    local = LocalStorage(tmp_path)
    assert local.key_from_url(f"/media/{KEY}") == KEY and local.key_from_url("/other/x") is None
    # pages re-sign what they show: an old presigned URL becomes a fresh one for the same key
    old = r2.url(KEY)
    fresh = refresh_url(r2, old)
    assert fresh.split("?")[0] == old.split("?")[0] and "X-Amz-Signature=" in fresh
    assert refresh_url(r2, "https://provider.example.com/result.png") == "https://provider.example.com/result.png"
    assert refresh_url(r2, None) is None
    # a presigned URL stored before R2_PUBLIC_URL was set is shown as the public one
    assert refresh_url(public, old) == public.url(KEY)
    # local URLs never expire: handed back as they are, without re-parsing
    assert local.stable_urls and not r2.stable_urls and not public.stable_urls
    assert refresh_url(local, f"/media/{KEY}") == f"/media/{KEY}"


def test_private_media_is_presigned_even_with_a_public_domain(r2: R2Storage, bucket: Bucket) -> None:
    """With R2_PUBLIC_URL, public gallery media goes through the domain; generations and unlisted or
    private items still get presigned, expiring URLs (never a permanent public address)."""
    public = R2Storage(r2.client, r2.bucket, endpoint_url=r2.endpoint_url, public_url="https://media.example.com", presign_seconds=600)
    public.save_bytes(KEY, b"private bytes", "image/png")
    stored = public.url(KEY)
    assert stored == f"https://media.example.com/{KEY}"
    for signed in (public.signed_url(KEY), refresh_url(public, stored, signed=True)):
        assert signed.startswith(f"{bucket.endpoint}/{bucket.name}/{KEY}?") and "X-Amz-Expires=600" in signed
        assert httpx.get(signed).content == b"private bytes"
    assert refresh_url(public, stored) == stored  # public media: the domain
    assert refresh_url(r2, r2.url(KEY), signed=True).startswith(f"{bucket.endpoint}/{bucket.name}/{KEY}?")


def test_a_presigned_url_is_reused_for_a_quarter_of_its_life(r2: R2Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages re-render on every progress update: one src per object, so browsers neither reload nor miss their cache."""
    import smartspec_app.services.storage_r2 as storage_r2

    clock = [1000.0]
    monkeypatch.setattr(storage_r2.time, "monotonic", lambda: clock[0])
    signed: list[str] = []
    presign = r2.client.generate_presigned_url
    monkeypatch.setattr(r2.client, "generate_presigned_url", lambda *a, **k: signed.append(k["Params"]["Key"]) or presign(*a, **k))
    storage = R2Storage(r2.client, r2.bucket, endpoint_url=r2.endpoint_url, presign_seconds=600)
    first = storage.signed_url(KEY)
    clock[0] += 149
    assert storage.signed_url(KEY) == first and storage.url(KEY) == first
    storage.signed_url("thumbnails/x_thumb.jpg")
    assert signed == [KEY, "thumbnails/x_thumb.jpg"]
    clock[0] += 2  # past 150 s: signed again (so a URL handed out is always valid for at least 450 s more)
    storage.signed_url(KEY)
    assert signed == [KEY, "thumbnails/x_thumb.jpg", KEY]


def test_gallery_items_on_r2_public_only_when_listed(r2: R2Storage, bucket: Bucket, session, monkeypatch: pytest.MonkeyPatch) -> None:
    from smartspec_app.services import gallery
    from tests.support.gallery_data import make_user, shared_item

    public = R2Storage(r2.client, r2.bucket, endpoint_url=r2.endpoint_url, public_url="https://media.example.com", presign_seconds=600)
    owner = make_user(session)
    listed = shared_item(session, public, owner, "On show")
    hidden = shared_item(session, public, owner, "Hidden", visibility="unlisted")
    assert gallery.shown_media_url(public, listed, listed.media_url) == f"https://media.example.com/gallery/{listed.id}/original.png"
    signed = gallery.shown_media_url(public, hidden, hidden.media_url)
    assert signed.startswith(f"{bucket.endpoint}/{bucket.name}/gallery/{hidden.id}/original.png?")
    assert httpx.get(signed).status_code == 200
    gallery.update_item(session, owner, listed.id, visibility="private")
    assert "X-Amz-Signature=" in gallery.shown_media_url(public, listed, listed.media_url)


# ---------------------------------------------------------------- reading, listing, copying, deleting


def test_delete_removes_the_object(r2: R2Storage, bucket: Bucket) -> None:
    r2.save_bytes(KEY, b"bytes")
    assert r2.exists(KEY) and r2.size(KEY) == 5
    r2.delete(KEY)
    assert not r2.exists(KEY) and r2.size(KEY) is None
    assert bucket.admin.list_objects_v2(Bucket=bucket.name).get("KeyCount") == 0
    with pytest.raises(FileNotFoundError):
        r2.read_bytes(KEY)
    with pytest.raises(FileNotFoundError):
        r2.iter_bytes(KEY)
    r2.delete(KEY)  # deleting again is fine
    assert httpx.get(r2.url(KEY)).status_code == 404


def test_list_objects_with_sizes_and_prefix(r2: R2Storage) -> None:
    keys = [gallery_key("item1", "png"), gallery_thumbnail_key("item1"), gallery_key("item2", "mp4"), "thumbnails/t_thumb.jpg"]
    for number, key in enumerate(keys, start=1):
        r2.save_bytes(key, b"x" * number)
    assert list(r2.list_objects("gallery/item1/")) == [("gallery/item1/original.png", 1), ("gallery/item1/thumbnail.jpg", 2)]
    assert dict(r2.list_objects()) == {key: number for number, key in enumerate(keys, start=1)}


def test_list_objects_reads_every_page(r2: R2Storage, bucket: Bucket) -> None:
    paged = R2Storage(r2.client, r2.bucket, endpoint_url=r2.endpoint_url, page_size=2)
    keys = [f"many/{i:02d}.txt" for i in range(7)]
    for key in keys:
        bucket.admin.put_object(Bucket=bucket.name, Key=key, Body=b"")
    assert [key for key, _size in paged.list_objects("many/")] == keys


def test_copy_inside_the_bucket_sets_the_target_type(r2: R2Storage, bucket: Bucket) -> None:
    r2.save_bytes("thumbnails/t_thumb.jpg", b"jpeg bytes", "image/jpeg")
    r2.save_bytes("generations/videos/1/t.mp4", b"mp4 bytes", "video/mp4")
    r2.copy("generations/videos/1/t.mp4", gallery_key("g1", "mp4"))
    r2.copy("thumbnails/t_thumb.jpg", gallery_thumbnail_key("g1"))
    assert r2.read_bytes("gallery/g1/original.mp4") == b"mp4 bytes"
    head = bucket.admin.head_object(Bucket=bucket.name, Key="gallery/g1/thumbnail.jpg")
    assert head["ContentType"] == "image/jpeg" and head["CacheControl"] == CACHE_CONTROL


def test_local_copy_streams_an_object_to_a_temporary_file(r2: R2Storage) -> None:
    r2.save_bytes("generations/audio/1/t.mp3", b"ID3" + b"\0" * 5000)
    with local_copy(r2, "generations/audio/1/t.mp3") as path:
        assert path.suffix == ".mp3" and path.read_bytes() == b"ID3" + b"\0" * 5000
    assert not path.exists()
    with pytest.raises(FileNotFoundError), local_copy(r2, "generations/audio/1/missing.mp3"):
        pass


@pytest.mark.parametrize("key", ["../x", "/abs", "a/../../x", "a\\b", ""])
def test_bad_keys_never_reach_the_bucket(r2: R2Storage, key: str) -> None:
    for operation in (
        lambda: r2.save_bytes(key, b"x"),
        lambda: r2.save_stream(key, [b"x"]),
        lambda: r2.read_bytes(key),
        lambda: r2.exists(key),
        lambda: r2.delete(key),
        lambda: r2.url(key),
        lambda: r2.copy(KEY, key),
    ):
        with pytest.raises(ValidationError):
            operation()
    assert list(r2.list_objects()) == []


def test_a_smaller_part_size_is_honoured(r2: R2Storage, bucket: Bucket) -> None:
    small_parts = R2Storage(r2.client, r2.bucket, endpoint_url=r2.endpoint_url, transfer=transfer_config(part_size=5 * MB))
    small_parts.save_stream("generations/videos/1/p.mp4", _chunks(12))
    assert bucket.admin.head_object(Bucket=bucket.name, Key="generations/videos/1/p.mp4")["ETag"].strip('"').endswith("-3")


# ---------------------------------------------------------------- choosing the storage from settings


def test_without_r2_settings_media_stays_local(data_dir: Path) -> None:
    storage = get_storage()
    assert isinstance(storage, LocalStorage) and storage.root == data_dir / "media"


def test_complete_r2_settings_choose_r2(r2_env: Bucket) -> None:
    storage = get_storage()
    assert isinstance(storage, R2Storage)
    assert storage.bucket == r2_env.name and storage.endpoint_url == r2_env.endpoint
    assert get_storage() is storage  # one boto3 client per configuration, shared by the worker's threads
    assert storage.client.meta.region_name == "auto"
    assert storage.client.meta.config.signature_version == "s3v4"
    storage.save_bytes(KEY, b"through the settings")
    assert r2_env.admin.get_object(Bucket=r2_env.name, Key=KEY)["Body"].read() == b"through the settings"


def test_the_account_id_gives_the_r2_endpoint(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("R2_ACCOUNT_ID", "0123abcd")
    monkeypatch.setenv("R2_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("R2_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("R2_BUCKET_NAME", "smartspec-media")
    monkeypatch.setenv("R2_PUBLIC_URL", "https://media.example.com/")
    monkeypatch.setenv("R2_PRESIGN_SECONDS", "900")
    reload_settings()
    storage = get_storage()
    assert isinstance(storage, R2Storage)
    assert storage.endpoint_url == "https://0123abcd.r2.cloudflarestorage.com"
    assert storage.client.meta.endpoint_url == "https://0123abcd.r2.cloudflarestorage.com"
    assert storage.presign_seconds == 900
    assert storage.url(KEY) == f"https://media.example.com/{KEY}"  # no request is made for a public URL


def test_presign_seconds_reach_the_url(r2: R2Storage) -> None:
    short = R2Storage(r2.client, r2.bucket, endpoint_url=r2.endpoint_url, presign_seconds=120)
    assert "X-Amz-Expires=120" in short.url(KEY)


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ({"R2_BUCKET_NAME": "b"}, ["R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "R2_ACCOUNT_ID or R2_ENDPOINT_URL"]),
        ({"R2_ACCOUNT_ID": "acc", "R2_ACCESS_KEY_ID": "id", "R2_BUCKET_NAME": "b"}, ["R2_SECRET_ACCESS_KEY"]),
        ({"R2_ACCESS_KEY_ID": "id", "R2_SECRET_ACCESS_KEY": "s3cr3t-value", "R2_BUCKET_NAME": "b"}, ["R2_ACCOUNT_ID or R2_ENDPOINT_URL"]),
        ({"R2_PUBLIC_URL": "https://media.example.com"}, ["R2_ACCESS_KEY_ID", "R2_BUCKET_NAME"]),
    ],
)
def test_a_partial_r2_configuration_stops_start_up(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, present: dict[str, str], missing: list[str]
) -> None:
    for name, value in present.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        reload_settings()
    message = str(caught.value)
    assert "Incomplete Cloudflare R2 configuration" in message
    named = message.split("missing ", 1)[1].split(". Set them", 1)[0]
    assert named == ", ".join(missing) or all(name in named for name in missing)
    assert "s3cr3t-value" not in message  # secrets never end up in the error


def test_make_s3_client_signs_for_region_auto() -> None:
    client = make_s3_client("https://acc.r2.cloudflarestorage.com", "test-access-key", "test-secret-key")
    url = client.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k.png"}, ExpiresIn=60)
    assert url.startswith("https://acc.r2.cloudflarestorage.com/b/k.png?")
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "%2Fauto%2Fs3%2Faws4_request" in url
