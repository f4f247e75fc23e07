"""The timeline as one JSON document (`correlate timeline --format json`, the user-facing contract):
written and read through this one definition.

`timeline_document` writes a `Timeline`; `timeline_from_document` reads one back, from a file saved
with `--format json` (the report takes one). The contract's members are required (`lb`, and per
change `event_id`, `event_time`, `event_name`, `suspicion`; per shift `metric`, `at`, `before`,
`after`); what correlate writes besides is read where present, so a timeline written by hand or by
an older version still reads, and one correlate wrote reads back whole (its series excepted) and
writes the same document again. Unknown members are ignored. A missing or mistyped member is a
`BadTimeline` that names the input and the member.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from correlate.analysis.episodes import Episode, Stretch
from correlate.analysis.evidence import Coverage, Stated
from correlate.analysis.scoring import Attribution, ScoredChange
from correlate.analysis.series import Scope
from correlate.analysis.shifts import METRICS, DetectionParameters, Shift
from correlate.analysis.timeline import Timeline, explains
from correlate.errors import BadTimeline
from correlate.model.change import Change
from correlate.present.evidence import evidence_lines, missing_line, note_line
from correlate.timeparse import iso, spans_days


def timeline_document(timeline: Timeline) -> dict[str, Any]:
    """The `correlate timeline --format json` object (docs/scoring.md, "The JSON output"), with extra detail."""
    explained: dict[Shift, list[str]] = {}
    for scored in timeline.changes:
        for a in scored.explains:
            if explains(scored, a.shift):
                explained.setdefault(a.shift, []).append(scored.change.event_id)
    reverted_by = {s.change.reverts: s.change.event_id for s in timeline.changes if s.change.reverts}
    return {
        "lb": timeline.lb,
        "since": iso(timeline.since),
        "until": iso(timeline.until),
        "bucket_minutes": timeline.bucket_minutes,
        "changes": [_change(scored, reverted_by.get(scored.change.event_id)) for scored in timeline.changes],
        "shifts": [_shift(shift, explained.get(shift, [])) for shift in timeline.shifts],
        "notes": [note_line(note, _spans_days(timeline)) for note in timeline.notes],
        "parameters": timeline.parameters.as_dict() if timeline.parameters else None,
        "sources": _coverage(timeline.coverage),
        "window_chosen": timeline.chosen,
        "stretches": [{"since": iso(s.since), "until": iso(s.until)} for s in timeline.stretches],
        "incidents": [_incident(episode, timeline) for episode in timeline.incidents],
    }


def _coverage(coverage: Coverage | None) -> dict[str, list[str]] | None:
    """Which evidence the timeline was built from, and what is missing (in words)."""
    if coverage is None:
        return None
    return {"used": list(coverage.used), "missing": [missing_line(code) for code in coverage.missing]}


def _spans_days(timeline: Timeline) -> bool:
    return timeline.since is not None and timeline.until is not None and spans_days(timeline.since, timeline.until)


def _incident(episode: Episode, timeline: Timeline) -> dict[str, Any]:
    return {
        "since": iso(episode.since),
        "until": iso(episode.until),
        "onset": iso(episode.onset),
        "end": iso(episode.end),
        "recovered": episode.recovered,
        "metrics": list(episode.metrics),
        "shown": (episode.since, episode.until) == (timeline.since, timeline.until),
    }


def _change(scored: ScoredChange, reverted_by: str | None) -> dict[str, Any]:
    change = scored.change
    pairs = {"reverts": change.reverts, "reverted_by": reverted_by}
    return {
        "event_id": change.event_id,
        "event_time": iso(change.event_time),
        "event_name": change.event_name,
        "actor": change.actor,
        "actor_kind": change.actor_kind,
        "summary": change.summary,
        "error_code": change.error_code,
        "origin": change.origin,
        "url": change.url,
        "suspicion": scored.suspicion,
        "evidence": list(evidence_lines(scored)),
        "categories": list(change.categories),
        "applied": scored.applied,
        "plausibility": scored.plausibility,
        **{key: value for key, value in pairs.items() if value is not None},
        "explains": [
            {
                "metric": a.shift.metric,
                "scope": a.shift.scope.key,
                "at": iso(a.shift.at),
                "score": a.score,
                "timing": a.timing,
                "scope_fit": a.scope,
                "affinity": a.affinity,
                "quality": a.quality,
            }
            for a in scored.explains
        ],
    }


def _round(unit: str | None, value: float) -> float:
    if unit is None:
        return value
    return round(value, 6) if unit in ("rate", "share") else round(value, 2)


def _shift(shift: Shift, explained_by: list[str]) -> dict[str, Any]:
    return {
        "metric": shift.metric,
        "at": iso(shift.at),
        "before": _round(shift.unit, shift.before),
        "after": _round(shift.unit, shift.after),
        "scope": shift.scope.key,
        "scope_kind": shift.scope.kind,
        "scope_value": shift.scope.value,
        "unit": shift.unit,
        "direction": shift.direction,
        "kind": shift.kind,
        "worse": shift.worse,
        "strength": shift.strength,
        "p_value": shift.p_value,
        "test": shift.test,
        "ci_low": shift.ci_low,
        "ci_high": shift.ci_high,
        "before_from": iso(shift.before_from),
        "after_until": iso(shift.after_until),
        "source": shift.source,
        "explained_by": explained_by,
    }


# -- reading ----------------------------------------------------------------------------------------


def timeline_from_document(data: Any, origin: str = "the timeline") -> Timeline:
    """Read the contract's JSON shape back into a `Timeline`; `origin` names the input in errors."""
    read = _Reader(origin)
    root = read.mapping(data, "the top level")
    lb = read.text(root, "lb", "the top level")
    shifts = sorted(
        (
            _read_shift(read, read.mapping(raw, where), where)
            for index, raw in enumerate(read.items(root, "shifts"))
            for where in [f"shifts[{index}]"]
        ),
        key=lambda s: s.at,
    )
    changes = sorted(
        (
            _read_change(read, read.mapping(raw, where), where, lb, shifts)
            for index, raw in enumerate(read.items(root, "changes"))
            for where in [f"changes[{index}]"]
        ),
        key=lambda c: -c.suspicion,
    )
    parameters = root.get("parameters")
    sources = root.get("sources")
    stretches = tuple(
        Stretch(read.time(item, "since", where), read.time(item, "until", where))
        for index, raw in enumerate(root.get("stretches") or [])
        for where in [f"stretches[{index}]"]
        for item in [read.mapping(raw, where)]
    )
    incidents = tuple(
        Episode(
            since=read.time(item, "since", where),
            until=read.time(item, "until", where),
            onset=read.time(item, "onset", where),
            end=read.time(item, "end", where),
            recovered=bool(read.flag(item, "recovered", where)),
            metrics=read.texts(item, "metrics", where),
        )
        for index, raw in enumerate(root.get("incidents") or [])
        for where in [f"incidents[{index}]"]
        for item in [read.mapping(raw, where)]
    )
    return Timeline(
        lb=lb,
        since=read.time(root, "since", "the top level", optional=True),
        until=read.time(root, "until", "the top level", optional=True),
        changes=tuple(changes),
        shifts=tuple(shifts),
        notes=tuple(Stated(text) for text in read.texts(root, "notes", "the top level")),
        bucket_minutes=read.integer(root, "bucket_minutes", "the top level"),
        parameters=_parameters(read, parameters) if parameters is not None else None,
        coverage=_read_coverage(read, sources) if sources is not None else None,
        stretches=stretches,
        incidents=incidents,
        chosen=bool(read.flag(root, "window_chosen", "the top level")),
    )


