"""Saved GetMetricData documents (request queries beside response results): the loader path a
generated incident uses, through the same parsing and store as the API."""

from __future__ import annotations

import gzip

import pytest
from conftest import FIXTURES, records, ts

from correlate.errors import NoInputFound
from correlate.pipeline.metrics import ingest_metric_files
from correlate.store.metrics import MetricsStore

UNHEALTHY = FIXTURES / "cloudwatch" / "alb_unhealthy_targets.json"


def load(db, *paths):
    lines: list[str] = []
    summary = ingest_metric_files(MetricsStore(db), [str(path) for path in paths], lines.append)
    return summary, lines


def test_document_rows_rejects_and_fetches(db):
    summary, lines = load(db, UNHEALTHY)
    assert summary.line() == (
        "1 file: web-prod (alb): 6 series, 17 datapoints (17 new), 1 series without datapoints, 3 rejected"
    )
    assert lines == [
        f"{UNHEALTHY}: no datapoints from 2026-11-20T14:03:00Z to 2026-11-20T14:07:00Z for 1 series "
        "(HTTPCode_Target_5XX_Count). CloudWatch publishes a count only in minutes where it is not zero, and "
        "latencies only in minutes with requests."
    ]
    assert records(db, "select * exclude (loaded_at) from metrics_minute order by minute, metric limit 1") == [
        {
            "lb": "web-prod",
            "lb_type": "alb",
            "namespace": "AWS/ApplicationELB",
            "scope": "target_group",
            "scope_name": "web",
            "metric": "HealthyHostCount",
            "statistic": "Average",
            "minute": ts("2026-11-20T14:03"),
            "value": 4.0,
            "source": str(UNHEALTHY),
        }
    ]
    series = db.query(
        "select scope_name, metric, statistic, list(value order by minute) from metrics_minute group by all order by 2"
    )[1]
    # the RequestCount result came in two pages: both halves are kept
    assert series == [
        ("", "HTTPCode_ELB_5XX_Count", "Sum", [40.0, 96.0]),
        ("web", "HealthyHostCount", "Average", [4.0, 4.0, 0.5, 0.0]),
        ("", "RequestCount", "Sum", [120.0, 118.0, 121.0, 97.0]),
        ("", "TargetResponseTime", "p99", [0.041, 0.043, 0.9]),
        ("web", "UnHealthyHostCount", "Average", [0.0, 0.0, 3.5, 4.0]),
    ]
    assert records(db, "select * from rejects order by reason") == [
        {
            "source_file": str(UNHEALTHY),
            "source_line": None,
            "kind": "cloudwatch",
            "reason": "query rate: not a MetricStat query (an expression or a Metrics Insights query)",
            "raw": '{"Id":"rate","Expression":"elb5xx / requests","Label":"5xx rate"}',
        },
        {
            "source_file": str(UNHEALTHY),
            "source_line": None,
            "kind": "cloudwatch",
            "reason": "query slow: period 300 s: metrics_minute holds one-minute data (Period 60)",
            "raw": '{"Id":"slow","MetricStat":{"Metric":{"Namespace":"AWS/ApplicationELB","MetricName":"RequestCount",'
            '"Dimensions":[{"Name":"LoadBalancer","Value":"app/web-prod/50dc6c495c0c9188"}]},"Period":300,"Stat":"Sum"}}',
        },
        {
            "source_file": str(UNHEALTHY),
            "source_line": None,
            "kind": "cloudwatch",
            "reason": "result rate: its query is not stored (see that query's reject)",
            "raw": '{"Id":"rate","Label":"5xx rate","StatusCode":"Complete","Timestamps":[],"Values":[]}',
        },
    ]
    fetches = records(
        db,
        "select metric, since, until, datapoints, status, dimensions::varchar as dimensions from metric_fetches "
        "where metric in ('HTTPCode_Target_5XX_Count', 'HealthyHostCount') order by datapoints",
    )
    window = {"since": ts("2026-11-20T14:03"), "until": ts("2026-11-20T14:07"), "status": "Complete"}
    lb = '{"Name":"LoadBalancer","Value":"app/web-prod/50dc6c495c0c9188"}'
    group = '{"Name":"TargetGroup","Value":"targetgroup/web/73e2d6bc24d8a067"}'
    assert fetches == [
        {"metric": "HTTPCode_Target_5XX_Count", "datapoints": 0, "dimensions": f"[{lb}]", **window},
        {"metric": "HealthyHostCount", "datapoints": 4, "dimensions": f"[{lb},{group}]", **window},
    ]


