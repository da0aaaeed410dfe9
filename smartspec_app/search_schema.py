"""The gallery's full-text index: database objects that live outside the SQLModel metadata.

Both databases keep a narrow table, `gallery_search_rows`, with one row per gallery item: its id
and a copy of the columns listings filter on (the listing flags, category, media type, author,
created_at). A search counts, filters and ranks its matches in that table and reads
`gallery_items` only for the page's rows: looking every match up in the wide items table by its
text id cost ten times the match itself at 100,000 items (bench/gallery_api.py).

SQLite: the text is in an FTS5 table, `gallery_items_fts` (title, description, prompt, tags, Porter
stemming); its row number is `gallery_search_rows.id`, an INTEGER PRIMARY KEY, which VACUUM never
renumbers (unlike `gallery_items`' implicit rowid, that table's key being a text id).

PostgreSQL: `gallery_search_rows.search_vector`, a weighted tsvector (title A, tags B, description
C, prompt D, English configuration) with a GIN index.

Triggers on `gallery_items` keep both in step, so every write path (the ORM, Core bulk inserts, raw
SQL) updates the index with nothing for the app to remember. `attach` makes `metadata.create_all`
(tests, tools, benchmarks) build the objects; migration `b7d41c2e9a10` builds the same ones on
existing databases. Alembic's autogenerate (`reflex db makemigrations`, and Reflex's schema check
at start-up) would otherwise propose dropping the tables, so `ignore_in_autogenerate` filters them
out of its comparison.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import DDL, Table, event

FTS_TABLE = "gallery_items_fts"
ROWS_TABLE = "gallery_search_rows"
FTS_COLUMNS = ("title", "description", "prompt", "tags")
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
PG_CONFIG = "english"
PG_FUNCTION = "gallery_search_sync"
COPIED = ("user_id", "is_public", "moderation_status", "is_nsfw", "category", "media_type", "created_at")
ROW_COLUMNS = """user_id INTEGER NOT NULL, is_public BOOLEAN NOT NULL, moderation_status VARCHAR(16) NOT NULL,
  is_nsfw BOOLEAN NOT NULL, category VARCHAR(50) NOT NULL, media_type VARCHAR(16) NOT NULL"""

_COPIED = ", ".join(COPIED)
_NEW_COPIED = ", ".join(f"new.{c}" for c in COPIED)
SQLITE_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {ROWS_TABLE} (
  id INTEGER PRIMARY KEY, item_id VARCHAR(32) NOT NULL UNIQUE, {ROW_COLUMNS}, created_at DATETIME NOT NULL)""",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({', '.join(FTS_COLUMNS)}, tokenize='{FTS_TOKENIZER}')",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON gallery_items BEGIN
  INSERT INTO {ROWS_TABLE}(item_id, {_COPIED}) VALUES (new.id, {_NEW_COPIED});
  INSERT INTO {FTS_TABLE}(rowid, title, description, prompt, tags)
    VALUES ((SELECT id FROM {ROWS_TABLE} WHERE item_id = new.id), new.title, new.description, new.prompt, new.tags);
END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON gallery_items BEGIN
  DELETE FROM {FTS_TABLE} WHERE rowid = (SELECT id FROM {ROWS_TABLE} WHERE item_id = old.id);
  DELETE FROM {ROWS_TABLE} WHERE item_id = old.id;
END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update_text AFTER UPDATE OF title, description, prompt, tags ON gallery_items BEGIN
  UPDATE {FTS_TABLE} SET title = new.title, description = new.description, prompt = new.prompt, tags = new.tags
    WHERE rowid IN (SELECT id FROM {ROWS_TABLE} WHERE item_id IN (old.id, new.id));
END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update_row AFTER UPDATE OF id, {_COPIED} ON gallery_items BEGIN
  UPDATE {ROWS_TABLE} SET item_id = new.id, {", ".join(f"{c} = new.{c}" for c in COPIED)} WHERE item_id = old.id;
END""",
)


def pg_vector(row: str) -> str:
    """The weighted tsvector of a gallery_items row (`row`: NEW in a trigger, a table alias in SQL)."""
    return " || ".join(
        f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce({row}.{column}{cast}, '')), '{weight}')"
        for column, cast, weight in (("title", "", "A"), ("tags", "::text", "B"), ("description", "", "C"), ("prompt", "", "D"))
    )


POSTGRES_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {ROWS_TABLE} (
  item_id VARCHAR(32) PRIMARY KEY, {ROW_COLUMNS}, created_at TIMESTAMP WITH TIME ZONE NOT NULL, search_vector tsvector NOT NULL)""",
    f"CREATE INDEX IF NOT EXISTS ix_{ROWS_TABLE}_vector ON {ROWS_TABLE} USING gin (search_vector)",
    f"""CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM {ROWS_TABLE} WHERE item_id = OLD.id;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  INSERT INTO {ROWS_TABLE} (item_id, {_COPIED}, search_vector) VALUES (NEW.id, {_NEW_COPIED.replace("new.", "NEW.")}, {pg_vector("NEW")});
  RETURN NEW;
END $$""",
    f"DROP TRIGGER IF EXISTS {PG_FUNCTION} ON gallery_items",
    f"""CREATE TRIGGER {PG_FUNCTION} AFTER INSERT OR DELETE OR UPDATE OF id, title, description, prompt, tags, {_COPIED}
  ON gallery_items FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()""",
)

# Tables autogenerate must leave alone: the rows table, and on SQLite the FTS5 table and its shadow tables.
SEARCH_TABLES = frozenset({FTS_TABLE, ROWS_TABLE, *(f"{FTS_TABLE}_{suffix}" for suffix in ("data", "idx", "content", "docsize", "config"))})


def attach(table: Table) -> None:
    """Build the index whenever `gallery_items` is created from the metadata."""
    for statement in SQLITE_DDL:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in POSTGRES_DDL:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))


def include_name(name: str | None, type_: str, _parent_names: dict[str, Any]) -> bool:
    """An Alembic `include_name` hook that leaves the search index out of comparisons."""
    return not (type_ == "table" and name in SEARCH_TABLES)


_registered = False


def ignore_in_autogenerate() -> None:
    """Leave the search index out of every Alembic autogenerate comparison in this process.

    Reflex runs autogenerate itself (`reflex db makemigrations`, and its schema check when the app
    starts) without an `include_name` hook, so the filter goes in as a comparator that runs after
    Alembic's own and removes the operations that name a search table."""
    global _registered
    if _registered:
        return
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # its set-up lines are not news
    # the comparison logs "Detected removed table" for the search tables before the filter below drops them
    logging.getLogger("alembic.autogenerate.compare.tables").addFilter(
        lambda record: not any(f"'{name}'" in record.getMessage() for name in SEARCH_TABLES)
    )
    from alembic.autogenerate import comparators
    from alembic.operations import ops
    from alembic.util import DispatchPriority, PriorityDispatchResult

    @comparators.dispatch_for("schema", priority=DispatchPriority.LAST)
    def _leave_search_index_alone(_context: Any, upgrade_ops: ops.UpgradeOps, _schemas: Any) -> PriorityDispatchResult:
        # the table itself (DropTableOp) and anything in it (ModifyTableOps: its indexes)
        upgrade_ops.ops[:] = [op for op in upgrade_ops.ops if getattr(op, "table_name", None) not in SEARCH_TABLES]
        return PriorityDispatchResult.CONTINUE

    _registered = True
