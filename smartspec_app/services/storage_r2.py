"""R2Storage: media in Cloudflare R2 (or any S3-compatible store) through boto3.

R2 speaks the S3 API at https://{account_id}.r2.cloudflarestorage.com with region "auto" and
SigV4. Uploads stream: a chunk iterator becomes a file-like object that boto3's managed transfer
reads part by part (multipart above 8 MB), so a video is never whole in memory. Browsers get
`{R2_PUBLIC_URL}/{key}` for public media when the bucket has a public custom domain, else (and
always for private media) a presigned GET URL. A presigned URL is reused for a quarter of its
lifetime, so a page that re-renders (progress updates) keeps the same src and the browser's copy.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from smartspec_app.services.storage import CACHE_CONTROL, CHUNK, _check_key, _key_after, upload_content_type

if TYPE_CHECKING:
    from smartspec_app.settings import Settings

MB = 1024 * 1024
PART_SIZE = 8 * MB
PRESIGNED_CACHE_SIZE = 10_000
_MISSING = ("404", "NoSuchKey", "NotFound")


def r2_endpoint(account_id: str, endpoint_url: str = "") -> str:
    """R2's S3 endpoint for the account, unless an explicit endpoint overrides it."""
    return (endpoint_url or f"https://{account_id}.r2.cloudflarestorage.com").rstrip("/")


def make_s3_client(endpoint_url: str, access_key_id: str, secret_access_key: str) -> Any:
    """A boto3 S3 client for R2: region "auto", SigV4, path-style addressing.

    Clients are thread-safe; each gets its own boto3 Session (the default one is not)."""
    config = Config(
        region_name="auto",
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=32,
        # R2 does not accept every checksum newer SDKs send by default
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=config,
    )


def transfer_config(part_size: int = PART_SIZE, parts_in_memory: int = 4) -> TransferConfig:
    """Multipart above one part; at most `parts_in_memory` parts buffered per upload."""
    config = TransferConfig(
        multipart_threshold=part_size,
        multipart_chunksize=part_size,
        max_concurrency=4,
        preferred_transfer_client="classic",
    )
    config.max_in_memory_upload_chunks = parts_in_memory  # bounds memory for non-seekable streams
    return config


class ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks; counts what was read."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        take = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        out = bytes(self._buffer[:take])
        del self._buffer[:take]
        self.bytes_read += len(out)
        return out

    def readinto(self, target: Any) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)


class R2Storage:
    """Objects in one bucket of an S3-compatible store."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        endpoint_url: str,
        public_url: str = "",
        presign_seconds: int = 3600,
        transfer: TransferConfig | None = None,
        page_size: int = 1000,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.endpoint_url = endpoint_url.rstrip("/")
        self.public_url = public_url.rstrip("/")
        self.presign_seconds = presign_seconds
        self.transfer = transfer or transfer_config()
        self.page_size = page_size
        self._presigned: dict[str, tuple[str, float]] = {}
        self._presigned_lock = threading.Lock()

    def save_stream(self, key: str, chunks: Iterable[bytes], content_type: str | None = None) -> int:
        key = _check_key(key)
        reader = ChunkReader(chunks)
        extra = {"ContentType": upload_content_type(key, content_type), "CacheControl": CACHE_CONTROL}
        # a failure aborts the multipart upload, so nothing is left under the key
        self.client.upload_fileobj(reader, self.bucket, key, ExtraArgs=extra, Config=self.transfer)
        return reader.bytes_read

    def save_bytes(self, key: str, data: bytes, content_type: str | None = None) -> int:
        key = _check_key(key)
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=upload_content_type(key, content_type),
            CacheControl=CACHE_CONTROL,
        )
        return len(data)

    def _get(self, key: str) -> dict[str, Any]:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=_check_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                raise FileNotFoundError(key) from exc
            raise

    def read_bytes(self, key: str) -> bytes:
        body = self._get(key)["Body"]
        with body:
            return body.read()

    def iter_bytes(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        body = self._get(key)["Body"]

        def chunks() -> Iterator[bytes]:
            with body:
                yield from body.iter_chunks(chunk_size)

        return chunks()

    def size(self, key: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=_check_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise
        return int(head["ContentLength"])

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def list_objects(self, prefix: str = "") -> Iterator[tuple[str, int]]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=prefix, PaginationConfig={"PageSize": self.page_size})
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"], int(item["Size"])

    def copy(self, source_key: str, target_key: str) -> None:
        target_key = _check_key(target_key)
        self.client.copy_object(
            Bucket=self.bucket,
            Key=target_key,
            CopySource={"Bucket": self.bucket, "Key": _check_key(source_key)},
            MetadataDirective="REPLACE",
            ContentType=upload_content_type(target_key, None),
            CacheControl=CACHE_CONTROL,
        )

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_check_key(key))

    def url(self, key: str) -> str:
        key = _check_key(key)
        if self.public_url:
            return f"{self.public_url}/{quote(key, safe='/')}"
        return self.signed_url(key)

    def signed_url(self, key: str) -> str:
        """A presigned GET URL (never the public domain), valid for at least 3/4 of R2_PRESIGN_SECONDS."""
        key = _check_key(key)
        now = time.monotonic()
        with self._presigned_lock:
            cached = self._presigned.get(key)
            if cached and cached[1] > now:
                return cached[0]
        url = self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.presign_seconds)
        with self._presigned_lock:
            if len(self._presigned) >= PRESIGNED_CACHE_SIZE:
                self._presigned.clear()
            self._presigned[key] = (url, now + self.presign_seconds / 4)
        return url

    @property
    def stable_urls(self) -> bool:
        """Presigned URLs expire, and URLs stored before R2_PUBLIC_URL was set are re-made public."""
        return False

    def key_from_url(self, url: str) -> str | None:
        """Keys behind public URLs and behind (path-style) presigned URLs of this bucket."""
        return _key_after(url, self.public_url) or _key_after(url, f"{self.endpoint_url}/{self.bucket}")


def _is_missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING


def r2_storage_from_settings(settings: Settings) -> R2Storage:
    """The R2Storage the settings describe; one client per distinct configuration."""
    return _cached_storage(
        r2_endpoint(settings.r2_account_id, settings.r2_endpoint_url),
        settings.r2_access_key_id,
        settings.r2_secret_access_key,
        settings.r2_bucket_name,
        settings.r2_public_url,
        settings.r2_presign_seconds,
    )


@lru_cache(maxsize=8)
def _cached_storage(endpoint: str, key_id: str, secret: str, bucket: str, public_url: str, presign_seconds: int) -> R2Storage:
    client = make_s3_client(endpoint, key_id, secret)
    return R2Storage(client, bucket, endpoint_url=endpoint, public_url=public_url, presign_seconds=presign_seconds)