def _read_coverage(read: _Reader, data: Any) -> Coverage:
    sources = read.mapping(data, "sources")
    return Coverage(read.texts(sources, "used", "sources"), read.texts(sources, "missing", "sources"))


def _read_change(read: _Reader, item: Mapping[str, Any], where: str, lb: str, shifts: Sequence[Shift]) -> ScoredChange:
    categories = read.texts(item, "categories", where)
    change = Change(
        event_id=read.text(item, "event_id", where),
        event_time=read.time(item, "event_time", where),
        event_name=read.text(item, "event_name", where),
        lb=lb,
        actor=read.text(item, "actor", where, optional=True),
        actor_kind=read.text(item, "actor_kind", where, optional=True),
        error_code=read.text(item, "error_code", where, optional=True),
        summary=read.text(item, "summary", where, optional=True),
        category=categories[0] if categories else "other",
        categories=categories,
        reverts=read.text(item, "reverts", where, optional=True),
        origin=read.text(item, "origin", where, optional=True) or "cloudtrail",
        url=read.text(item, "url", where, optional=True),
    )
    by_key = {(s.metric, s.scope.key, s.at): s for s in shifts}
    explained = []
    for index, raw in enumerate(item.get("explains") or []):
        at = f"{where}.explains[{index}]"
        entry = read.mapping(raw, at)
        key = (read.text(entry, "metric", at), read.text(entry, "scope", at), read.time(entry, "at", at))
        if key not in by_key:
            raise read.fail(f"{at}", f"no shift {key[0]} on {key[1]} at {iso(key[2])} in shifts")
        shift = by_key[key]
        explained.append(
            Attribution(
                shift=shift,
                score=read.number(entry, "score", at),
                timing=read.number(entry, "timing", at),
                scope=read.number(entry, "scope_fit", at),
                affinity=read.number(entry, "affinity", at),
                quality=read.number(entry, "quality", at),
                lag_seconds=(shift.at - change.event_time).total_seconds(),
            )
        )
    return ScoredChange(
        change=change,
        suspicion=read.number(item, "suspicion", where, low=0.0, high=1.0),
        evidence=tuple(Stated(text) for text in read.texts(item, "evidence", where)),
        applied=read.number(item, "applied", where, default=1.0),  # not stated: taken as applied
        plausibility=read.number(item, "plausibility", where, default=1.0),
        explains=tuple(explained),
    )


