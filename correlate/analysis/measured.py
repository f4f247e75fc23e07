"""Series measured elsewhere than in access-log requests, in the timeline's buckets: CloudWatch's
one-minute metrics and an NLB's TLS access logs.

- `metrics_series`: when CloudWatch is all there is for the window, its series drive the timeline:
  requests, ELB and target 5xx and 4xx rates, the latency percentiles (of the load balancer and of
  each target group), plus what only CloudWatch has (`cloudwatch_extras`). An NLB's are its new
  flows and the extras.
- `cloudwatch_extras`: beside access logs (or an NLB's TLS logs), the series no log holds: healthy
  and unhealthy host counts, the surge queue, spillover, rejected connections, client TLS
  negotiation errors.
- `build_nlb_series`: an NLB from its TLS logs: connections, failed handshakes, handshake times (a
  histogram, as latency is for an ALB), the protocol and cipher mix, and the client networks that
  carry a large part of the connections.

CloudWatch publishes a count only in minutes where it is not zero: a count's minute read
(`metric_reads`) without a datapoint is 0, a minute never read is unknown (NaN), and the counts'
`coverage` is the minutes known.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from correlate.analysis.series import (
    CLOUDWATCH,
    LB,
    NLB_LOGS,
    Grid,
    Measured,
    Scope,
    SeriesSet,
    codes,
    histogram_of,
    int_column,
    minute_index,
    minute_span,
)

MINUTE = dt.timedelta(minutes=1)
NETWORK_MIN_SHARE = 0.05  # a client network gets its own slice with this share of the connections
NETWORKS_SHOWN = 8
# CloudWatch series (metric_catalogue's names) that no log shows: series -> (metric, how it adds up)
EXTRAS = (
    ("healthy_hosts", "healthy_hosts", "level"),
    ("unhealthy_hosts", "unhealthy_hosts", "level"),
    ("surge_queue_length", "surge_queue_length", "level"),
    ("spillover", "spillover_per_min", "count"),
    ("rejected_connections", "rejected_connections_per_min", "count"),
    ("client_tls_errors", "client_tls_errors_per_min", "count"),
)
# The load balancer's traffic in CloudWatch: its request count, else (an NLB) its new flows
TRAFFIC_SERIES = ("requests", "new_flows")
PERCENTILES = (("p50_target_s", "p50_target_ms", 0.5), ("p99_target_s", "p99_target_ms", 0.99))

Key = tuple[str, str, str]  # scope, scope_name, series


def cloudwatch_minutes(cells: pa.Table, reads: pa.Table, first_minute: dt.datetime, span: int) -> dict[Key, np.ndarray]:
    """Per (scope, scope name, series) of one load balancer: its value in each minute of the window,
    NaN where unknown, 0 where a count was read without a datapoint. `cells` and `reads` are the
    load balancer's rows of metric_cells and metric_reads; when two types of load balancer share the
    name (an ALB and a Classic ELB), the one with more datapoints is read."""
    cells, reads = _one_type(cells, reads)
    minute = minute_index(cells.column("minute"), first_minute)
    values = np.asarray(pc.fill_null(cells.column("value"), np.nan).to_numpy(zero_copy_only=False), dtype=float)
    key_codes, keys = codes(_keys(cells))
    found: dict[Key, np.ndarray] = {}
    for code, text in enumerate(keys):
        mask = (key_codes == code) & (minute >= 0) & (minute < span)
        series = np.full(span, np.nan)
        series[minute[mask]] = values[mask]
        found[_key(text)] = series
    for scope, name, series_name, since, until in zip(
        *(reads.column(c).to_pylist() for c in ("scope", "scope_name", "series", "since", "until")), strict=True
    ):
        low = max(0, int((since - first_minute) // MINUTE))
        high = min(span, int((until - first_minute) // MINUTE))
        if high <= low:
            continue
        series = found.setdefault((scope, name, series_name), np.full(span, np.nan))
        part = series[low:high]
        part[np.isnan(part)] = 0.0
    return found


def _one_type(cells: pa.Table, reads: pa.Table) -> tuple[pa.Table, pa.Table]:
    types = pc.value_counts(cells.column("lb_type")).to_pylist() if cells.num_rows else []
    if len(types) <= 1:
        return cells, reads
    chosen = max(types, key=lambda item: (item["counts"], str(item["values"])))["values"]
    return (
        cells.filter(pc.equal(cells.column("lb_type"), chosen)),
        reads.filter(pc.equal(reads.column("lb_type"), chosen)),
    )


_SEPARATOR = "\x1f"


def _keys(cells: pa.Table) -> pa.ChunkedArray:
    columns = [cells.column(name) for name in ("scope", "scope_name", "series")]
    return pc.binary_join_element_wise(*columns, _SEPARATOR)


def _key(text: str) -> Key:
    scope, name, series = text.split(_SEPARATOR)
    return scope, name, series


def _scopes(minutes: dict[Key, np.ndarray]) -> Iterator[tuple[str, str, Scope]]:
    """The load balancer, then its target groups by name."""
    groups = sorted({name for scope, name, _ in minutes if scope == "target_group"})
    yield "lb", "", LB
    for name in groups:
        yield "target_group", name, Scope("target_group", name)


def cloudwatch_extras(minutes: dict[Key, np.ndarray], grid: Grid) -> list[Measured]:
    """The series only CloudWatch has, of the load balancer and of each target group."""
    found = []
    for scope_kind, name, scope in _scopes(minutes):
        for series_name, metric, how in EXTRAS:
            per_minute = minutes.get((scope_kind, name, series_name))
            if per_minute is None or np.isnan(per_minute).all():
                continue
            if how == "level":
                found.append(Measured(metric, scope, CLOUDWATCH, values=grid.means(per_minute)))
            else:
                found.append(_count(metric, scope, per_minute, grid))
    return found


def _count(metric: str, scope: Scope, per_minute: np.ndarray, grid: Grid, kind: str = "health") -> Measured:
    return Measured(metric, scope, CLOUDWATCH, kind, numerator=grid.sums(per_minute), coverage=grid.known(per_minute))


def _rate(metric: str, scope: Scope, events: np.ndarray, requests: np.ndarray, grid: Grid) -> Measured:
    known = ~np.isnan(events) & ~np.isnan(requests)
    return Measured(
        metric,
        scope,
        CLOUDWATCH,
        numerator=np.round(grid.sums(np.where(known, events, np.nan))).astype(np.int64),
        denominator=np.round(grid.sums(np.where(known, requests, np.nan))).astype(np.int64),
    )


def metrics_series(
    lb: str,
    cells: pa.Table,
    reads: pa.Table,
    since: dt.datetime,
    until: dt.datetime,
    bucket_minutes: int | None = None,
    *,
    min_bucket_requests: int = 100,
    max_buckets: int = 3000,
) -> SeriesSet:
    """The set when CloudWatch is all the window has: every series it holds, per bucket. Buckets are
    chosen from its request count (an NLB's new flows) as from the access logs' requests."""
    first_minute, span = minute_span(since, until)
    minutes = cloudwatch_minutes(cells, reads, first_minute, span)
    traffic_name = TRAFFIC_SERIES[0] if ("lb", "", TRAFFIC_SERIES[0]) in minutes else TRAFFIC_SERIES[1]
    traffic = minutes.get(("lb", "", traffic_name), np.full(span, np.nan))
    grid = Grid.of(first_minute, span, traffic, bucket_minutes, min_bucket_requests, max_buckets)
    measured: list[Measured] = []
    for scope_kind, name, scope in _scopes(minutes):
        requests = minutes.get((scope_kind, name, "requests"))
        if requests is None:
            continue
        kind = "health" if scope_kind == "lb" else "distribution"
        measured.append(_count("requests_per_min", scope, requests, grid, kind))
        rates = (("target_5xx_rate", ("target_5xx",)),)
        if scope_kind == "lb":
            rates = (("elb_5xx_rate", ("elb_5xx",)), *rates, ("status_4xx_rate", ("elb_4xx", "target_4xx")))
        for metric, parts in rates:
            events = [minutes.get((scope_kind, name, part)) for part in parts]
            if all(one is not None for one in events):
                measured.append(_rate(metric, scope, np.sum(events, axis=0), requests, grid))
        for series_name, metric, q in PERCENTILES:
            seconds = minutes.get((scope_kind, name, series_name))
            if seconds is not None:
                values = grid.means(seconds * 1000.0)
                measured.append(
                    Measured(metric, scope, CLOUDWATCH, values=values, samples=grid.sums(requests), quantile=q)
                )
    if traffic_name == "new_flows":
        measured.append(_count("new_flows_per_min", LB, traffic, grid))
    measured += cloudwatch_extras(minutes, grid)
    traffic_from, traffic_until = grid.busy_span(traffic)
    groups = {name: name for _, name, scope in _scopes(minutes) if scope.kind == "target_group"}
    return SeriesSet(
        lb, grid.start, grid.buckets, grid.bucket_minutes, (), groups, traffic_from, traffic_until,
        measured=tuple(measured), traffic_source=CLOUDWATCH,
    )  # fmt: skip


def with_cloudwatch_extras(
    series: SeriesSet, cells: pa.Table, reads: pa.Table, since: dt.datetime, until: dt.datetime
) -> SeriesSet:
    """`series` (built from access logs or an NLB's logs over [since, until], `until` the last
    minute) with CloudWatch's extras in its buckets."""
    first_minute, span = minute_span(since, until)
    grid = Grid.of(first_minute, span, np.zeros(span), series.bucket_minutes, 1, 1)
    extras = cloudwatch_extras(cloudwatch_minutes(cells, reads, first_minute, span), grid)
    return dataclasses.replace(series, measured=(*series.measured, *extras))


def build_nlb_series(
    lb: str,
    cells: pa.Table,
    clients: pa.Table,
    since: dt.datetime,
    until: dt.datetime,
    bucket_minutes: int | None = None,
    *,
    min_bucket_requests: int = 100,
    max_buckets: int = 3000,
) -> SeriesSet:
    """An NLB's set from its TLS logs: `cells` are its rows of nlb_cells, `clients` of
    nlb_client_minute. Buckets are chosen from its connections as from an ALB's requests."""
    first_minute, span = minute_span(since, until)
    minute = minute_index(cells.column("minute"), first_minute)
    connections = int_column(cells.column("connections"))
    failed = int_column(cells.column("failed_handshakes"))
    per_minute = np.bincount(minute, weights=connections, minlength=span)
    grid = Grid.of(first_minute, span, per_minute, bucket_minutes, min_bucket_requests, max_buckets)
    bucket = grid.bucket_of_minute(minute)
    everywhere = np.ones(len(bucket), dtype=bool)

    def sums(weights: np.ndarray, mask: np.ndarray = everywhere) -> np.ndarray:
        return _bucket_sums(bucket, weights, mask, grid.buckets)

    total = sums(connections)
    bins = cells.column("handshake_bin")
    timed = pc.is_valid(bins).to_numpy(zero_copy_only=False)
    handshakes = histogram_of(bucket[timed], int_column(bins)[timed], connections[timed])
    measured = [
        Measured("connections_per_min", LB, NLB_LOGS, numerator=total),
        Measured("failed_handshake_rate", LB, NLB_LOGS, numerator=sums(failed), denominator=total),
        Measured("p50_handshake_ms", LB, NLB_LOGS, latency=handshakes, quantile=0.5),
        Measured("p99_handshake_ms", LB, NLB_LOGS, latency=handshakes, quantile=0.99),
    ]
    for kind, column in (("ssl_protocol", "tls_protocol_version"), ("ssl_cipher", "tls_cipher")):
        value_codes, values = codes(cells.column(column))
        if len(values) < 2:
            continue
        for code in sorted(range(len(values)), key=lambda c: values[c]):
            share = sums(connections, value_codes == code)
            measured.append(
                Measured("tls_share", Scope(kind, values[code]), NLB_LOGS, numerator=share, denominator=total)
            )
    measured += _networks(clients, grid, first_minute, span)
    traffic_from, traffic_until = grid.busy_span(per_minute)
    return SeriesSet(
        lb, grid.start, grid.buckets, grid.bucket_minutes, (), {}, traffic_from, traffic_until,
        measured=tuple(measured), traffic_source=NLB_LOGS,
    )  # fmt: skip


def _networks(clients: pa.Table, grid: Grid, first_minute: dt.datetime, span: int) -> list[Measured]:
    """The failed-handshake rate of each client network with at least NETWORK_MIN_SHARE of the
    connections (at most NETWORKS_SHOWN, the busiest first): old clients turned away by a TLS policy
    often sit in a few networks."""
    minute = minute_index(clients.column("minute"), first_minute)
    inside = (minute >= 0) & (minute < span)
    connections = int_column(clients.column("connections"))
    failed = int_column(clients.column("failed_handshakes"))
    network_codes, networks = codes(clients.column("client_network"))
    everything = float(connections[inside].sum())
    if not everything:
        return []
    per_network = np.bincount(
        network_codes[inside & (network_codes >= 0)],
        weights=connections[inside & (network_codes >= 0)],
        minlength=len(networks),
    )
    busiest = [c for c in np.argsort(-per_network, kind="stable") if per_network[c] / everything >= NETWORK_MIN_SHARE]
    bucket = grid.bucket_of_minute(minute)
    found = []
    for code in sorted(busiest[:NETWORKS_SHOWN], key=lambda c: networks[c]):
        mask = inside & (network_codes == code)
        total = _bucket_sums(bucket, connections, mask, grid.buckets)
        bad = _bucket_sums(bucket, failed, mask, grid.buckets)
        found.append(
            Measured(
                "failed_handshake_rate",
                Scope("client_network", networks[code]),
                NLB_LOGS,
                numerator=bad,
                denominator=total,
            )
        )
    return found


def _bucket_sums(bucket: np.ndarray, weights: np.ndarray, mask: np.ndarray, buckets: int) -> np.ndarray:
    """Per bucket: the sum of `weights` over the cells of `mask`."""
    return np.bincount(bucket[mask], weights=weights[mask], minlength=buckets).astype(np.int64)
