"""metrics_lb_minute, dbt-style: given CloudWatch points and reads, the exact per-minute rows."""

from __future__ import annotations

import pytest
from conftest import records, ts
from timeline_support import insert

ELB, NLB = "AWS/ELB", "AWS/NetworkELB"


def point(lb, namespace, metric, statistic, value, scope="lb", scope_name="", at="14:05"):
    lb_type = "clb" if namespace == ELB else "nlb"
    return {"lb": lb, "lb_type": lb_type, "namespace": namespace, "scope": scope, "scope_name": scope_name,
            "metric": metric, "statistic": statistic, "minute": ts(f"2026-11-20T{at}"), "value": value}  # fmt: skip


def read(lb, namespace, metric, statistic="Sum", scope="lb"):
    return {"lb": lb, "namespace": namespace, "scope": scope, "metric": metric, "statistic": statistic,
            "since": ts("2026-11-20T14:00"), "until": ts("2026-11-20T14:10")}  # fmt: skip


@pytest.fixture
def given(db):
    insert(
        db,
        "metrics_minute",
        [
            point("legacy", ELB, "RequestCount", "Sum", 50.0),
            point("legacy", ELB, "Latency", "p50", 0.012),
            point("legacy", ELB, "Latency", "p99", 0.2),
            point("legacy", ELB, "HTTPCode_Backend_5XX", "Sum", 3.0),
            point("legacy", ELB, "SurgeQueueLength", "Maximum", 12.0),
            point("legacy", ELB, "HealthyHostCount", "Average", 2.0),
            # a count read at 14:05 but not at 14:20: that minute's other counts are unknown, not 0
            point("legacy", ELB, "RequestCount", "Sum", 40.0, at="14:20"),
            point("tls-front", NLB, "NewFlowCount", "Sum", 300.0),
            point("tls-front", NLB, "NewFlowCount", "Sum", 290.0, scope="az", scope_name="us-east-1a"),
            point("tls-front", NLB, "HealthyHostCount", "Average", 2.0, scope="target_group", scope_name="a"),
            point("tls-front", NLB, "HealthyHostCount", "Average", 1.0, scope="target_group", scope_name="b"),
        ],
    )
    counts = ("RequestCount", "HTTPCode_ELB_5XX", "HTTPCode_Backend_5XX", "HTTPCode_ELB_4XX", "HTTPCode_Backend_4XX",
              "SpilloverCount")  # fmt: skip
    insert(db, "metric_fetches", [read("legacy", ELB, metric) for metric in counts])
    return db


def test_metrics_lb_minute(given):
    empty = dict.fromkeys(
        ("requests", "p50_target_ms", "p90_target_ms", "p99_target_ms", "elb_5xx", "target_5xx", "status_4xx",
         "error_rate", "errors", "healthy_hosts", "unhealthy_hosts", "active_connections", "rejected_connections",
         "client_tls_errors", "target_tls_errors", "target_connection_errors", "surge_queue_length", "spillover",
         "new_flows", "active_flows", "tcp_client_resets", "tcp_target_resets", "tcp_elb_resets")
    )  # fmt: skip
    assert records(given, "select * from metrics_lb_minute order by lb, minute") == [
        {
            "lb": "legacy",
            "lb_type": "clb",
            "minute": ts("2026-11-20T14:05"),
            **empty,
            "requests": 50,
            "p50_target_ms": 12.0,
            "p99_target_ms": 200.0,
            "elb_5xx": 0,
            "target_5xx": 3,
            "status_4xx": 0,
            "error_rate": 0.06,
            "errors": 3,
            "healthy_hosts": 2.0,
            "surge_queue_length": 12.0,
            "spillover": 0,
        },
        {"lb": "legacy", "lb_type": "clb", "minute": ts("2026-11-20T14:20"), **empty, "requests": 40},
        {
            "lb": "tls-front",
            "lb_type": "nlb",
            "minute": ts("2026-11-20T14:05"),
            **empty,
            "healthy_hosts": 3.0,
            "new_flows": 300,
        },
    ]


def test_metric_cells_and_reads(given):
    """The timeline's CloudWatch input: datapoints of the load balancer and its target groups under the
    catalogue's series names (zones left out), and the windows its counts were read over."""
    assert records(given, "select * from metric_cells where lb = 'tls-front' order by scope, scope_name") == [
        {"lb": "tls-front", "lb_type": "nlb", "scope": "lb", "scope_name": "", "series": "new_flows",
         "minute": ts("2026-11-20T14:05"), "value": 300.0},
        {"lb": "tls-front", "lb_type": "nlb", "scope": "target_group", "scope_name": "a", "series": "healthy_hosts",
         "minute": ts("2026-11-20T14:05"), "value": 2.0},
        {"lb": "tls-front", "lb_type": "nlb", "scope": "target_group", "scope_name": "b", "series": "healthy_hosts",
         "minute": ts("2026-11-20T14:05"), "value": 1.0},
    ]  # fmt: skip
    assert records(given, "select series, since, until from metric_reads order by series") == [
        {"series": series, "since": ts("2026-11-20T14:00"), "until": ts("2026-11-20T14:10")}
        for series in ("elb_4xx", "elb_5xx", "requests", "spillover", "target_4xx", "target_5xx")
    ]


def test_load_balancers_seen_only_in_cloudwatch(given):
    assert records(given, "select * from load_balancers order by lb") == [
        {"lb": "legacy", "lb_type": "clb", "lb_id": None, "requests": 0, "tls_connections": 0, "metric_minutes": 2,
         "first_seen": ts("2026-11-20T14:05"), "last_seen": ts("2026-11-20T14:20"), "changes": 0},
        {"lb": "tls-front", "lb_type": "nlb", "lb_id": None, "requests": 0, "tls_connections": 0, "metric_minutes": 1,
         "first_seen": ts("2026-11-20T14:05"), "last_seen": ts("2026-11-20T14:05"), "changes": 0},
    ]  # fmt: skip