def _read_shift(read: _Reader, item: Mapping[str, Any], where: str) -> Shift:
    metric = read.text(item, "metric", where)
    key = read.text(item, "scope", where, optional=True) or "lb"
    kind, _, value = key.partition(":")
    return Shift(
        metric=metric,
        scope=Scope(kind, value or None),
        at=read.time(item, "at", where),
        before=read.number(item, "before", where),
        after=read.number(item, "after", where),
        before_from=read.time(item, "before_from", where, optional=True),
        after_until=read.time(item, "after_until", where, optional=True),
        family=METRICS[metric][0] if metric in METRICS else None,
        unit=read.text(item, "unit", where, optional=True),
        direction=read.text(item, "direction", where, optional=True),
        kind=read.text(item, "kind", where, optional=True),
        worse=read.flag(item, "worse", where),
        strength=read.number(item, "strength", where, default=None),
        p_value=read.number(item, "p_value", where, default=None),
        test=read.text(item, "test", where, optional=True),
        ci_low=read.number(item, "ci_low", where, default=None),
        ci_high=read.number(item, "ci_high", where, default=None),
        source=read.text(item, "source", where, optional=True),
    )


def _parameters(read: _Reader, data: Any) -> DetectionParameters:
    values = read.mapping(data, "parameters")
    known = {field.name for field in dataclasses.fields(DetectionParameters)}
    return DetectionParameters(**{key: value for key, value in values.items() if key in known})


_MISSING: Any = object()


class _Reader:
    """Typed access to the JSON, with errors that say where."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, where: str, message: str) -> BadTimeline:
        return BadTimeline(
            f"{self.origin}: {where}: {message}. "
            "A timeline is the output of correlate timeline --format json (see docs/scoring.md)."
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

    def integer(self, data: Mapping[str, Any], key: str, where: str) -> int | None:
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(f"{where}.{key}", f"expected a whole number, found {_kind(value)}")
        return value

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        where: str,
        low: float | None = None,
        high: float | None = None,
        default: Any = _MISSING,
    ) -> Any:
        """A finite number; with a `default`, the member may be missing or null."""
        value = data.get(key)
        if value is None and default is not _MISSING:
            return default
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