def test_only_cloudwatch_shows_the_targets_going_unhealthy(db):
    """All targets fail their health checks while the ALB fails open: the per-minute series the
    timeline will read show the host counts move before the 5xx."""
    load(db, UNHEALTHY)
    rows = records(
        db,
        "select minute, requests, p99_target_ms, elb_5xx, target_5xx, status_4xx, errors, error_rate, healthy_hosts, "
        "unhealthy_hosts, active_connections from metrics_lb_minute order by minute",
    )
    assert rows == [
        {"minute": ts("2026-11-20T14:03"), "requests": 120, "p99_target_ms": 41.0, "elb_5xx": 0, "target_5xx": 0,
         "status_4xx": None, "errors": 0, "error_rate": 0.0, "healthy_hosts": 4.0, "unhealthy_hosts": 0.0,
         "active_connections": None},
        {"minute": ts("2026-11-20T14:04"), "requests": 118, "p99_target_ms": 43.0, "elb_5xx": 0, "target_5xx": 0,
         "status_4xx": None, "errors": 0, "error_rate": 0.0, "healthy_hosts": 4.0, "unhealthy_hosts": 0.0,
         "active_connections": None},
        {"minute": ts("2026-11-20T14:05"), "requests": 121, "p99_target_ms": 900.0, "elb_5xx": 40, "target_5xx": 0,
         "status_4xx": None, "errors": 40, "error_rate": 40 / 121, "healthy_hosts": 0.5, "unhealthy_hosts": 3.5,
         "active_connections": None},
        {"minute": ts("2026-11-20T14:06"), "requests": 97, "p99_target_ms": None, "elb_5xx": 96, "target_5xx": 0,
         "status_4xx": None, "errors": 96, "error_rate": 96 / 97, "healthy_hosts": 0.0, "unhealthy_hosts": 4.0,
         "active_connections": None},
    ]  # fmt: skip


def test_a_document_loaded_before_is_skipped_and_gzip_is_read(db, tmp_path):
    packed = tmp_path / "metrics.json.gz"
    packed.write_bytes(gzip.compress(UNHEALTHY.read_bytes()))
    first, _ = load(db, packed)
    again, lines = load(db, tmp_path)
    assert (first.datapoints, first.new) == (17, 17)
    assert again.line() == "1 file; 1 already loaded: nothing new"
    assert lines == []
    assert records(
        db, "select source_file, kind, fingerprint is not null as known, rows, rejected from ingested_files"
    ) == [{"source_file": str(packed), "kind": "cloudwatch", "known": True, "rows": 17, "rejected": 3}]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"{not json", "not JSON (unexpected character, expected a string key: line 1 column 2 (char 1)). Pass a "
         "GetMetricData request and response as one object."),
        (b'{"MetricDataResults": []}', "no MetricDataQueries list. Give the request's MetricDataQueries beside the "
         "response's MetricDataResults (jq -s '.[0] + .[1]' request.json response.json)."),
        (b'{"MetricDataQueries": [], "MetricDataResults": [], "StartTime": "yesterday"}',
         "StartTime 'yesterday' / EndTime None: not ISO 8601 times or epoch seconds."),
    ],
)  # fmt: skip
def test_unreadable_document(db, tmp_path, text, reason):
    path = tmp_path / "bad.json"
    path.write_bytes(text)
    with pytest.raises(NoInputFound) as caught:
        load(db, path)
    assert str(caught.value) == "None of the 1 metric files could be read (see the lines above)."
    assert records(db, "select source_file, source_line, kind, reason, raw from rejects") == [
        {"source_file": str(path), "source_line": None, "kind": "cloudwatch", "reason": reason,
         "raw": text.decode()}
    ]  # fmt: skip
