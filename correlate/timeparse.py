"""Time expressions users type: ISO 8601 instants and offsets back from now.

Every value becomes a naive `datetime` in UTC, the convention of every table in the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from correlate.errors import BadTimeExpression

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def parse_time(text: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """Parse `2026-11-20T14:05:00Z`, `2026-11-20 14:05`, `2026-11-20`, or `90m` / `6h` / `2d` ago."""
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = float(relative.group(1)), relative.group(2).lower()
        return (now or utcnow()) - dt.timedelta(seconds=amount * _UNIT_SECONDS[unit])
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadTimeExpression(
            f"Cannot read {text!r} as a time. Use ISO 8601 (2026-11-20T14:05:00Z, 2026-11-20 14:05) "
            "or an offset back from now (90m, 6h, 2d)."
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


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
