"""A real S3-compatible HTTP server for the R2 tests: moto's server on 127.0.0.1.

Requests go over TCP to moto's S3 API exactly as they would to R2; nothing is patched in-process.
Import the fixtures into a test module (`from tests.support.s3 import ...`) to use them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from smartspec_app.services.storage_r2 import R2Storage, make_s3_client
from smartspec_app.settings import reload_settings

ACCESS_KEY_ID = "test-access-key"
SECRET_ACCESS_KEY = "test-secret-key-never-printed"


@dataclass(frozen=True)
class Bucket:
    endpoint: str
    name: str
    admin: Any  # a plain boto3 client for checks behind the storage's back


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free 127.0.0.1 port (port 0: the OS picks one) for the session."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_admin(s3_endpoint: str) -> Any:
    """A plain boto3 client (us-east-1) for set-up and for checks behind the storage's back."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture(scope="session")
def r2_client(s3_endpoint: str) -> Any:
    """A client made the way the app makes it (region auto, SigV4); shared like the app shares it."""
    return make_s3_client(s3_endpoint, ACCESS_KEY_ID, SECRET_ACCESS_KEY)


@pytest.fixture
def bucket(s3_endpoint: str, s3_admin: Any) -> Bucket:
    """A fresh, empty bucket."""
    name = f"media-{uuid.uuid4().hex[:12]}"
    s3_admin.create_bucket(Bucket=name)
    return Bucket(s3_endpoint, name, s3_admin)


@pytest.fixture
def r2(bucket: Bucket, r2_client: Any) -> R2Storage:
    """An R2Storage on the test bucket."""
    return R2Storage(r2_client, bucket.name, endpoint_url=bucket.endpoint, presign_seconds=600)


@pytest.fixture
def r2_env(data_dir: Path, bucket: Bucket, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bucket]:
    """Settings that send media to the test bucket (R2_ENDPOINT_URL points at moto)."""
    monkeypatch.setenv("R2_ENDPOINT_URL", bucket.endpoint)
    monkeypatch.setenv("R2_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("R2_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("R2_BUCKET_NAME", bucket.name)
    monkeypatch.delenv("R2_ACCOUNT_ID", raising=False)
    monkeypatch.delenv("R2_PUBLIC_URL", raising=False)
    reload_settings()
    yield bucket
    monkeypatch.undo()
    reload_settings()
