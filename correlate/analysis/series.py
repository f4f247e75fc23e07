"""Per-bucket series of one load balancer and its slices, built from the cells the store reads.

A slice (`Scope`) is the load balancer itself, one listener port, one domain, one target group, one
target, one TLS protocol or one cipher. Every slice carries request and error counts per time bucket;
back-end slices (load balancer, target group, target) also carry a latency histogram per bucket, so
quantiles can be taken over one bucket or pooled over many (histograms add up; quantiles do not).

Series measured elsewhere than in access logs are `Measured`, one metric of one slice each, in a set's
`measured`: CloudWatch's one-minute metrics and an NLB's TLS access logs (built in analysis/measured.py
on the same `Grid` of buckets).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Latency bins (sql/10_request_facts.sql): 1 ms wide below 16 ms, then 5 % wide.
_LINEAR_BINS = 16
_BINS_PER_E = 20.0
BUCKET_CHOICES = (1, 2, 3, 5, 10, 15, 30, 60, 120, 240, 360, 720, 1440)
COUNT_FIELDS = ("requests", "elb_5xx", "target_5xx", "status_4xx", "errors")
ACCESS_LOGS, CLOUDWATCH, NLB_LOGS = "access logs", "CloudWatch", "NLB TLS logs"  # where a series comes from


def bin_value(bins: np.ndarray | int) -> np.ndarray | float:
    """The latency (ms) a bin stands for: its start below 16 ms (ALB logs whole milliseconds), the
    geometric middle of the bin above."""
    bins = np.asarray(bins, dtype=float)
    value = np.where(bins < _LINEAR_BINS, bins, _LINEAR_BINS * np.exp((bins - _LINEAR_BINS + 0.5) / _BINS_PER_E))
    return value if value.ndim else float(value)


@dataclass(frozen=True, slots=True)
class Scope:
    """A slice of one load balancer's traffic."""

    kind: str  # lb, listener, domain, target_group, target, ssl_protocol, ssl_cipher, client_network
    value: str | None = None

    @property
    def key(self) -> str:
        return self.kind if self.value is None else f"{self.kind}:{self.value}"

    @property
    def label(self) -> str:
        return {
            "lb": "the load balancer",
            "listener": f"listener {self.value}",
            "domain": f"domain {self.value}",
            "target_group": f"target group {self.value}",
            "target": f"target {self.value}",
            "ssl_protocol": f"{self.value} clients",
            "ssl_cipher": f"cipher {self.value}",
            "client_network": f"clients in {self.value}",
        }[self.kind]


LB = Scope("lb")


@dataclass(frozen=True, slots=True)
class Latency:
    """A sparse latency histogram per bucket: parallel arrays sorted by (bucket, bin)."""

    bucket: np.ndarray  # int64
    bin: np.ndarray  # int64
    count: np.ndarray  # int64

    def samples(self, buckets: int) -> np.ndarray:
        return np.bincount(self.bucket, weights=self.count, minlength=buckets).astype(np.int64)

    def quantile_per_bucket(self, q: float, buckets: int, min_samples: int) -> np.ndarray:
        """Nearest-rank quantile (ms) per bucket; NaN where the bucket has fewer than min_samples."""
        out = np.full(buckets, np.nan)
        if not len(self.count):
            return out
        totals = self.samples(buckets)
        offsets = np.cumsum(totals) - totals
        cumulative = np.cumsum(self.count) - offsets[self.bucket]
        rank = np.maximum(1, np.ceil(q * totals - 1e-9)).astype(np.int64)[self.bucket]
        chosen = (cumulative >= rank) & (cumulative - self.count < rank)
        out[self.bucket[chosen]] = bin_value(self.bin[chosen])
        out[totals < max(1, min_samples)] = np.nan
        return out

    def histogram(self, first: int, stop: int) -> np.ndarray:
        """Counts per bin over buckets [first, stop)."""
        mask = (self.bucket >= first) & (self.bucket < stop)
        return np.bincount(self.bin[mask], weights=self.count[mask]).astype(np.int64)

    def histograms(self, first: int, stop: int) -> np.ndarray:
        """A (buckets, bins) matrix of counts for buckets [first, stop)."""
        mask = (self.bucket >= first) & (self.bucket < stop)
        width = int(self.bin.max()) + 1 if len(self.bin) else 1
        matrix = np.zeros((stop - first, width), dtype=np.int64)
        np.add.at(matrix, (self.bucket[mask] - first, self.bin[mask]), self.count[mask])
        return matrix


def pooled_quantile(histogram: np.ndarray, q: float) -> float:
    """Nearest-rank quantile (ms) of a histogram (counts per bin); NaN when empty."""
    found = quantile_bin(histogram, q)
    return math.nan if found is None else float(bin_value(found))


