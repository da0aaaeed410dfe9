"""GET /api/gallery under load, side by side with a bare Starlette endpoint running the same SQL.

Both are served by uvicorn (one process each) on 127.0.0.1 and loaded in turn by the same
closed-loop generator; the figure is the app's throughput as a share of the bare baseline's.
Target: at least 0.5.

    python -m bench.gallery_api --items 100000 --db both [--only q=]
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx

from bench.common import app_env, databases, machine_line, parser, served, table
from bench.loadgen import LoadResult, load
from bench.seed import seeded

SCENARIOS = {
    "newest, page 1": "sort_by=newest&page=1",
    "newest, page 500": "sort_by=newest&page=500",
    "trending, page 1": "page=1",
    "trending, page 500": "page=500",
    "category=art (trending)": "category=art",
    "media_type=video (trending)": "media_type=video",
    "tag=tag7 (trending)": "tag=tag7",
    # full-text search (q=): words from the seed's titles, prompts and tags, from common to everywhere
    "q=tag7 (~1% match)": "q=tag7",
    "q=dragon+lantern (~5%)": "q=dragon+lantern",
    "q=dragon (~23%)": "q=dragon",
    "q=dragon&category=art": "q=dragon&category=art",
    "q=dragon&sort_by=newest": "q=dragon&sort_by=newest",
    "q=postcard (every item)": "q=postcard",
}
TARGET = 0.5


def _same_items(app_url: str, bare_url: str, query: str) -> bool:
    """Both answer the same items in the same order (the clock may reorder exact ties, so compare sets too)."""
    app = httpx.get(f"{app_url}/api/gallery?{query}", timeout=60).json()
    bare = httpx.get(f"{bare_url}/api/gallery?{query}", timeout=60).json()
    ids_app, ids_bare = [i["id"] for i in app["items"]], [i["id"] for i in bare["items"]]
    return app["total"] == bare["total"] and (ids_app == ids_bare or set(ids_app) == set(ids_bare))


def run(kind: str, items: int, *, concurrency: int, duration: float, only: str = "") -> list[list[object]]:
    rows: list[list[object]] = []
    wanted = [word for word in only.split(",") if word]
    scenarios = {name: query for name, query in SCENARIOS.items() if not wanted or any(word in name for word in wanted)}
    with seeded(kind, items) as db, tempfile.TemporaryDirectory(prefix="bench-data-") as data:
        print(f"[{kind}] seeded {db.listed:,} listed + {db.hidden:,} hidden items in {db.seconds:.1f} s")
        env = app_env(db.url, Path(data))
        bare_env = {**env, "BENCH_QUERIES": ",".join(scenarios.values())}
        with (
            served("smartspec_app.api:build_api", env, "/api/health") as app,
            served("bench.bare_app:create_app", bare_env, "/ping") as bare,
        ):
            ceiling = load(f"{bare.url}/ping", concurrency=concurrency, duration=min(duration, 3))
            print(f"[{kind}] load generator ceiling (bare /ping): {ceiling.rps:,.0f} req/s")
            for name, query in scenarios.items():
                same = _same_items(app.url, bare.url, query)
                results: dict[str, LoadResult] = {}
                for label, server in (("app", app), ("bare", bare)):
                    results[label] = load(f"{server.url}/api/gallery?{query}", concurrency=concurrency, duration=duration)
                a, b = results["app"], results["bare"]
                ratio = a.rps / b.rps if b.rps else float("nan")
                rows.append(
                    [kind, name, a.rps, a.p50, a.p99, b.rps, b.p50, b.p99, f"{ratio:.2f}", "yes" if ratio >= TARGET else "NO",
                     a.errors + b.errors, "yes" if same else "NO"]
                )  # fmt: skip
                print(f"[{kind}] {name}: app {a.rps:,.1f} req/s, bare {b.rps:,.1f} req/s, ratio {ratio:.2f}")
    return rows


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--duration", type=float, default=6.0, help="seconds of load per scenario and server (after 1 s warm-up)")
    p.add_argument("--only", default="", help="comma-separated parts of scenario names to run (e.g. 'q=' for the searches)")
    args = p.parse_args()
    print(machine_line())
    rows: list[list[object]] = []
    for kind in databases(args.db):
        rows += run(kind, args.items, concurrency=args.concurrency, duration=args.duration, only=args.only)
    headers = ["db", "GET /api/gallery?", "app req/s", "app p50 ms", "app p99 ms", "bare req/s", "bare p50 ms", "bare p99 ms"]
    headers += ["app/bare", ">= 0.5", "errors", "same items"]
    print()
    print(table(headers, rows, title=f"Gallery API vs bare Starlette, {args.items:,} items, concurrency {args.concurrency}"))
    print(machine_line())


if __name__ == "__main__":
    main()
