"""The history page's URL filters (state/history.py filters_from): whole days, both ends included,
and a reversed range named on the "to" field rather than quietly showing nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smartspec_app.services.errors import ValidationError
from smartspec_app.state.history import filters_from


def test_the_history_page_names_a_reversed_date_range() -> None:
    with pytest.raises(ValidationError) as caught:
        filters_from({"from": "2026-11-05", "to": "2026-11-01"})
    assert caught.value.field == "to" and "before the start" in caught.value.message
    same_day = filters_from({"from": "2026-11-05", "to": "2026-11-05"})  # both days included
    assert same_day.created_before - same_day.created_after == timedelta(days=1)


def test_a_date_that_is_not_one_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        filters_from({"from": "yesterday"})
    assert caught.value.field == "from"
