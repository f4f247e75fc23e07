"""The report's figure queries (sql/report/*.sql), dbt-style: a few given rows, the exact rows out."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest
from conftest import ts

from correlate.errors import ViewError
from correlate.store.database import sql_dir
from correlate.store.report import report_query, run_report_query, sql_literal, with_literals

QUERIES = sorted(path.stem for path in (sql_dir() / "report").glob("*.sql"))


def given(db, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows by column name; a column missing from a row is NULL there."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    db.con.register("given_rows", pa.Table.from_pylist([dict.fromkeys(columns) | row for row in rows]))
    try:
        db.con.execute(f"insert into {table} by name select * from given_rows")
    finally:
        db.con.unregister("given_rows")


def run(db, name: str, **params: Any) -> list[dict[str, Any]]:
    columns, rows = run_report_query(db, name, params)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def request(at: str, **fields: Any) -> dict[str, Any]:
    return {"lb": "a", "lb_type": "alb", "time": ts(at), "request_at": ts(at)} | fields


def wilson(errors: int, n: int) -> tuple[float, float]:
    """Wilson's score interval, written the textbook way (centre ± half-width)."""
    z = 1.96
    p = errors / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("name", QUERIES)
def test_every_query_file_has_a_true_header(db, name):
    query = report_query(name)
    assert query.name == name
    assert query.shows
    params = dict.fromkeys(query.params, ts("2026-11-20T10:00:00Z")) | {"lb": "a"}
    columns, _ = run_report_query(db, name, params)
    assert tuple(columns) == query.columns


def test_a_header_that_lies_is_an_error_naming_the_file(db, tmp_path, monkeypatch):
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "liar.sql").write_text("-- query: liar\n-- shows: x\n-- params: lb\n-- columns: a, b\nselect $lb as a;\n")
    monkeypatch.setattr("correlate.store.report.sql_dir", lambda: tmp_path)
    monkeypatch.setattr("correlate.store.database.sql_dir", lambda: tmp_path)
    with pytest.raises(ViewError) as error:
        run_report_query(db, "liar", {"lb": "x"})
    assert str(error.value) == "report/liar.sql: header lists columns a, b but the query returns a"
    report_query.cache_clear()


def test_with_literals_replaces_parameters_only_outside_strings_and_comments():
    sql = "-- uses $lb\nselect '$lb' as \"$x\", $lb, $since, $n, $none from t where x = $lb; -- $lb"
    params = {"lb": "o'brien", "since": ts("2026-11-20T10:00:00.250Z"), "n": 3, "none": None}
    assert with_literals(sql, params) == (
        "-- uses $lb\nselect '$lb' as \"$x\", 'o''brien', timestamp '2026-11-20 10:00:00.250000', 3, null "
        "from t where x = 'o''brien'; -- $lb"
    )
    with pytest.raises(KeyError):
        with_literals("select $missing", {})


def test_sql_literals():
    assert sql_literal(True) == "true"
    assert sql_literal(1.5) == "1.5"
    assert sql_literal(ts("2026-11-20T10:00:00Z")) == "timestamp '2026-11-20 10:00:00'"
    with pytest.raises(ValueError):
        sql_literal(math.inf)


