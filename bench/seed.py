"""Seed a fresh database with N listed gallery items (plus a few hidden ones), fast.

SQLite: a new file under a temporary directory. PostgreSQL: a new database `bench_<hex>` made with
CREATE DATABASE (autocommit) and dropped afterwards. Tables come from `create_tables`; rows go in
with SQLAlchemy Core executemany in batches: 1,000 authors, N items with 1-4 tags each, likes on a
long-tailed spread, views about 15x likes, created_at spread over the last year (so trending has
real work to do), and N/50 extra items that are not listed (pending, private or NSFW).

    python -m bench.seed --items 100000 --db sqlite
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from bench.common import POSTGRES_ADMIN_URL, databases, machine_line, parser, table
from smartspec_app.models import GalleryItem, GalleryItemTag, User
from smartspec_app.services import trending
from smartspec_app.services.db import create_tables
from smartspec_app.services.gallery import CATEGORIES

AUTHORS = 1_000
BATCH = 5_000
TAGS = [f"tag{n}" for n in range(200)]
WORDS = ("harbour", "night", "lantern", "forest", "neon", "city", "dragon", "portrait", "river", "storm", "glass", "orbit")
MEDIA = ("image",) * 8 + ("video", "audio")
EXTENSIONS = {"image": "png", "video": "mp4", "audio": "mp3"}
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$bench$bench"  # never used to log in


@dataclass(frozen=True)
class Seeded:
    url: str  # SQLAlchemy URL of the database
    kind: str  # "sqlite" or "postgres"
    listed: int  # items that are listed (public, approved, not NSFW)
    hidden: int  # items that are not
    seconds: float
    sample_slugs: list[str]  # slugs of listed items, for page benchmarks
    sample_category: str  # a category with listed items


def seed(engine: Engine, items: int, *, rng_seed: int = 11) -> tuple[int, list[str]]:
    """Fill an empty database; returns (hidden items, some listed slugs)."""
    rng = random.Random(rng_seed)
    create_tables(engine)
    now = datetime.now(UTC)
    categories = list(CATEGORIES)
    hidden = items // 50
    slugs: list[str] = []
    with engine.begin() as conn:
        users = [
            {
                "id": n,
                "email": f"author{n}@bench.example",
                "username": f"author{n}",
                "password_hash": PASSWORD_HASH,
                "is_admin": False,
                "is_active": True,
                "created_at": now - timedelta(days=400),
            }
            for n in range(1, AUTHORS + 1)
        ]
        conn.execute(insert(User), users)
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), :n)"), {"n": AUTHORS})
        rows: list[dict] = []
        tags: list[dict] = []
        for n in range(items + hidden):
            item_id = uuid.UUID(int=rng.getrandbits(128)).hex
            title = " ".join(rng.choice(WORDS) for _ in range(3)).capitalize()
            slug = f"{title.lower().replace(' ', '-')}-{item_id[:8]}"
            age = timedelta(seconds=rng.uniform(0, 365 * 86400) ** 1.0)
            likes = int(rng.paretovariate(1.2)) - 1 + (rng.random() < 0.01) * rng.randint(100, 5000)
            item_tags = rng.sample(TAGS, rng.randint(1, 4))
            media_type = rng.choice(MEDIA)
            listed = n < items
            rows.append(
                {
                    "id": item_id,
                    "task_id": None,
                    "user_id": rng.randint(1, AUTHORS),
                    "title": title,
                    "description": f"{title}, made for the benchmark. " * 3,
                    "slug": slug,
                    "media_type": media_type,
                    "media_url": f"/media/gallery/{item_id}.{EXTENSIONS[media_type]}",
                    "thumbnail_url": f"/media/gallery/{item_id}.thumb.jpg",
                    "prompt": f"A {title.lower()} in the style of a postcard, warm light, high detail",
                    "model_id": "nano-banana-pro",
                    "category": rng.choice(categories),
                    "tags": item_tags,
                    "is_public": listed or n % 3 != 0,
                    "is_featured": False,
                    "featured_at": None,
                    "is_nsfw": not listed and n % 3 == 1,
                    "nsfw_score": None,
                    "moderation_status": "approved" if listed or n % 3 != 2 else "pending",
                    "likes_count": likes,
                    "views_count": (views := likes * 15 + rng.randint(0, 300)),
                    "trending_rank": trending.rank(likes, views, now - age),
                    "created_at": now - age,
                    "updated_at": now - age + timedelta(minutes=5),
                    "visibility": "public" if listed or n % 3 != 0 else "private",
                    "nsfw_scores": {},
                    "nsfw_flagged": False,
                    "nsfw_detector": "none",
                    "nsfw_checked_at": None,
                    "reports_count": 0,
                    "moderation_reason": None,
                }
            )
            tags.extend({"item_id": item_id, "tag": tag} for tag in item_tags)
            if listed and n % max(1, items // 200) == 0:
                slugs.append(slug)
            if len(rows) >= BATCH:
                _flush(conn, rows, tags)
        _flush(conn, rows, tags)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return hidden, slugs


def _flush(conn, rows: list[dict], tags: list[dict]) -> None:
    if rows:
        conn.execute(insert(GalleryItem), rows)
        conn.execute(insert(GalleryItemTag), tags)
    rows.clear()
    tags.clear()


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """The URL of a new, empty database, removed on exit."""
    if kind == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="bench-sqlite-"))
        try:
            yield f"sqlite:///{directory / 'bench.db'}"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def seeded(kind: str, items: int) -> Iterator[Seeded]:
    """A fresh database of `kind` holding `items` listed items; dropped on exit."""
    with fresh_database(kind) as url:
        engine = _engine(url)
        started = time.perf_counter()
        hidden, slugs = seed(engine, items)
        seconds = time.perf_counter() - started
        engine.dispose()
        yield Seeded(url, kind, items, hidden, seconds, slugs, "art")


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        return engine
    return create_engine(url)


def main() -> None:
    args = parser("Seed a throw-away database with gallery items and report how long it took.").parse_args()
    print(machine_line())
    rows = []
    for kind in databases(args.db):
        with seeded(kind, args.items) as db:
            rows.append([kind, db.listed, db.hidden, db.seconds, (db.listed + db.hidden) / db.seconds])
    print(table(["database", "listed items", "hidden items", "seed s", "items/s"], rows, title="\nSeeding"))


if __name__ == "__main__":
    main()
