"""The timeline of one load balancer: its changes, ranked by suspicion, and its metric shifts.

`build_timeline` reads the window's cells (two passes over `requests`; for an NLB without access to
requests, its TLS logs; with neither, CloudWatch's metrics) and changes, builds the series, detects
the shifts and scores every change. CloudWatch's metrics that no log holds (host counts, the surge
queue, TLS negotiation errors) join the logs' series whenever the window has them; `coverage` says
which evidence was used and what is missing. Without a window it finds the incidents in all of the
load balancer's data, each stretch between gaps on its own (analysis/episodes.py), and shows the most
recent one. The result is plain data; rendering lives in `correlate.present.timeline`, and the report
reuses the same object (its `series` included).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from correlate.analysis.episodes import Episode, Stretch, episodes, find_incidents, stretches
from correlate.analysis.evidence import Coverage, NoChanges, NoneSuspect, NoRequests, NoShifts, Note, Unexplained
from correlate.analysis.measured import TRAFFIC_SERIES, build_nlb_series, metrics_series, with_cloudwatch_extras
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
from correlate.model.change import Change
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
    # The stretches of data (gaps split them): of all the load balancer's data when the window was
    # chosen from it (`chosen`, no --since/--until given), else of the window.
    stretches: tuple[Stretch, ...] = ()
    incidents: tuple[Episode, ...] = ()  # when `chosen`: every incident found in the data, in time order
    chosen: bool = False

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

    def took_effect(self, shift: Shift) -> list[ScoredChange]:
        """Applied, plausible changes this shift fits well (score >= SUSPECT): a distribution or
        recovery shift cannot make a change suspect, but it shows where the change took effect."""
        return [
            scored
            for scored in self.changes
            if scored.applied >= 1
            and scored.plausibility >= 0.5
            and any(a.shift == shift and a.score >= SUSPECT for a in scored.explains)
        ]

    def anchor(self, shift: Shift) -> ScoredChange | None:
        """The change inside the shift's first bucket that the shift is told after. A shift's time is
        the start of its bucket, which can come before a change inside it: the shift began in the
        minute (bucket) of that change, and the timeline and the report tell the change first. It is
        the earliest change in the bucket the shift is put down to (it explains the shift, or the
        shift shows where it took effect); for a shift put down to no change, the earliest applied
        change in the bucket; none for a shift put down to a change outside it."""
        bucket = dt.timedelta(minutes=self.bucket_minutes or 1)
        causes = [*self.explained_by(shift), *self.took_effect(shift)]
        inside = [
            scored
            for scored in (causes or [s for s in self.changes if s.applied >= 1])
            if shift.at <= scored.change.event_time < shift.at + bucket
        ]
        return min(inside, key=lambda scored: scored.change.event_time, default=None)

    def anchor_of(self, shifts: Iterable[Shift]) -> ScoredChange | None:
        """The earliest `anchor` of these shifts (a group told as one, the opening of an incident)."""
        anchors = [a for a in (self.anchor(shift) for shift in shifts) if a is not None]
        return min(anchors, key=lambda scored: scored.change.event_time, default=None)


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
    """Changes and shifts of `lb` in the whole minutes of [since, until). Without either, the window
    of the most recent incident in the load balancer's data (`Timeline.incidents` lists them all);
    without any incident, its most recent stretch of data. With one of them, the other end is the
    data's. `db` is the database, or another source of its cells and changes (a lake's:
    store/cells.py)."""
    parameters = parameters or DetectionParameters()
    check_order(since, until)
    source = DatabaseCells(db) if isinstance(db, Database) else db
    lb = source.resolve(lb)
    first, last = source.data_span(lb)
    data_since, data_until = window_around(first, last)
    if since is None and until is None:
        return _latest_incident(_Cells.read(source, lb, data_since, data_until), lb, (first, last), parameters)
    since, until = whole_minutes(since or data_since, until or data_until)
    if since >= until:
        raise EmptyWindow(lb, since, until, first, last, "requests or changes")
    cells = _Cells.read(source, lb, since, until)
    timeline = _timeline(cells, lb, (first, last), parameters)
    return dataclasses.replace(timeline, stretches=cells.stretches())


def _latest_incident(
    cells: _Cells, lb: str, span: tuple[dt.datetime, dt.datetime], parameters: DetectionParameters
) -> Timeline:
    """Each stretch of data's timeline and incidents; the timeline of the most recent incident (or,
    without one, of the most recent stretch with requests)."""
    data = cells.stretches()
    built: dict[tuple[dt.datetime, dt.datetime], Timeline] = {}
    found: list[Episode] = []
    for stretch in data:
        part = cells.within(stretch.since, stretch.until)
        if not part.traffic_minutes():
            continue  # changes only: nothing moved that the evidence shows
        timeline = _timeline(part, lb, span, parameters)
        built[stretch.since, stretch.until] = timeline
        found += episodes(find_incidents(timeline.shifts, [stretch]), stretch)
    if found:
        latest = max(found, key=lambda episode: episode.onset)
        window = (latest.since, latest.until)
    elif built:
        window = max(built)
    else:
        window = (cells.since, cells.until)
    timeline = built.get(window) or _timeline(cells.within(*window), lb, span, parameters)
    return dataclasses.replace(timeline, stretches=data, incidents=tuple(found), chosen=True)


@dataclass(frozen=True, slots=True)
class _Cells:
    """What the timeline reads for one window: its changes and the cells of the best evidence it holds,
    the access logs' two kinds (`back`, `front`), else an NLB's TLS logs (`nlb`, `clients`), else
    CloudWatch's metrics alone; CloudWatch's (`metrics`, `reads`) also beside logs when it has them."""

    since: dt.datetime
    until: dt.datetime
    lb_type: str | None
    changes: tuple[Change, ...]
    back: pa.Table | None = None
    front: pa.Table | None = None
    nlb: pa.Table | None = None
    clients: pa.Table | None = None
    metrics: pa.Table | None = None
    reads: pa.Table | None = None  # the windows CloudWatch's counts were read over (not cut by `within`)

    @classmethod
    def read(cls, source: CellSource, lb: str, since: dt.datetime, until: dt.datetime) -> _Cells:
        held = source.held(lb, since, until)
        tables: dict[str, pa.Table] = {}
        if held.requests or not (held.connections or held.metrics):
            tables |= {"back": source.latency_cells(lb, since, until), "front": source.frontend_cells(lb, since, until)}
        elif held.connections:
            tables |= {"nlb": source.nlb_cells(lb, since, until), "clients": source.nlb_client_cells(lb, since, until)}
        if held.metrics:
            tables |= {"metrics": source.metric_cells(lb, since, until), "reads": source.metric_reads(lb, since, until)}
        return cls(since, until, held.lb_type, tuple(source.changes_between(lb, since, until)), **tables)

    def within(self, since: dt.datetime, until: dt.datetime) -> _Cells:
        changes = tuple(c for c in self.changes if since <= c.event_time < until)
        tables = {
            name: _minutes(table, since, until)
            for name in ("back", "front", "nlb", "clients", "metrics")
            if (table := getattr(self, name)) is not None
        }
        return dataclasses.replace(self, since=since, until=until, changes=changes, **tables)

    def traffic_minutes(self) -> list[dt.datetime]:
        """The minutes with traffic in the evidence the series come from: requests, an NLB's
        connections, or CloudWatch's request count (an NLB's new flows)."""
        if self.back is not None:
            busy = self.back.filter(pc.greater(self.back.column("requests"), 0))
        elif self.nlb is not None:
            busy = self.nlb.filter(pc.greater(self.nlb.column("connections"), 0))
        elif self.metrics is not None:
            cells = self.metrics
            traffic = pc.and_(
                pc.equal(cells.column("scope"), "lb"), pc.is_in(cells.column("series"), pa.array(TRAFFIC_SERIES))
            )
            busy = cells.filter(pc.and_(traffic, pc.greater(cells.column("value"), 0)))
        else:
            return []
        return pc.unique(busy.column("minute")).to_pylist()

    def stretches(self) -> tuple[Stretch, ...]:
        return stretches(self.traffic_minutes(), (c.event_time for c in self.changes))


def _minutes(cells: pa.Table, since: dt.datetime, until: dt.datetime) -> pa.Table:
    minute = cells.column("minute")
    low, high = pa.scalar(since, minute.type), pa.scalar(until, minute.type)
    return cells.filter(pc.and_(pc.greater_equal(minute, low), pc.less(minute, high)))


def _timeline(
    cells: _Cells, lb: str, span: tuple[dt.datetime, dt.datetime], parameters: DetectionParameters
) -> Timeline:
    since, until = cells.since, cells.until
    series, coverage = _series(cells, lb, parameters)
    metrics = metric_series(series, parameters)
    shifts: list[Shift] = []
    for metric in metrics:
        shifts.extend(detect(series, metric, parameters))
    shifts.sort(key=_shift_order)
    by_key: dict[tuple[str, str], MetricSeries] = {(m.scope.key, m.metric): m for m in metrics}
    if not cells.changes and series.traffic_from is None:
        raise EmptyWindow(lb, since, until, *span, "requests or changes")
    scored = score_changes(list(cells.changes), shifts, series, by_key)
    timeline = Timeline(
        lb, since, until, tuple(scored), tuple(shifts), (), series.bucket_minutes, parameters, series, coverage
    )
    return dataclasses.replace(timeline, notes=_notes(timeline, series))


def _series(cells: _Cells, lb: str, parameters: DetectionParameters) -> tuple[SeriesSet, Coverage]:
    """The series of the window from the evidence read: access logs, an NLB's TLS logs or CloudWatch
    alone; with CloudWatch's extras beside logs."""
    since, last = cells.since, cells.until - dt.timedelta(minutes=1)
    sizes = {"min_bucket_requests": parameters.min_bucket_requests, "max_buckets": parameters.max_buckets}
    nlb = cells.lb_type == "nlb"
    if cells.back is not None:
        series = build_series(lb, cells.back, cells.front, since, last, parameters.bucket_minutes, **sizes)
    elif cells.nlb is not None:
        series = build_nlb_series(lb, cells.nlb, cells.clients, since, last, parameters.bucket_minutes, **sizes)
    else:
        series = metrics_series(lb, cells.metrics, cells.reads, since, last, parameters.bucket_minutes, **sizes)
        return series, Coverage((CLOUDWATCH,), ("tls_logs",) if nlb else ("access_logs",))
    logs = (series.traffic_source,) if series.traffic_from is not None else ()
    if cells.metrics is None or not cells.metrics.num_rows:
        missing = ("cloudwatch_nlb" if nlb else "cloudwatch",)
        return series, Coverage(logs, missing if logs else ("tls_logs" if nlb else "access_logs", *missing))
    return with_cloudwatch_extras(series, cells.metrics, cells.reads, since, last), Coverage((*logs, CLOUDWATCH))


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


def _followed_by(timeline: Timeline, at: dt.datetime) -> Change | None:
    """The first change after a shift began that could act on traffic (applied, plausible): the
    reaction it may have prompted, which a reader should not take for its cause."""
    width = dt.timedelta(minutes=timeline.bucket_minutes or 1)
    after = [
        s.change
        for s in timeline.changes
        if s.change.event_time >= at + width and s.applied == 1 and s.plausibility >= 0.1
    ]
    return min(after, key=lambda c: c.event_time, default=None)


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
        notes.append(Unexplained(at, tuple(group), _followed_by(timeline, at)))
    return tuple(notes)