def test_periods_with_their_intervals(db):
    given(
        db,
        "requests",
        [
            request("2026-11-20T10:01:00Z", elb_status_code=200, target_processing_time=0.010),
            request("2026-11-20T10:02:00Z", elb_status_code=200, target_processing_time=0.030),
            request("2026-11-20T10:03:00Z", elb_status_code=200, target_processing_time=0.020),
            request("2026-11-20T10:04:00Z", elb_status_code=503),
            request("2026-11-20T10:11:00Z", elb_status_code=500, target_status_code=500, target_processing_time=1.0),
            request("2026-11-20T10:12:00Z", elb_status_code=200, target_processing_time=2.0),
            request("2026-11-20T10:30:00Z", elb_status_code=200, target_processing_time=9.0),  # at until: out
            request("2026-11-20T10:05:00Z", lb="b", elb_status_code=500, target_processing_time=9.0),
        ],
    )
    rows = run(
        db,
        "periods",
        lb="a",
        since=ts("2026-11-20T10:00:00Z"),
        onset=ts("2026-11-20T10:10:00Z"),
        recovery=ts("2026-11-20T10:20:00Z"),
        until=ts("2026-11-20T10:30:00Z"),
    )
    before_low, before_high = wilson(1, 4)
    during_low, during_high = wilson(1, 2)
    assert rows == [
        {
            "period": "before",
            "starts_at": ts("2026-11-20T10:00:00Z"),
            "ends_at": ts("2026-11-20T10:10:00Z"),
            "minutes": 10.0,
            "requests": 4,
            "requests_per_min": 0.4,
            "requests_per_min_low": pytest.approx((4 - 1.96 * 2) / 10),
            "requests_per_min_high": pytest.approx((4 + 1.96 * 2) / 10),
            "errors": 1,
            "error_rate": 0.25,
            "error_rate_low": pytest.approx(before_low),
            "error_rate_high": pytest.approx(before_high),
            "timed": 3,
            # nearest rank ceil(0.5 * 3) = 2; the interval's ranks -1 and 4 fall outside the sample
            "p50_ms": 20.0,
            "p50_low_ms": None,
            "p50_high_ms": None,
            # rank ceil(0.99 * 3) = 3; interval ranks floor(2.97 - 0.34) = 2 and ceil(3.31) = 4
            "p99_ms": 30.0,
            "p99_low_ms": 20.0,
            "p99_high_ms": None,
        },
        {
            "period": "during",
            "starts_at": ts("2026-11-20T10:10:00Z"),
            "ends_at": ts("2026-11-20T10:20:00Z"),
            "minutes": 10.0,
            "requests": 2,
            "requests_per_min": 0.2,
            "requests_per_min_low": 0.0,
            "requests_per_min_high": pytest.approx((2 + 1.96 * math.sqrt(2)) / 10),
            "errors": 1,
            "error_rate": 0.5,
            "error_rate_low": pytest.approx(during_low),
            "error_rate_high": pytest.approx(during_high),
            "timed": 2,
            "p50_ms": 1000.0,
            "p50_low_ms": None,
            "p50_high_ms": None,
            "p99_ms": 2000.0,
            "p99_low_ms": 1000.0,
            "p99_high_ms": None,
        },
        {
            "period": "after",
            "starts_at": ts("2026-11-20T10:20:00Z"),
            "ends_at": ts("2026-11-20T10:30:00Z"),
            "minutes": 10.0,
            "requests": 0,
            "requests_per_min": 0.0,
            "requests_per_min_low": 0.0,
            "requests_per_min_high": 0.0,
            "errors": 0,
            "error_rate": None,
            "error_rate_low": None,
            "error_rate_high": None,
            "timed": 0,
            "p50_ms": None,
            "p50_low_ms": None,
            "p50_high_ms": None,
            "p99_ms": None,
            "p99_low_ms": None,
            "p99_high_ms": None,
        },
    ]


def test_periods_leave_out_empty_spans(db):
    given(db, "requests", [request("2026-11-20T10:01:00Z", elb_status_code=200)])
    at = ts("2026-11-20T10:30:00Z")
    rows = run(db, "periods", lb="a", since=ts("2026-11-20T10:00:00Z"), onset=at, recovery=at, until=at)
    assert [(row["period"], row["requests"]) for row in rows] == [("before", 1)]


def test_impact_counts_errors_and_requests_slower_than_the_p99_before(db):
    before = [
        request(f"2026-11-20T10:0{i}:00Z", elb_status_code=200, target_processing_time=0.01 * i) for i in range(10)
    ]
    during = [
        request("2026-11-20T10:11:00Z", elb_status_code=502),
        request("2026-11-20T10:12:00Z", elb_status_code=200, target_processing_time=0.095),  # slower than 90 ms
        request("2026-11-20T10:13:00Z", elb_status_code=200, target_processing_time=0.090),  # not slower
        request("2026-11-20T10:14:00Z", elb_status_code=504, target_processing_time=5.0),  # both: counted once
        request("2026-11-20T10:15:00Z"),  # a Classic ELB TCP line: no status
    ]
    given(db, "requests", before + during)
    rows = run(
        db,
        "impact",
        lb="a",
        since=ts("2026-11-20T10:00:00Z"),
        onset=ts("2026-11-20T10:10:00Z"),
        recovery=ts("2026-11-20T10:20:00Z"),
    )
    assert rows == [{"requests": 5, "errors": 2, "slow": 1, "affected": 3, "affected_rate": 0.6, "p99_before_ms": 90.0}]


