"""Every fact a report states, gathered from the database.

Each figure is one query under sql/report/ run with bound parameters; the figure keeps the rows and
the same SQL with the parameter values written in as literals, which the report's appendix prints so
that anyone can paste it into a DuckDB client and get the same numbers.

The timeline (changes ranked by suspicion, metric shifts) comes in as a `Timeline`, from the
timeline library or a saved `correlate timeline --format json`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from correlate.analysis.episodes import Incident, find_incident, stretches
from correlate.analysis.scoring import ScoredChange
from correlate.analysis.series import CLOUDWATCH
from correlate.analysis.timeline import Timeline
from correlate.errors import BadTimeline, CorrelateError, EmptyWindow
from correlate.model.change import Change
from correlate.report.analysis import Rollback, find_rollback
from correlate.store.cells import CellSource, DatabaseCells
from correlate.store.database import Database
from correlate.store.queries import resolve_lb
from correlate.store.report import report_query, run_report_query, with_literals
from correlate.store.timeline import change_of
from correlate.timeparse import check_order, whole_minutes, window_around, with_dates


class NoTrafficInWindow(CorrelateError):
    """The load balancer has no log rows at all."""


@dataclass(frozen=True, slots=True)
class ReportOptions:
    lb: str
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    data_span: tuple[dt.datetime, dt.datetime] | None = None  # set by report_window: first and last of the data
    today: dt.date | None = None  # the day it is written: times in another day's report carry their date


@dataclass(frozen=True, slots=True)
class Figure:
    """One query's result, and the SQL that reproduces it."""

    key: str  # F1, F2, ... in the order the appendix lists them
    query: str  # sql/report/<query>.sql
    shows: str
    sql: str  # with the parameter values as literals
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def record(self) -> dict[str, Any]:
        """The row of a one-row figure."""
        (row,) = self.rows
        return dict(zip(self.columns, row, strict=True))


@dataclass(frozen=True, slots=True)
class ReportData:
    lb: str
    lb_type: str | None
    since: dt.datetime
    until: dt.datetime
    timeline: Timeline
    incident: Incident | None
    rollback: Rollback | None
    changes: tuple[Change, ...]
    figures: tuple[Figure, ...]
    anchor: ScoredChange | None = None  # the change the incident began in the minute of (Timeline.anchor)
    dated: bool = True  # every time is written with its date (timeparse.with_dates)

    def figure(self, query: str) -> Figure | None:
        return next((figure for figure in self.figures if figure.query == query), None)

    @property
    def period(self) -> tuple[dt.datetime, dt.datetime]:
        """The incident period (up to its recovery, or the end of its stretch of data), or the whole
        window when there is no incident."""
        if self.incident is None:
            return self.since, self.until
        return self.incident.onset, self.incident.end or self.until


# The appendix order.
ORDER = (
    "window",
    "periods",
    "impact",
    "carriers",
    "error_span",
    "minutes",
    "tls_mix",
    "changes",
    "log_intervals",
    "cloudtrail_coverage",
    "manifest",
)


