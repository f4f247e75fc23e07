"""Shift detection: where did a metric of a slice move to a new level, by how much, and how surely.

Each series (a metric of a slice, per time bucket) goes through the same three steps:

1. transform so noise is about even across levels (square root for counts, log for latency,
   arcsine-square-root for rates and shares), centre on the median, scale by a robust noise estimate
   (the median absolute first difference, which a level shift barely moves) and clip at +-6;
2. propose change points with PELT on a least-squares cost (ruptures `KernelCPD`, linear kernel) and a
   BIC-like penalty `penalty_beta * ln(n)`;
3. keep a proposal only when the buckets before and after it (up to `window_buckets` each side, never
   across a neighbouring change point) differ both enough to matter (`min_*` thresholds) and
   significantly (`alpha`): Mann-Whitney U on per-bucket values for latency and traffic (for latency
   also the share of requests slower than the before-window quantile must move, by a two-proportion
   test), a
   two-proportion chi-square test for rates and shares, its statistic divided by the overdispersion the
   buckets show (real traffic varies more than a binomial); for latency, a seeded bootstrap over
   buckets gives a 95 % interval for the after/before ratio.

Series measured elsewhere (`Measured`: CloudWatch's one-minute metrics, an NLB's TLS logs) go through
the same steps under the same tests: counts per minute and rates as the request series are, an NLB's
handshake times from their histogram as latency is. What has no counts behind it (host counts, the
surge queue, CloudWatch's percentiles, which cannot be pooled) is judged on its per-bucket values: the
medians before and after must differ enough, and a Mann-Whitney U test on the buckets must find it.

Everything is deterministic: the same cells and parameters give the same shifts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import ruptures
from scipy import stats

from correlate.analysis.series import (
    ACCESS_LOGS,
    CLOUDWATCH,
    LB,
    Latency,
    Measured,
    Scope,
    SeriesSet,
    SliceSeries,
    pooled_quantile,
    quantile_bin,
)

# metric -> (family, unit, what it measures)
METRICS = {
    "requests_per_min": ("traffic", "per_min", "requests per minute"),
    "p50_target_ms": ("latency", "ms", "p50 target latency"),
    "p99_target_ms": ("latency", "ms", "p99 target latency"),
    "elb_5xx_rate": ("errors", "rate", "ELB 5xx rate"),
    "target_5xx_rate": ("errors", "rate", "target 5xx rate"),
    "status_4xx_rate": ("client_errors", "rate", "4xx rate"),
    "tls_share": ("tls_mix", "share", "share of TLS requests"),
    # CloudWatch only: what no access log shows (a host count is the minute's average)
    "healthy_hosts": ("hosts", "hosts", "HealthyHostCount"),
    "unhealthy_hosts": ("hosts", "hosts", "UnHealthyHostCount"),
    "surge_queue_length": ("capacity", "queue", "SurgeQueueLength"),
    "spillover_per_min": ("capacity", "per_min", "SpilloverCount"),
    "rejected_connections_per_min": ("capacity", "per_min", "RejectedConnectionCount"),
    "client_tls_errors_per_min": ("tls_errors", "per_min", "ClientTLSNegotiationErrorCount"),
    "new_flows_per_min": ("traffic", "per_min", "new flows per minute"),
    # an NLB's TLS access logs
    "connections_per_min": ("traffic", "per_min", "TLS connections per minute"),
    "failed_handshake_rate": ("tls_errors", "rate", "failed TLS handshake rate"),
    "p50_handshake_ms": ("handshake", "ms", "p50 TLS handshake time"),
    "p99_handshake_ms": ("handshake", "ms", "p99 TLS handshake time"),
}
# Families whose rise is a change for the worse; traffic is worse when it falls, a TLS share when it
# falls (those clients are gone). Distribution (how requests spread over target groups and targets)
# is neither. The hosts family rises when targets turn unhealthy: its healthy count is INVERTED
# (worse when it falls), and the scoring reads its fall as the family's rise.
_WORSE_WHEN_UP = {"latency", "errors", "client_errors", "hosts", "capacity", "tls_errors", "handshake"}
_WORSE_WHEN_DOWN = {"traffic", "tls_mix"}
INVERTED = frozenset({"healthy_hosts"})


@dataclass(frozen=True, slots=True)
class DetectionParameters:
    """Every knob of the detection; recorded in the timeline output."""

    bucket_minutes: int | None = None  # None: the smallest that gives min_bucket_requests
    min_bucket_requests: int = 100
    max_buckets: int = 3000
    penalty_beta: float = 3.0
    min_segment_buckets: int = 3
    window_buckets: int = 30
    test_min_buckets: int = 5
    alpha: float = 0.001
    clip_sigmas: float = 6.0
    p50_min_samples: int = 20
    p99_min_samples: int = 100
    rate_min_requests: int = 20
    rate_min_events: int = 10
    latency_min_ratio: float = 1.5
    latency_min_delta_ms: float = 5.0
    median_share_min_delta: float = 0.1
    rate_min_delta: float = 0.01
    rate_min_ratio: float = 2.0
    share_min_delta: float = 0.02
    share_min_ratio: float = 2.0
    requests_min_ratio: float = 1.3
    requests_min_delta_per_min: float = 2.0
    # Without access logs a fall in CloudWatch's request count is all some changes leave (a TLS policy
    # on a Classic ELB turns clients away before they make a request): it counts from x1.2. And
    # CloudWatch has no ELB 5xx per target group, so one group's errors are diluted in the load
    # balancer's rate: its rates count from half a percentage point.
    metrics_requests_min_ratio: float = 1.2
    metrics_rate_min_delta: float = 0.005
    hosts_min_delta: float = 1.0  # host counts: one host more or less
    queue_min_delta: float = 10.0  # the surge queue: ten requests more or less, and x2
    queue_min_ratio: float = 2.0
    bootstrap_resamples: int = 999
    seed: int = 20261120

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Shift:
    """A metric of one slice moved to a new level at `at` (start of the first bucket after).

    The detection sets every field; a shift read back from a saved timeline that does not state the
    test's details (a hand-made one) has None there."""

    metric: str
    scope: Scope
    at: dt.datetime
    before: float
    after: float
    before_from: dt.datetime | None = None
    after_until: dt.datetime | None = None  # end (exclusive) of the after window
    family: str | None = None
    unit: str | None = None
    direction: str | None = None  # up, down
    kind: str | None = None  # health, distribution
    worse: bool | None = None  # True: for the worse; False: a recovery; None: neither (traffic up, distribution)
    strength: float | None = None  # 0..1, size of the move
    p_value: float | None = None
    test: str | None = None
    ci_low: float | None = None  # 95 % bootstrap interval of after/before (latency)
    ci_high: float | None = None
    source: str | None = None  # access logs, CloudWatch, NLB TLS logs (None: not stated)

    @property
    def ratio(self) -> float:
        return ratio(self.before, self.after)