def test_error_span_is_the_first_and_last_5xx_in_the_search_span(db):
    given(
        db,
        "requests",
        [
            request("2026-11-20T10:08:59Z", elb_status_code=500),  # before search_from: out
            request("2026-11-20T10:09:30Z", elb_status_code=502),
            request("2026-11-20T10:15:00Z", elb_status_code=200),
            request("2026-11-20T10:19:30Z", elb_status_code=504),
            request("2026-11-20T10:20:00Z", elb_status_code=503),  # at search_to: out
            request("2026-11-20T10:12:00Z", lb="b", elb_status_code=503),
        ],
    )
    rows = run(db, "error_span", lb="a", search_from=ts("2026-11-20T10:09:00Z"), search_to=ts("2026-11-20T10:20:00Z"))
    assert rows == [
        {
            "errors": 2,
            "first_error_at": ts("2026-11-20T10:09:30Z"),
            "first_error_status": 502,
            "last_error_at": ts("2026-11-20T10:19:30Z"),
            "last_error_status": 504,
        }
    ]


def test_carriers_group_each_way(db):
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/0123456789abcdef"
    given(
        db,
        "requests",
        [
            request(
                "2026-11-20T10:01:00Z",
                url="https://shop.example.com:443/api/cart?id=7",
                target_ip="10.0.0.1",
                target_port=80,
                target_group_arn=arn,
                client_ip="198.51.100.7",
                elb_status_code=502,
                domain_name="shop.example.com",
                user_agent="curl/8",
            ),
            request(
                "2026-11-20T10:02:00Z",
                url="http://[2001:db8::1]:80/",
                target_ip="2001:db8::5",
                target_port=8080,
                target_group_arn=arn,
                client_ip="2001:DB8:abcd:12::9",
                elb_status_code=200,
                target_processing_time=0.5,
                user_agent="curl/8",
            ),
            request("2026-11-20T10:03:00Z", client_ip="::1", elb_status_code=None),
        ],
    )
    rows = run(db, "carriers", lb="a", period_start=ts("2026-11-20T10:00:00Z"), period_end=ts("2026-11-20T11:00:00Z"))
    assert not any(r["is_rest"] for r in rows) and {r["values_in_row"] for r in rows} == {1}
    assert [(r["dimension"], r["value"], r["requests"], r["errors"], r["share_of_errors"]) for r in rows] == [
        ("target_group", "api", 2, 1, 1.0),
        ("target_group", None, 1, 0, 0.0),
        ("target", "10.0.0.1:80", 1, 1, 1.0),
        ("target", "[2001:db8::5]:8080", 1, 0, 0.0),
        ("target", None, 1, 0, 0.0),
        ("listener", "https:443", 1, 1, 1.0),
        ("listener", "http:80", 1, 0, 0.0),
        ("listener", None, 1, 0, 0.0),
        ("path", "/api/cart", 1, 1, 1.0),
        ("path", "/", 1, 0, 0.0),
        ("path", None, 1, 0, 0.0),
        ("client_network", "198.51.100.0/24", 1, 1, 1.0),
        ("client_network", "0:0:0::/48", 1, 0, 0.0),
        ("client_network", "2001:db8:abcd::/48", 1, 0, 0.0),
        ("domain", "shop.example.com", 1, 1, 1.0),
        ("domain", None, 2, 0, 0.0),
        ("user_agent", "curl/8", 2, 1, 1.0),
        ("user_agent", None, 1, 0, 0.0),
    ]
    api = rows[0]
    assert (api["error_rate"], api["p99_ms"]) == (0.5, 500.0)


def test_carriers_keep_the_top_eight_of_each_dimension(db):
    given(
        db,
        "requests",
        [
            request("2026-11-20T10:01:00Z", url=f"https://h:443/p{i}", elb_status_code=500 if i < 2 else 200)
            for i in range(12)
        ],
    )
    rows = run(db, "carriers", lb="a", period_start=ts("2026-11-20T10:00:00Z"), period_end=ts("2026-11-20T11:00:00Z"))
    paths = [(r["value"], r["is_rest"], r["values_in_row"], r["requests"]) for r in rows if r["dimension"] == "path"]
    assert paths == [
        ("/p0", False, 1, 1),
        ("/p1", False, 1, 1),
        ("/p10", False, 1, 1),
        ("/p11", False, 1, 1),
        ("/p2", False, 1, 1),
        ("/p3", False, 1, 1),
        ("/p4", False, 1, 1),
        ("/p5", False, 1, 1),
        (None, True, 4, 4),
    ]


