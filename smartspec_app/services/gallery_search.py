"""Gallery text search: a query as people type it → SQL for the database's full-text index.

The index itself (SQLite FTS5, PostgreSQL tsvector + GIN) is described in `smartspec_app.search_schema`.

Query language, the same on both databases: words are all required (AND), in any field (title,
description, prompt, tags); "a quoted phrase" must appear as written; a word with inner
punctuation ("sci-fi", "4k.png") is a phrase of its parts. Matching is by word stem in English
("lighthouses" finds "lighthouse"), case- and accent-insensitive. PostgreSQL also ignores English
stop words ("the", "of"); a query of nothing but stop words finds nothing there. Anything else in
the query (operators, brackets, quotes left open) is treated as plain text, never as syntax.

Ranking: SQLite's bm25 and PostgreSQL's ts_rank, both weighting a match in the title above the
tags, the tags above the description and the description above the prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, FromClause, bindparam, column, func, literal_column, table

from smartspec_app.search_schema import COPIED, FTS_TABLE, PG_CONFIG, ROWS_TABLE

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
_CHUNK = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"[^\W_]+")
# bm25 weights per FTS5 column: title, description, prompt, tags
_BM25_WEIGHTS = "10.0, 2.0, 1.0, 5.0"


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: each term is a phrase of one or more words, all terms required."""

    terms: tuple[tuple[str, ...], ...]

    @property
    def fts5(self) -> str:
        """The SQLite FTS5 MATCH expression (only quoted words: no user text is FTS syntax)."""
        return " AND ".join('"' + " ".join(words) + '"' for words in self.terms)

    @property
    def tsquery(self) -> str:
        """The PostgreSQL to_tsquery text (quoted lexemes; <-> joins a phrase's words)."""
        return " & ".join("(" + " <-> ".join(f"'{word}'" for word in words) + ")" for words in self.terms)

    @property
    def text(self) -> str:
        """The query as understood, for showing back."""
        return " ".join(words[0] if len(words) == 1 else '"' + " ".join(words) + '"' for words in self.terms)


def parse(raw: str | None) -> SearchQuery | None:
    """The query's terms, or None when it holds no word to search for."""
    terms: list[tuple[str, ...]] = []
    for quoted, bare in _CHUNK.findall((raw or "")[:MAX_QUERY_CHARS]):
        words = tuple(word.lower() for word in _WORD.findall(quoted or bare))
        if words and words not in terms:
            terms.append(words)
    return SearchQuery(tuple(terms[:MAX_TERMS])) if terms else None


# The search index (search_schema): every item's copy of the listing columns, and SQLite's FTS5 table
ROWS = table(ROWS_TABLE, *(column(name) for name in ("id", "item_id", *COPIED, "search_vector")))
FTS = table(FTS_TABLE, column("rowid"))


def matches(dialect: str) -> FromClause:
    """What a search selects from: the index rows (joined to their FTS5 rows on SQLite)."""
    return ROWS if dialect == "postgresql" else FTS.join(ROWS, ROWS.c.id == FTS.c.rowid)


def match_clause(dialect: str) -> ColumnElement[bool]:
    """SQL: the row matches the bound parameter `search` (see `search_param`)."""
    if dialect == "postgresql":
        return ROWS.c.search_vector.op("@@")(_pg_query())
    return literal_column(FTS_TABLE).op("MATCH")(bindparam("search"))


def relevance(dialect: str) -> ColumnElement[float]:
    """SQL: how well the row matches `search`, higher is better: PostgreSQL's ts_rank, SQLite's
    bm25 (negative, lower is better: hence the sign)."""
    if dialect == "postgresql":
        return func.ts_rank(ROWS.c.search_vector, _pg_query())
    return literal_column(f"-bm25({FTS_TABLE}, {_BM25_WEIGHTS})")


def _pg_query() -> ColumnElement:
    return func.to_tsquery(literal_column(f"'{PG_CONFIG}'::regconfig"), bindparam("search"))


def search_param(query: SearchQuery, dialect: str) -> str:
    """The value of the `search` parameter for this database."""
    return query.tsquery if dialect == "postgresql" else query.fts5
