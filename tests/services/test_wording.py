"""services/wording.py: every count takes its noun's right number."""

from __future__ import annotations

import pytest

from smartspec_app.services.wording import counted, credits_text, noun_for, plural_of


@pytest.mark.parametrize(
    ("singular", "plural"),
    [
        ("view", "views"),
        ("like", "likes"),
        ("entry", "entries"),
        ("day", "days"),
        ("match", "matches"),
        ("box", "boxes"),
        ("person", "people"),
        ("open report", "open reports"),
    ],
)
def test_plural_of(singular: str, plural: str) -> None:
    assert plural_of(singular) == plural


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 views"), (1, "1 view"), (2, "2 views"), (1200, "1,200 views"), (-1, "-1 views"), (1.0, "1.0 view")],
)
def test_counted_takes_the_singular_for_exactly_one(count: float, text: str) -> None:
    assert counted(count, "view") == text


def test_a_given_plural_wins() -> None:
    assert noun_for(3, "status", "statuses") == "statuses"
    assert counted(2, "medium", "media") == "2 media"
    assert counted(1, "medium", "media") == "1 medium"


@pytest.mark.parametrize(
    ("amount", "short", "text"),
    [
        (18, False, "18.00 credits"),
        (1, False, "1.00 credit"),
        (1, True, "1 credit"),
        (18, True, "18 credits"),
        (0.5, True, "0.50 credits"),
        (2.5, False, "2.50 credits"),
        (1234.5, False, "1,234.50 credits"),
        (0, False, "0.00 credits"),
        (1.001, False, "1.00 credit"),
    ],
)
def test_credits_text(amount: float, short: bool, text: str) -> None:
    assert credits_text(amount, short=short) == text