def quantile_bin(histogram: np.ndarray, q: float) -> int | None:
    """The bin holding the nearest-rank quantile of a histogram; None when empty."""
    total = histogram.sum()
    if total <= 0:
        return None
    rank = max(1, math.ceil(q * total - 1e-9))
    return int(np.searchsorted(np.cumsum(histogram), rank))


@dataclass(frozen=True, slots=True)
class SliceSeries:
    """Counts per bucket for one slice. `total` is the denominator of a share (TLS requests for a
    protocol or cipher slice, else the slice's own requests)."""

    scope: Scope
    requests: np.ndarray
    elb_5xx: np.ndarray
    target_5xx: np.ndarray
    status_4xx: np.ndarray
    errors: np.ndarray
    latency: Latency | None = None
    total: np.ndarray | None = None
    parent: Scope | None = None  # a target's target group


@dataclass(frozen=True, slots=True)
class Measured:
    """One metric of one slice per bucket, measured elsewhere than in the request cells (CloudWatch,
    an NLB's TLS logs): what the detection needs to judge it as it judges the request series. Which
    arrays are set follows the metric's unit: counts have `numerator` and `coverage`, rates
    `numerator` and `denominator`, gauges and CloudWatch's percentiles `values` (with `samples`, the
    requests behind a percentile), handshake quantiles a histogram (`latency`, `quantile`)."""

    metric: str  # a key of shifts.METRICS
    scope: Scope
    source: str  # CLOUDWATCH or NLB_LOGS
    kind: str = "health"  # or distribution (how requests spread over target groups)
    values: np.ndarray | None = None  # gauges, percentiles: the mean of the bucket's minutes; NaN where none
    samples: np.ndarray | None = None  # percentiles: the requests of the bucket
    numerator: np.ndarray | None = None
    denominator: np.ndarray | None = None
    coverage: np.ndarray | None = None  # counts: minutes read per bucket (None: the set's traffic span)
    latency: Latency | None = None
    quantile: float | None = None


