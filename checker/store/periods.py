"""Periods of time, as an auditor names them, turned into the store's half-open time bounds.

`period_bounds("2026-Q4")` → ("2026-10-01T00:00:00.000000Z", "2027-01-01T00:00:00.000000Z"):
records with since <= recorded_at < until belong to the period. Accepted: a year (2026), a
quarter (2026-Q4), a month (2026-11), a day (2026-11-29), or FROM..TO with dates or ISO
date-times (TO excluded; a date TO means its start). All times UTC unless an offset is given.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from checker.errors import UsageError
from checker.store.chain import timestamp

HINT = "e.g. 2026-Q4, 2026-11, 2026, 2026-11-29, or 2026-10-01..2027-01-01"


def _moment(text: str, what: str) -> datetime:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{what} {text!r} is not a date or ISO 8601 time", hint=HINT) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def period_bounds(text: str) -> tuple[str, str]:
    """(since, until) in the store's timestamp form for a period name (see module doc)."""
    value = text.strip()
    if ".." in value:
        start, _, end = value.partition("..")
        since, until = _moment(start, "period start"), _moment(end, "period end")
    elif m := re.fullmatch(r"(\d{4})-?[Qq]([1-4])", value):
        year, quarter = int(m.group(1)), int(m.group(2))
        since = datetime(year, 3 * quarter - 2, 1, tzinfo=UTC)
        until = (
            datetime(year + 1, 1, 1, tzinfo=UTC)
            if quarter == 4
            else datetime(year, 3 * quarter + 1, 1, tzinfo=UTC)
        )
    elif m := re.fullmatch(r"(\d{4})-(\d{2})", value):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise UsageError(f"period {text!r}: no month {month}", hint=HINT)
        since = datetime(year, month, 1, tzinfo=UTC)
        until = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    elif re.fullmatch(r"\d{4}", value):
        since = datetime(int(value), 1, 1, tzinfo=UTC)
        until = datetime(int(value) + 1, 1, 1, tzinfo=UTC)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"period {text!r} is not a date", hint=HINT) from None
        since = datetime(day.year, day.month, day.day, tzinfo=UTC)
        until = since + timedelta(days=1)
    else:
        raise UsageError(f"period {text!r} is not a period dxguard reads", hint=HINT)
    if until <= since:
        raise UsageError(f"period {text!r} ends before it starts", hint=HINT)
    return timestamp(since), timestamp(until)
