"""A time in a query string: a date (midnight UTC) or an RFC 3339 date-time with its offset.

That is exactly what OpenAPI's `date` and `date-time` formats admit, and the document says so. Pydantic's
own `datetime` would also take Unix numbers ("0.5") and times without an offset, which the document
does not allow: a client reading /api/openapi.json and the server must agree on what is a time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.ASCII)
EXPLAIN = "Give a date (2026-11-01) or a time with its offset (2026-11-01T09:00:00Z)"


def parse_moment(value: Any) -> datetime:
    """The aware UTC moment a date or RFC 3339 date-time names; PydanticCustomError (a 422) otherwise."""
    if isinstance(value, str):
        try:
            if DATE.fullmatch(value):
                return datetime.combine(date.fromisoformat(value), time(), UTC)
            if DATE_TIME.fullmatch(value):
                return _in_utc(datetime.fromisoformat(value))
        except ValueError:
            pass
    raise PydanticCustomError("moment", EXPLAIN)


def _in_utc(moment: datetime) -> datetime:
    """Year 1 at -23:59 or year 9999 at +23:59 falls outside what datetime holds in UTC: the nearest end."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)


Moment = Annotated[
    datetime,
    PlainValidator(parse_moment),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}),
]
