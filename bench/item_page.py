"""Server-rendered /gallery/{slug} pages (what crawlers get): latency one request at a time and under load.

The HTML shell is the real frontend build's SPA fallback when .web/build/client has one (copied
to a temporary SPA_BUILD_DIR), else a stand-in document of the same shape. Target: p99 < 50 ms.

    python -m bench.item_page --items 100000 --db both
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import httpx

from bench.common import PROJECT_ROOT, app_env, databases, machine_line, parser, percentile, served, table
from bench.loadgen import load, sequential
from bench.seed import seeded

TARGET_P99_MS = 50.0
STAND_IN_SHELL = (
    '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>SmartSpec Pro</title></head>'
    '<body><div id="root"></div><script type="module">import "/assets/entry.client.js"</script></body></html>'
)


def shell_dir(into: Path) -> tuple[Path, str]:
    """A build directory holding the SPA fallback; says where the shell came from."""
    build = into / "build"
    build.mkdir()
    real = PROJECT_ROOT / ".web" / "build" / "client" / "__spa-fallback.html"
    if real.is_file():
        shutil.copy(real, build / "__spa-fallback.html")
        return build, f"the frontend build's __spa-fallback.html ({real.stat().st_size:,} bytes)"
    (build / "__spa-fallback.html").write_text(STAND_IN_SHELL)
    return build, "a stand-in shell (no frontend build found)"


def run(kind: str, items: int, *, requests: int, concurrency: int, duration: float) -> list[list[object]]:
    rows: list[list[object]] = []
    with seeded(kind, items) as db, tempfile.TemporaryDirectory(prefix="bench-data-") as data:
        build, source = shell_dir(Path(data))
        print(f"[{kind}] seeded {db.listed:,} items in {db.seconds:.1f} s; shell: {source}")
        env = app_env(db.url, Path(data) / "data", SPA_BUILD_DIR=str(build))
        with served("smartspec_app.api:build_api", env, "/api/health") as app:
            urls = [f"{app.url}/gallery/{slug}" for slug in db.sample_slugs]
            first = httpx.get(urls[0], timeout=30)
            assert first.status_code == 200 and "application/ld+json" in first.text, first.text[:500]
            sequential(urls, 50)  # warm-up
            one = sequential(urls, requests)
            p99 = percentile(one, 99)
            ok = "yes" if p99 < TARGET_P99_MS else "NO"
            rows.append([kind, "one at a time", len(one) / (sum(one) / 1000), percentile(one, 50), p99, ok])
            loaded = load(urls, concurrency=concurrency, duration=duration)
            rows.append(
                [kind, f"concurrency {concurrency}", loaded.rps, loaded.p50, loaded.p99, "yes" if loaded.p99 < TARGET_P99_MS else "NO"]
            )
            print(f"[{kind}] page size {len(first.content):,} bytes; errors under load: {loaded.errors}")
    return rows


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=500, help="sequential requests (default 500)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--duration", type=float, default=6.0)
    args = p.parse_args()
    print(machine_line())
    rows: list[list[object]] = []
    for kind in databases(args.db):
        rows += run(kind, args.items, requests=args.requests, concurrency=args.concurrency, duration=args.duration)
    print()
    print(table(["db", "GET /gallery/{slug}", "req/s", "p50 ms", "p99 ms", "p99 < 50 ms"], rows, title=f"Item pages, {args.items:,} items"))
    print(machine_line())


if __name__ == "__main__":
    main()
