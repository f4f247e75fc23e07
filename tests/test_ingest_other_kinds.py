"""Classic ELB, NLB TLS, ALB connection and health-check logs."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, load, records, ts

CLB_HTTP = {
    "lb": "my-loadbalancer",
    "lb_type": "clb",
    "lb_id": "my-loadbalancer",
    "type": None,
    "time": ts("2015-05-13T23:39:43.945958"),
    "request_at": ts("2015-05-13T23:39:43.945958"),
    "client_ip": "192.168.131.39",
    "client_port": 2817,
    "target_ip": "10.0.0.1",
    "target_port": 80,
    "request_processing_time": 0.000073,
    "target_processing_time": 0.001048,
    "response_processing_time": 0.000057,
    "elb_status_code": 200,
    "target_status_code": 200,
    "received_bytes": 0,
    "sent_bytes": 29,
    "http_method": "GET",
    "url": "http://www.example.com:80/",
    "http_version": "HTTP/1.1",
    "user_agent": "curl/7.38.0",
    "ssl_cipher": None,
    "ssl_protocol": None,
    "target_group_arn": None,
    "trace_id": None,
    "domain_name": None,
    "chosen_cert_arn": None,
    "matched_rule_priority": None,
    "actions_executed": None,
    "redirect_url": None,
    "error_reason": None,
    "target_port_list": None,
    "target_status_code_list": None,
    "classification": None,
    "classification_reason": None,
    "conn_trace_id": None,
    "transformed_host": None,
    "transformed_uri": None,
    "request_transform_status": None,
    "ip_address": None,
    "extra_fields": [],
    "source_file": str(FIXTURES / "clb" / "listeners.log"),
    "source_line": 1,
}


def test_clb_http_https_tcp_ssl_lines_interleaved(db):
    summary = load(db, FIXTURES / "clb" / "listeners.log")
    assert (summary.rows, summary.rejected) == (5, 0)
    rows = records(db, "select * from requests order by source_line")
    assert rows[0] == CLB_HTTP
    tcp = rows[2]
    assert tcp == CLB_HTTP | {
        "request_processing_time": 0.001069,
        "target_processing_time": 0.000028,
        "response_processing_time": 0.000041,
        "elb_status_code": None,
        "target_status_code": None,
        "received_bytes": 82,
        "sent_bytes": 305,
        "http_method": None,
        "url": None,
        "http_version": None,
        "user_agent": None,
        "source_line": 3,
    }
    assert (rows[3]["ssl_cipher"], rows[3]["ssl_protocol"], rows[3]["url"]) == (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLSv1.2",
        None,
    )
    assert (rows[4]["target_ip"], rows[4]["target_processing_time"], rows[4]["elb_status_code"]) == (None, None, 503)


def test_clb_old_twelve_field_lines(db):
    load(db, FIXTURES / "clb" / "old_12_fields.log")
    rows = records(
        db,
        "select lb, elb_status_code, received_bytes, http_method, url, user_agent, ssl_protocol "
        "from requests order by source_line",
    )
    assert rows == [
        {
            "lb": "media-lb",
            "elb_status_code": 408,
            "received_bytes": 1294336,
            "http_method": "PUT",
            "url": "https://media.example.com:443/videos/upload",
            "user_agent": None,
            "ssl_protocol": None,
        },
        {
            "lb": "media-lb",
            "elb_status_code": 200,
            "received_bytes": 0,
            "http_method": "GET",
            "url": "http://media.example.com:80/videos/1",
            "user_agent": None,
            "ssl_protocol": None,
        },
    ]


def test_clb_backslash_quotes_in_user_agent_and_ipv6_client(db):
    load(db, FIXTURES / "clb" / "quoted_user_agent.log")
    rows = records(db, "select client_ip, client_port, user_agent from requests order by source_line")
    assert rows == [
        {
            "client_ip": "2601:240:c800:33c0:2d1e:8b8c:a0fe:64ec",
            "client_port": 53016,
            "user_agent": '"nlpproject.info research"',
        },
        {"client_ip": "192.0.2.44", "client_port": 60001, "user_agent": 'Mozilla/5.0 (say "hi") Gecko'},
    ]


def test_nlb_tls_connections(db):
    summary = load(db, FIXTURES / "nlb" / "doc_examples.log")
    assert (summary.rows, summary.rejected) == (4, 0)
    rows = records(db, "select * from tls_connections order by source_line")
    assert rows[1] == {
        "lb": "my-network-loadbalancer",
        "lb_id": "net/my-network-loadbalancer/c6e77e28c25b2234",
        "version": "2.0",
        "time": ts("2020-04-01T08:51:42"),
        "listener": "g3d4b5e8bb8464cd",
        "client_ip": "72.21.218.154",
        "client_port": 51341,
        "destination_ip": "172.100.100.185",
        "destination_port": 443,
        "connection_time_ms": 5,
        "tls_handshake_time_ms": 2,
        "received_bytes": 98,
        "sent_bytes": 246,
        "incoming_tls_alert": None,
        "chosen_cert_arn": "arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99",
        "chosen_cert_serial": None,
        "tls_cipher": "ECDHE-RSA-AES128-SHA",
        "tls_protocol_version": "tlsv12",
        "tls_keyexchange": None,
        "domain_name": "my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com",
        "alpn_fe_protocol": "h2",
        "alpn_be_protocol": "h2",
        "alpn_client_preference_list": '"h2","http/1.1"',
        "connection_at": ts("2020-04-01T08:51:20"),
        "extra_fields": [],
        "source_file": str(FIXTURES / "nlb" / "doc_examples.log"),
        "source_line": 2,
    }
    ipv6 = rows[2]
    assert (ipv6["client_ip"], ipv6["client_port"], ipv6["destination_ip"], ipv6["destination_port"]) == (
        "2401:4900:1d0c:29b7:c9b2:7b5a:e7d0:2380",
        55932,
        "2406:da1a:138:7c01:63c:b510:129f:89f1",
        443,
    )
    assert (ipv6["domain_name"], ipv6["tls_keyexchange"], ipv6["tls_protocol_version"]) == (
        "example.com",
        "x25519",
        "tlsv13",
    )
    failed = rows[3]
    assert (failed["tls_handshake_time_ms"], failed["tls_cipher"], failed["connection_at"]) == (
        None,
        None,
        ts("2024-10-25T17:33:59"),
    )


def test_connection_logs(db, tmp_path):
    named = tmp_path / (
        "conn_log_123456789012_elasticloadbalancing_us-east-1_app.web-prod.50dc6c495c0c9188_"
        "20231004T1710Z_10.0.0.5_abcd1234.log"
    )
    named.write_bytes((FIXTURES / "connection" / "mtls_and_plain.log").read_bytes())
    summary = load(db, named)
    assert (summary.rows, summary.rejected) == (4, 0)
    rows = records(db, "select * exclude (source_file) from connections order by source_line")
    assert rows[0] == {
        "lb": "web-prod",
        "lb_id": "app/web-prod/50dc6c495c0c9188",
        "time": ts("2023-10-04T17:05:15.514108"),
        "client_ip": "203.0.113.1",
        "client_port": 36280,
        "listener_port": 443,
        "tls_protocol": "TLSv1.2",
        "tls_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
        "tls_handshake_ms": 4036.0,
        "leaf_client_cert_subject": "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US",
        "leaf_client_cert_validity": "NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z",
        "leaf_client_cert_serial_number": "FEF257372D5C14D4",
        "tls_verify_status": "Success",
        "conn_trace_id": "TID_3180a73013c8ca4bac2f731159d4b0fe",
        "tls_keyexchange": None,
        "ip_address": None,
        "extra_fields": [],
        "source_line": 1,
    }
    assert rows[1]["tls_verify_status"] == "Failed:ClientCertUntrusted"
    assert (rows[2]["listener_port"], rows[2]["tls_protocol"], rows[2]["tls_handshake_ms"]) == (80, None, None)
    assert (rows[3]["client_ip"], rows[3]["ip_address"], rows[3]["tls_keyexchange"]) == (
        "2001:db8::7",
        "3.34.116.99",
        "x25519",
    )


@pytest.mark.parametrize("separator", ["_", "."])
def test_connection_logs_written_before_the_trace_id_and_dotted_names(db, tmp_path, separator):
    """Lines from late 2023 end at tls_verify_status; AWS's documentation also names the objects
    `conn_log.…`. Both load, and the name still gives the load balancer."""
    named = tmp_path / (
        f"conn_log{separator}123456789012_elasticloadbalancing_us-east-1_app.web-prod.50dc6c495c0c9188_"
        "20231201T0805Z_10.0.0.5_abcd1234.log"
    )
    named.write_bytes((FIXTURES / "connection" / "without_trace_id.log").read_bytes())
    summary = load(db, named)
    assert (summary.rows, summary.rejected, summary.by_kind) == (2, 0, {"connection": 1})
    rows = records(db, "select * exclude (source_file) from connections order by source_line")
    assert rows == [
        {
            "lb": "web-prod",
            "lb_id": "app/web-prod/50dc6c495c0c9188",
            "time": ts("2023-12-01T08:00:01.1"),
            "client_ip": "203.0.113.9",
            "client_port": 40100,
            "listener_port": 443,
            "tls_protocol": "TLSv1.2",
            "tls_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
            "tls_handshake_ms": 12.0,
            "leaf_client_cert_subject": None,
            "leaf_client_cert_validity": None,
            "leaf_client_cert_serial_number": None,
            "tls_verify_status": "Success",
            "conn_trace_id": None,
            "tls_keyexchange": None,
            "ip_address": None,
            "extra_fields": [],
            "source_line": 1,
        },
        {
            "lb": "web-prod",
            "lb_id": "app/web-prod/50dc6c495c0c9188",
            "time": ts("2023-12-01T08:00:02.2"),
            "client_ip": "198.51.100.4",
            "client_port": 40101,
            "listener_port": 80,
            "tls_protocol": None,
            "tls_cipher": None,
            "tls_handshake_ms": None,
            "leaf_client_cert_subject": None,
            "leaf_client_cert_validity": None,
            "leaf_client_cert_serial_number": None,
            "tls_verify_status": None,
            "conn_trace_id": None,
            "tls_keyexchange": None,
            "ip_address": None,
            "extra_fields": [],
            "source_line": 2,
        },
    ]
    assert records(db, "select kind, lb, lb_id, interval_end from ingested_files") == [
        {
            "kind": "connection",
            "lb": "web-prod",
            "lb_id": "app/web-prod/50dc6c495c0c9188",
            "interval_end": ts("2023-12-01T08:05"),
        }
    ]


def test_a_connection_line_of_ten_fields_is_rejected(db, tmp_path):
    named = tmp_path / (
        "conn_log_123456789012_elasticloadbalancing_us-east-1_app.web-prod.50dc6c495c0c9188_20231201T0805Z_x.log"
    )
    named.write_bytes(b'2023-12-01T08:00:02.200000Z 198.51.100.4 40101 80 - - - "-" - -\n')
    load(db, named)
    assert records(db, "select source_line, reason from rejects") == [
        {
            "source_line": 1,
            "reason": "10 fields; an ALB connection log line has at least 11 (timestamp client_ip client_port "
            "listener_port tls_protocol tls_cipher tls_handshake_latency leaf_client_cert_subject "
            "leaf_client_cert_validity leaf_client_cert_serial_number tls_verify_status)",
        }
    ]


def test_health_check_logs(db, tmp_path):
    named = tmp_path / (
        "health_check_log_123456789012_elasticloadbalancing_us-east-1_"
        "app.web-prod.50dc6c495c0c9188_20251031T1245Z_10.0.0.5_abcd1234.log"
    )
    named.write_bytes((FIXTURES / "health_check" / "pass_fail.log").read_bytes())
    load(db, named)
    rows = records(db, "select * exclude (source_file, extra_fields) from health_checks order by source_line")
    assert rows == [
        {
            "lb": "web-prod",
            "lb_id": "app/web-prod/50dc6c495c0c9188",
            "type": "http",
            "time": ts("2025-10-31T12:44:59.875678"),
            "latency_ms": 19.584011,
            "target_addr": "172.31.20.97:80",
            "target_ip": "172.31.20.97",
            "target_port": 80,
            "target_group": "HCLogsTestIPs",
            "status": "PASS",
            "status_code": 200,
            "reason_code": None,
            "ip_address": None,
            "source_line": 1,
        },
        {
            "lb": "web-prod",
            "lb_id": "app/web-prod/50dc6c495c0c9188",
            "type": "http",
            "time": ts("2025-10-31T12:44:58.901409"),
            "latency_ms": 1121.980746,
            "target_addr": "172.31.31.9:80",
            "target_ip": "172.31.31.9",
            "target_port": 80,
            "target_group": "HCLogsTestIPs",
            "status": "FAIL",
            "status_code": 502,
            "reason_code": "TargetError",
            "ip_address": None,
            "source_line": 2,
        },
        {
            "lb": "web-prod",
            "lb_id": "app/web-prod/50dc6c495c0c9188",
            "type": "https",
            "time": ts("2026-02-01T09:00:00.000001"),
            "latency_ms": 5000.0,
            "target_addr": "10.0.1.11:443",
            "target_ip": "10.0.1.11",
            "target_port": 443,
            "target_group": "web",
            "status": "FAIL",
            "status_code": None,
            "reason_code": "TimedOut",
            "ip_address": "3.34.116.99",
            "source_line": 3,
        },
        {
            "lb": "web-prod",
            "lb_id": "app/web-prod/50dc6c495c0c9188",
            "type": "lambda",
            "time": ts("2026-02-01T09:00:01.000001"),
            "latency_ms": 120.0,
            "target_addr": "arn:aws:lambda:us-east-1:123456789012:function:hc",
            "target_ip": None,
            "target_port": None,
            "target_group": "web-fn",
            "status": "PASS",
            "status_code": 200,
            "reason_code": None,
            "ip_address": "3.34.116.99",
            "source_line": 4,
        },
    ]


def test_health_check_lines_are_not_mistaken_for_alb_by_name(db, tmp_path):
    """Health-check lines start with http/https like ALB lines: the file name decides."""
    named = tmp_path / (
        "health_check_log_123456789012_elasticloadbalancing_us-east-1_"
        "app.web-prod.50dc6c495c0c9188_20251031T1245Z_10.0.0.5_abcd1234.log.gz"
    )
    import gzip

    named.write_bytes(gzip.compress((FIXTURES / "health_check" / "pass_fail.log").read_bytes()))
    summary = load(db, named)
    assert (summary.rows, summary.by_kind) == (4, {"health_check": 1})
    assert records(db, "select count(*) as n from requests") == [{"n": 0}]