def test_carriers_fold_values_below_one_percent_into_one_row(db):
    """200 requests: /a carries 150 (no 5xx), /b 48 and all but one 5xx, /c and /d one request each
    (0.5% of the requests), /d with the last 5xx (2% of them): /c goes to the rest row."""
    given(
        db,
        "requests",
        [request("2026-11-20T10:01:00Z", url="https://h:443/a", elb_status_code=200) for _ in range(150)]
        + [request("2026-11-20T10:01:00Z", url="https://h:443/b", elb_status_code=502) for _ in range(48)]
        + [request("2026-11-20T10:01:00Z", url="https://h:443/c", elb_status_code=200)]
        + [request("2026-11-20T10:01:00Z", url="https://h:443/d", elb_status_code=503)],
    )
    rows = run(db, "carriers", lb="a", period_start=ts("2026-11-20T10:00:00Z"), period_end=ts("2026-11-20T11:00:00Z"))
    paths = [
        (r["value"], r["is_rest"], r["values_in_row"], r["requests"], r["errors"], r["share_of_errors"])
        for r in rows
        if r["dimension"] == "path"
    ]
    assert paths == [
        ("/b", False, 1, 48, 48, 48 / 49),
        ("/d", False, 1, 1, 1, 1 / 49),
        ("/a", False, 1, 150, 0, 0.0),
        (None, True, 1, 1, 0, 0.0),
    ]


def test_log_intervals_per_node(db):
    def file(name: str, lb: str, kind: str, node: str | None, end: str) -> dict[str, Any]:
        return {"source_file": name, "lb": lb, "kind": kind, "node_ip": node, "interval_end": ts(end)}

    given(
        db,
        "ingested_files",
        [
            file("a1", "a", "alb", "10.0.0.1", "2026-11-20T10:05:00Z"),
            file("a2", "a", "alb", "10.0.0.1", "2026-11-20T10:10:00Z"),
            file("a2b", "a", "alb", "10.0.0.1", "2026-11-20T10:10:00Z"),  # a second file for one period
            file("a4", "a", "alb", "10.0.0.1", "2026-11-20T10:25:00Z"),
            file("a9", "a", "alb", "10.0.0.1", "2026-11-20T11:30:00Z"),  # outside the window
            file("b1", "a", "alb", "10.0.0.2", "2026-11-20T10:15:00Z"),
            file("b2", "a", "alb", "10.0.0.2", "2026-11-20T10:20:00Z"),
            file("h1", "a", "health_check", "10.0.0.3", "2026-11-20T10:05:00Z"),  # not an access log
            file("x1", "x", "alb", "10.0.0.1", "2026-11-20T10:15:00Z"),  # another load balancer
        ],
    )
    rows = run(db, "log_intervals", lb="a", since=ts("2026-11-20T10:00:00Z"), until=ts("2026-11-20T10:30:00Z"))
    assert rows == [
        {
            "node_ip": "10.0.0.1",
            "kind": "alb",
            "cadence_minutes": 5,
            "first_interval_start": ts("2026-11-20T10:00:00Z"),
            "last_interval_end": ts("2026-11-20T10:25:00Z"),
            "expected": 5,
            "present": 3,
            "missing": 2,
            "gaps": [{"gap_from": ts("2026-11-20T10:10:00Z"), "gap_to": ts("2026-11-20T10:20:00Z"), "intervals": 2}],
        },
        {
            "node_ip": "10.0.0.2",
            "kind": "alb",
            "cadence_minutes": 5,
            "first_interval_start": ts("2026-11-20T10:10:00Z"),
            "last_interval_end": ts("2026-11-20T10:20:00Z"),
            "expected": 2,
            "present": 2,
            "missing": 0,
            "gaps": [],
        },
    ]