def gather(db: Database, options: ReportOptions, timeline: Timeline) -> ReportData:
    """Run every figure's query for `options.lb` over the window."""
    results: dict[str, Figure] = {}

    def run(query: str, **params: Any) -> Figure:
        columns, rows = run_report_query(db, query, params)
        figure = Figure(
            key="",
            query=query,
            shows=report_query(query).shows,
            sql=with_literals(report_query(query).sql, params),
            columns=tuple(columns),
            rows=tuple(tuple(row) for row in rows),
        )
        results[query] = figure
        return figure

    if options.data_span is None:
        options = report_window(db, options, timeline)
    lb, since, until, span = options.lb, options.since, options.until, options.data_span
    assert since is not None and until is not None and span is not None
    if timeline.lb != lb:
        raise BadTimeline(
            f"The timeline is for the load balancer {timeline.lb}, not {lb}. "
            f"Make one with: correlate timeline --lb {lb} --format json"
        )
    seen = _seen(lb, run("window", lb=lb).records())
    window_params = {"lb": lb, "since": since, "until": until}
    minutes = run("minutes", **window_params).records()
    changes = tuple(change_of({"lb": lb, **record}) for record in run("changes", **window_params).records())

    # The stretches of data in the window: an incident ends where its stretch does (a gap in the
    # data), and its before and after periods stay inside it. Without requests (an NLB's TLS logs,
    # CloudWatch alone), the stretches the timeline found in its own evidence.
    busy = [m["minute"] for m in minutes if m["requests"]]
    data = stretches(busy, (c.event_time for c in changes)) if busy or not timeline.stretches else timeline.stretches
    incident = find_incident((shift for shift in timeline.shifts if since <= shift.at < until), data)
    onset = incident.onset if incident else until
    recovery = (incident.end or until) if incident else until
    stretch = next((s for s in data if incident is not None and s.holds(incident.onset)), None)
    first, last = (max(since, stretch.since), min(until, stretch.until)) if stretch else (since, until)

    periods = run("periods", lb=lb, since=first, onset=onset, recovery=recovery, until=last)
    tls_mix = run("tls_mix", **window_params)
    measured = timeline.coverage is not None and CLOUDWATCH in timeline.coverage.used
    if not any(record["requests"] for record in periods.records()) and not tls_mix.rows and not measured:
        raise EmptyWindow(lb, since, until, *span, "log rows")
    if incident is not None:
        run("impact", lb=lb, since=first, onset=onset, recovery=recovery)
    period_start, period_end = (onset, recovery) if incident else (since, until)
    run("carriers", lb=lb, period_start=period_start, period_end=period_end)
    if incident is not None:
        run("error_span", lb=lb, search_from=_error_search_start(timeline, onset), search_to=recovery)
    run("log_intervals", **window_params)
    run("cloudtrail_coverage", **window_params)
    run("manifest", **window_params)

    figures = tuple(
        dataclasses.replace(results[query], key=f"F{number}")
        for number, query in enumerate((q for q in ORDER if q in results), start=1)
    )
    return ReportData(
        lb=lb,
        lb_type=seen["lb_type"],
        since=since,
        until=until,
        timeline=timeline,
        incident=incident,
        rollback=find_rollback(timeline.suspect, changes),
        changes=changes,
        figures=figures,
        anchor=timeline.anchor_of(m.onset for m in incident.metrics) if incident else None,
        dated=with_dates(since, until, options.today),
    )


def report_window(
    db: Database, options: ReportOptions, timeline: Timeline | None = None, cells: CellSource | None = None
) -> ReportOptions:
    """`options` with the load balancer as the database names it and the window filled in, in whole
    minutes: --since/--until as given, else the window of a saved timeline, else the whole minutes
    around all of the load balancer's data (what `correlate timeline` uses without them; from
    `cells`, a lake's, when given)."""
    check_order(options.since, options.until)
    lb = resolve_lb(db, options.lb)
    first, last = (cells or DatabaseCells(db)).data_span(lb)
    data_since, data_until = window_around(first, last)
    since = options.since or (timeline.since if timeline else None) or data_since
    until = options.until or (timeline.until if timeline else None) or data_until
    since, until = whole_minutes(since, until)
    if since >= until:
        raise EmptyWindow(lb, since, until, first, last, "log rows")
    return ReportOptions(lb, since, until, (first, last), options.today)


def _seen(lb: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The `window` figure's row for `lb` (a load balancer the database has); an error when it has no logs."""
    (seen,) = records
    if seen["first_seen"] is None:
        raise NoTrafficInWindow(
            f"{lb} has configuration changes but no access-log rows; a report needs its logs. "
            "Load them with: correlate ingest logs SOURCE"
        )
    return seen


SUSPECT_LEAD = dt.timedelta(minutes=5)


def _error_search_start(timeline: Timeline, onset: dt.datetime) -> dt.datetime:
    """Where the incident's first 5xx is searched from: the suspect change, when it came within five
    minutes of the onset (a shift is placed at the start of a bucket, which can be before or after
    the change inside it), else the onset."""
    suspect = timeline.suspect.change if timeline.suspect else None
    if suspect is not None and suspect.error_code is None and abs(suspect.event_time - onset) <= SUSPECT_LEAD:
        return suspect.event_time
    return onset
