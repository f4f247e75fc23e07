"""The per-minute views, dbt-style: a few given requests in, the exact rows out."""

from __future__ import annotations

import pytest
from conftest import records, ts
from timeline_support import insert

from correlate.store.database import Database, read_view_file, sql_dir

WEB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067"


def request(**values):
    row = {
        "lb": "web-prod",
        "lb_type": "alb",
        "request_processing_time": 0.0,
        "response_processing_time": 0.0,
        "extra_fields": [],
        "source_file": "given",
    }
    row.update(values)
    row["time"] = row.get("time", row["request_at"])
    return row


GIVEN = [
    # 14:05: two fast answers from target .1, a 502 the load balancer made up for .2 (timings -1), a 500
    # from .2, and a redirect the load balancer answers itself on the HTTP listener (timings -1 too).
    request(request_at=ts("2026-11-20T14:05:10"), target_ip="10.0.0.1", target_port=80, target_processing_time=0.010,
            elb_status_code=200, target_status_code=200, target_group_arn=WEB, url="https://www.example.com:443/",
            domain_name="www.example.com", ssl_protocol="TLSv1.2", ssl_cipher="ECDHE-RSA-AES128-GCM-SHA256",
            actions_executed="forward"),
    request(request_at=ts("2026-11-20T14:05:20"), target_ip="10.0.0.1", target_port=80, target_processing_time=0.030,
            elb_status_code=200, target_status_code=200, target_group_arn=WEB, url="https://www.example.com:443/a",
            domain_name="www.example.com", ssl_protocol="TLSv1.3", ssl_cipher="TLS_AES_128_GCM_SHA256",
            actions_executed="forward"),
    request(request_at=ts("2026-11-20T14:05:30"), target_ip="10.0.0.2", target_port=80, target_processing_time=None,
            response_processing_time=None, elb_status_code=502, target_status_code=None, target_group_arn=WEB,
            url="https://www.example.com:443/b", domain_name="www.example.com", ssl_protocol="TLSv1.2",
            ssl_cipher="ECDHE-RSA-AES128-GCM-SHA256", actions_executed="forward"),
    request(request_at=ts("2026-11-20T14:05:40"), target_ip="10.0.0.2", target_port=80, target_processing_time=0.050,
            elb_status_code=500, target_status_code=500, target_group_arn=WEB, url="https://www.example.com:443/c",
            domain_name="www.example.com", ssl_protocol="TLSv1.3", ssl_cipher="TLS_AES_128_GCM_SHA256",
            actions_executed="forward"),
    request(request_at=ts("2026-11-20T14:05:50"), request_processing_time=None, target_processing_time=None,
            response_processing_time=None, elb_status_code=301, url="http://www.example.com:80/x",
            actions_executed="redirect"),
    # Arrived at 14:06:59.9, answered at 14:07:00.2: it counts in 14:06, the minute it arrived.
    request(request_at=ts("2026-11-20T14:06:59.900"), time=ts("2026-11-20T14:07:00.200"), target_ip="10.0.0.1",
            target_port=80, target_processing_time=0.020, elb_status_code=404, target_status_code=404,
            target_group_arn=WEB, url="https://www.example.com:443/missing", domain_name="www.example.com",
            ssl_protocol="TLSv1.2", ssl_cipher="ECDHE-RSA-AES128-GCM-SHA256", actions_executed="forward"),
    # A Classic ELB request in the same minute: its own load balancer, backend status 0 is not a target 5xx.
    request(lb="legacy-web", lb_type="clb", request_at=ts("2026-11-20T14:05:15"), target_ip="10.0.3.11", target_port=80,
            request_processing_time=0.00004, target_processing_time=None, response_processing_time=None,
            elb_status_code=503, target_status_code=0, url="https://legacy.example.com:443/", ssl_protocol="TLSv1",
            ssl_cipher="ECDHE-RSA-AES128-SHA"),
]  # fmt: skip


@pytest.fixture
def given(db: Database) -> Database:
    insert(db, "requests", GIVEN)
    return db


def test_every_view_header_matches_its_columns(db):
    for path in sorted(sql_dir().glob("[1-3][0-9]_*.sql")):
        view = read_view_file(path)
        columns = tuple(c[0] for c in db.con.execute(f"select * from {view.name} limit 0").description)
        assert columns == view.columns, path.name


