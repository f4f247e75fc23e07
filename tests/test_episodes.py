"""Incidents in a long-lived database (correlate/analysis/episodes.py): the stretches of data between
gaps, the incidents in each, and the window that shows each."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given
from hypothesis import strategies as st

from correlate.analysis.episodes import (
    Episode,
    Incident,
    MetricRecovery,
    Stretch,
    episodes,
    find_incidents,
    gap_length,
    stretches,
)
from correlate.analysis.series import Scope
from correlate.analysis.shifts import Shift

DAY = dt.datetime(2026, 11, 2)


def at(hours: float) -> dt.datetime:
    return DAY + dt.timedelta(hours=hours)


def minutes(start: float, end: float, every: int = 1) -> list[dt.datetime]:
    """Every `every`-th minute from `start` to `end` (hours), exclusive."""
    count = round((end - start) * 60)
    return [at(start) + dt.timedelta(minutes=m) for m in range(0, count, every)]


def shift(metric: str, when: dt.datetime, before: float, after: float, scope: str = "lb", **extra) -> Shift:
    kind, _, value = scope.partition(":")
    return Shift(metric, Scope(kind, value or None), when, before, after, **extra)


def test_a_silence_of_half_an_hour_splits_the_data():
    busy = minutes(13.5, 14 + 20 / 60) + minutes(14 + 55 / 60, 15) + minutes(72 + 13.5, 72 + 14 + 20 / 60)
    # 14:20 to 14:55 is a silence of 35 minutes; a change at 14:35:23 leaves 15 and 19: one stretch
    change = at(14 + 35 / 60) + dt.timedelta(seconds=23)
    assert stretches(busy, [change]) == (
        Stretch(at(13.5), at(15)),
        Stretch(at(72 + 13.5), at(72 + 14 + 20 / 60)),
    )
    assert stretches(busy) == (
        Stretch(at(13.5), at(14 + 20 / 60)),
        Stretch(at(14 + 55 / 60), at(15)),
        Stretch(at(72 + 13.5), at(72 + 14 + 20 / 60)),
    )
    assert stretches(minutes(13.5, 14) + minutes(14 + 29 / 60, 15)) == (Stretch(at(13.5), at(15)),)  # 29 min
    assert stretches([], [at(9)]) == (Stretch(at(9), at(9) + dt.timedelta(minutes=1)),)


def test_sparse_traffic_needs_a_longer_silence():
    """A request every ten minutes: a gap is twenty times that, 200 minutes."""
    sparse = minutes(0, 10, every=10)
    assert gap_length(sparse) == dt.timedelta(minutes=200)
    assert gap_length(minutes(0, 1)) == dt.timedelta(minutes=30)
    assert stretches(sparse) == (Stretch(at(0), at(9 + 51 / 60)),)
    later = [*sparse, at(9 + 51 / 60) + dt.timedelta(minutes=200)]  # 200 minutes after the last one ended
    assert stretches(later) == (
        Stretch(at(0), at(9 + 51 / 60)),
        Stretch(later[-1], later[-1] + dt.timedelta(minutes=1)),
    )


@given(st.sets(st.integers(min_value=0, max_value=3000), min_size=1, max_size=200))
def test_stretches_hold_every_minute_and_split_only_at_gaps(offsets):
    busy = sorted(DAY + dt.timedelta(minutes=m) for m in offsets)
    gap = gap_length(busy)
    found = stretches(busy)
    assert all(sum(stretch.holds(minute) for stretch in found) == 1 for minute in busy)
    assert all(later.since - earlier.until >= gap for earlier, later in itertools.pairwise(found))
    for stretch in found:
        inside = [m for m in busy if stretch.holds(m)]
        assert (inside[0], inside[-1] + dt.timedelta(minutes=1)) == (stretch.since, stretch.until)
        assert all(b - a - dt.timedelta(minutes=1) < gap for a, b in itertools.pairwise(inside))


def test_incidents_one_after_another_and_one_cut_by_a_gap():
    """Two incidents in one stretch (the second starts after the first recovered), and one at the end
    of the first day that a gap ends: what comes after the gap is not its recovery."""
    first_day, next_day = Stretch(at(13), at(16)), Stretch(at(85), at(88))
    up = shift("elb_5xx_rate", at(13.5), 0.0, 0.3, worse=True)
    down = shift("elb_5xx_rate", at(13.75), 0.3, 0.0, worse=False)
    slow = shift("p99_target_ms", at(14.5), 100, 900, worse=True)
    slower = shift("p99_target_ms", at(15.5), 900, 2000, worse=True)  # part of the second, not a third
    after_gap = shift("p99_target_ms", at(85), 2000, 100, worse=False)
    target = shift("elb_5xx_rate", at(86), 0.0, 0.2, scope="target:10.0.1.11:80", worse=True)  # slices only
    found = find_incidents([target, after_gap, slower, slow, down, up], [first_day, next_day])
    assert found == [
        Incident(at(13.5), at(13.75), (MetricRecovery(up, 0.3, down),), at(16)),
        Incident(at(14.5), None, (MetricRecovery(slow, 2000, None),), at(16)),
        Incident(at(86), None, (MetricRecovery(target, 0.2, None),), at(88)),
    ]
    assert [i.end for i in found] == [at(13.75), at(16), at(88)]
    # without stretches, a rise after the gap (or a fall) belongs to the first day's incident
    assert find_incidents([slow, after_gap])[0].recovery == at(85)


def test_each_incident_is_shown_from_an_hour_before_to_an_hour_after_inside_its_stretch():
    stretch = Stretch(at(10), at(20))
    up = shift("elb_5xx_rate", at(12), 0.0, 0.3, worse=True)
    down = shift("elb_5xx_rate", at(12.5), 0.3, 0.0, worse=False)
    slow = shift("p99_target_ms", at(13), 100, 900, worse=True)
    incidents = find_incidents([up, down, slow], [stretch])
    assert episodes(incidents, stretch) == [
        # from an hour before the onset; up to the next onset (less than an hour after the recovery)
        Episode(at(11), at(13), at(12), at(12.5), True, ("elb_5xx_rate",)),
        # from the previous incident's recovery; not recovered: to the end of the stretch
        Episode(at(12.5), at(20), at(13), at(20), False, ("p99_target_ms",)),
    ]
    early = find_incidents([shift("p50_target_ms", at(10.25), 10, 90, worse=True)], [stretch])
    assert episodes(early, stretch) == [Episode(at(10), at(20), at(10.25), at(20), False, ("p50_target_ms",))]
