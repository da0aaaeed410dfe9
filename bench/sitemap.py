"""/gallery/sitemap.xml at 50,000 and 100,000 items: time to serve every file, and peak memory.

Over HTTP (the app served by uvicorn): the root (a sitemap index once there are more than 50,000
URLs) and every urlset file it names, with the server's RSS before and its peak (VmHWM) after.
In a fresh child process: the same files generated straight from `GallerySitemap` (timed), then
again under tracemalloc for its peak, and the child's maxrss. Target: a 50,000-URL file in under 1 s.

    python -m bench.sitemap --db both            (50,000 and 100,000 items)
    python -m bench.sitemap --items 20000 --db sqlite
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import httpx

from bench.common import BASE_URL, PROJECT_ROOT, app_env, databases, hwm_mb, machine_line, parser, served, table
from bench.seed import seeded

TARGET_SECONDS = 1.0


def fetch_all(base: str) -> list[tuple[str, float, int, int]]:
    """(path, seconds, bytes, <url> count) for the root and every file of its index."""
    out = []
    with httpx.Client(timeout=120) as client:
        paths = ["/gallery/sitemap.xml"]
        while paths:
            path = paths.pop(0)
            started = time.perf_counter()
            response = client.get(base + path)
            seconds = time.perf_counter() - started
            response.raise_for_status()
            body = response.text
            out.append((path, seconds, len(response.content), body.count("<url>")))
            if "<sitemapindex" in body:
                paths += [re.sub(r"^https?://[^/]+", "", loc) for loc in re.findall(r"<loc>([^<]+)</loc>", body)]
    return out


def child(url: str) -> None:
    """In a fresh process: generate every sitemap file, print seconds and memory as JSON."""
    from smartspec_app.services.db import get_engine, session_scope
    from smartspec_app.services.seo import SiteUrls
    from smartspec_app.services.sitemap import GallerySitemap

    engine = get_engine(url)
    site = GallerySitemap(lambda: session_scope(engine), SiteUrls(BASE_URL))

    def generate() -> tuple[int, int]:
        pages, size = site.page_count(), 0
        for page in range(1, pages + 1):
            for chunk in site.page_chunks(page):
                size += len(chunk)
        return pages, size

    started = time.perf_counter()
    pages, size = generate()
    seconds = time.perf_counter() - started
    tracemalloc.start()  # a second pass for the peak: tracemalloc slows allocation down a lot
    generate()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "pages": pages, "chars": size, "tracemalloc_peak_mb": peak / 2**20, "maxrss_mb": maxrss_mb}))


def run(kind: str, items: int) -> list[list[object]]:
    rows: list[list[object]] = []
    with seeded(kind, items) as db, tempfile.TemporaryDirectory(prefix="bench-data-") as data:
        print(f"[{kind}] seeded {db.listed:,} items in {db.seconds:.1f} s")
        env = app_env(db.url, Path(data))
        with served("smartspec_app.api:build_api", env, "/api/health") as app:
            httpx.get(app.url + "/robots.txt")
            before = app.rss_mb()
            files = fetch_all(app.url)
            peak = hwm_mb(app.process.pid)
        for path, seconds, size, urls in files:
            ok = "yes" if urls < 50_000 or seconds < TARGET_SECONDS else "NO"
            rows.append([kind, f"{items:,}", f"GET {path}", urls, size / 2**20, seconds, ok])
        total = sum(f[1] for f in files)
        rows.append([kind, f"{items:,}", "all files (HTTP)", sum(f[3] for f in files), sum(f[2] for f in files) / 2**20, total, ""])
        print(f"[{kind}] {items:,} items: server RSS {before:.0f} MiB before, peak {peak:.0f} MiB after serving the sitemap")
        command = [sys.executable, "-m", "bench.sitemap", "--child", db.url]
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append([kind, f"{items:,}", f"in-process, all {figures['pages']} files", "", figures["chars"] / 2**20, figures["seconds"], ""])
        memory.append([kind, f"{items:,}", before, peak, figures["tracemalloc_peak_mb"], figures["maxrss_mb"]])
    return rows


memory: list[list[object]] = []


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    p = parser(__doc__.splitlines()[0], items=0)
    args = p.parse_args()
    sizes = [args.items] if args.items else [50_000, 100_000]
    print(machine_line())
    rows: list[list[object]] = []
    for kind in databases(args.db):
        for items in sizes:
            rows += run(kind, items)
    print()
    print(table(["db", "items", "what", "<url>s", "MiB", "seconds", "< 1 s"], rows, title="Gallery sitemap"))
    print()
    headers = ["db", "items", "server RSS before MiB", "server peak RSS MiB", "generation tracemalloc peak MiB", "child maxrss MiB"]
    print(table(headers, memory, title="Sitemap memory"))
    print(machine_line())


if __name__ == "__main__":
    main()
