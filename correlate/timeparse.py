"""Time expressions users type: ISO 8601 instants, `now`, and offsets back from now; windows.

Every value becomes a naive `datetime` in UTC, the convention of every table in the database; an ISO
8601 time without a zone is read as UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from correlate.errors import BadTimeExpression

_RELATIVE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)(?:\s+ago)?\s*$",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}  # by the unit's first letter
_MINUTE = dt.timedelta(minutes=1)
HELP = "ISO 8601 (a time without a zone is UTC), now, or an offset back from now (90m, 6h, 2d, 2h ago)"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def parse_time(text: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """Parse `2026-11-20T14:05:00Z`, `2026-11-20 14:05` (UTC), `2026-11-20`, `now`, or an offset back
    from now: `90m`, `6h`, `2d`, `2h ago`, `30 minutes ago`."""
    if text.strip().lower() == "now":
        return now or utcnow()
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = float(relative.group(1)), relative.group(2)[0].lower()
        return (now or utcnow()) - dt.timedelta(seconds=amount * _UNIT_SECONDS[unit])
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadTimeExpression(
            f"Cannot read {text!r} as a time. Use ISO 8601 (2026-11-20T14:05:00Z, 2026-11-20 14:05 in UTC), "
            "now, or an offset back from now (90m, 6h, 2d, 2h ago)."
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def check_order(since: dt.datetime | None, until: dt.datetime | None) -> None:
    """--since must come before --until: the one message every command gives."""
    if since is not None and until is not None and since >= until:
        raise BadTimeExpression(
            f"--since ({iso(since)}) is not before --until ({iso(until)}): give the earlier time to --since."
        )


def floor_minute(value: dt.datetime) -> dt.datetime:
    return value.replace(second=0, microsecond=0)


def ceil_minute(value: dt.datetime) -> dt.datetime:
    floor = floor_minute(value)
    return floor if floor == value else floor + _MINUTE


def whole_minutes(since: dt.datetime, until: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """A window [since, until) widened to whole minutes, the grain of every per-minute figure: the
    timeline, the report and `changes` read the same minutes for the same --since/--until."""
    return floor_minute(since), ceil_minute(until)


def window_around(first: dt.datetime, last: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The whole-minute window [since, until) that holds every instant from `first` to `last`."""
    return floor_minute(first), floor_minute(last) + _MINUTE


def with_dates(since: dt.datetime, until: dt.datetime, today: dt.date | None) -> bool:
    """Whether the times of a window [since, until) are written with their date: when it is longer
    than a day, or is not `today` (or today is not known)."""
    last = until - dt.timedelta(microseconds=1)
    return until - since > dt.timedelta(days=1) or today is None or not since.date() == last.date() == today


def spans_days(since: dt.datetime, until: dt.datetime) -> bool:
    """The window [since, until) holds minutes of more than one day."""
    return since.date() != (until - dt.timedelta(microseconds=1)).date()


def iso(value: dt.datetime | None) -> str | None:
    """Render a UTC datetime the way every output does: `2026-11-20T14:05:00Z`."""
    if value is None:
        return None
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text + "Z"


@dataclass(frozen=True, slots=True)
class Window:
    """A --since/--until pair; either end may be open."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def describe(self) -> str:
        """How the window is recorded in the ledger (`ingested_files.filter`)."""
        parts = []
        if self.since:
            parts.append(f"since={self.since.isoformat()}")
        if self.until:
            parts.append(f"until={self.until.isoformat()}")
        return " ".join(parts)
