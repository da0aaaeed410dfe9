"""gallery full-text search: gallery_search_rows kept by triggers, with FTS5 (SQLite) or a tsvector and GIN index (PostgreSQL)

The same objects `smartspec_app.search_schema` builds with `create_all`, written out here so this
migration keeps meaning what it meant when it was written.

Revision ID: b7d41c2e9a10
Revises: b7c3e1f2a9d4
Create Date: 2026-11-26 10:00:00.000000

"""

from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "b7d41c2e9a10"
down_revision: Union[str, Sequence[str], None] = "b7c3e1f2a9d4"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COPIED = "user_id, is_public, moderation_status, is_nsfw, category, media_type, created_at"
SQLITE_UP = (
    """CREATE TABLE IF NOT EXISTS gallery_search_rows (
  id INTEGER PRIMARY KEY, item_id VARCHAR(32) NOT NULL UNIQUE, user_id INTEGER NOT NULL, is_public BOOLEAN NOT NULL,
  moderation_status VARCHAR(16) NOT NULL, is_nsfw BOOLEAN NOT NULL, category VARCHAR(50) NOT NULL, media_type VARCHAR(16) NOT NULL,
  created_at DATETIME NOT NULL)""",
    "CREATE VIRTUAL TABLE IF NOT EXISTS gallery_items_fts USING fts5(title, description, prompt, tags, "
    "tokenize='porter unicode61 remove_diacritics 2')",
    """CREATE TRIGGER IF NOT EXISTS gallery_items_fts_insert AFTER INSERT ON gallery_items BEGIN
  INSERT INTO gallery_search_rows(item_id, user_id, is_public, moderation_status, is_nsfw, category, media_type, created_at)
    VALUES (new.id, new.user_id, new.is_public, new.moderation_status, new.is_nsfw, new.category, new.media_type, new.created_at);
  INSERT INTO gallery_items_fts(rowid, title, description, prompt, tags)
    VALUES ((SELECT id FROM gallery_search_rows WHERE item_id = new.id), new.title, new.description, new.prompt, new.tags);
END""",
    """CREATE TRIGGER IF NOT EXISTS gallery_items_fts_delete AFTER DELETE ON gallery_items BEGIN
  DELETE FROM gallery_items_fts WHERE rowid = (SELECT id FROM gallery_search_rows WHERE item_id = old.id);
  DELETE FROM gallery_search_rows WHERE item_id = old.id;
END""",
    """CREATE TRIGGER IF NOT EXISTS gallery_items_fts_update_text AFTER UPDATE OF title, description, prompt, tags ON gallery_items BEGIN
  UPDATE gallery_items_fts SET title = new.title, description = new.description, prompt = new.prompt, tags = new.tags
    WHERE rowid IN (SELECT id FROM gallery_search_rows WHERE item_id IN (old.id, new.id));
END""",
    """CREATE TRIGGER IF NOT EXISTS gallery_items_fts_update_row
  AFTER UPDATE OF id, user_id, is_public, moderation_status, is_nsfw, category, media_type, created_at ON gallery_items BEGIN
  UPDATE gallery_search_rows SET item_id = new.id, user_id = new.user_id, is_public = new.is_public,
    moderation_status = new.moderation_status, is_nsfw = new.is_nsfw, category = new.category, media_type = new.media_type,
    created_at = new.created_at WHERE item_id = old.id;
END""",
    f"INSERT INTO gallery_search_rows(item_id, {COPIED}) SELECT id, {COPIED} FROM gallery_items",
    "INSERT INTO gallery_items_fts(rowid, title, description, prompt, tags) "
    "SELECT r.id, g.title, g.description, g.prompt, g.tags FROM gallery_items g JOIN gallery_search_rows r ON r.item_id = g.id",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS gallery_items_fts_update_row",
    "DROP TRIGGER IF EXISTS gallery_items_fts_update_text",
    "DROP TRIGGER IF EXISTS gallery_items_fts_delete",
    "DROP TRIGGER IF EXISTS gallery_items_fts_insert",
    "DROP TABLE IF EXISTS gallery_items_fts",
    "DROP TABLE IF EXISTS gallery_search_rows",
)
VECTOR = (
    "setweight(to_tsvector('english'::regconfig, coalesce({row}.title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce({row}.tags::text, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce({row}.description, '')), 'C') || "
    "setweight(to_tsvector('english'::regconfig, coalesce({row}.prompt, '')), 'D')"
)
POSTGRES_UP = (
    """CREATE TABLE IF NOT EXISTS gallery_search_rows (
  item_id VARCHAR(32) PRIMARY KEY, user_id INTEGER NOT NULL, is_public BOOLEAN NOT NULL, moderation_status VARCHAR(16) NOT NULL,
  is_nsfw BOOLEAN NOT NULL, category VARCHAR(50) NOT NULL, media_type VARCHAR(16) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL, search_vector tsvector NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ix_gallery_search_rows_vector ON gallery_search_rows USING gin (search_vector)",
    """CREATE OR REPLACE FUNCTION gallery_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM gallery_search_rows WHERE item_id = OLD.id;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  INSERT INTO gallery_search_rows (item_id, user_id, is_public, moderation_status, is_nsfw, category, media_type, created_at, search_vector)
    VALUES (NEW.id, NEW.user_id, NEW.is_public, NEW.moderation_status, NEW.is_nsfw, NEW.category, NEW.media_type, NEW.created_at, """
    + VECTOR.format(row="NEW")
    + """);
  RETURN NEW;
END $$""",
    "DROP TRIGGER IF EXISTS gallery_search_sync ON gallery_items",
    """CREATE TRIGGER gallery_search_sync AFTER INSERT OR DELETE OR UPDATE OF id, title, description, prompt, tags, user_id, is_public,
  moderation_status, is_nsfw, category, media_type, created_at ON gallery_items FOR EACH ROW EXECUTE FUNCTION gallery_search_sync()""",
    f"INSERT INTO gallery_search_rows (item_id, {COPIED}, search_vector) SELECT g.id, "
    + ", ".join(f"g.{c.strip()}" for c in COPIED.split(","))
    + ", "
    + VECTOR.format(row="g")
    + " FROM gallery_items g",
)
POSTGRES_DOWN = (
    "DROP TRIGGER IF EXISTS gallery_search_sync ON gallery_items",
    "DROP FUNCTION IF EXISTS gallery_search_sync()",
    "DROP TABLE IF EXISTS gallery_search_rows",
)


def _run(statements: Sequence[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    """Upgrade schema."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(POSTGRES_UP)


def downgrade() -> None:
    """Downgrade schema."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(POSTGRES_DOWN)
