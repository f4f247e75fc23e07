"""A timeline as text: the incident-timeline table, and flat rows for csv, markdown and ndjson; the
JSON document is present/document.py's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TextIO

from rich.table import Table
from rich.text import Text

from correlate.analysis.episodes import Episode
from correlate.analysis.scoring import ScoredChange
from correlate.analysis.shifts import METRICS, SCOPE_ORDER, Shift
from correlate.analysis.timeline import SUSPECT, Timeline
from correlate.model.change import Change
from correlate.present.document import timeline_document
from correlate.present.evidence import clock_time, coverage_lines, describe_shift, evidence_lines, note_line
from correlate.present.render import json_bytes, render_rows, terminal
from correlate.timeparse import iso, with_dates

ROW_COLUMNS = ("time", "kind", "rank", "what", "who", "suspicion", "evidence")
RANKED_SHOWN = 5  # the table's first part: this many changes, most suspect first


# -- rows -----------------------------------------------------------------------------------------


Row = tuple[dt.datetime, str, int | None, str, str, float | None, list[str]]


def timeline_rows(timeline: Timeline, dated: bool = False) -> list[Row]:
    """One row per change and per group of shifts (same time and metric, or requests moving between
    targets), in time order: (time, kind, rank, what, who, suspicion, evidence lines); a change's rank
    is its place in the ranking, 1 the most suspect. A shift's time is the start of its bucket; one
    that began in the bucket of the change it is put down to (`Timeline.anchor`) comes after that
    change. Requests moving between targets is left out when no target comes or goes and no change
    explains it (the JSON has it). `dated`: the times in the words carry their date."""
    rows: list[tuple[tuple, Row]] = []
    for rank, scored in enumerate(timeline.changes, start=1):
        at = scored.change.event_time
        row = (at, "change", rank, _what(scored), _who(scored), scored.suspicion, list(evidence_lines(scored)))
        rows.append(((at, 0, row[3]), row))
    groups: dict[tuple, list[Shift]] = {}
    for shift in timeline.shifts:
        key = (shift.at, "distribution") if shift.kind == "distribution" else (shift.at, shift.metric, shift.direction)
        groups.setdefault(key, []).append(shift)
    for key, shifts in groups.items():
        shifts.sort(key=lambda s: (SCOPE_ORDER.index(s.scope.kind), s.scope.key))
        anchored = timeline.anchor_of(shifts)
        anchor = anchored.change if anchored else None
        if key[1] == "distribution" or shifts[0].worse is False:
            evidence = [f"follows {c}" for c in _changes(timeline.took_effect, shifts, anchor, timeline, dated)]
        else:
            found = _changes(timeline.explained_by, shifts, anchor, timeline, dated, score=True)
            evidence = [f"explained by {c}" for c in found] or ["unexplained"]
        order = (anchor.event_time, 1) if anchor is not None else (key[0], 1)
        if key[1] == "distribution" and not evidence and all(s.before >= 0.5 and s.after >= 0.5 for s in shifts):
            continue  # traffic moving between targets, no target coming or going, no change behind it
        if anchor is not None and not any(_inside(timeline) in item for item in evidence):
            evidence.append(
                f"began {_inside(timeline)} ({anchor.event_name} at {clock_time(anchor.event_time, dated)})"
            )
        if key[1] == "distribution":
            what = _distribution(shifts)
            rows.append(((*order, what), (key[0], "shift", None, what, "", None, evidence)))
            continue
        primary = shifts[0]
        kind = "recovery" if primary.worse is False else "shift"
        what = describe_shift(primary)
        if len(shifts) > 1:
            what += f"; also {_scopes(shifts[1:])}"
        rows.append(((*order, what), (key[0], kind, None, what, "", None, evidence)))
    rows.sort(key=lambda item: item[0])
    return [row for _, row in rows]


def _what(scored: ScoredChange) -> str:
    """The summary, and the link back to the system that made the change, where it gave one."""
    change = scored.change
    what = change.summary or change.event_name
    if change.error_code and change.error_code not in what:
        what += f" (failed: {change.error_code})"
    return f"{what} <{change.url}>" if change.url else what


def _who(scored: ScoredChange) -> str:
    """Who and how (`bob (cli)`); a change event says it came from a feed (`alice (feed: github)`)."""
    change = scored.change
    actor = change.actor or "unknown"
    short = actor.rsplit("/", 1)[-1] if actor.startswith("arn:") else actor
    if change.origin == "feed":
        return f"{short} (feed: {change.actor_kind})" if change.actor_kind else f"{short} (feed)"
    return f"{short} ({change.actor_kind})" if change.actor_kind else short


def _changes(
    which: Callable[[Shift], list[ScoredChange]],
    shifts: Sequence[Shift],
    anchor: Change | None,
    timeline: Timeline,
    dated: bool,
    score: bool = False,
) -> list[str]:
    """`which(shift)` (explained_by, took_effect) for every shift of a group, each change once: its
    name and time (and suspicion), and for the group's anchor that the shifts began in its minute."""
    found: dict[str, None] = {}
    for shift in shifts:
        for scored in which(shift):
            change = scored.change
            text = f"{change.event_name} at {clock_time(change.event_time, dated)}"
            if score:
                text += f" ({scored.suspicion:.2f})"
            if anchor is not None and change.event_id == anchor.event_id:
                text += f", {_inside(timeline)}"
            found[text] = None
    return list(found)


def _inside(timeline: Timeline) -> str:
    bucket = timeline.bucket_minutes or 1
    return "in the minute of the change" if bucket == 1 else f"in the {bucket}-minute bucket of the change"


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


