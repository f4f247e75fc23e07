"""Series measured outside the request cells, on small hand-made tables: CloudWatch's minutes (a count
read without a datapoint is 0, never read is unknown), the metrics-only set and its shifts, and an
NLB's set from its TLS logs."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa

from correlate.analysis.measured import build_nlb_series, cloudwatch_minutes, metrics_series
from correlate.analysis.series import CLOUDWATCH, LB, NLB_LOGS, Scope
from correlate.analysis.shifts import Shift, detect_shifts

START = dt.datetime(2026, 11, 20, 14, 0)
WEB = Scope("target_group", "web")
CELL_COLUMNS = ("lb_type", "scope", "scope_name", "series", "minute", "value")


def minute(index: int) -> dt.datetime:
    return START + dt.timedelta(minutes=index)


def cells(rows: list[tuple]) -> pa.Table:
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(CELL_COLUMNS)})


def reads(rows: list[tuple]) -> pa.Table:
    columns = ("lb_type", "scope", "scope_name", "series", "since", "until")
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})


def same(found: np.ndarray, expected: list[float]) -> bool:
    return np.array_equal(found, np.array(expected), equal_nan=True)


def test_a_count_is_zero_where_it_was_read_and_unknown_elsewhere():
    given = cells(
        [
            ("alb", "lb", "", "requests", minute(0), 50.0),
            ("alb", "lb", "", "requests", minute(1), 60.0),
            ("alb", "lb", "", "elb_5xx", minute(1), 3.0),
            ("clb", "lb", "", "requests", minute(0), 9.0),  # a Classic ELB of the same name, fewer datapoints
        ]
    )
    read = reads(
        [("alb", "lb", "", "elb_5xx", minute(0), minute(3)), ("clb", "lb", "", "elb_5xx", minute(0), minute(5))]
    )
    found = cloudwatch_minutes(given, read, START, 5)
    assert sorted(found) == [("lb", "", "elb_5xx"), ("lb", "", "requests")]
    assert same(found[("lb", "", "requests")], [50.0, 60.0, math.nan, math.nan, math.nan])
    assert same(found[("lb", "", "elb_5xx")], [0.0, 3.0, 0.0, math.nan, math.nan])


def test_metrics_alone_find_the_hosts_that_turned_unhealthy():
    rows = []
    for i in range(40):
        rows.append(("alb", "lb", "", "requests", minute(i), 300.0 + i % 3))
        rows.append(("alb", "target_group", "web", "unhealthy_hosts", minute(i), 0.0 if i < 20 else 4.0))
        rows.append(("alb", "target_group", "web", "healthy_hosts", minute(i), 6.0 if i < 20 else 2.0))
    rows.append(("alb", "target_group", "web", "healthy_hosts", minute(10), 5.5))  # one check missed: no shift
    series = metrics_series("web-prod", cells(rows), reads([]), minute(0), minute(39))
    assert (series.bucket_minutes, series.buckets, series.slices, series.target_groups) == (1, 40, (), {"web": "web"})
    assert (series.traffic_from, series.traffic_until, series.traffic_source) == (minute(0), minute(39), CLOUDWATCH)
    assert [(one.metric, one.scope, one.kind) for one in series.measured] == [
        ("requests_per_min", LB, "health"),
        ("healthy_hosts", WEB, "health"),
        ("unhealthy_hosts", WEB, "health"),
    ]
    common = {
        "scope": WEB,
        "at": minute(20),
        "before_from": minute(0),
        "after_until": minute(40),
        "family": "hosts",
        "unit": "hosts",
        "kind": "health",
        "worse": True,
        "test": "Mann-Whitney U on per-bucket values",
        "source": CLOUDWATCH,
    }
    assert detect_shifts(series) == [
        Shift(
            "healthy_hosts",
            before=6.0,
            after=2.0,
            direction="down",
            strength=0.667,
            p_value=7.42746405237872e-10,
            **common,
        ),
        Shift(
            "unhealthy_hosts",
            before=0.0,
            after=4.0,
            direction="up",
            strength=1.0,
            p_value=4.682682358742056e-10,
            **common,
        ),
    ]


def test_an_nlb_from_its_tls_logs():
    """Two minutes: connections, failed handshakes (no handshake bin), handshake-time histograms and the
    protocol shares; the one client network with enough connections gets its failure rate."""
    nlb = pa.table(
        {
            "minute": [minute(0), minute(0), minute(1), minute(1)],
            "tls_protocol_version": ["tlsv12", "tlsv13", "tlsv13", None],
            "tls_cipher": ["c12", "c13", "c13", None],
            "handshake_bin": [4, 5, 5, None],
            "connections": [2, 3, 4, 1],
            "failed_handshakes": [0, 0, 0, 1],
        }
    )
    clients = pa.table(
        {
            "minute": [minute(0), minute(1), minute(1)],
            "client_network": ["198.51.100.0/24", "198.51.100.0/24", "10.1.2.0/24"],
            "connections": [5, 4, 1],
            "failed_handshakes": [0, 1, 0],
        }
    )
    series = build_nlb_series("tls-front", nlb, clients, minute(0), minute(1), bucket_minutes=1)
    assert series.traffic_source == NLB_LOGS
    found = {(one.metric, one.scope.key): one for one in series.measured}
    assert sorted(found) == [
        ("connections_per_min", "lb"),
        ("failed_handshake_rate", "client_network:10.1.2.0/24"),
        ("failed_handshake_rate", "client_network:198.51.100.0/24"),
        ("failed_handshake_rate", "lb"),
        ("p50_handshake_ms", "lb"),
        ("p99_handshake_ms", "lb"),
        ("tls_share", "ssl_cipher:c12"),
        ("tls_share", "ssl_cipher:c13"),
        ("tls_share", "ssl_protocol:tlsv12"),
        ("tls_share", "ssl_protocol:tlsv13"),
    ]
    assert found[("connections_per_min", "lb")].numerator.tolist() == [5, 5]
    rate = found[("failed_handshake_rate", "lb")]
    assert (rate.numerator.tolist(), rate.denominator.tolist()) == ([0, 1], [5, 5])
    share = found[("tls_share", "ssl_protocol:tlsv13")]
    assert (share.numerator.tolist(), share.denominator.tolist()) == ([3, 4], [5, 5])
    histogram = found[("p50_handshake_ms", "lb")].latency
    assert (histogram.bucket.tolist(), histogram.bin.tolist(), histogram.count.tolist()) == (
        [0, 0, 1],
        [4, 5, 5],
        [2, 3, 4],
    )
    network = found[("failed_handshake_rate", "client_network:198.51.100.0/24")]
    assert (network.numerator.tolist(), network.denominator.tolist()) == ([0, 1], [5, 4])
