"""Shared fixtures: real databases (a SQLite file, and PostgreSQL when it answers), a temporary
storage directory, and settings pointed at a temporary data directory."""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

# Before the app is imported: whatever a test does not point elsewhere (the task queue file,
# say) lands in a throw-away directory, never in the developer's ./data.
os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="smartspec-test-")
# Every engine the app makes is watched for a thread asking its pool for a second connection while it
# holds one (the shape that deadlocks under load); a test that does so fails (pool_checkouts below).
os.environ["DATABASE_POOL_GUARD"] = "record"
for _name in ("DATABASE_URL", "KIE_AI_API_KEY", "REDIS_URL", "R2_ACCOUNT_ID", "R2_ENDPOINT_URL"):
    os.environ.pop(_name, None)

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from smartspec_app.services import pool_guard
from smartspec_app.services.db import create_tables, get_engine, make_engine
from smartspec_app.services.media_signing import MediaSigner
from smartspec_app.services.storage import LocalStorage
from smartspec_app.settings import reload_settings

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


# Skips CI accepts, by test id prefix, each with its reason. Anything else skipped in CI (CI=true) fails
# the run: a missing service or tool must be installed by the test command, not skipped quietly.
ALLOWED_SKIPS: dict[str, str] = {}
_skipped: list[tuple[str, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not any(report.nodeid.startswith(prefix) for prefix in ALLOWED_SKIPS):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append((report.nodeid, reason))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped and os.environ.get("CI", "").lower() in ("1", "true", "yes") and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if _skipped and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        terminalreporter.section("skips outside tests/conftest.py ALLOWED_SKIPS fail CI")
        for nodeid, reason in _skipped:
            terminalreporter.line(f"{nodeid}: {reason}")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running for the session,
    which async tests collected after it could not start theirs in."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(autouse=True)
def pool_checkouts() -> Iterator[None]:
    """Fails the test when code it ran held a pooled connection while checking out another."""
    pool_guard.clear()
    yield
    found = pool_guard.violations()
    pool_guard.clear()
    if found:
        pytest.fail(f"{len(found)} nested pool checkout(s); the first:\n{found[0]}", pytrace=False)


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def _db_params() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    marks = [pytest.mark.postgres]
    if not postgres_available():
        marks.append(pytest.mark.skip(reason="no PostgreSQL on 127.0.0.1:5432"))
    params.append(pytest.param("postgres", id="postgres", marks=marks))
    return params


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings read a fresh DATA_DIR (and no kie.ai key) for the test."""
    directory = tmp_path / "data"
    directory.mkdir()
    monkeypatch.setenv("DATA_DIR", str(directory))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("KIE_AI_API_KEY", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    reload_settings()
    yield directory
    monkeypatch.undo()
    reload_settings()


@pytest.fixture(params=_db_params())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A real, empty database: a SQLite file, or a private schema in PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    get_engine(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}").dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Engine:
    """The database of `db_url` with the schema built from the models."""
    eng = get_engine(db_url)
    create_tables(eng)
    return eng


@pytest.fixture
def app_env(data_dir: Path, db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings (and so the services' default engine) point at the test database and data dir."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    reload_settings()
    return data_dir


@pytest.fixture
def session(engine: Engine, db_url: str) -> Iterator[Session]:
    """The test's own session, on an engine of its own: the connection it holds between the test's
    reads is not one of the app's pool, so the app code a test calls meanwhile is not taken for
    nesting a checkout (pool_checkouts)."""
    own = make_engine(db_url)
    try:
        with Session(own, expire_on_commit=False) as s:
            yield s
    finally:
        own.dispose()


TEST_SIGNER = MediaSigner((b"test media signing secret, 32 b",), lifetime=3600)


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media", signer=TEST_SIGNER)
