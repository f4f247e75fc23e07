"""A timeline as text: the incident-timeline table, and flat rows for csv, markdown and ndjson; the
JSON document is present/document.py's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TextIO

from rich.table import Table
from rich.text import Text

from correlate.analysis.scoring import ScoredChange
from correlate.analysis.shifts import SCOPE_ORDER, Shift
from correlate.analysis.timeline import SUSPECT, Timeline
from correlate.present.document import timeline_document
from correlate.present.evidence import coverage_lines, describe_shift, evidence_lines, note_line
from correlate.present.render import json_bytes, render_rows, terminal
from correlate.timeparse import iso

ROW_COLUMNS = ("time", "kind", "rank", "what", "who", "suspicion", "evidence")
RANKED_SHOWN = 5  # the table's first part: this many changes, most suspect first


# -- rows -----------------------------------------------------------------------------------------


Row = tuple[dt.datetime, str, int | None, str, str, float | None, list[str]]


def timeline_rows(timeline: Timeline) -> list[Row]:
    """One row per change and per group of shifts (same time and metric, or requests moving between
    targets), in time order: (time, kind, rank, what, who, suspicion, evidence lines); a change's rank
    is its place in the ranking, 1 the most suspect. Requests moving between targets is left out when
    no target comes or goes and no change explains it (the JSON has it)."""
    rows: list[Row] = []
    for rank, scored in enumerate(timeline.changes, start=1):
        rows.append(
            (
                scored.change.event_time,
                "change",
                rank,
                _what(scored),
                _who(scored),
                scored.suspicion,
                list(evidence_lines(scored)),
            )
        )
    groups: dict[tuple, list[Shift]] = {}
    for shift in timeline.shifts:
        key = (shift.at, "distribution") if shift.kind == "distribution" else (shift.at, shift.metric, shift.direction)
        groups.setdefault(key, []).append(shift)
    for key, shifts in groups.items():
        shifts.sort(key=lambda s: (SCOPE_ORDER.index(s.scope.kind), s.scope.key))
        if key[1] == "distribution" or shifts[0].worse is False:
            evidence = [f"follows {c}" for c in _followed(timeline, shifts)]
        else:
            evidence = [f"explained by {c}" for c in _causes(timeline, shifts)] or ["unexplained"]
        if key[1] == "distribution":
            quiet = all(s.before >= 0.5 and s.after >= 0.5 for s in shifts)
            if quiet and not evidence:
                continue  # traffic moving between targets, no target coming or going, no change behind it
            rows.append((key[0], "shift", None, _distribution(shifts), "", None, evidence))
            continue
        primary = shifts[0]
        kind = "recovery" if primary.worse is False else "shift"
        what = describe_shift(primary)
        if len(shifts) > 1:
            what += f"; also {_scopes(shifts[1:])}"
        rows.append((key[0], kind, None, what, "", None, evidence))
    rows.sort(key=lambda r: (r[0], r[1] != "change", r[3]))
    return rows


def _what(scored: ScoredChange) -> str:
    change = scored.change
    what = change.summary or change.event_name
    if change.error_code and change.error_code not in what:
        what += f" (failed: {change.error_code})"
    return what


def _who(scored: ScoredChange) -> str:
    actor = scored.change.actor or "unknown"
    short = actor.rsplit("/", 1)[-1] if actor.startswith("arn:") else actor
    return f"{short} ({scored.change.actor_kind})" if scored.change.actor_kind else short


def _causes(timeline: Timeline, shifts: Sequence[Shift]) -> list[str]:
    found: dict[str, None] = {}
    for shift in shifts:
        for scored in timeline.explained_by(shift):
            found[f"{scored.change.event_name} at {scored.change.event_time:%H:%M:%S} ({scored.suspicion:.2f})"] = None
    return list(found)


def _followed(timeline: Timeline, shifts: Sequence[Shift]) -> list[str]:
    """Applied changes that fit these shifts well (distribution and recovery shifts cannot make a
    change suspect, but they show where a change took effect)."""
    found: dict[str, None] = {}
    for scored in timeline.changes:
        if scored.applied < 1 or scored.plausibility < 0.5:
            continue
        if any(a.shift in shifts and a.score >= SUSPECT for a in scored.explains):
            found[f"{scored.change.event_name} at {scored.change.event_time:%H:%M:%S}"] = None
    return list(found)


def _scopes(shifts: Sequence[Shift]) -> str:
    by_kind: dict[str, list[str]] = {}
    for shift in shifts:
        by_kind.setdefault(shift.scope.kind, []).append(str(shift.scope.value))
    parts = []
    for kind, values in by_kind.items():
        noun = kind.replace("_", " ")
        if len(values) > 3:
            parts.append(f"{len(values)} {noun}s")
        else:
            parts.append(f"{noun}{'s' if len(values) > 1 else ''} {', '.join(values)}")
    return "; ".join(parts)


def _distribution(shifts: Sequence[Shift]) -> str:
    stopped = [s.scope for s in shifts if s.after < 0.5]
    started = [s.scope for s in shifts if s.before < 0.5]
    moved = [s.scope for s in shifts if s.after >= 0.5 and s.before >= 0.5]
    parts = []
    if stopped:
        parts.append(f"{_scope_names(stopped)} stopped receiving requests")
    if started:
        parts.append(f"{_scope_names(started)} started receiving requests")
    if moved:
        parts.append(f"requests per minute moved on {_scope_names(moved)}")
    return "; ".join(parts)


def _scope_names(scopes) -> str:
    names = [f"{s.kind.replace('_', ' ')} {s.value}" for s in scopes[:4]]
    more = f" and {len(scopes) - 4} more" if len(scopes) > 4 else ""
    return ", ".join(names) + more


# -- rendering ------------------------------------------------------------------------------------


def render_timeline(timeline: Timeline, fmt: str, out: TextIO) -> None:
    """json: the contract's document (changes most suspect first, shifts in time order). table: the
    most suspect changes first, then every change and shift in time order. csv, ndjson, markdown: the
    rows of the second part, in time order, each change with its rank."""
    if fmt == "json":
        out.write(json_bytes(timeline_document(timeline), indent=True).decode())
        out.write("\n")
        return
    rows = timeline_rows(timeline)
    if fmt == "table":
        _table(timeline, rows, out)
        return
    flat = [
        (iso(t), kind, rank, what, who, suspicion, "; ".join(evidence))
        for t, kind, rank, what, who, suspicion, evidence in rows
    ]
    render_rows(ROW_COLUMNS, flat, fmt, out)


def _table(timeline: Timeline, rows: list[Row], out: TextIO) -> None:
    """What an SRE reads first mid-incident: the suspects, with their evidence; then the story in time
    order, where the changes ranked above point back to their rank instead of repeating it."""
    console = terminal(out)
    same_day = timeline.since.date() == (timeline.until - dt.timedelta(microseconds=1)).date()
    span = (
        f"{timeline.since:%Y-%m-%d %H:%M} to {timeline.until:%H:%M} UTC"
        if same_day
        else f"{timeline.since:%Y-%m-%d %H:%M} to {timeline.until:%Y-%m-%d %H:%M} UTC"
    )
    console.print(Text(f"{timeline.lb}: {span}, {timeline.bucket_minutes}-minute buckets"))
    clock = "%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S"
    ranked = timeline.changes[:RANKED_SHOWN]
    if ranked:
        more = len(timeline.changes) - len(ranked)
        title = "Changes, most suspect first" + (f" (top {len(ranked)}; {more} more below)" if more else "")
        table = Table(title=title, title_justify="left", header_style="bold", show_lines=True)
        for column in ("#", "suspicion", "time (UTC)", "change", "who", "evidence"):
            table.add_column(column, overflow="fold")
        for rank, scored in enumerate(ranked, start=1):
            table.add_row(
                str(rank),
                _score(scored.suspicion),
                scored.change.event_time.strftime(clock),
                Text(f"{scored.change.event_name}: {_what(scored)}"),
                Text(_who(scored)),
                Text("\n".join(evidence_lines(scored))),
            )
        console.print(table)
    table = Table(title="In time order", title_justify="left", header_style="bold", show_lines=True)
    for column in ("time (UTC)", "", "what", "who", "suspicion", "evidence"):
        table.add_column(column, overflow="fold")
    for at, kind, rank, what, who, suspicion, evidence in rows:
        if rank is not None and rank <= RANKED_SHOWN:
            evidence = [f"#{rank} above"]
        table.add_row(at.strftime(clock), kind, Text(what), Text(who), _score(suspicion), Text("\n".join(evidence)))
    console.print(table)
    if timeline.changes and timeline.changes[0].suspicion >= SUSPECT:
        top = timeline.changes[0]
        console.print(
            Text(
                f"Most suspect: {top.change.event_name} at {top.change.event_time:%Y-%m-%d %H:%M:%S} by "
                f"{_who(top)}, suspicion {top.suspicion:.2f}."
            )
        )
    for note in timeline.notes:
        console.print(Text(note_line(note)))
    if timeline.coverage is not None:
        for line in coverage_lines(timeline.coverage):
            console.print(Text(line))


def _score(suspicion: float | None) -> Text:
    score = Text("" if suspicion is None else f"{suspicion:.2f}")
    if suspicion is not None and suspicion >= SUSPECT:
        score.stylize("bold red")
    return score
