"""Generation latency overhead in the real app, seen from a real browser (Debian's Chromium).

For each run: click Generate on /generate, then measure
- click → the task row exists in the database (what the Generate event costs);
- the sandbox job finishing (its created_at + duration, the moment kie.ai would call back) → the
  result image loaded in the page's DOM (download, storage, thumbnail, the background event's
  next look at the database, the websocket delta, the browser loading the image).

    python -m bench.generation_latency [--runs 10]

Target: under 1 s from the provider finishing to the DOM showing it.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.common import machine_line, median, percentile, table
from tests.support.browser import launch
from tests.support.live_app import LiveApp

LOADED = (
    "(id) => { const i = document.querySelector('.result-image'); return !!i && i.src.includes(id) && i.complete && i.naturalWidth > 0 }"
)


def _db(app: LiveApp) -> sqlite3.Connection:
    return sqlite3.connect(Path(app.data_dir) / "smartspec.db")


def _parse(stamp: str) -> float:
    moment = datetime.fromisoformat(stamp)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _task_row_time(app: LiveApp, prompt: str, timeout: float = 30) -> tuple[str, float]:
    deadline = time.monotonic() + timeout
    with _db(app) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT id FROM generation_tasks WHERE prompt = ?", (prompt,)).fetchone()
            if row:
                return row[0], time.time()
            time.sleep(0.002)
    raise TimeoutError("the task row never appeared")


def _job_finished_at(app: LiveApp, task_id: str) -> float:
    with _db(app) as conn:
        created, duration = conn.execute(
            "SELECT j.created_at, j.duration_seconds FROM sandbox_jobs j, generation_tasks t WHERE t.id = ? AND t.provider_task_id = j.id",
            (task_id,),
        ).fetchone()
    return _parse(created) + duration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as data:
        app = LiveApp(Path(data) / "data", extra_env={"SANDBOX_SECONDS_IMAGE": "2", "RATE_LIMIT_USER": "10000/minute"})
        print("starting the app (reflex run --env prod; the first build takes a minute or two) ...", flush=True)
        app.start()
        to_row: list[float] = []
        to_dom: list[float] = []
        try:
            with sync_playwright() as p:
                browser = launch(p)
                page = browser.new_page()
                page.set_default_timeout(60_000)
                page.goto(app.base_url + "/signup")
                page.fill("#email", "bench@example.com")
                page.fill("#password", "a long password")
                page.fill("#confirm", "a long password")
                page.click("#signup-submit")
                page.wait_for_url("**/generate**")
                for run in range(args.runs):
                    prompt = f"Latency run {run}"
                    page.fill("#prompt", prompt)
                    clicked = time.time()
                    page.click("#generate-button")
                    task_id, row_at = _task_row_time(app, prompt)
                    page.wait_for_function(LOADED, arg=task_id, polling=5)
                    shown_at = time.time()
                    to_row.append((row_at - clicked) * 1000)
                    to_dom.append((shown_at - _job_finished_at(app, task_id)) * 1000)
                    page.wait_for_timeout(300)
                browser.close()
        finally:
            app.stop()
            app.release()
    rows = [
        ["Generate click → task row in the database", median(to_row), percentile(to_row, 99), max(to_row), ""],
        ["sandbox job finished → result image loaded in the DOM", median(to_dom), percentile(to_dom, 99), max(to_dom), "< 1,000 ms"],
    ]
    print(table(["what", "p50 ms", "p99 ms", "max ms", "target"], rows, title=f"Generation latency, {args.runs} runs"))
    print(machine_line())


if __name__ == "__main__":
    main()