def test_lb_minute(given):
    assert records(given, "select * from lb_minute order by lb, minute") == [
        {
            "lb": "legacy-web",
            "minute": ts("2026-11-20T14:05"),
            "requests": 1,
            "p50_target_ms": None,
            "p90_target_ms": None,
            "p99_target_ms": None,
            "elb_5xx": 1,
            "target_5xx": 0,
            "status_4xx": 0,
            "error_rate": 1.0,
            "errors": 1,
            "incomplete": 1,
            "latency_samples": 0,
        },
        {
            "lb": "web-prod",
            "minute": ts("2026-11-20T14:05"),
            "requests": 5,
            "p50_target_ms": 30.0,
            "p90_target_ms": 46.0,
            "p99_target_ms": 49.6,
            "elb_5xx": 1,
            "target_5xx": 1,
            "status_4xx": 0,
            "error_rate": 0.4,
            "errors": 2,
            "incomplete": 1,
            "latency_samples": 3,
        },
        {
            "lb": "web-prod",
            "minute": ts("2026-11-20T14:06"),
            "requests": 1,
            "p50_target_ms": 20.0,
            "p90_target_ms": 20.0,
            "p99_target_ms": 20.0,
            "elb_5xx": 0,
            "target_5xx": 0,
            "status_4xx": 1,
            "error_rate": 0.0,
            "errors": 0,
            "incomplete": 0,
            "latency_samples": 1,
        },
    ]


def test_target_group_and_target_minutes(given):
    groups = records(
        given,
        "select minute, target_group, requests, p50_target_ms, p99_target_ms, elb_5xx, target_5xx, errors "
        "from target_group_minute where lb = 'web-prod' order by minute, target_group nulls last",
    )
    assert groups == [
        {"minute": ts("2026-11-20T14:05"), "target_group": "web", "requests": 4, "p50_target_ms": 30.0,
         "p99_target_ms": 49.6, "elb_5xx": 1, "target_5xx": 1, "errors": 2},
        {"minute": ts("2026-11-20T14:05"), "target_group": None, "requests": 1, "p50_target_ms": None,
         "p99_target_ms": None, "elb_5xx": 0, "target_5xx": 0, "errors": 0},
        {"minute": ts("2026-11-20T14:06"), "target_group": "web", "requests": 1, "p50_target_ms": 20.0,
         "p99_target_ms": 20.0, "elb_5xx": 0, "target_5xx": 0, "errors": 0},
    ]  # fmt: skip
    targets = records(
        given,
        "select minute, target, requests, p50_target_ms, elb_5xx, target_5xx, error_rate "
        "from target_minute where lb = 'web-prod' order by minute, target nulls last",
    )
    assert targets == [
        {"minute": ts("2026-11-20T14:05"), "target": "10.0.0.1:80", "requests": 2, "p50_target_ms": 20.0,
         "elb_5xx": 0, "target_5xx": 0, "error_rate": 0.0},
        {"minute": ts("2026-11-20T14:05"), "target": "10.0.0.2:80", "requests": 2, "p50_target_ms": 50.0,
         "elb_5xx": 1, "target_5xx": 1, "error_rate": 1.0},
        {"minute": ts("2026-11-20T14:05"), "target": None, "requests": 1, "p50_target_ms": None,
         "elb_5xx": 0, "target_5xx": 0, "error_rate": 0.0},
        {"minute": ts("2026-11-20T14:06"), "target": "10.0.0.1:80", "requests": 1, "p50_target_ms": 20.0,
         "elb_5xx": 0, "target_5xx": 0, "error_rate": 0.0},
    ]  # fmt: skip


