"""The life of an IG case as plain code: its statuses, the moves allowed between them, its age.

Every escalation is a case. It is *received* when the staff member sends the form, *delivered*
once the IG mailbox has accepted the email, *answered* once the IG team has replied in Teams (a
further reply keeps it answered), and *closed* by the IG team or *withdrawn* by the staff member.
Closed and withdrawn cases are final. Who may do what is checked by the caller against the
stored case and the actor (bot.teams.cases); this module says which moves exist at all.

Ages are in working days (Monday to Friday): a case received on a Friday is one working day
old on the Monday after. Bank holidays are not counted out.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.privacy import redact
from bot.core.text import normalise

RECEIVED, DELIVERED, ANSWERED, CLOSED, WITHDRAWN = "received", "delivered", "answered", "closed", "withdrawn"
STATUSES = (RECEIVED, DELIVERED, ANSWERED, CLOSED, WITHDRAWN)
OPEN = frozenset({RECEIVED, DELIVERED, ANSWERED})
# What staff and the IG team read for each status.
LABELS = {
    RECEIVED: "received",
    DELIVERED: "delivered to the IG mailbox",
    ANSWERED: "answered",
    CLOSED: "closed",
    WITHDRAWN: "withdrawn by you",
}
IG_LABELS = {**LABELS, WITHDRAWN: "withdrawn by the staff member"}

# The moves: (from, action) -> to. `reply` on an answered case keeps it answered.
DELIVER, REPLY, CLOSE, WITHDRAW = "deliver", "reply", "close", "withdraw"
_MOVES: dict[tuple[str, str], str] = {
    (RECEIVED, DELIVER): DELIVERED,
    (RECEIVED, REPLY): ANSWERED,
    (DELIVERED, REPLY): ANSWERED,
    (ANSWERED, REPLY): ANSWERED,
    **{(s, CLOSE): CLOSED for s in OPEN},
    **{(s, WITHDRAW): WITHDRAWN for s in OPEN},
}

MAX_REPLY_CHARS = 2000
MAX_NOTE_CHARS = 500
DEFAULT_OVERDUE_DAYS = 5


def next_status(status: str, action: str) -> str | None:
    """The status after `action`, or None when the action is not allowed from `status`."""
    return _MOVES.get((status, action))


def is_open(status: str) -> bool:
    return status in OPEN


def working_days(start: dt.date, end: dt.date) -> int:
    """Weekdays after `start` up to and including `end` (0 on the same day, or for an end before the start)."""
    if end <= start:
        return 0
    whole_weeks, extra = divmod((end - start).days, 7)
    days = whole_weeks * 5
    weekday = start.weekday()
    for _ in range(extra):
        weekday = (weekday + 1) % 7
        if weekday < 5:
            days += 1
    return days


def age(created: dt.datetime, now: dt.datetime) -> int:
    """A case's age in working days, by calendar date in UTC."""
    return working_days(created.date(), now.date())


def overdue(created: dt.datetime, now: dt.datetime, limit: int) -> bool:
    """Past `limit` working days old (the report and the case list flag it)."""
    return age(created, now) > limit


def median_hours(pairs: Iterable[tuple[dt.datetime, dt.datetime | None]]) -> float | None:
    """The median time, in hours, from each start to its end (pairs without an end are left out)."""
    hours = [(end - start).total_seconds() / 3600 for start, end in pairs if end is not None]
    return round(statistics.median(hours), 1) if hours else None


@dataclass(frozen=True)
class Typed:
    """Text an IG member typed (a reply or a closing note), cleaned and redacted like any question."""

    text: str
    redacted: tuple[str, ...] = ()


def typed(value: object, limit: int) -> Typed:
    """Line breaks kept, invisible and control characters gone, personal data replaced; at most `limit` characters."""
    raw = value if isinstance(value, str) else ""
    red = redact(normalise(raw[: limit * 2], single_line=False))
    return Typed(red.text[:limit].strip(), red.kinds)
