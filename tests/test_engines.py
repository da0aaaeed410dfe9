"""The README's promise about database engines: the app makes its own (services/db.py) and never opens
Reflex's (`rx.session`, `rx.asession`, `reflex.model`), so each process has one pool to size."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "smartspec_app"
REFLEX_ENGINE = re.compile(r"\brx\.a?session\b|\breflex\.model\b|\bfrom reflex import model\b|\bget_db_status\b")


def test_no_module_opens_reflexs_engine() -> None:
    users = [
        f"{path.relative_to(PACKAGE.parent)}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if REFLEX_ENGINE.search(line) and not line.lstrip().startswith("#")
    ]
    assert users == []
