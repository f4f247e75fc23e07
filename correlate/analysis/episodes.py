"""Incidents in a long-lived database: the stretches of data between gaps, the episodes of worse
shifts in them (incidents), and the window that shows each.

A team loads incident after incident into one database, so its data has gaps (days without logs)
and several incidents. A gap is a silence of at least `GAP_MINUTES`, or of `GAP_SPACINGS` times the
usual spacing of the minutes that have requests when traffic is sparse: the logs say nothing there,
which is not the same as zero traffic, so a stretch of data ends where one starts and an incident
that has not recovered by then ends with its stretch ("until the end of the data").

An incident starts at the earliest shift of its stretch that made a metric of the whole load
balancer worse (when none did, of any slice of it). It has recovered when every metric that got
worse at the onset came back past halfway between its level before the onset and its worst level
since, in the same stretch; the recovery is when the last one did. The next worse shift at or after
the recovery starts the next incident. A shift is worse when the timeline says so (its `worse`); a
timeline that does not say (a saved one) is read by the metric: a rise in latency or errors is worse,
traffic and TLS-share moves are context.

Each incident is shown in the window from an hour before its onset (not before its stretch, nor
before the previous incident's end) to an hour after its end (not past its stretch, nor past the next
incident's onset): the --since/--until that pick it.

Plain functions of typed inputs: tested without a database.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from correlate.analysis.shifts import Shift

GAP_MINUTES = 30  # the shortest silence that is a gap in the data
GAP_SPACINGS = 20  # ... or this many times the median spacing of minutes with requests, when longer
CONTEXT = dt.timedelta(hours=1)  # shown around an incident, inside its stretch of data
# Without the timeline's verdict: metrics whose moves are not, by themselves, harm.
NEUTRAL_METRICS = frozenset({"requests", "requests_per_min", "tls_share"})
# Shifts this close after the first one belong to the same onset.
ONSET_SPREAD = dt.timedelta(minutes=2)
_MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Stretch:
    """Whole minutes [since, until) of data with no gap inside."""

    since: dt.datetime
    until: dt.datetime

    def holds(self, moment: dt.datetime) -> bool:
        return self.since <= moment < self.until


def gap_length(minutes: Sequence[dt.datetime]) -> dt.timedelta:
    """The shortest silence that splits the data: GAP_MINUTES, or GAP_SPACINGS times the median
    spacing of the (sorted, distinct) minutes with requests when that is longer."""
    spacings = sorted(later - earlier for earlier, later in itertools.pairwise(minutes))
    usual = spacings[len(spacings) // 2] if spacings else _MINUTE
    return max(dt.timedelta(minutes=GAP_MINUTES), usual * GAP_SPACINGS)


def stretches(
    request_minutes: Iterable[dt.datetime], others: Iterable[dt.datetime] = (), gap: dt.timedelta | None = None
) -> tuple[Stretch, ...]:
    """The stretches of data: the minutes with requests and the moments of `others` (changes), split
    where nothing happens for `gap` or longer (by default `gap_length` of the request minutes)."""
    minutes = sorted({_floor(m) for m in request_minutes})
    gap = gap or gap_length(minutes)
    moments = sorted({*minutes, *(_floor(m) for m in others)})
    found: list[Stretch] = []
    for minute in moments:
        if found and minute - found[-1].until < gap:  # the silence since the stretch's last minute
            found[-1] = Stretch(found[-1].since, minute + _MINUTE)
        else:
            found.append(Stretch(minute, minute + _MINUTE))
    return tuple(found)


def _floor(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


# -- incidents -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricRecovery:
    onset: Shift  # the shift that made the metric worse
    worst: float  # the worst level reached after the onset
    recovered_by: Shift | None  # the shift that brought it back, if any


@dataclass(frozen=True, slots=True)
class Incident:
    onset: dt.datetime
    recovery: dt.datetime | None  # None: not recovered within its stretch of data
    metrics: tuple[MetricRecovery, ...]  # the metrics that got worse at the onset
    data_end: dt.datetime | None = None  # where its stretch of data ends, when known

    @property
    def end(self) -> dt.datetime | None:
        """The recovery, or the end of its stretch of data (None: neither is known)."""
        return self.recovery or self.data_end


def is_worse(shift: Shift) -> bool:
    if shift.worse is not None:
        return shift.worse
    return shift.metric not in NEUTRAL_METRICS and shift.after > shift.before


def find_incidents(shifts: Iterable[Shift], data: Sequence[Stretch] = ()) -> list[Incident]:
    """Every incident in the shifts, in time order; with `data`, each inside its stretch (a shift
    outside every stretch is left out)."""
    ordered = sorted(shifts, key=lambda s: s.at)
    groups: list[tuple[Stretch | None, list[Shift]]] = (
        [(stretch, [s for s in ordered if stretch.holds(s.at)]) for stretch in data] if data else [(None, ordered)]
    )
    found: list[Incident] = []
    for stretch, group in groups:
        worse = [s for s in group if is_worse(s)]
        worse = [s for s in worse if s.scope.kind == "lb"] or worse
        while worse:
            incident = _incident(worse[0].at, worse, group, stretch)
            found.append(incident)
            if incident.recovery is None:
                break
            worse = [s for s in worse if s.at >= incident.recovery]
    return found


def find_incident(shifts: Iterable[Shift], data: Sequence[Stretch] = ()) -> Incident | None:
    """The first incident in the shifts (see `find_incidents`), or None."""
    found = find_incidents(shifts, data)
    return found[0] if found else None


def _incident(onset: dt.datetime, worse: list[Shift], group: list[Shift], stretch: Stretch | None) -> Incident:
    opening = [s for s in worse if s.at <= onset + ONSET_SPREAD]
    seen: set[tuple[str, object]] = set()
    metrics = []
    for first in opening:
        key = (first.metric, first.scope)
        if key in seen:
            continue
        seen.add(key)
        metrics.append(_recovery(first, [s for s in group if (s.metric, s.scope) == key and s.at > first.at]))
    recovered = [m.recovered_by.at for m in metrics if m.recovered_by is not None]
    recovery = max(recovered) if len(recovered) == len(metrics) else None
    return Incident(onset, recovery, tuple(metrics), stretch.until if stretch else None)


def _recovery(first: Shift, later: Sequence[Shift]) -> MetricRecovery:
    worst = first.after
    rising = first.after > first.before  # the direction that is worse for this metric
    for shift in later:
        if rising:
            worst = max(worst, shift.after, shift.before)
            back = shift.after < shift.before and shift.after <= (first.before + worst) / 2
        else:
            worst = min(worst, shift.after, shift.before)
            back = shift.after > shift.before and shift.after >= (first.before + worst) / 2
        if back:
            return MetricRecovery(first, worst, shift)
    return MetricRecovery(first, worst, None)


# -- the window of each incident ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Episode:
    """An incident found in the data, and the window [since, until) that shows it: what
    --since/--until pick it with."""

    since: dt.datetime
    until: dt.datetime
    onset: dt.datetime
    end: dt.datetime  # its recovery, or the end of its stretch of data
    recovered: bool
    metrics: tuple[str, ...]  # what got worse at the onset (metric names), in the order found


def episodes(incidents: Sequence[Incident], stretch: Stretch) -> list[Episode]:
    """The window of each incident of one stretch (`find_incidents` with that stretch)."""
    found = []
    for number, incident in enumerate(incidents):
        end = incident.recovery or stretch.until
        previous = incidents[number - 1].end if number else None
        following = incidents[number + 1].onset if number + 1 < len(incidents) else None
        since = max(stretch.since, incident.onset - CONTEXT, previous or stretch.since)
        until = min(stretch.until, end + CONTEXT, following or stretch.until)
        metrics = tuple(dict.fromkeys(m.onset.metric for m in incident.metrics))
        found.append(Episode(since, until, incident.onset, end, incident.recovery is not None, metrics))
    return found
