"""`reflex db migrate` builds the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import smartspec_app.models  # noqa: F401  (registers the tables)
from tests.support.build_warnings import project_warnings
from tests.support.live_app import PROJECT_ROOT, VENV_BIN


def test_migrations_match_the_models(db_url: str, tmp_path) -> None:
    env = {**os.environ, "DATABASE_URL": db_url, "DATA_DIR": str(tmp_path), "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    done = subprocess.run([str(VENV_BIN / "reflex"), "db", "migrate"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert project_warnings(done.stdout + done.stderr) == []  # e.g. no SAWarning from tables registered twice
    engine = create_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"users", "user_sessions", "generation_tasks", "gallery_items", "sandbox_jobs", "alembic_version"} <= tables
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diff == [], f"the models changed without a migration (run `reflex db makemigrations`): {diff}"
    finally:
        engine.dispose()
