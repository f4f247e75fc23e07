"""Shift detection on synthetic per-minute cells: steps are found where they are, noise is not."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pytest
from timeline_support import START, WEB, cells

from correlate.analysis.series import LB, Scope, bin_value, build_series, choose_bucket, pooled_quantile
from correlate.analysis.shifts import DetectionParameters, detect_shifts


def shifts_of(back, front, minutes: int, **parameters):
    params = DetectionParameters(**parameters)
    end = START + dt.timedelta(minutes=minutes - 1)
    series = build_series("web-prod", back, front, START, end, params.bucket_minutes)
    return series, detect_shifts(series, params)


def health(shifts):
    return [s for s in shifts if s.kind == "health"]


def test_a_latency_step_on_one_target_group_is_found_where_it_happened():
    back, front = cells(
        60, rate=lambda m: 600, latency_ms=lambda m, ip: 90.0 if m >= 30 and ip != "10.0.2.21" else 30.0
    )
    series, shifts = shifts_of(back, front, 60)
    assert series.bucket_minutes == 1
    found = {(s.metric, s.scope.key, s.at, s.direction) for s in health(shifts)}
    at = START + dt.timedelta(minutes=30)
    assert ("p50_target_ms", "target_group:web", at, "up") in found
    assert ("p99_target_ms", "target_group:web", at, "up") in found
    assert ("p50_target_ms", "target:10.0.1.11:80", at, "up") in found
    assert not [s for s in shifts if s.scope.key in ("target_group:api", "target:10.0.2.21:80")]
    assert all(s.at == at for s in shifts)
    (p50,) = [s for s in shifts if s.metric == "p50_target_ms" and s.scope.key == "target_group:web"]
    assert p50.before == pytest.approx(30, rel=0.06) and p50.after == pytest.approx(90, rel=0.06)
    assert p50.worse is True and p50.family == "latency" and p50.p_value < 0.001
    assert p50.ci_low is not None and 2.5 < p50.ci_low <= p50.ci_high < 3.5  # 5 % bins: a narrow interval


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_noise_alone_makes_no_shift(seed):
    back, front = cells(
        90, rate=lambda m: 300 * (1 + 0.05 * math.sin(m / 9)), latency_ms=lambda m, ip: 40.0,
        elb_5xx=lambda m, ip: 0.002, seed=seed,
    )  # fmt: skip
    _, shifts = shifts_of(back, front, 90)
    assert shifts == []


def test_a_one_minute_burst_of_errors_is_not_a_shift():
    back, front = cells(
        60, rate=lambda m: 300, latency_ms=lambda m, ip: 40.0, elb_5xx=lambda m, ip: 0.5 if m == 25 else 0
    )
    _, shifts = shifts_of(back, front, 60)
    assert shifts == []


def test_a_rare_slow_request_kind_near_p99_does_not_make_p99_shifts():
    """0.8 % of 20-second requests sit right at the 1 % tail: p99 flips from minute to minute."""
    back, front = cells(60, rate=lambda m: 450, latency_ms=lambda m, ip: 40.0, slow=lambda m, ip: 0.008, seed=5)
    _, shifts = shifts_of(back, front, 60)
    assert [s for s in shifts if s.metric == "p99_target_ms"] == []


def test_low_traffic_gets_wider_buckets_and_still_finds_an_error_step():
    minutes = 6 * 60
    back, front = cells(
        minutes, rate=lambda m: 12, latency_ms=lambda m, ip: 40.0, elb_5xx=lambda m, ip: 0.2 if m >= 180 else 0.0
    )
    series, shifts = shifts_of(back, front, minutes)
    assert series.bucket_minutes == 10
    (shift,) = [s for s in shifts if s.metric == "elb_5xx_rate" and s.scope == LB]
    assert shift.at == START + dt.timedelta(minutes=180)
    assert shift.before == 0.0 and shift.after == pytest.approx(0.2, abs=0.03)


def test_a_target_that_stops_receiving_requests_is_a_distribution_shift():
    back, front = cells(
        60, rate=lambda m: 600, latency_ms=lambda m, ip: 30.0,
        targets=((WEB, "10.0.1.11"), (WEB, "10.0.1.12")),
    )  # fmt: skip
    minute = np.array(back.column("minute").to_pylist())
    keep = ~(
        (back.column("target_ip").to_numpy(zero_copy_only=False) == "10.0.1.12")
        & (minute >= START + dt.timedelta(minutes=40))
    )
    _, shifts = shifts_of(back.filter(pa.array(keep)), front, 60)
    (gone,) = [s for s in shifts if s.scope == Scope("target", "10.0.1.12:80")]
    assert (gone.metric, gone.kind, gone.worse, gone.after) == ("requests_per_min", "distribution", None, 0.0)
    assert gone.at == START + dt.timedelta(minutes=40)


def test_detection_is_deterministic():
    back, front = cells(60, rate=lambda m: 400, latency_ms=lambda m, ip: 120.0 if m >= 20 else 40.0, seed=9)
    assert shifts_of(back, front, 60)[1] == shifts_of(back, front, 60)[1]


def test_bins_and_pooled_quantiles():
    assert bin_value(5) == 5.0
    assert bin_value(16) == pytest.approx(16 * math.exp(0.5 / 20))
    histogram = np.zeros(40, dtype=np.int64)
    histogram[[10, 20, 30]] = [50, 45, 5]
    assert pooled_quantile(histogram, 0.5) == 10.0
    assert pooled_quantile(histogram, 0.95) == pytest.approx(bin_value(20))
    assert pooled_quantile(histogram, 0.99) == pytest.approx(bin_value(30))
    assert math.isnan(pooled_quantile(np.zeros(3, dtype=np.int64), 0.5))


def test_bucket_choice():
    assert choose_bucket(np.full(60, 500.0), 60, 100, 3000) == 1
    assert choose_bucket(np.full(600, 30.0), 600, 100, 3000) == 5
    assert choose_bucket(np.full(20000, 500.0), 20000, 100, 3000) == 10  # at most 3000 buckets


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noise_at_low_traffic_makes_no_shift(seed):
    """12 requests a minute: 10-minute buckets, and few of them per segment, so the rank tests give
    way to the overdispersion-adjusted rate and tail tests."""
    minutes = 4 * 60
    back, front = cells(
        minutes, rate=lambda m: 12 * (1 + 0.1 * math.sin(m / 30)), latency_ms=lambda m, ip: 40.0,
        elb_5xx=lambda m, ip: 0.01, seed=seed,
    )  # fmt: skip
    series, shifts = shifts_of(back, front, minutes)
    assert series.bucket_minutes == 10
    assert shifts == []


def test_a_latency_step_with_few_buckets_is_found_by_the_tail_test():
    minutes = 4 * 60
    back, front = cells(minutes, rate=lambda m: 12, latency_ms=lambda m, ip: 120.0 if m >= 200 else 40.0)
    _, shifts = shifts_of(back, front, minutes)
    (p50,) = [s for s in shifts if s.metric == "p50_target_ms" and s.scope.kind == "lb"]
    assert p50.at == START + dt.timedelta(minutes=200)  # 4 buckets after: too few for Mann-Whitney
    assert p50.test == "two-proportion test on the share slower than the before-window quantile"


def test_a_step_between_two_short_windows_is_judged_by_the_requests():
    """Five buckets against ten: a rank test on per-bucket values cannot reach alpha at all (its
    smallest p is 0.002), so the step is judged by the test on the requests themselves."""
    back, front = cells(15, rate=lambda m: 600, latency_ms=lambda m, ip: 90.0 if m >= 5 else 30.0)
    _, shifts = shifts_of(back, front, 15)
    (p50,) = [s for s in shifts if s.metric == "p50_target_ms" and s.scope.kind == "lb"]
    assert p50.at == START + dt.timedelta(minutes=5)
    assert p50.test == "two-proportion test on the share slower than the before-window quantile"
    assert p50.before == pytest.approx(30, rel=0.06) and p50.after == pytest.approx(90, rel=0.06)
