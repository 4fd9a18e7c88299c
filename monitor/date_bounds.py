"""The dates the monitor accepts from a person: a command-line flag or a route's query.

Python's dates run from year 1 to 9999, but a window around 0001-01-01 or 9999-12-31
overflows (a day before, a day after, a time zone's offset), deep inside a check. A
date outside EARLIEST..LATEST is refused where it comes in, with a message that says
the bounds: a usage error naming the flag on the command line, a 400 on a route.
Pure and light: no import beyond the standard library.
"""

from __future__ import annotations

import datetime as dt

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)


def check_date_bounds(value: dt.date) -> dt.date:
    """`value` (a date, or a datetime judged by its own calendar date) when it lies in
    EARLIEST..LATEST; ValueError saying the bounds otherwise."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{day.isoformat()} is outside the dates the monitor accepts "
                         f"({EARLIEST.isoformat()} to {LATEST.isoformat()})")
    return value


def parse_bounded_date(text: str) -> dt.date:
    """A YYYY-MM-DD date in EARLIEST..LATEST; ValueError with a message for a person
    (the text quoted, cut to 40 characters) otherwise."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a date (YYYY-MM-DD)") from None
    return check_date_bounds(day)


def parse_bounded_timestamp(text: str) -> dt.datetime:
    """An ISO 8601 timestamp (a trailing Z is UTC; without a zone, UTC) whose date lies
    in EARLIEST..LATEST; ValueError with a message for a person otherwise."""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a timestamp (e.g. 2026-01-10T15:15:00Z)"
                         ) from None
    check_date_bounds(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
