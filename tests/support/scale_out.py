"""The production set without containers: a fresh PostgreSQL database, a Redis database of its own,
and `huey_consumer` processes next to a `LiveApp` (used by tests/e2e and bench/progress_fanout.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import redis

from tests.support.live_app import PROJECT_ROOT, VENV_BIN

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def postgres_database(prefix: str = "smartspec_scale") -> Iterator[str]:
    """A fresh database on the local server (its SQLAlchemy URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin_dsn = POSTGRES_URL.replace("postgresql+psycopg2://", "postgresql://")
    conn = psycopg2.connect(admin_dsn)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


@contextmanager
def redis_database(db: int) -> Iterator[str]:
    """A numbered database on the local Redis, flushed before and after."""
    url = f"redis://127.0.0.1:6379/{db}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


class Consumer:
    """A separate `huey_consumer` process (thread workers), as the README's production mode runs it."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = 4) -> None:
        self.env, self.log_path, self.workers = env, log_path, workers
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        cmd = [str(VENV_BIN / "huey_consumer"), "smartspec_app.services.worker.huey", "-w", str(self.workers), "-k", "thread", "-d", "0.2"]
        self.process = subprocess.Popen(
            cmd, cwd=PROJECT_ROOT, env=self.env, stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
        )

    def signal(self, sig: int) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        self.process.wait(timeout=30)
