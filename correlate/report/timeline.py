"""The timeline a report is built from, typed: the JSON shape of `correlate timeline --format json`
(/work/shared/CONTRACT.md), read from the timeline library or from a saved file.

Unknown keys are ignored, so a newer timeline with more fields still reads; a missing or mistyped
field is a `BadTimeline` that names the file and the field.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from correlate.analysis.timeline import build_timeline
from correlate.errors import CorrelateError
from correlate.present.timeline import timeline_document
from correlate.store.cells import CellSource
from correlate.store.database import Database
from correlate.timeparse import iso


class BadTimeline(CorrelateError):
    """A timeline (JSON) that does not have the contract's shape."""


@dataclass(frozen=True, slots=True)
class TimelineChange:
    event_id: str
    event_time: dt.datetime
    event_name: str
    actor: str | None
    actor_kind: str | None
    summary: str | None
    error_code: str | None
    suspicion: float
    evidence: tuple[str, ...]

    @property
    def failed(self) -> bool:
        """A failed call changed nothing."""
        return self.error_code is not None


@dataclass(frozen=True, slots=True)
class Shift:
    metric: str
    at: dt.datetime
    before: float
    after: float
    scope: str
    worse: bool | None = None  # the timeline's verdict, where it gives one: True for the worse, False a recovery
    unit: str | None = None  # ms, rate, share, per_min, where the timeline gives it


@dataclass(frozen=True, slots=True)
class Timeline:
    lb: str
    since: dt.datetime | None
    until: dt.datetime | None
    changes: tuple[TimelineChange, ...]  # most suspect first
    shifts: tuple[Shift, ...]  # in time order

    @property
    def suspect(self) -> TimelineChange | None:
        """The change the evidence points at: the most suspect one, when its suspicion is >= 0.5."""
        if self.changes and self.changes[0].suspicion >= 0.5:
            return self.changes[0]
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lb": self.lb,
            "since": iso(self.since),
            "until": iso(self.until),
            "changes": [
                {
                    "event_id": change.event_id,
                    "event_time": iso(change.event_time),
                    "event_name": change.event_name,
                    "actor": change.actor,
                    "actor_kind": change.actor_kind,
                    "summary": change.summary,
                    "error_code": change.error_code,
                    "suspicion": change.suspicion,
                    "evidence": list(change.evidence),
                }
                for change in self.changes
            ],
            "shifts": [
                {"metric": s.metric, "at": iso(s.at), "before": s.before, "after": s.after, "scope": s.scope}
                | ({"worse": s.worse} if s.worse is not None else {})
                | ({"unit": s.unit} if s.unit is not None else {})
                for s in self.shifts
            ],
        }

    @classmethod
    def from_dict(cls, data: Any, origin: str = "the timeline") -> Timeline:
        """Read the contract's JSON shape; `origin` names the input in error messages."""
        read = _Reader(origin)
        root = read.mapping(data, "the top level")
        changes = tuple(
            TimelineChange(
                event_id=read.text(item, "event_id", where),
                event_time=read.time(item, "event_time", where),
                event_name=read.text(item, "event_name", where),
                actor=read.text(item, "actor", where, optional=True),
                actor_kind=read.text(item, "actor_kind", where, optional=True),
                summary=read.text(item, "summary", where, optional=True),
                error_code=read.text(item, "error_code", where, optional=True),
                suspicion=read.number(item, "suspicion", where, low=0.0, high=1.0),
                evidence=read.texts(item, "evidence", where),
            )
            for index, raw in enumerate(read.items(root, "changes"))
            for where in [f"changes[{index}]"]
            for item in [read.mapping(raw, where)]
        )
        shifts = tuple(
            Shift(
                metric=read.text(item, "metric", where),
                at=read.time(item, "at", where),
                before=read.number(item, "before", where),
                after=read.number(item, "after", where),
                scope=read.text(item, "scope", where, optional=True) or "lb",
                worse=read.flag(item, "worse", where),
                unit=read.text(item, "unit", where, optional=True),
            )
            for index, raw in enumerate(read.items(root, "shifts"))
            for where in [f"shifts[{index}]"]
            for item in [read.mapping(raw, where)]
        )
        return cls(
            lb=read.text(root, "lb", "the top level"),
            since=read.time(root, "since", "the top level", optional=True),
            until=read.time(root, "until", "the top level", optional=True),
            changes=tuple(sorted(changes, key=lambda c: -c.suspicion)),
            shifts=tuple(sorted(shifts, key=lambda s: s.at)),
        )


def load_timeline(path: Path) -> Timeline:
    """A timeline saved with `correlate timeline --format json > FILE`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadTimeline(f"Cannot read the timeline {path}: {error.strerror}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = f" (line {error.lineno})" if isinstance(error, json.JSONDecodeError) else ""
        raise BadTimeline(
            f"{path}{where} is not JSON. Save a timeline with: correlate timeline --lb LB --format json > {path.name}"
        ) from None
    return Timeline.from_dict(data, str(path))


class _Reader:
    """Typed access to the JSON, with errors that say where."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, where: str, message: str) -> BadTimeline:
        return BadTimeline(
            f"{self.origin}: {where}: {message}. "
            "A timeline is the output of correlate timeline --format json (see CONTRACT.md)."
        )

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, f"expected an object, found {_kind(value)}")
        return value

    def items(self, data: Mapping[str, Any], key: str) -> Sequence[Any]:
        value = data.get(key)
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, found {_kind(value)}")
        return value

    def text(self, data: Mapping[str, Any], key: str, where: str, optional: bool = False) -> Any:
        value = data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"expected text, found {_kind(value)}")
        return value

    def texts(self, data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(f"{where}.{key}", "expected a list of text")
        return tuple(value)

    def flag(self, data: Mapping[str, Any], key: str, where: str) -> bool | None:
        value = data.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail(f"{where}.{key}", f"expected true, false or null, found {_kind(value)}")
        return value

    def number(
        self, data: Mapping[str, Any], key: str, where: str, low: float | None = None, high: float | None = None
    ) -> float:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(f"{where}.{key}", f"expected a number, found {_kind(value)}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(f"{where}.{key}", f"{value} is outside {low}..{high}")
        return float(value)

    def time(self, data: Mapping[str, Any], key: str, where: str, optional: bool = False) -> Any:
        value = data.get(key)
        if value is None and optional:
            return None
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", f"expected an ISO 8601 time, found {_kind(value)}")
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(f"{where}.{key}", f"{value!r} is not an ISO 8601 time") from None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        return parsed


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(type(value), type(value).__name__)


def current_timeline(
    db: Database | CellSource, lb: str, since: dt.datetime | None, until: dt.datetime | None
) -> Timeline:
    """The timeline of `lb` computed now: what `correlate timeline --format json` prints."""
    return Timeline.from_dict(timeline_document(build_timeline(db, lb, since, until)), "correlate timeline")
