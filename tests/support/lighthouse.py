"""Lighthouse (the npm package pinned in tests/lighthouse/package-lock.json) on Debian's Chromium.

Lighthouse launches the browser itself through chrome-launcher, which finds it by CHROME_PATH; it
never downloads one. Its default profile is used: mobile form factor, simulated throttling.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE_DIR = PROJECT_ROOT / "tests" / "lighthouse"
CLI = LIGHTHOUSE_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# Lighthouse runs with one navigation per page; these flags keep Chromium quiet and offline like the browser tests
CHROME_FLAGS = ["--headless=new", *CHROMIUM_ARGS]


def available() -> bool:
    return CLI.is_file()


@dataclass(frozen=True)
class AuditFailure:
    category: str
    id: str
    title: str
    score: float | None
    details: str


@dataclass
class Report:
    url: str
    scores: dict[str, int]
    lcp_ms: float
    tbt_ms: float
    cls: float
    fcp_ms: float
    raw: dict = field(repr=False)

    def failures(self, categories: tuple[str, ...] = ("accessibility", "best-practices", "seo")) -> list[AuditFailure]:
        """Every scored audit of `categories` that did not pass (manual and not-applicable audits aside)."""
        out = []
        for category in categories:
            for ref in self.raw["categories"][category]["auditRefs"]:
                audit = self.raw["audits"][ref["id"]]
                if audit.get("scoreDisplayMode") in ("manual", "notApplicable", "informative") or audit.get("score") is None:
                    continue
                if audit["score"] < 1 and ref.get("weight", 0) > 0:
                    out.append(AuditFailure(category, ref["id"], audit.get("title", ""), audit["score"], _items_text(audit)))
        return out

    def opportunities(self) -> list[tuple[str, str, str]]:
        """Performance audits that found something: (id, title, displayValue)."""
        out = []
        for ref in self.raw["categories"]["performance"]["auditRefs"]:
            audit = self.raw["audits"][ref["id"]]
            if audit.get("score") is not None and audit["score"] < 0.9 and audit.get("scoreDisplayMode") != "informative":
                out.append((ref["id"], audit.get("title", ""), audit.get("displayValue", "")))
        return out


def _items_text(audit: dict) -> str:
    items = (audit.get("details") or {}).get("items") or []
    shown = []
    for item in items[:5]:
        node = item.get("node") if isinstance(item, dict) else None
        shown.append((node or {}).get("snippet") or item.get("url") or json.dumps(item)[:200] if isinstance(item, dict) else str(item))
    return "; ".join(str(s) for s in shown)


def run(url: str, *, timeout: float = 240) -> Report:
    """One Lighthouse run (all four categories) against `url`."""
    if not available():
        raise RuntimeError(f"Lighthouse is not installed: run `npm ci` in {LIGHTHOUSE_DIR} (scripts/setup.sh --dev does)")
    node = Path(sys.executable).parent / "node"
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        out = Path(tmp) / "report.json"
        cmd = [
            str(node) if node.exists() else "node",
            str(CLI),
            url,
            "--output=json",
            f"--output-path={out}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={' '.join(CHROME_FLAGS)}",
            "--quiet",
        ]
        env = {**os.environ, "CHROME_PATH": CHROMIUM, "TMPDIR": tmp}
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0 or not out.is_file():
            raise RuntimeError(f"Lighthouse failed on {url} ({done.returncode}):\n{done.stderr[-3000:]}")
        raw = json.loads(out.read_text())
    if raw.get("runtimeError"):
        raise RuntimeError(f"Lighthouse could not load {url}: {raw['runtimeError']}")
    audits = raw["audits"]
    return Report(
        url=url,
        scores={c: round((raw["categories"][c]["score"] or 0) * 100) for c in CATEGORIES},
        lcp_ms=audits["largest-contentful-paint"]["numericValue"],
        tbt_ms=audits["total-blocking-time"]["numericValue"],
        cls=audits["cumulative-layout-shift"]["numericValue"],
        fcp_ms=audits["first-contentful-paint"]["numericValue"],
        raw=raw,
    )