# -- which window ----------------------------------------------------------------------------------


def window_note(timeline: Timeline) -> str | None:
    """What stderr says about the window when it is not all of the data: without --since/--until,
    which incident is shown and the --since/--until of each other one; with them, that the window
    spans a gap in the data. None when the window is all of the data, in one stretch."""
    stretches, lb = timeline.stretches, timeline.lb
    if not timeline.chosen:
        if len(stretches) < 2:
            return None
        return (
            f"The window holds {len(stretches)} stretches of {lb}'s data with "
            f"{'a gap' if len(stretches) == 2 else 'gaps'} between "
            f"({', '.join(_span(s.since, s.until) for s in stretches)}): a shift across a gap compares "
            "different stretches. Pick one with --since/--until."
        )
    if not stretches or (timeline.since, timeline.until) == (stretches[0].since, stretches[-1].until):
        return None
    data = f"Its data runs from {_span(stretches[0].since, stretches[-1].until)}"
    if len(stretches) > 1:
        data += f" in {len(stretches)} stretches, with {'a gap' if len(stretches) == 2 else 'gaps'} between"
    shown = next((e for e in timeline.incidents if (e.since, e.until) == (timeline.since, timeline.until)), None)
    window = pick_window(timeline.since, timeline.until)
    if shown is None:
        if (timeline.since, timeline.until) != (stretches[-1].since, stretches[-1].until):
            return None  # no requests anywhere: all of the data
        return (
            f"No incident in {lb}'s data (no metric got worse); showing its most recent stretch, "
            f"{_span(timeline.since, timeline.until)}: {window}. {data}."
        )
    others = [e for e in timeline.incidents if e is not shown]
    which = f"the most recent of {lb}'s {len(timeline.incidents)} incidents" if others else f"{lb}'s only incident"
    lines = [f"Showing {which}, {incident_text(shown)}: {window}. {data}." + (" The others:" if others else "")]
    lines += [f"  {incident_text(e)}: {pick_window(e.since, e.until)}" for e in others]
    return "\n".join(lines)


def incident_text(episode: Episode) -> str:
    """`2026-11-02 14:00 until the end of the data at 14:20 (ELB 5xx rate)`."""
    end = f"{episode.end:%H:%M}" if episode.end.date() == episode.onset.date() else f"{episode.end:%Y-%m-%d %H:%M}"
    what = ", ".join(METRICS[m][2] if m in METRICS else m for m in episode.metrics)
    until = f"recovered {end}" if episode.recovered else f"until the end of the data at {end}"
    return f"{episode.onset:%Y-%m-%d %H:%M} {until} ({what})"


def _span(since: dt.datetime, until: dt.datetime) -> str:
    same_day = since.date() == (until - dt.timedelta(microseconds=1)).date()
    return (
        f"{since:%Y-%m-%d %H:%M} to {until:%H:%M}" if same_day else f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M}"
    )


def pick_window(since: dt.datetime, until: dt.datetime) -> str:
    """The --since/--until that pick the window [since, until)."""
    return f"--since {since:%Y-%m-%dT%H:%MZ} --until {until:%Y-%m-%dT%H:%MZ}"


# -- rendering ------------------------------------------------------------------------------------


def render_timeline(timeline: Timeline, fmt: str, out: TextIO, today: dt.date | None = None) -> None:
    """json: the contract's document (changes most suspect first, shifts in time order). table: the
    most suspect changes first, then every change and shift in time order. csv, ndjson, markdown: the
    rows of the second part, in time order, each change with its rank. Times in the table and the
    words carry their date when the window is longer than a day or is not `today` (not known: they
    do); the JSON's words when the window is longer than a day, so the same data gives the same
    document on any day."""
    if fmt == "json":
        out.write(json_bytes(timeline_document(timeline), indent=True).decode())
        out.write("\n")
        return
    dated = with_dates(timeline.since, timeline.until, today)
    rows = timeline_rows(timeline, dated)
    if fmt == "table":
        _table(timeline, rows, out, dated)
        return
    flat = [
        (iso(t), kind, rank, what, who, suspicion, "; ".join(evidence))
        for t, kind, rank, what, who, suspicion, evidence in rows
    ]
    render_rows(ROW_COLUMNS, flat, fmt, out)


def _table(timeline: Timeline, rows: list[Row], out: TextIO, dated: bool) -> None:
    """What an SRE reads first mid-incident: the suspects, with their evidence; then the story in time
    order, where the changes ranked above point back to their rank instead of repeating it."""
    console = terminal(out)
    span = _span(timeline.since, timeline.until)
    console.print(Text(f"{timeline.lb}: {span} UTC, {timeline.bucket_minutes}-minute buckets"))
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
                clock_time(scored.change.event_time, dated),
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
        # a shift's time is the start of its bucket: shown to the minute
        when = clock_time(at, dated) if kind == "change" else at.strftime("%Y-%m-%d %H:%M" if dated else "%H:%M")
        table.add_row(when, kind, Text(what), Text(who), _score(suspicion), Text("\n".join(evidence)))
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
        console.print(Text(note_line(note, dated)))
    if timeline.coverage is not None:
        for line in coverage_lines(timeline.coverage):
            console.print(Text(line))


def _score(suspicion: float | None) -> Text:
    score = Text("" if suspicion is None else f"{suspicion:.2f}")
    if suspicion is not None and suspicion >= SUSPECT:
        score.stylize("bold red")
    return score
