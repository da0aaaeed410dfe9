"""Warnings in the output of the frontend build and of the app's start, and which of them are not ours.

Anything that looks like a warning or an error counts (Reflex's `Warning:`/`DeprecationWarning:`
lines, Python warnings such as SAWarning, log records at WARNING and above, npm's `warn`, Vite's and
Rolldown's `(!)`, `⚠️` and `[CODE]` notices), except the few listed in NOT_OURS, each with the reason
it is outside the project's control. A new warning of any kind fails the tests until it is fixed or,
if it really is not the project's doing, listed there with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WARNING_LINE = re.compile(
    r"(?i:\bwarn(ing)?s?\b)"  # npm warn, Warning:, WARNING log records, "warning:" from tools
    r"|\w+Warning\b"  # SAWarning, DeprecationWarning, UserWarning...
    r"|\b(ERROR|CRITICAL)\b|\w*Error:|Traceback \(most recent call last\)"
    r"|\(!\)|⚠"  # Vite's and React Router's notices
    r"|\[[A-Z][A-Z0-9_]{4,}\]"  # Rolldown's coded warnings, e.g. [INEFFECTIVE_DYNAMIC_IMPORT]
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Known:
    pattern: re.Pattern[str]
    reason: str


NOT_OURS = (
    Known(
        re.compile(r"npm warn Unknown user config"),
        "npm complains about a setting in the machine's own ~/.npmrc (e.g. nodedir), not in the project",
    ),
    Known(
        re.compile(r"Paths with dynamic/splat params cannot be prerendered"),
        "React Router's notice about Reflex's generated config (prerender: true) and its catch-all 404 route; "
        "the dynamic gallery pages are served by the app's own routes (api/gallery_pages.py)",
    ),
    Known(
        re.compile(r"\[PLUGIN_TIMINGS\]"),
        "Rolldown's note on how long the Vite plugins (React Router's, Reflex's) took, which depends on the machine's load",
    ),
    Known(
        re.compile(r"\[INEFFECTIVE_DYNAMIC_IMPORT\].*recharts"),
        "Reflex's rx.recharts imports the chart containers lazily and their parts eagerly from the same "
        "module; any page with a chart (/admin/analytics) gets this notice",
    ),
)


def warning_lines(output: str) -> list[str]:
    """The lines of `output` that look like a warning or an error, colour codes removed."""
    lines = (ANSI.sub("", line).rstrip() for line in output.splitlines())
    return [line for line in lines if WARNING_LINE.search(line)]


def project_warnings(output: str) -> list[str]:
    """The warning lines of `output` that are not listed in NOT_OURS."""
    return [line for line in warning_lines(output) if not any(known.pattern.search(line) for known in NOT_OURS)]
