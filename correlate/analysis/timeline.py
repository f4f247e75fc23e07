"""The timeline of one load balancer: its changes, ranked by suspicion, and its metric shifts.

`build_timeline` reads the window's cells (two passes over `requests`) and changes, builds the
series, detects the shifts and scores every change. Without a window it finds the incidents in all
of the load balancer's data, each stretch between gaps on its own (analysis/episodes.py), and shows
the most recent one. The result is plain data; rendering lives in `correlate.present.timeline`, and
the report reuses the same object (its `series` included).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from correlate.analysis.episodes import Episode, Stretch, episodes, find_incidents, stretches
from correlate.analysis.evidence import NoChanges, NoneSuspect, NoRequests, NoShifts, Note, Unexplained
from correlate.analysis.scoring import ScoredChange, score_changes
from correlate.analysis.series import SeriesSet, build_series
from correlate.analysis.shifts import DetectionParameters, MetricSeries, Shift, detect, metric_series
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
        if not part.has_requests:
            continue  # changes only: nothing moved that the logs show
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
    """What the timeline reads for one window: its two kinds of cells and its changes."""

    since: dt.datetime
    until: dt.datetime
    back: pa.Table
    front: pa.Table
    changes: tuple[Change, ...]

    @classmethod
    def read(cls, source: CellSource, lb: str, since: dt.datetime, until: dt.datetime) -> _Cells:
        return cls(
            since,
            until,
            source.latency_cells(lb, since, until),
            source.frontend_cells(lb, since, until),
            tuple(source.changes_between(lb, since, until)),
        )

    def within(self, since: dt.datetime, until: dt.datetime) -> _Cells:
        changes = tuple(c for c in self.changes if since <= c.event_time < until)
        return _Cells(since, until, _minutes(self.back, since, until), _minutes(self.front, since, until), changes)

    @property
    def has_requests(self) -> bool:
        return bool(pc.sum(self.back.column("requests")).as_py() or 0)

    def stretches(self) -> tuple[Stretch, ...]:
        busy = self.back.filter(pc.greater(self.back.column("requests"), 0))
        minutes = pc.unique(busy.column("minute")).to_pylist()
        return stretches(minutes, (c.event_time for c in self.changes))


def _minutes(cells: pa.Table, since: dt.datetime, until: dt.datetime) -> pa.Table:
    minute = cells.column("minute")
    low, high = pa.scalar(since, minute.type), pa.scalar(until, minute.type)
    return cells.filter(pc.and_(pc.greater_equal(minute, low), pc.less(minute, high)))


def _timeline(
    cells: _Cells, lb: str, span: tuple[dt.datetime, dt.datetime], parameters: DetectionParameters
) -> Timeline:
    since, until = cells.since, cells.until
    series = build_series(
        lb,
        cells.back,
        cells.front,
        since,
        until - dt.timedelta(minutes=1),
        parameters.bucket_minutes,
        min_bucket_requests=parameters.min_bucket_requests,
        max_buckets=parameters.max_buckets,
    )
    metrics = metric_series(series, parameters)
    shifts: list[Shift] = []
    for metric in metrics:
        shifts.extend(detect(series, metric, parameters))
    shifts.sort(key=_shift_order)
    by_key: dict[tuple[str, str], MetricSeries] = {(m.scope.key, m.metric): m for m in metrics}
    if not cells.changes and series.traffic_from is None:
        raise EmptyWindow(lb, since, until, *span, "requests or changes")
    scored = score_changes(list(cells.changes), shifts, series, by_key)
    timeline = Timeline(lb, since, until, tuple(scored), tuple(shifts), (), series.bucket_minutes, parameters, series)
    return dataclasses.replace(timeline, notes=_notes(timeline, series))


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


_SCOPE_ORDER = ("lb", "listener", "domain", "target_group", "target", "ssl_protocol", "ssl_cipher")


def _shift_order(shift: Shift) -> tuple:
    return (shift.at, _SCOPE_ORDER.index(shift.scope.kind), shift.scope.key, shift.metric)


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
        group.sort(key=lambda s: (_SCOPE_ORDER.index(s.scope.kind), -s.strength))
        notes.append(Unexplained(at, tuple(group), _followed_by(timeline, at)))
    return tuple(notes)
