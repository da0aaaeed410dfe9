"""How values read in the catalog's error messages."""

from __future__ import annotations

import json
from typing import Any


def fmt(number: float) -> str:
    """A number without a needless ".0" (1.0 -> "1", 0.75 -> "0.75")."""
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return f"{number:g}" if isinstance(number, float) else str(number)


def range_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"between {fmt(minimum)} and {fmt(maximum)}"
    if minimum is not None:
        return f"at least {fmt(minimum)}"
    if maximum is not None:
        return f"at most {fmt(maximum)}"
    return ""


def show(value: Any) -> str:
    """A short, quoted rendering of a user value for error messages."""
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return json.dumps(text, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return fmt(value)
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def choices(options: tuple[str, ...], limit: int = 12) -> str:
    """The allowed options, listed in full when few, else the first ones and how many more."""
    if len(options) <= limit:
        return ", ".join(options)
    return f"{', '.join(options[:limit])}, ... ({len(options) - limit} more; see GET /api/generation/models)"
