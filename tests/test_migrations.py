"""`reflex db migrate` builds the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session, SQLModel

import smartspec_app.models  # noqa: F401  (registers the tables)
from alembic import command
from smartspec_app import search_schema
from smartspec_app.services import gallery_feed
from tests.support.build_warnings import project_warnings
from tests.support.live_app import PROJECT_ROOT, VENV_BIN

BEFORE_SEARCH = "b7c3e1f2a9d4"  # the revision before the full-text index


def _migrate(db_url: str, tmp_path) -> str:
    env = {**os.environ, "DATABASE_URL": db_url, "DATA_DIR": str(tmp_path), "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    done = subprocess.run([str(VENV_BIN / "reflex"), "db", "migrate"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert project_warnings(done.stdout + done.stderr) == []  # e.g. no SAWarning from tables registered twice
    return done.stdout + done.stderr


def test_migrations_match_the_models(db_url: str, tmp_path) -> None:
    output = _migrate(db_url, tmp_path)
    assert "Detected database schema changes" not in output  # Reflex's own check leaves the search index alone
    engine = create_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"users", "user_sessions", "generation_tasks", "gallery_items", "sandbox_jobs", "alembic_version"} <= tables
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": search_schema.include_name})
            diff = compare_metadata(context, SQLModel.metadata)
        assert diff == [], f"the models changed without a migration (run `reflex db makemigrations`): {diff}"
    finally:
        engine.dispose()


def test_the_search_migration_indexes_items_shared_before_it(db_url: str, tmp_path) -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    command.upgrade(config, BEFORE_SEARCH)
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (email, username, password_hash, is_admin, is_active, created_at) "
                    "VALUES ('old@example.com', 'old', 'x', false, true, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO gallery_items (id, user_id, title, description, slug, media_type, media_url, prompt, model_id, "
                    "category, tags, is_public, is_featured, is_nsfw, moderation_status, likes_count, views_count, trending_rank, "
                    "created_at, updated_at, visibility, nsfw_scores, nsfw_flagged, reports_count) "
                    "SELECT 'old1', id, 'A lighthouse in the fog', '', 'old-1', 'image', '/media/x.png', 'grey sea', 'nano-banana-pro', "
                    "'general', '[\"coast\"]', true, false, false, 'approved', 0, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                    "'public', '{}', false, 0 FROM users WHERE username = 'old'"
                )
            )
        _migrate(db_url, tmp_path)
        with Session(engine) as session:
            assert [e.item.id for e in gallery_feed.list_public(session, q="lighthouses").entries] == ["old1"]
            assert gallery_feed.list_public(session, q="coast").total == 1
            session.execute(text("UPDATE gallery_items SET title = 'A harbour' WHERE id = 'old1'"))
            assert gallery_feed.list_public(session, q="lighthouse").total == 0
            assert gallery_feed.list_public(session, q="harbour").total == 1
    finally:
        engine.dispose()


BEFORE_ADMIN_BOOTSTRAP = "d5a90b7e3c61"


def test_a_site_with_an_admin_has_its_first_admin_role_taken(db_url: str, tmp_path) -> None:
    """After the upgrade, a site that already had an admin gives no later sign-up the first-admin role."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    command.upgrade(config, BEFORE_ADMIN_BOOTSTRAP)
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            for name, admin in (("plain", "false"), ("boss", "true")):
                conn.execute(
                    text(
                        "INSERT INTO users (email, username, password_hash, is_admin, is_active, created_at) "
                        f"VALUES ('{name}@example.com', '{name}', 'x', {admin}, true, CURRENT_TIMESTAMP)"
                    )
                )
        command.upgrade(config, "head")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT b.id, u.username FROM admin_bootstrap b JOIN users u ON u.id = b.user_id")).all()
        assert [tuple(r) for r in rows] == [(1, "boss")]
    finally:
        engine.dispose()


def test_a_site_without_an_admin_leaves_the_role_open(db_url: str, tmp_path) -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    command.upgrade(config, "head")
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM admin_bootstrap")).scalar_one() == 0
    finally:
        engine.dispose()
