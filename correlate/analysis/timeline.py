"""The timeline of one load balancer: its changes, ranked by suspicion, and its metric shifts.

`build_timeline` reads the window's cells (two passes over `requests`; for an NLB without access to
requests, its TLS logs; with neither, CloudWatch's metrics) and changes, builds the series, detects
the shifts and scores every change. CloudWatch's metrics that no log holds (host counts, the surge
queue, TLS negotiation errors) join the logs' series whenever the window has them; `coverage` says
which evidence was used and what is missing. The result is plain data; rendering lives in
`correlate.present.timeline`, and the report reuses the same object (its `series` included).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from correlate.analysis.evidence import Coverage, NoChanges, NoneSuspect, NoRequests, NoShifts, Note, Unexplained
from correlate.analysis.measured import build_nlb_series, metrics_series, with_cloudwatch_extras
from correlate.analysis.scoring import ScoredChange, score_changes
from correlate.analysis.series import CLOUDWATCH, SeriesSet, build_series
from correlate.analysis.shifts import (
    SCOPE_ORDER,
    DetectionParameters,
    MetricSeries,
    Shift,
    detect,
    metric_series,
)
from correlate.errors import EmptyWindow
from correlate.store.cells import CellSource, DatabaseCells
from correlate.store.database import Database
from correlate.timeparse import check_order, whole_minutes, window_around

SUSPECT = 0.5
EXPLAINS = 0.35  # a shift counts as explained by a suspect change whose score for it reaches this


@dataclass(frozen=True, slots=True)
class Timeline:
    """One load balancer's window: its changes ranked, its shifts, notes on what the data cannot say.

    `build_timeline` makes it; present/timeline.py writes it as the JSON document (and reads a saved
    one back into it: then `series`, and whatever the file does not state, is None)."""

    lb: str
    since: dt.datetime | None
    until: dt.datetime | None
    changes: tuple[ScoredChange, ...]  # most suspect first
    shifts: tuple[Shift, ...]  # in time order
    notes: tuple[Note, ...] = ()  # present/evidence.py writes the words
    bucket_minutes: int | None = None
    parameters: DetectionParameters | None = None
    series: SeriesSet | None = None  # the per-bucket series the shifts were found in
    coverage: Coverage | None = None  # which evidence was used, what is missing

    @property
    def suspect(self) -> ScoredChange | None:
        """The change the evidence points at: the most suspect one, when it reaches SUSPECT."""
        if self.changes and self.changes[0].suspicion >= SUSPECT:
            return self.changes[0]
        return None

    def explained_by(self, shift: Shift) -> list[ScoredChange]:
        """The suspect changes (suspicion >= 0.5) this shift counts for: its explanation score, times
        applied and plausibility, is at least EXPLAINS."""
        return [scored for scored in self.changes if explains(scored, shift)]


def explains(scored: ScoredChange, shift: Shift) -> bool:
    if scored.suspicion < SUSPECT:
        return False
    weight = scored.applied * scored.plausibility
    return any(a.shift == shift and weight * a.score >= EXPLAINS for a in scored.explains)


def build_timeline(
    db: Database | CellSource,
    lb: str,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    parameters: DetectionParameters | None = None,
) -> Timeline:
    """Changes and shifts of `lb` in the whole minutes of [since, until); without them, the whole
    minutes around all of the load balancer's data (request arrivals and changes). `db` is the
    database, or another source of its cells and changes (a lake's: store/cells.py)."""
    parameters = parameters or DetectionParameters()
    check_order(since, until)
    source = DatabaseCells(db) if isinstance(db, Database) else db
    lb = source.resolve(lb)
    first, last = source.data_span(lb)
    data_since, data_until = window_around(first, last)
    since, until = whole_minutes(since or data_since, until or data_until)
    if since >= until:
        raise EmptyWindow(lb, since, until, first, last, "requests or changes")
    series, coverage = _series(source, lb, since, until, parameters)
    metrics = metric_series(series, parameters)
    shifts: list[Shift] = []
    for metric in metrics:
        shifts.extend(detect(series, metric, parameters))
    shifts.sort(key=_shift_order)
    by_key: dict[tuple[str, str], MetricSeries] = {(m.scope.key, m.metric): m for m in metrics}
    changes = source.changes_between(lb, since, until)
    if not changes and series.traffic_from is None:
        raise EmptyWindow(lb, since, until, first, last, "requests or changes")
    scored = score_changes(changes, shifts, series, by_key)
    timeline = Timeline(
        lb, since, until, tuple(scored), tuple(shifts), (), series.bucket_minutes, parameters, series, coverage
    )
    return dataclasses.replace(timeline, notes=_notes(timeline, series))


def _series(
    source: CellSource, lb: str, since: dt.datetime, until: dt.datetime, parameters: DetectionParameters
) -> tuple[SeriesSet, Coverage]:
    """The series of the window from the best evidence it holds: access logs, else an NLB's TLS logs,
    else CloudWatch; with CloudWatch's extras beside logs."""
    held = source.held(lb, since, until)
    last = until - dt.timedelta(minutes=1)
    sizes = {"min_bucket_requests": parameters.min_bucket_requests, "max_buckets": parameters.max_buckets}
    if held.requests or not (held.connections or held.metrics):
        back = source.latency_cells(lb, since, until)
        front = source.frontend_cells(lb, since, until)
        series = build_series(lb, back, front, since, last, parameters.bucket_minutes, **sizes)
    elif held.connections:
        cells, clients = source.nlb_cells(lb, since, until), source.nlb_client_cells(lb, since, until)
        series = build_nlb_series(lb, cells, clients, since, last, parameters.bucket_minutes, **sizes)
    else:
        cells, reads = source.metric_cells(lb, since, until), source.metric_reads(lb, since, until)
        return metrics_series(lb, cells, reads, since, last, parameters.bucket_minutes, **sizes), Coverage(
            (CLOUDWATCH,), ("tls_logs",) if held.lb_type == "nlb" else ("access_logs",)
        )
    logs = (series.traffic_source,) if held.requests or held.connections else ()
    nlb = held.lb_type == "nlb"
    if not held.metrics:
        missing = ("cloudwatch_nlb" if nlb else "cloudwatch",)
        return series, Coverage(logs, missing if logs else ("tls_logs" if nlb else "access_logs", *missing))
    cells, reads = source.metric_cells(lb, since, until), source.metric_reads(lb, since, until)
    return with_cloudwatch_extras(series, cells, reads, since, last), Coverage((*logs, CLOUDWATCH))


def _covered(shift: Shift, explained: list[Shift], series: SeriesSet) -> bool:
    """A slice's shift is part of an explained shift of a wider slice (its target group, or the load
    balancer) in the same family and direction that began up to 10 minutes earlier."""
    wider = {"lb"}
    if shift.scope.kind == "target":
        owner = series.get(shift.scope)
        if owner is not None and owner.parent is not None:
            wider.add(owner.parent.key)
    for other in explained:
        if other.scope.key not in wider or other.scope == shift.scope:
            continue
        same = other.family == shift.family and other.direction == shift.direction
        if same and dt.timedelta(0) <= shift.at - other.at <= dt.timedelta(minutes=10):
            return True
    return False


def _shift_order(shift: Shift) -> tuple:
    return (shift.at, SCOPE_ORDER.index(shift.scope.kind), shift.scope.key, shift.metric)


def _notes(timeline: Timeline, series: SeriesSet) -> tuple[Note, ...]:
    notes: list[Note] = []
    lb = timeline.lb
    top = timeline.changes[0].suspicion if timeline.changes else 0.0
    if not timeline.changes:
        notes.append(NoChanges(lb))
    if series.traffic_from is None:
        notes.append(NoRequests(lb))
        return tuple(notes)
    if not timeline.shifts:
        notes.append(NoShifts(lb))
        return tuple(notes)
    explained = [s for s in timeline.shifts if timeline.explained_by(s)]
    unexplained = [
        shift
        for shift in timeline.shifts
        if shift.kind == "health"
        and shift.worse is not False
        and shift not in explained
        and not _covered(shift, explained, series)
    ]
    if timeline.changes and top < SUSPECT:
        notes.append(NoneSuspect(lb, SUSPECT))
    clusters: dict[dt.datetime, list[Shift]] = {}
    for shift in unexplained:
        clusters.setdefault(shift.at, []).append(shift)
    for at, group in sorted(clusters.items()):
        group.sort(key=lambda s: (SCOPE_ORDER.index(s.scope.kind), -s.strength))
        notes.append(Unexplained(at, tuple(group)))
    return tuple(notes)