def test_log_intervals_of_an_hourly_classic_elb_and_an_nlb(db):
    given(
        db,
        "ingested_files",
        [
            {
                "source_file": f"c{h}",
                "lb": "c",
                "kind": "clb",
                "node_ip": "10.0.9.9",
                "interval_end": ts(f"2026-11-20T{h}:00:00Z"),
            }
            for h in ("09", "10", "12")
        ]
        + [
            {
                "source_file": f"n{m}",
                "lb": "n",
                "kind": "nlb",
                "node_ip": None,
                "interval_end": ts(f"2026-11-20T10:{m}:00Z"),
            }
            for m in ("05", "15", "20")
        ],
    )
    window = {"since": ts("2026-11-20T08:00:00Z"), "until": ts("2026-11-20T13:00:00Z")}
    (clb,) = run(db, "log_intervals", lb="c", **window)
    assert (clb["cadence_minutes"], clb["expected"], clb["missing"], clb["gaps"]) == (
        60,
        4,
        1,
        [{"gap_from": ts("2026-11-20T10:00:00Z"), "gap_to": ts("2026-11-20T11:00:00Z"), "intervals": 1}],
    )
    (nlb,) = run(db, "log_intervals", lb="n", **window)
    assert (nlb["node_ip"], nlb["cadence_minutes"], nlb["expected"], nlb["missing"], nlb["gaps"]) == (
        None,
        5,
        4,
        1,
        [{"gap_from": ts("2026-11-20T10:05:00Z"), "gap_to": ts("2026-11-20T10:10:00Z"), "intervals": 1}],
    )


def test_cloudtrail_coverage_and_its_longest_silence(db):
    given(
        db,
        "api_calls",
        [
            {"event_id": "e1", "event_time": ts("2026-11-20T09:00:00Z"), "source_file": "t1"},
            {"event_id": "e2", "event_time": ts("2026-11-20T10:05:00Z"), "source_file": "t2"},
            {"event_id": "e3", "event_time": ts("2026-11-20T10:50:00Z"), "source_file": "t2"},
        ],
    )
    given(
        db,
        "changes",
        [
            {"event_id": "e2", "event_time": ts("2026-11-20T10:05:00Z"), "lb": "a", "error_code": None},
            {"event_id": "e3", "event_time": ts("2026-11-20T10:50:00Z"), "lb": "a", "error_code": "AccessDenied"},
            {"event_id": "e1", "event_time": ts("2026-11-20T09:00:00Z"), "lb": "a", "error_code": None},
            {"event_id": "e3", "event_time": ts("2026-11-20T10:50:00Z"), "lb": "b", "error_code": None},
        ],
    )
    rows = run(db, "cloudtrail_coverage", lb="a", since=ts("2026-11-20T10:00:00Z"), until=ts("2026-11-20T11:00:00Z"))
    assert rows == [
        {
            "events": 3,
            "files": 2,
            "first_event_at": ts("2026-11-20T09:00:00Z"),
            "last_event_at": ts("2026-11-20T10:50:00Z"),
            "events_in_window": 2,
            "changes_in_window": 2,
            "failed_changes_in_window": 1,
            "longest_silence_from": ts("2026-11-20T10:05:00Z"),
            "longest_silence_to": ts("2026-11-20T10:50:00Z"),
        }
    ]


def test_cloudtrail_coverage_without_events_is_one_silence(db):
    (row,) = run(db, "cloudtrail_coverage", lb="a", since=ts("2026-11-20T10:00:00Z"), until=ts("2026-11-20T11:00:00Z"))
    assert (row["events"], row["first_event_at"], row["longest_silence_from"], row["longest_silence_to"]) == (
        0,
        None,
        ts("2026-11-20T10:00:00Z"),
        ts("2026-11-20T11:00:00Z"),
    )