def ratio(before: float, after: float) -> float:
    if before == 0:
        return math.inf if after > 0 else 1.0
    return after / before


# -- series definitions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One metric of one slice, ready for detection."""

    metric: str
    scope: Scope
    kind: str
    values: np.ndarray  # per bucket; NaN where the bucket has too little data
    transformed: np.ndarray  # per bucket, on the detection scale; NaN where invalid
    sigma_floor: float
    numerator: np.ndarray | None = None  # rates: events per bucket
    denominator: np.ndarray | None = None  # rates: requests per bucket
    latency: Latency | None = None
    quantile: float | None = None
    coverage: np.ndarray | None = None  # counts: minutes of data per bucket
    source: str = ACCESS_LOGS


def metric_series(series: SeriesSet, params: DetectionParameters) -> list[MetricSeries]:
    """Every series the detection runs on, in a stable order."""
    coverage = _coverage(series)
    several = {kind: len(series.of_kind(kind)) > 1 for kind in ("listener", "domain", "ssl_protocol")}
    out: list[MetricSeries] = []
    for slice_ in series.slices:
        kind = slice_.scope.kind
        if kind in ("listener", "domain", "ssl_protocol") and not several[kind]:
            continue
        if kind in ("lb", "listener", "domain"):
            out.append(_counts(slice_, coverage, "health", series.bucket_minutes))
        if kind in ("target_group", "target"):
            out.append(_counts(slice_, coverage, "distribution", series.bucket_minutes))
        if slice_.latency is not None:
            out.append(_quantile(slice_, series.buckets, 0.5, "p50_target_ms", params.p50_min_samples))
            if kind != "target":
                out.append(_quantile(slice_, series.buckets, 0.99, "p99_target_ms", params.p99_min_samples))
        if kind in ("lb", "listener", "domain", "target_group", "target"):
            out.append(_rate(slice_, "elb_5xx_rate", slice_.elb_5xx, slice_.requests, params))
        if kind in ("lb", "target_group", "target"):
            out.append(_rate(slice_, "target_5xx_rate", slice_.target_5xx, slice_.requests, params))
        if kind in ("lb", "listener"):
            out.append(_rate(slice_, "status_4xx_rate", slice_.status_4xx, slice_.requests, params))
        if kind in ("ssl_protocol", "ssl_cipher") and slice_.total is not None:
            out.append(_rate(slice_, "tls_share", slice_.requests, slice_.total, params))
    out.extend(_measured(one, coverage, series, params) for one in series.measured)
    return out


