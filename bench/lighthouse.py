"""Lighthouse scores of every public page, mobile profile, on the production build.

Starts the real app (`reflex run --env prod --single-port`, SQLite, local media) with a fresh data
directory, shares a few real images, videos and speech items (tests/support/showcase.py), and runs
Lighthouse 12 (pinned in tests/lighthouse/package-lock.json; `npm ci` there) with Debian's Chromium
on each page: its default mobile profile with simulated throttling. Prints the four category
scores and LCP / TBT / CLS per page (the median run by performance score with --runs N).

    python -m bench.lighthouse [--runs 1] [--url http://127.0.0.1:3000 --slugs '{"image": [...], ...}'] [--details]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from bench.common import machine_line, table
from tests.support import lighthouse
from tests.support.live_app import LiveApp


def public_pages(slugs: dict[str, list[str]], author: str, category: str) -> list[tuple[str, str]]:
    """(label, path) of every public page the issue names."""
    return [
        ("/", "/"),
        ("/gallery", "/gallery"),
        ("/gallery/category/{c}", f"/gallery/category/{category}"),
        ("/gallery/user/{name}", f"/gallery/user/{author}"),
        ("/gallery/{slug} image", f"/gallery/{slugs['image'][0]}"),
        ("/gallery/{slug} video", f"/gallery/{slugs['video'][0]}"),
        ("/gallery/{slug} audio", f"/gallery/{slugs['audio'][0]}"),
        ("/login", "/login"),
        ("/signup", "/signup"),
    ]


def measure(base_url: str, pages: list[tuple[str, str]], runs: int, details: bool) -> list[list[object]]:
    rows = []
    for label, path in pages:
        reports = [lighthouse.run(base_url + path) for _ in range(runs)]
        reports.sort(key=lambda r: r.scores["performance"])
        report = reports[len(reports) // 2]
        perf = [r.scores["performance"] for r in reports]
        rows.append(
            [
                label,
                report.scores["performance"] if runs == 1 else f"{report.scores['performance']} ({min(perf)}-{max(perf)})",
                report.scores["accessibility"],
                report.scores["best-practices"],
                report.scores["seo"],
                f"{report.lcp_ms / 1000:.1f} s",
                f"{report.tbt_ms:.0f} ms",
                f"{report.cls:.3f}",
            ]
        )
        if details:
            for failure in report.failures():
                print(f"  {label}: [{failure.category}] {failure.id}: {failure.title} — {failure.details[:300]}")
            for audit_id, title, value in report.opportunities():
                print(f"  {label}: [performance] {audit_id}: {title} {value}")
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=1, help="Lighthouse runs per page (the median by performance is shown)")
    p.add_argument("--url", default="", help="audit an app already running here instead of starting one (give --slugs)")
    p.add_argument("--slugs", default="", help='JSON {"image": [...], "video": [...], "audio": [...]} for --url')
    p.add_argument("--details", action="store_true", help="also print failing audits and performance opportunities")
    args = p.parse_args()
    print(machine_line())
    if args.url:
        rows = measure(args.url.rstrip("/"), public_pages(json.loads(args.slugs), "showcase", "art"), args.runs, args.details)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-lighthouse-") as tmp:
            app = LiveApp(Path(tmp) / "data", extra_env={"NSFW_DETECTOR": "none", "GALLERY_AUTO_APPROVE": "true"})
            try:
                app.start()
                slugs = json.loads(app.run_python("from tests.support.showcase import seed; seed()").strip().splitlines()[-1])
                rows = measure(app.base_url, public_pages(slugs, "showcase", "art"), args.runs, args.details)
            finally:
                app.stop()
                app.release()
    headers = ["page", "performance", "accessibility", "best practices", "SEO", "LCP", "TBT", "CLS"]
    print(table(headers, rows, title=f"Lighthouse {lighthouse_version()} mobile (simulated throttling), {args.runs} run(s) per page"))
    scores = [int(str(r[1]).split()[0]) for r in rows]
    print(f"lowest performance: {min(scores)}; median: {statistics.median(scores)}")


def lighthouse_version() -> str:
    package = lighthouse.LIGHTHOUSE_DIR / "node_modules" / "lighthouse" / "package.json"
    return json.loads(package.read_text())["version"] if package.is_file() else "?"


if __name__ == "__main__":
    main()