def test_manifest_lists_the_files_behind_the_window(db):
    def ledger(name: str, lb: str | None, end: str | None, rows: int) -> dict[str, Any]:
        return {
            "source_file": name,
            "kind": "alb",
            "lb": lb,
            "node_ip": "10.0.0.1" if lb else None,
            "interval_end": ts(end) if end else None,
            "lines": rows + 1,
            "rows": rows,
            "rejected": 1,
            "filter": "",
        }

    given(
        db,
        "ingested_files",
        [
            ledger("/logs/with_rows.log", "a", "2026-11-20T10:05:00Z", 2),
            ledger("/logs/quiet.log", "a", "2026-11-20T10:10:00Z", 0),
            ledger("/logs/unnamed.log", None, None, 1),
            ledger("/logs/later.log", "a", "2026-11-20T11:30:00Z", 0),
            ledger("/logs/other_lb.log", "x", "2026-11-20T10:05:00Z", 0),
        ],
    )
    given(
        db,
        "requests",
        [
            request("2026-11-20T10:01:00Z", source_file="/logs/with_rows.log"),
            request("2026-11-20T10:02:00Z", source_file="/logs/with_rows.log"),
            request("2026-11-20T10:03:00Z", source_file="/logs/unnamed.log"),
        ],
    )
    given(
        db,
        "ingested_files",
        [
            {"source_file": "s3://trail/t1.json.gz", "kind": "cloudtrail", "lines": 9, "rows": 2, "rejected": 1},
            {"source_file": "s3://trail/t2.json.gz", "kind": "cloudtrail", "lines": 5, "rows": 0, "rejected": 0},
        ],
    )
    given(
        db,
        "api_calls",
        [
            {"event_id": "e1", "event_time": ts("2026-11-20T10:05:00Z"), "source_file": "s3://trail/t1.json.gz"},
            {"event_id": "e2", "event_time": ts("2026-11-20T09:05:00Z"), "source_file": "s3://trail/t1.json.gz"},
            {"event_id": "e3", "event_time": ts("2026-11-20T10:06:00Z"), "source_file": "lookup-events:us-east-1"},
        ],
    )
    rows = run(db, "manifest", lb="a", since=ts("2026-11-20T10:00:00Z"), until=ts("2026-11-20T11:00:00Z"))
    assert [(r["source_file"], r["kind"], r["lines"], r["rows"], r["rejected"], r["rows_in_window"]) for r in rows] == [
        ("/logs/with_rows.log", "alb", 3, 2, 1, 2),
        ("/logs/quiet.log", "alb", 1, 0, 1, 0),
        ("/logs/unnamed.log", "alb", 2, 1, 1, 1),
        ("lookup-events:us-east-1", "cloudtrail", None, 1, None, 1),
        ("s3://trail/t1.json.gz", "cloudtrail", 9, 2, 1, 1),
        ("s3://trail/t2.json.gz", "cloudtrail", 5, 0, 0, 0),
    ]


def test_minutes_and_tls_mix(db):
    timed = {"target_ip": "10.0.0.1", "request_processing_time": 0.0, "response_processing_time": 0.0}
    given(
        db,
        "requests",
        [
            request("2026-11-20T10:01:10Z", elb_status_code=200, target_status_code=200, target_processing_time=0.1,
                    ssl_protocol="TLSv1.3", **timed),
            request("2026-11-20T10:01:20Z", elb_status_code=502, ssl_protocol="TLSv1.3"),
            request("2026-11-20T10:01:30Z", elb_status_code=404, target_status_code=404, target_processing_time=0.3,
                    **timed),
            request("2026-11-20T10:02:00Z", elb_status_code=500, target_status_code=500, target_processing_time=0.2,
                    **timed),
        ],
    )  # fmt: skip
    given(
        db,
        "tls_connections",
        [{"lb": "a", "time": ts("2026-11-20T10:02:30Z"), "connection_at": None, "tls_protocol_version": "tlsv12"}],
    )
    window = {"lb": "a", "since": ts("2026-11-20T10:00:00Z"), "until": ts("2026-11-20T11:00:00Z")}
    # the lb_minute view's definitions: elb_5xx is generated by the load balancer, target_5xx comes
    # from a target; errors are either, or -1 timings
    assert run(db, "minutes", **window) == [
        {
            "minute": ts("2026-11-20T10:01:00Z"),
            "requests": 3,
            "p50_target_ms": pytest.approx(200.0),
            "p90_target_ms": pytest.approx(280.0),
            "p99_target_ms": pytest.approx(298.0),
            "elb_5xx": 1,
            "target_5xx": 0,
            "status_4xx": 1,
            "errors": 1,
            "error_rate": pytest.approx(1 / 3),
        },
        {
            "minute": ts("2026-11-20T10:02:00Z"),
            "requests": 1,
            "p50_target_ms": pytest.approx(200.0),
            "p90_target_ms": pytest.approx(200.0),
            "p99_target_ms": pytest.approx(200.0),
            "elb_5xx": 0,
            "target_5xx": 1,
            "status_4xx": 0,
            "errors": 1,
            "error_rate": 1.0,
        },
    ]
    assert run(db, "tls_mix", **window) == [
        {"minute": ts("2026-11-20T10:01:00Z"), "protocol": "TLSv1.3", "count": 2},
        {"minute": ts("2026-11-20T10:01:00Z"), "protocol": "none", "count": 1},
        {"minute": ts("2026-11-20T10:02:00Z"), "protocol": "none", "count": 1},
        {"minute": ts("2026-11-20T10:02:00Z"), "protocol": "tlsv12", "count": 1},
    ]