def _coverage(series: SeriesSet) -> np.ndarray:
    """Minutes of each bucket between the load balancer's first and last minute with traffic (the
    first and last buckets may be partial; buckets outside have none). Before its first request and
    after its last, the logs say nothing: that is missing data, not zero traffic."""
    if series.traffic_from is None or series.traffic_until is None:
        return np.zeros(series.buckets)
    starts = np.array([(series.time(b) - series.traffic_from).total_seconds() / 60 for b in range(series.buckets)])
    ends = starts + series.bucket_minutes
    span = (series.traffic_until - series.traffic_from).total_seconds() / 60 + 1
    return np.clip(np.minimum(ends, span) - np.maximum(starts, 0), 0, None)


def _counts(slice_: SliceSeries, coverage: np.ndarray, kind: str, bucket_minutes: int) -> MetricSeries:
    with np.errstate(invalid="ignore", divide="ignore"):
        per_minute = np.where(coverage > 0, slice_.requests / np.maximum(coverage, 1e-9), np.nan)
    return MetricSeries(
        "requests_per_min",
        slice_.scope,
        kind,
        per_minute,
        np.sqrt(per_minute * bucket_minutes),  # the count a whole bucket would have; NaN outside the data
        sigma_floor=0.5,
        coverage=coverage,
        numerator=slice_.requests,
    )


def _quantile(slice_: SliceSeries, buckets: int, q: float, metric: str, min_samples: int) -> MetricSeries:
    assert slice_.latency is not None
    values = slice_.latency.quantile_per_bucket(q, buckets, min_samples)
    return MetricSeries(
        metric,
        slice_.scope,
        "health",
        values,
        np.log(values + 1.0),
        sigma_floor=0.03,
        latency=slice_.latency,
        quantile=q,
    )


def _rate(
    slice_: SliceSeries | Measured,
    metric: str,
    numerator: np.ndarray,
    denominator: np.ndarray,
    params: DetectionParameters,
    source: str = ACCESS_LOGS,
) -> MetricSeries:
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(denominator >= params.rate_min_requests, numerator / np.maximum(denominator, 1), np.nan)
    busy = denominator[denominator >= params.rate_min_requests]
    typical = float(np.median(busy)) if len(busy) else float(params.rate_min_requests)
    return MetricSeries(
        metric,
        slice_.scope,
        "health",
        values,
        np.arcsin(np.sqrt(values)),
        sigma_floor=0.5 / math.sqrt(typical),
        numerator=numerator,
        denominator=denominator,
        source=source,
    )


def _measured(one: Measured, coverage: np.ndarray, series: SeriesSet, params: DetectionParameters) -> MetricSeries:
    """A series measured outside the request cells, ready for detection as its unit says."""
    unit = METRICS[one.metric][1]
    if one.latency is not None and one.quantile is not None:
        min_samples = params.p99_min_samples if one.quantile > 0.9 else params.p50_min_samples
        values = one.latency.quantile_per_bucket(one.quantile, series.buckets, min_samples)
        return MetricSeries(
            one.metric, one.scope, one.kind, values, np.log(values + 1.0), 0.03,
            latency=one.latency, quantile=one.quantile, source=one.source,
        )  # fmt: skip
    if unit == "per_min":
        assert one.numerator is not None
        minutes = one.coverage if one.coverage is not None else coverage
        with np.errstate(invalid="ignore", divide="ignore"):
            per_minute = np.where(minutes > 0, one.numerator / np.maximum(minutes, 1e-9), np.nan)
        transformed = np.sqrt(per_minute * series.bucket_minutes)
        return MetricSeries(
            one.metric, one.scope, one.kind, per_minute, transformed, 0.5,
            numerator=one.numerator, coverage=minutes, source=one.source,
        )  # fmt: skip
    if unit in ("rate", "share"):
        assert one.numerator is not None and one.denominator is not None
        return _rate(one, one.metric, one.numerator, one.denominator, params, one.source)
    assert one.values is not None
    values = one.values
    if one.samples is not None:
        # CloudWatch's percentile over the bucket's requests, which cannot be pooled over buckets: taken
        # as given once the bucket has p50_min_samples requests (a p99 over fewer than 100 is near the
        # maximum); the medians over many buckets and the rank test carry the noise
        values = np.where(one.samples >= params.p50_min_samples, values, np.nan)
    transformed, floor = {
        "ms": (np.log(values + 1.0), 0.03),
        "hosts": (values, 0.5),
        "queue": (np.sqrt(np.maximum(values, 0.0)), 0.5),
    }[unit]
    return MetricSeries(
        one.metric, one.scope, one.kind, values, transformed, floor, quantile=one.quantile, source=one.source
    )