@dataclass(frozen=True, slots=True)
class SeriesSet:
    """Every slice of one load balancer over one window, in buckets of `bucket_minutes`."""

    lb: str
    start: dt.datetime  # start of bucket 0
    buckets: int
    bucket_minutes: int
    slices: tuple[SliceSeries, ...]
    target_groups: dict[str, str] = field(default_factory=dict)  # target group name -> ARN
    traffic_from: dt.datetime | None = None  # first and last minute with requests: outside them the
    traffic_until: dt.datetime | None = None  # logs say nothing, which is not the same as zero traffic
    # listener rule priority -> requests it matched per bucket (ALB logs; empty when the logs do not say)
    rules: dict[int, np.ndarray] = field(default_factory=dict)
    measured: tuple[Measured, ...] = ()  # series from CloudWatch or an NLB's logs
    traffic_source: str = ACCESS_LOGS  # what traffic_from/until were read from

    def time(self, bucket: int) -> dt.datetime:
        return self.start + dt.timedelta(minutes=bucket * self.bucket_minutes)

    def bucket_of(self, moment: dt.datetime) -> int:
        return int((moment - self.start).total_seconds() // (self.bucket_minutes * 60))

    def get(self, scope: Scope) -> SliceSeries | None:
        for series in self.slices:
            if series.scope == scope:
                return series
        return None

    def of_kind(self, kind: str) -> list[SliceSeries]:
        return [series for series in self.slices if series.scope.kind == kind]


def choose_bucket(per_minute_requests: np.ndarray, minutes: int, min_requests: int, max_buckets: int) -> int:
    """The smallest bucket (minutes) whose median load-balancer traffic reaches min_requests and that
    keeps the window within max_buckets."""
    busy = per_minute_requests[per_minute_requests > 0]
    if not len(busy):
        return 1
    median = float(np.median(busy))
    for choice in BUCKET_CHOICES:
        if median * choice >= min_requests and math.ceil(minutes / choice) <= max_buckets:
            return choice
    return BUCKET_CHOICES[-1]


def build_series(
    lb: str,
    back: pa.Table,
    front: pa.Table,
    since: dt.datetime,
    until: dt.datetime,
    bucket_minutes: int | None = None,
    *,
    min_bucket_requests: int = 100,
    max_buckets: int = 3000,
) -> SeriesSet:
    """Slices and buckets from the two cell tables (views latency_cells and frontend_cells). Buckets
    are aligned to multiples of their width since the epoch, so 5-minute buckets start at :00, :05..."""
    first_minute, span = minute_span(since, until)
    back_minute = minute_index(back.column("minute"), first_minute)
    front_minute = minute_index(front.column("minute"), first_minute)
    requests = int_column(back.column("requests"))
    per_minute = np.bincount(back_minute, weights=requests, minlength=span)
    grid = Grid.of(first_minute, span, per_minute, bucket_minutes, min_bucket_requests, max_buckets)
    start, buckets, bucket_minutes = grid.start, grid.buckets, grid.bucket_minutes
    back_counts = _Counts(back, grid.bucket_of_minute(back_minute), buckets)
    front_counts = _Counts(front, grid.bucket_of_minute(front_minute), buckets)

    slices: list[SliceSeries] = [back_counts.back_slice(LB, None)]
    arn_codes, arns = codes(back.column("target_group_arn"))
    target_groups: dict[str, str] = {}
    for code in sorted(range(len(arns)), key=lambda c: arns[c]):
        name = target_group_name(arns[code])
        target_groups[name] = arns[code]
        slices.append(back_counts.back_slice(Scope("target_group", name), arn_codes == code))
    target_codes, targets = _target_codes(back)
    for code in sorted(range(len(targets)), key=lambda c: _natural_target(targets[c])):
        mask = target_codes == code
        owners = sorted({arns[c] for c in np.unique(arn_codes[mask]) if c >= 0})
        parent = Scope("target_group", target_group_name(owners[0])) if owners else None
        slices.append(back_counts.back_slice(Scope("target", targets[code]), mask, parent))

    protocol_codes, _ = codes(front.column("ssl_protocol"))
    tls_total = front_counts.sum("requests", protocol_codes >= 0)
    for kind, column, total in (
        ("listener", "listener_port", None),
        ("domain", "domain_name", None),
        ("ssl_protocol", "ssl_protocol", tls_total),
        ("ssl_cipher", "ssl_cipher", tls_total),
    ):
        value_codes, values = codes(front.column(column))
        for code in sorted(range(len(values)), key=lambda c: _natural(values[c])):
            slices.append(front_counts.front_slice(Scope(kind, values[code]), value_codes == code, total))
    traffic_from, traffic_until = grid.busy_span(per_minute)
    rules: dict[int, np.ndarray] = {}
    if "matched_rule_priority" in front.column_names:
        rule_codes, priorities = codes(front.column("matched_rule_priority"))
        for code, priority in enumerate(priorities):
            rules[int(priority)] = front_counts.sum("requests", rule_codes == code)
    return SeriesSet(
        lb, start, buckets, bucket_minutes, tuple(slices), target_groups, traffic_from, traffic_until, rules
    )


def minute_span(since: dt.datetime, until: dt.datetime) -> tuple[dt.datetime, int]:
    """The first minute of [since, until] (`until` is the window's last minute) and how many minutes."""
    first_minute = since.replace(second=0, microsecond=0)
    last_minute = until.replace(second=0, microsecond=0)
    return first_minute, int((last_minute - first_minute).total_seconds() // 60) + 1


@dataclass(frozen=True, slots=True)
class Grid:
    """A window's minutes and the buckets they fall in: buckets are aligned to multiples of their width
    since the epoch, so 5-minute buckets start at :00, :05..."""

    first_minute: dt.datetime
    span: int  # minutes in the window
    start: dt.datetime  # start of bucket 0
    offset: int  # minutes from `start` to `first_minute`
    buckets: int
    bucket_minutes: int

    @classmethod
    def of(
        cls,
        first_minute: dt.datetime,
        span: int,
        traffic: np.ndarray,
        bucket_minutes: int | None,
        min_bucket_requests: int,
        max_buckets: int,
    ) -> Grid:
        """The grid whose bucket is `bucket_minutes`, or else chosen from the traffic per minute."""
        if bucket_minutes is None:
            bucket_minutes = choose_bucket(np.nan_to_num(traffic), span, min_bucket_requests, max_buckets)
        epoch_minutes = int((first_minute - dt.datetime(1970, 1, 1)).total_seconds() // 60)
        offset = epoch_minutes % bucket_minutes
        start = first_minute - dt.timedelta(minutes=offset)
        buckets = (span + offset + bucket_minutes - 1) // bucket_minutes
        return cls(first_minute, span, start, offset, buckets, bucket_minutes)

    def bucket_of_minute(self, minute: np.ndarray) -> np.ndarray:
        return (minute + self.offset) // self.bucket_minutes

    def sums(self, per_minute: np.ndarray) -> np.ndarray:
        """Per bucket: the sum of the minutes known (NaN minutes count as nothing)."""
        bucket = self.bucket_of_minute(np.arange(self.span))
        return np.bincount(bucket, weights=np.nan_to_num(per_minute), minlength=self.buckets)

    def known(self, per_minute: np.ndarray) -> np.ndarray:
        """Per bucket: how many of its minutes are known (not NaN)."""
        return self.sums((~np.isnan(per_minute)).astype(float))

    def means(self, per_minute: np.ndarray) -> np.ndarray:
        """Per bucket: the mean of the minutes known; NaN where none is."""
        known = self.known(per_minute)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(known > 0, self.sums(per_minute) / np.maximum(known, 1), np.nan)

    def busy_span(self, traffic: np.ndarray) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The first and last minute with traffic."""
        busy = np.flatnonzero(np.nan_to_num(traffic) > 0)
        if not len(busy):
            return None, None
        return (
            self.first_minute + dt.timedelta(minutes=int(busy[0])),
            self.first_minute + dt.timedelta(minutes=int(busy[-1])),
        )


def target_group_name(arn: str) -> str:
    parts = arn.split(":targetgroup/", 1)
    return parts[1].split("/", 1)[0] if len(parts) == 2 else arn


def minute_index(minutes: pa.ChunkedArray, start: dt.datetime) -> np.ndarray:
    values = minutes.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False)
    return ((values - np.datetime64(start, "us")) // np.timedelta64(60, "s")).astype(np.int64)


def codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Dictionary codes (-1 for NULL) and the distinct values as text."""
    encoded = pc.dictionary_encode(column.combine_chunks() if column.num_chunks != 1 else column.chunk(0))
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    if encoded.null_count:
        indices = np.where(pc.is_null(encoded).to_numpy(zero_copy_only=False), -1, indices)
    return indices.astype(np.int64), [str(value) for value in encoded.dictionary.to_pylist()]


def _target_codes(back: pa.Table) -> tuple[np.ndarray, list[str]]:
    """Codes for ip:port targets (-1 where no target)."""
    ip_codes, ips = codes(back.column("target_ip"))
    port_codes, ports = codes(back.column("target_port"))
    combined = np.where(ip_codes < 0, -1, ip_codes * (len(ports) + 1) + port_codes + 1)
    unique, inverse = np.unique(combined, return_inverse=True)
    labels: list[str] = []
    shift = 1 if len(unique) and unique[0] == -1 else 0
    for key in unique[shift:]:
        ip, port = divmod(int(key), len(ports) + 1)
        labels.append(ips[ip] if port == 0 else f"{ips[ip]}:{ports[port - 1]}")
    return inverse.astype(np.int64) - shift, labels


def _natural(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (1 << 62, value)


def _natural_target(value: str) -> tuple:
    host, _, port = value.rpartition(":")
    parts = host.split(".")
    if port.isdigit() and len(parts) == 4 and all(p.isdigit() for p in parts):
        return (0, tuple(int(p) for p in parts), int(port), value)
    return (1, (), 0, value)


def int_column(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(column, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


class _Counts:
    """Sums cell columns into buckets for a mask of cells."""

    def __init__(self, cells: pa.Table, bucket: np.ndarray, buckets: int) -> None:
        self.cells = cells
        self.bucket = bucket
        self.buckets = buckets
        self.columns = {name: int_column(cells.column(name)) for name in COUNT_FIELDS}
        if "latency_bin" in cells.column_names:
            bins = cells.column("latency_bin")
            self.has_bin = pc.is_valid(bins).to_numpy(zero_copy_only=False)
            self.bins = int_column(bins)

    def sum(self, name: str, mask: np.ndarray | None) -> np.ndarray:
        bucket = self.bucket if mask is None else self.bucket[mask]
        weights = self.columns[name] if mask is None else self.columns[name][mask]
        return np.bincount(bucket, weights=weights, minlength=self.buckets).astype(np.int64)

    def counts(self, mask: np.ndarray | None) -> dict[str, np.ndarray]:
        return {name: self.sum(name, mask) for name in COUNT_FIELDS}

    def back_slice(self, scope: Scope, mask: np.ndarray | None, parent: Scope | None = None) -> SliceSeries:
        has_bin = self.has_bin if mask is None else self.has_bin & mask
        latency = histogram_of(self.bucket[has_bin], self.bins[has_bin], self.columns["requests"][has_bin])
        return SliceSeries(scope, **self.counts(mask), latency=latency, parent=parent)

    def front_slice(self, scope: Scope, mask: np.ndarray, total: np.ndarray | None) -> SliceSeries:
        return SliceSeries(scope, **self.counts(mask), total=total)


def histogram_of(bucket: np.ndarray, bins: np.ndarray, counts: np.ndarray) -> Latency:
    if not len(bucket):
        empty = np.zeros(0, dtype=np.int64)
        return Latency(empty, empty, empty)
    width = int(bins.max()) + 1
    keys = bucket.astype(np.int64) * width + bins
    unique, inverse = np.unique(keys, return_inverse=True)
    summed = np.bincount(inverse, weights=counts).astype(np.int64)
    return Latency(unique // width, unique % width, summed)


def scopes(series: Iterable[SliceSeries]) -> list[Scope]:
    return [s.scope for s in series]
