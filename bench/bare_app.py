"""The baseline: a bare Starlette endpoint that runs the gallery API's own SQL straight on the driver.

At start-up it calls `gallery_feed.list_public` once for each query string in BENCH_QUERIES
(comma-separated, e.g. "page=1,page=500,category=art") and records the exact statements and
parameters the ORM sends (SQLAlchemy's before_cursor_execute). Each request then replays those
statements on a raw sqlite3 / psycopg2 connection and builds the
same JSON fields by hand: no ORM objects, no Pydantic, no middleware. What the app does beyond
this is the overhead the benchmark measures.

    uvicorn --factory bench.bare_app:create_app   (DATABASE_URL and BENCH_QUERIES in the environment)
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from smartspec_app.services import gallery_feed
from smartspec_app.services.db import get_engine

BASE = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1").rstrip("/")


@dataclass(frozen=True)
class Recorded:
    count_sql: str
    count_params: Any
    page_sql: str
    page_params: Any
    page: int
    page_size: int


def feed_arguments(query: str) -> dict[str, Any]:
    """list_public's arguments for an /api/gallery query string (the API's defaults)."""
    args = dict(parse_qsl(query))
    return {
        "page": int(args.get("page", 1)),
        "page_size": int(args.get("page_size", 24)),
        "category": args.get("category"),
        "tag": args.get("tag"),
        "media_type": args.get("media_type"),
        "username": args.get("username"),
        "sort_by": args.get("sort_by"),
        "q": args.get("q"),
    }


def record(url: str, queries: list[str]) -> dict[str, Recorded]:
    """The SQL list_public runs for each query string, as sent to the driver."""
    engine = get_engine(url)
    recorded: dict[str, Recorded] = {}
    for query in queries:
        seen: list[tuple[str, Any]] = []

        def keep(_conn, _cursor, statement, parameters, _context, _many, seen=seen) -> None:
            seen.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", keep)
        try:
            with Session(engine) as session:
                args = feed_arguments(query)
                gallery_feed.list_public(session, **args)
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        (count_sql, count_params), (page_sql, page_params) = seen[-2:]
        recorded[query] = Recorded(count_sql, count_params, page_sql, page_params, args["page"], args["page_size"])
    return recorded


class Pool:
    """Raw driver connections, one per concurrent request."""

    def __init__(self, url: str, size: int = 16) -> None:
        self.url = make_url(url)
        self.free: queue.LifoQueue = queue.LifoQueue()
        self.size = size
        self.made = 0

    def _connect(self) -> Any:
        if self.url.get_backend_name() == "sqlite":
            return sqlite3.connect(self.url.database, check_same_thread=False, timeout=30)
        import psycopg2

        return psycopg2.connect(
            host=self.url.host, port=self.url.port or 5432, user=self.url.username, password=self.url.password, dbname=self.url.database
        )

    @contextmanager
    def connection(self) -> Iterator[Any]:
        try:
            conn = self.free.get_nowait()
        except queue.Empty:
            conn = self._connect()
        try:
            yield conn
        finally:
            if self.url.get_backend_name() != "sqlite":
                conn.rollback()
            self.free.put(conn)


def _iso(value: Any) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _media(url: str | None) -> str | None:
    return f"{BASE}/{url.lstrip('/')}" if url else None


def row_json(row: dict[str, Any]) -> dict[str, Any]:
    tags = row["tags"]
    return {
        "id": row["id"],
        "slug": row["slug"],
        "url": f"{BASE}/gallery/{quote(row['slug'], safe='')}",
        "title": row["title"],
        "description": row["description"],
        "author": row["username"],
        "media_type": row["media_type"],
        "media_url": _media(row["media_url"]),
        "thumbnail_url": _media(row["thumbnail_url"]),
        "prompt": row["prompt"],
        "model_id": row["model_id"],
        "category": row["category"],
        "tags": json.loads(tags) if isinstance(tags, str) else list(tags),
        "visibility": row["visibility"],
        "likes_count": row["likes_count"],
        "views_count": row["views_count"],
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
    }


def create_app() -> Starlette:
    url = os.environ["DATABASE_URL"]
    queries = [q for q in os.environ.get("BENCH_QUERIES", "page=1").split(",") if q]
    recorded = record(url, queries)
    pool = Pool(url)

    def gallery(request: Request) -> Response:
        plan = recorded.get(request.url.query)
        if plan is None:
            return PlainTextResponse("query not recorded", status_code=404)
        with pool.connection() as conn:
            cur = conn.cursor()
            cur.execute(plan.count_sql, plan.count_params)
            total = cur.fetchone()[0]
            cur.execute(plan.page_sql, plan.page_params)
            names = [d[0].split(".")[-1] for d in cur.description]
            rows = [dict(zip(names, values, strict=True)) for values in cur.fetchall()]
            cur.close()
        body = {
            "items": [row_json(r) for r in rows],
            "page": plan.page,
            "page_size": plan.page_size,
            "total": total,
            "has_more": plan.page * plan.page_size < total,
        }
        return Response(json.dumps(body), media_type="application/json")

    def ping(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/api/gallery", gallery), Route("/ping", ping)])