# -- detection ------------------------------------------------------------------------------------


def detect_shifts(series: SeriesSet, params: DetectionParameters | None = None) -> list[Shift]:
    """Every shift in every series of the set, in time order (then metric, then scope)."""
    params = params or DetectionParameters()
    found: list[Shift] = []
    for metric in metric_series(series, params):
        found.extend(detect(series, metric, params))
    return sorted(found, key=lambda s: (s.at, _scope_rank(s.scope), s.scope.key, s.metric))


SCOPE_ORDER = ("lb", "listener", "domain", "target_group", "target", "ssl_protocol", "ssl_cipher", "client_network")


def _scope_rank(scope: Scope) -> int:
    return SCOPE_ORDER.index(scope.kind)


def breakpoints(values: np.ndarray, sigma_floor: float, params: DetectionParameters) -> list[int]:
    """PELT change points (indices into `values`, which has no NaN) on the robustly scaled series."""
    n = len(values)
    if n < 2 * params.min_segment_buckets:
        return []
    sigma = robust_sigma(values, sigma_floor)
    scaled = np.clip((values - np.median(values)) / sigma, -params.clip_sigmas, params.clip_sigmas)
    if not np.any(scaled != scaled[0]):
        return []
    model = ruptures.KernelCPD(kernel="linear", min_size=params.min_segment_buckets, jump=1)
    found = model.fit(scaled.reshape(-1, 1)).predict(pen=params.penalty_beta * math.log(n))
    return [int(b) for b in found[:-1]]


def robust_sigma(values: np.ndarray, floor: float) -> float:
    """The noise of a series (no NaN) from its median absolute first difference, which a level
    shift barely moves; never below `floor`."""
    differences = np.diff(values)
    mad = float(np.median(np.abs(differences - np.median(differences))))
    return max(mad / 0.6745 / math.sqrt(2), floor)


