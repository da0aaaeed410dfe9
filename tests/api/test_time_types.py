"""api/time_types.py: a query time is what OpenAPI's `date` and `date-time` formats admit, nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from smartspec_app.api.time_types import Moment

MOMENT = TypeAdapter(Moment)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T09:00:00Z", datetime(2026, 11, 1, 9, tzinfo=UTC)),
        ("2026-11-01T10:00:00+01:00", datetime(2026, 11, 1, 9, tzinfo=UTC)),
        ("2026-11-01T09:00:00.1234567Z", datetime(2026, 11, 1, 9, 0, 0, 123456, tzinfo=UTC)),
        ("0001-01-01T00:00:00+23:59", datetime.min.replace(tzinfo=UTC)),  # before what UTC can hold: the nearest end
        ("9999-12-31T23:59:59-23:59", datetime.max.replace(tzinfo=UTC)),
    ],
)
def test_dates_and_rfc3339_times_are_aware_utc(text: str, moment: datetime) -> None:
    assert MOMENT.validate_python(text) == moment


@pytest.mark.parametrize(
    "text",
    ["0.5", "1700000000", "2026-11-01T09:00:00", "20261101", "2026-02-30", "2026-11-01T24:00:00Z", "2026-11-01t09:00:00z", "", "yesterday"],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="a time with its offset"):
        MOMENT.validate_python(text)


def test_a_number_is_not_a_time() -> None:
    with pytest.raises(ValidationError):
        MOMENT.validate_python(0.5)