def test_listener_status_and_tls_minutes(given):
    assert records(
        given,
        "select lb, minute, listener_port, domain_name, requests, elb_5xx, status_4xx, errors from listener_minute "
        "order by lb, minute, listener_port",
    ) == [
        {"lb": "legacy-web", "minute": ts("2026-11-20T14:05"), "listener_port": 443, "domain_name": None,
         "requests": 1, "elb_5xx": 1, "status_4xx": 0, "errors": 1},
        {"lb": "web-prod", "minute": ts("2026-11-20T14:05"), "listener_port": 80, "domain_name": None,
         "requests": 1, "elb_5xx": 0, "status_4xx": 0, "errors": 0},
        {"lb": "web-prod", "minute": ts("2026-11-20T14:05"), "listener_port": 443, "domain_name": "www.example.com",
         "requests": 4, "elb_5xx": 1, "status_4xx": 0, "errors": 2},
        {"lb": "web-prod", "minute": ts("2026-11-20T14:06"), "listener_port": 443, "domain_name": "www.example.com",
         "requests": 1, "elb_5xx": 0, "status_4xx": 1, "errors": 0},
    ]  # fmt: skip
    assert records(
        given,
        "select status_class, elb_status_code, origin, requests, share from status_minute "
        "where lb = 'web-prod' and minute = '2026-11-20 14:05' order by elb_status_code",
    ) == [
        {"status_class": "2xx", "elb_status_code": 200, "origin": "target", "requests": 2, "share": 0.4},
        {"status_class": "3xx", "elb_status_code": 301, "origin": "lb", "requests": 1, "share": 0.2},
        {"status_class": "5xx", "elb_status_code": 500, "origin": "target", "requests": 1, "share": 0.2},
        {"status_class": "5xx", "elb_status_code": 502, "origin": "lb", "requests": 1, "share": 0.2},
    ]
    assert records(
        given,
        "select minute, ssl_protocol, ssl_cipher, requests, share from tls_minute where lb = 'web-prod' "
        "order by minute, ssl_protocol",
    ) == [
        {"minute": ts("2026-11-20T14:05"), "ssl_protocol": "TLSv1.2", "ssl_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
         "requests": 2, "share": 0.5},
        {"minute": ts("2026-11-20T14:05"), "ssl_protocol": "TLSv1.3", "ssl_cipher": "TLS_AES_128_GCM_SHA256",
         "requests": 2, "share": 0.5},
        {"minute": ts("2026-11-20T14:06"), "ssl_protocol": "TLSv1.2", "ssl_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
         "requests": 1, "share": 1.0},
    ]  # fmt: skip


def test_timeline_cells(given):
    assert records(
        given,
        "select minute, target_ip, target_port, latency_bin, requests, elb_5xx, target_5xx, status_4xx, errors "
        "from latency_cells where lb = 'web-prod' order by minute, target_ip nulls last, latency_bin nulls first",
    ) == [
        # 10 ms is bin 10 (1 ms bins below 16 ms); 30 ms and 50 ms fall in 5 % bins 28 and 38
        {"minute": ts("2026-11-20T14:05"), "target_ip": "10.0.0.1", "target_port": 80, "latency_bin": 10,
         "requests": 1, "elb_5xx": 0, "target_5xx": 0, "status_4xx": 0, "errors": 0},
        {"minute": ts("2026-11-20T14:05"), "target_ip": "10.0.0.1", "target_port": 80, "latency_bin": 28,
         "requests": 1, "elb_5xx": 0, "target_5xx": 0, "status_4xx": 0, "errors": 0},
        {"minute": ts("2026-11-20T14:05"), "target_ip": "10.0.0.2", "target_port": 80, "latency_bin": None,
         "requests": 1, "elb_5xx": 1, "target_5xx": 0, "status_4xx": 0, "errors": 1},
        {"minute": ts("2026-11-20T14:05"), "target_ip": "10.0.0.2", "target_port": 80, "latency_bin": 38,
         "requests": 1, "elb_5xx": 0, "target_5xx": 1, "status_4xx": 0, "errors": 1},
        {"minute": ts("2026-11-20T14:05"), "target_ip": None, "target_port": None, "latency_bin": None,
         "requests": 1, "elb_5xx": 0, "target_5xx": 0, "status_4xx": 0, "errors": 0},
        {"minute": ts("2026-11-20T14:06"), "target_ip": "10.0.0.1", "target_port": 80, "latency_bin": 20,
         "requests": 1, "elb_5xx": 0, "target_5xx": 0, "status_4xx": 1, "errors": 0},
    ]  # fmt: skip
    assert records(
        given,
        "select minute, listener_port, ssl_protocol, requests, errors from frontend_cells where lb = 'web-prod' "
        "order by minute, listener_port, ssl_protocol",
    ) == [
        {"minute": ts("2026-11-20T14:05"), "listener_port": 80, "ssl_protocol": None, "requests": 1, "errors": 0},
        {"minute": ts("2026-11-20T14:05"), "listener_port": 443, "ssl_protocol": "TLSv1.2", "requests": 2, "errors": 1},
        {"minute": ts("2026-11-20T14:05"), "listener_port": 443, "ssl_protocol": "TLSv1.3", "requests": 2, "errors": 1},
        {"minute": ts("2026-11-20T14:06"), "listener_port": 443, "ssl_protocol": "TLSv1.2", "requests": 1, "errors": 0},
    ]  # fmt: skip