def refine(metric: MetricSeries, valid: np.ndarray, points: list[int], params: DetectionParameters) -> list[int]:
    """Move each count or rate change point to where the exact likelihood (Poisson for counts,
    binomial for rates) splits its two neighbouring segments best. With few events per bucket the
    least-squares proposal can land a few buckets off; this puts it back where the data turns."""
    if metric.numerator is None:
        return points
    k = metric.numerator[valid].astype(float)
    n = metric.denominator[valid].astype(float) if metric.denominator is not None else metric.coverage[valid]
    edges = [0, *points, len(valid)]
    refined = []
    for i, point in enumerate(points):
        low = max(edges[i] + params.min_segment_buckets, point - params.window_buckets // 3)
        high = min(edges[i + 2] - params.min_segment_buckets, point + params.window_buckets // 3)
        if high <= low:
            refined.append(point)
            continue
        segment_k = k[edges[i] : edges[i + 2]]
        segment_n = n[edges[i] : edges[i + 2]]
        cumulative_k = np.concatenate([[0.0], np.cumsum(segment_k)])
        cumulative_n = np.concatenate([[0.0], np.cumsum(segment_n)])
        candidates = np.arange(low, high + 1) - edges[i]
        left_k, left_n = cumulative_k[candidates], cumulative_n[candidates]
        right_k, right_n = cumulative_k[-1] - left_k, cumulative_n[-1] - left_n
        binomial = metric.denominator is not None
        score = _log_likelihood(left_k, left_n, binomial) + _log_likelihood(right_k, right_n, binomial)
        refined.append(int(candidates[int(np.argmax(score))]) + edges[i])
    return refined


def _log_likelihood(k: np.ndarray, n: np.ndarray, binomial: bool) -> np.ndarray:
    """Maximised log-likelihood of k events in n trials (binomial) or n minutes (Poisson)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, k / np.maximum(n, 1e-12), 0.0)
        events = np.where(k > 0, k * np.log(np.maximum(rate, 1e-300)), 0.0)
        if binomial:
            rest = np.where(n - k > 0, (n - k) * np.log(np.maximum(1 - rate, 1e-300)), 0.0)
            return events + rest
        return events - k


def detect(series: SeriesSet, metric: MetricSeries, params: DetectionParameters) -> list[Shift]:
    valid = np.flatnonzero(~np.isnan(metric.transformed))
    points = breakpoints(metric.transformed[valid], metric.sigma_floor, params)
    points = refine(metric, valid, points, params)
    edges = [0, *points, len(valid)]
    shifts = []
    for i, point in enumerate(points):
        before = valid[max(edges[i], point - params.window_buckets) : point]
        after = valid[point : min(edges[i + 2], point + params.window_buckets)]
        shift = _judge(series, metric, before, after, params)
        if shift is not None and i > 0:
            first = valid[max(0, edges[1] - params.window_buckets // 3) : edges[1]]
            shift = _as_return(
                shift, value_between(metric, series, series.time(int(first[0])), series.time(int(first[-1]) + 1))
            )
        if shift is not None:
            shifts.append(shift)
    return shifts


def _as_return(shift: Shift, first_level: float | None) -> Shift:
    """A shift that takes a metric back to the level of the series' first segment (before anything
    happened in the window), from a level that had moved away from it, is a recovery whatever its
    direction: the end of clients' retry traffic is traffic going down, but it is the incident ending,
    not a new one."""
    if shift.kind != "health" or shift.worse is False or first_level is None:
        return shift
    scale = level_scale(shift.unit)
    away = scale(shift.before) - scale(first_level)
    back = scale(shift.after) - scale(first_level)
    moved = abs(scale(shift.after) - scale(shift.before))
    crossed = away * back <= 0  # back past the first level: all the way back
    if moved > 0 and abs(away) >= 0.5 * moved and (crossed or abs(back) <= 0.5 * abs(away)):
        return dataclasses.replace(shift, worse=False)
    return shift


def level_scale(unit: str) -> Callable[[float], float]:
    """The scale on which moves of a metric compare: log for latencies and counts (host counts and the
    surge queue too), arcsine-square-root for rates and shares."""
    if unit in ("ms", "per_min", "hosts", "queue"):
        return lambda v: math.log(v + 1.0)
    return lambda v: math.asin(math.sqrt(min(1.0, max(0.0, v))))


def _judge(
    series: SeriesSet, metric: MetricSeries, before: np.ndarray, after: np.ndarray, params: DetectionParameters
) -> Shift | None:
    family, unit, _ = METRICS[metric.metric]
    judge: Callable = {"per_min": _judge_counts, "ms": _judge_latency, "rate": _judge_rate, "share": _judge_rate}.get(
        unit, _judge_levels
    )
    if unit == "ms" and metric.latency is None:
        judge = _judge_levels  # CloudWatch's percentiles: no histogram to pool
    verdict = judge(series, metric, before, after, params)
    if verdict is None:
        return None
    before_value, after_value, p_value, test, strength, interval = verdict
    if not p_value < params.alpha:
        return None
    direction = "up" if after_value > before_value else "down"
    if metric.kind == "distribution":
        worse = None
    elif family in _WORSE_WHEN_UP:
        worse = (direction == "up") != (metric.metric in INVERTED)
    elif family in _WORSE_WHEN_DOWN:
        worse = True if direction == "down" else None
    else:
        worse = None
    b = series.bucket_minutes
    return Shift(
        metric=metric.metric,
        scope=metric.scope,
        at=series.time(int(after[0])),
        before=before_value,
        after=after_value,
        before_from=series.time(int(before[0])),
        after_until=series.time(int(after[-1])) + dt.timedelta(minutes=b),
        family="distribution" if metric.kind == "distribution" else family,
        unit=unit,
        direction=direction,
        kind=metric.kind,
        worse=worse,
        strength=round(strength, 3),
        p_value=float(p_value),
        test=test,
        ci_low=interval[0] if interval else None,
        ci_high=interval[1] if interval else None,
        source=metric.source,
    )


def _judge_counts(series, metric: MetricSeries, before, after, params: DetectionParameters):
    counts, coverage = metric.numerator, metric.coverage
    k1, e1 = float(counts[before].sum()), float(coverage[before].sum())
    k2, e2 = float(counts[after].sum()), float(coverage[after].sum())
    before_rate, after_rate = k1 / e1, k2 / e2
    change = (after_rate + 0.5) / (before_rate + 0.5)
    if abs(after_rate - before_rate) < params.requests_min_delta_per_min:
        return None
    least = params.requests_min_ratio
    if metric.source == CLOUDWATCH and METRICS[metric.metric][0] == "traffic":
        least = params.metrics_requests_min_ratio
    if 1 / least < change < least:
        return None
    strength = min(1.0, abs(math.log(change)) / math.log(4))
    if _rank_test_can_decide(len(before), len(after), params):
        test = stats.mannwhitneyu(metric.values[before], metric.values[after], alternative="two-sided")
        what = METRICS[metric.metric][2].removesuffix(" per minute")
        return before_rate, after_rate, float(test.pvalue), f"Mann-Whitney U on {what} per bucket", strength, None
    # Too few buckets for a rank test: compare the two Poisson rates, the variance inflated by the
    # overdispersion the buckets show.
    dispersion = max(1.0, _count_dispersion(counts, coverage, before), _count_dispersion(counts, coverage, after))
    z2 = math.log((k2 + 0.5) / e2 / ((k1 + 0.5) / e1)) ** 2 / (dispersion * (1 / (k1 + 0.5) + 1 / (k2 + 0.5)))
    p_value = float(stats.chi2.sf(z2, 1))
    what = METRICS[metric.metric][2].removesuffix(" per minute")
    return before_rate, after_rate, p_value, f"rate ratio test on {what}, overdispersion-adjusted", strength, None


def _rank_test_can_decide(n_before: int, n_after: int, params: DetectionParameters) -> bool:
    """Whether a rank test on per-bucket values can reach `alpha` at all with these many buckets: the
    smallest p-value it can give (every after-bucket beyond every before-bucket, normal approximation)
    must be below alpha. Five buckets against ten cannot (p >= 0.002), so a step beside a short window
    is judged by the test on the requests themselves instead."""
    if min(n_before, n_after) < params.test_min_buckets:
        return False
    extreme = n_before * n_after / 2 / math.sqrt(n_before * n_after * (n_before + n_after + 1) / 12)
    return bool(2 * stats.norm.sf(extreme) < params.alpha)


def _count_dispersion(counts: np.ndarray, coverage: np.ndarray, buckets: np.ndarray) -> float:
    """Pearson chi-square per degree of freedom of bucket counts around their pooled rate (1 = Poisson)."""
    k, e = counts[buckets].astype(float), coverage[buckets].astype(float)
    if len(k) < 2 or k.sum() == 0:
        return 1.0
    expected = e * k.sum() / e.sum()
    return float((((k - expected) ** 2) / np.maximum(expected, 1e-9)).sum() / (len(k) - 1))


def _judge_latency(series: SeriesSet, metric: MetricSeries, before, after, params: DetectionParameters):
    assert metric.latency is not None and metric.quantile is not None
    q = metric.quantile
    before_value = pooled_quantile(metric.latency.histogram(int(before[0]), int(before[-1]) + 1), q)
    after_value = pooled_quantile(metric.latency.histogram(int(after[0]), int(after[-1]) + 1), q)
    if math.isnan(before_value) or math.isnan(after_value):
        return None
    change = (after_value + 1.0) / (before_value + 1.0)
    if abs(after_value - before_value) < params.latency_min_delta_ms * (2 if q > 0.9 else 1):
        return None
    if 1 / params.latency_min_ratio < change < params.latency_min_ratio:
        return None
    tail = _tail_test(series, metric.latency, q, before, after, after_value > before_value, params)
    if tail is None or not tail < params.alpha:
        return None
    if _rank_test_can_decide(len(before), len(after), params):
        test = stats.mannwhitneyu(metric.values[before], metric.values[after], alternative="two-sided")
        p_value, name = float(test.pvalue), "Mann-Whitney U on per-bucket quantiles"
    else:  # too few buckets for a rank test: the tail test alone
        p_value, name = tail, "two-proportion test on the share slower than the before-window quantile"
    if not p_value < params.alpha:
        return None
    interval = _bootstrap_ratio(metric.latency, q, before, after, params)
    strength = min(1.0, abs(math.log(change)) / math.log(10))
    return before_value, after_value, p_value, name, strength, interval


def _tail_test(series: SeriesSet, latency: Latency, q: float, before, after, up: bool, params) -> float | None:
    """A quantile can jump on noise when a rare slow kind of request sits near it (a p99 flips
    between the normal tail and a 1 % of 20-second exports). Check the requests themselves: the
    share slower than the before-window quantile must move the same way (for p99 by
    `latency_min_ratio`, for p50 by `median_share_min_delta`), significantly, with the overdispersion
    across buckets taken into account. Returns the test's p-value, or None when the share did not move
    enough."""
    threshold = quantile_bin(latency.histogram(int(before[0]), int(before[-1]) + 1), q)
    if threshold is None:
        return None
    slower = latency.bin > threshold
    above = np.bincount(latency.bucket[slower], weights=latency.count[slower], minlength=series.buckets)
    total = latency.samples(series.buckets).astype(float)
    k1, n1 = float(above[before].sum()), float(total[before].sum())
    k2, n2 = float(above[after].sum()), float(total[after].sum())
    if min(n1, n2) == 0 or k1 + k2 == 0 or k1 + k2 == n1 + n2:
        return None
    share1, share2 = k1 / n1, k2 / n2
    if q >= 0.9:  # a tail share: it must move by the same ratio as the quantile must
        material = share2 >= share1 * params.latency_min_ratio if up else share2 * params.latency_min_ratio <= share1
    else:  # around the middle a ratio means little: the share must move by median_share_min_delta
        material = (share2 - share1 if up else share1 - share2) >= params.median_share_min_delta
    if not material:
        return None
    statistic, _, _, _ = stats.chi2_contingency([[k1, n1 - k1], [k2, n2 - k2]], correction=False)
    dispersion = max(1.0, _dispersion(above, total, before), _dispersion(above, total, after))
    return float(stats.chi2.sf(statistic / dispersion, 1))


def _bootstrap_ratio(latency: Latency, q: float, before, after, params: DetectionParameters):
    """95 % percentile interval of after/before for the pooled quantile, resampling whole buckets."""
    first = int(min(before[0], after[0]))
    stop = int(max(before[-1], after[-1])) + 1
    matrix = latency.histograms(first, stop)
    before_rows = matrix[before - first]
    after_rows = matrix[after - first]

    def quantiles(rows: np.ndarray, picks: np.ndarray) -> np.ndarray:
        summed = rows[picks].sum(axis=-2)  # (..., bins)
        cumulative = np.cumsum(summed, axis=-1)
        total = cumulative[..., -1:]
        rank = np.maximum(1, np.ceil(q * total - 1e-9))
        index = np.argmax(cumulative >= rank, axis=-1)
        values = np.where(index < 16, index, 16 * np.exp((index - 16 + 0.5) / 20.0))
        return np.where(total[..., 0] > 0, values, np.nan)

    def statistic(before_picks, after_picks, axis=-1):
        below = quantiles(before_rows, before_picks.astype(int))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(below > 0, quantiles(after_rows, after_picks.astype(int)) / below, np.nan)

    result = stats.bootstrap(
        (np.arange(len(before_rows)), np.arange(len(after_rows))),
        statistic,
        n_resamples=params.bootstrap_resamples,
        vectorized=True,
        paired=False,
        method="percentile",
        batch=100,
        rng=np.random.default_rng(params.seed),
    )
    low, high = result.confidence_interval
    if math.isnan(low) or math.isnan(high):
        return None
    return round(float(low), 3), round(float(high), 3)


def _judge_levels(series, metric: MetricSeries, before, after, params: DetectionParameters):
    """Per-bucket values with no counts behind them: host counts (a step of `hosts_min_delta`), the
    surge queue (`queue_min_delta` and x`queue_min_ratio`), CloudWatch's percentiles (latency's
    thresholds). The before and after values are the medians of their buckets; significance is a
    Mann-Whitney U test on the buckets, so each side needs `test_min_buckets`."""
    unit = METRICS[metric.metric][1]
    before_value = float(np.median(metric.values[before]))
    after_value = float(np.median(metric.values[after]))
    delta = abs(after_value - before_value)
    if unit == "hosts":
        material = delta >= params.hosts_min_delta
        strength = min(1.0, delta / max(before_value, after_value, 1.0))
    else:
        change = (after_value + 1.0) / (before_value + 1.0)
        if unit == "queue":
            least, factor = params.queue_min_delta, params.queue_min_ratio
        else:
            least = params.latency_min_delta_ms * (2 if (metric.quantile or 0.0) > 0.9 else 1)
            factor = params.latency_min_ratio
        material = delta >= least and not 1 / factor < change < factor
        strength = min(1.0, abs(math.log(change)) / math.log(10))
    if not material or min(len(before), len(after)) < params.test_min_buckets:
        return None
    test = stats.mannwhitneyu(metric.values[before], metric.values[after], alternative="two-sided")
    return before_value, after_value, float(test.pvalue), "Mann-Whitney U on per-bucket values", strength, None


def _judge_rate(series, metric: MetricSeries, before, after, params: DetectionParameters):
    numerator, denominator = metric.numerator, metric.denominator
    k1, n1 = int(numerator[before].sum()), int(denominator[before].sum())
    k2, n2 = int(numerator[after].sum()), int(denominator[after].sum())
    if min(n1, n2) == 0 or k1 + k2 == 0 or k1 + k2 == n1 + n2:
        return None
    p1, p2 = k1 / n1, k2 / n2
    share = metric.metric == "tls_share"
    min_delta = params.share_min_delta if share else params.rate_min_delta
    if metric.source == CLOUDWATCH and not share:
        min_delta = params.metrics_rate_min_delta
    min_ratio = params.share_min_ratio if share else params.rate_min_ratio
    change = (p2 + 0.001) / (p1 + 0.001)
    if abs(p2 - p1) < min_delta or 1 / min_ratio < change < min_ratio:
        return None
    if (k2 if p2 > p1 else k1) < params.rate_min_events:
        return None  # a rate built on a handful of events is noise
    statistic, _, _, _ = stats.chi2_contingency([[k1, n1 - k1], [k2, n2 - k2]], correction=False)
    dispersion = max(1.0, _dispersion(numerator, denominator, before), _dispersion(numerator, denominator, after))
    p_value = float(stats.chi2.sf(statistic / dispersion, 1))
    strength = min(1.0, max(abs(p2 - p1) / 0.05, abs(math.log(change)) / math.log(20)))
    return p1, p2, p_value, "two-proportion chi-square, overdispersion-adjusted", strength, None


def _dispersion(numerator: np.ndarray, denominator: np.ndarray, buckets: np.ndarray) -> float:
    """Pearson chi-square per degree of freedom of the buckets around their pooled rate (1 = binomial)."""
    n = denominator[buckets].astype(float)
    k = numerator[buckets].astype(float)
    used = n > 0
    n, k = n[used], k[used]
    if len(n) < 2:
        return 1.0
    p = k.sum() / n.sum()
    if p <= 0 or p >= 1:
        return 1.0
    expected = n * p
    pearson = float((((k - expected) ** 2) / (expected * (1 - p))).sum())
    return pearson / (len(n) - 1)


def value_between(metric: MetricSeries, series: SeriesSet, since: dt.datetime, until: dt.datetime) -> float | None:
    """The metric pooled over the buckets that start in [since, until), as a shift's before/after
    figures are; None where there is no data."""
    first = max(0, series.bucket_of(since))
    stop = min(series.buckets, series.bucket_of(until))
    if stop <= first:
        return None
    if metric.latency is not None and metric.quantile is not None:
        value = pooled_quantile(metric.latency.histogram(first, stop), metric.quantile)
        return None if math.isnan(value) else value
    if metric.numerator is None:  # per-bucket values: their median, as a shift's before and after are
        known = metric.values[first:stop][~np.isnan(metric.values[first:stop])]
        return float(np.median(known)) if len(known) else None
    if metric.coverage is not None:
        return float(metric.numerator[first:stop].sum() / metric.coverage[first:stop].sum())
    total = int(metric.denominator[first:stop].sum())
    return None if total == 0 else float(metric.numerator[first:stop].sum() / total)


__all__ = ["LB", "DetectionParameters", "MetricSeries", "Shift", "detect_shifts", "metric_series"]
