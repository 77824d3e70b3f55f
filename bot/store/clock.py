"""UTC time for the stores, in one place: every timestamp the bot keeps is UTC.

SQLite keeps no time zone, so some tables store naive UTC and hand back naive datetimes;
`as_utc` makes what comes back aware, and `naive_utc` makes what goes in naive.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC: a naive value is taken to be UTC already (as the stores wrote it)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def naive_utc(at: datetime) -> datetime:
    """Naive UTC for columns stored without a zone, so comparisons in SQLite are exact."""
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
