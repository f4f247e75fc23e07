"""The NLB per-minute views over tls_connections, dbt-style: five given connections, the exact rows."""

from __future__ import annotations

import pytest
from conftest import records, ts
from timeline_support import insert

L1, L2 = "g3d4b5e8bb8464cd", "a1b2c3d4e5f60718"
CERT_A = "arn:aws:acm:us-east-1:123456789012:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99"
CERT_B = "arn:aws:acm:us-east-1:123456789012:certificate/7e1ab3c0-5d1e-4a55-9c0e-0e3c5f0b1d22"
OLD_CIPHER, NEW_CIPHER = "ECDHE-RSA-AES128-SHA", "TLS_AES_128_GCM_SHA256"


def connection(started: str | None, **values):
    row = {
        "lb": "tls-front",
        "lb_id": "net/tls-front/c6e77e28c25b2234",
        "version": "2.0",
        "time": ts(f"2026-11-20T{values.pop('ended', started)}"),
        "connection_at": ts(f"2026-11-20T{started}") if started else None,
        "listener": L1,
        "domain_name": "www.example.com",
        "chosen_cert_arn": CERT_A,
        "tls_protocol_version": "tlsv12",
        "tls_cipher": OLD_CIPHER,
        "connection_time_ms": 30000,
        "incoming_tls_alert": None,
        "extra_fields": [],
        "source_file": "given",
    }
    row.update(values)
    return row


GIVEN = [
    # 14:05 on listener L1: two good handshakes, one that failed without a handshake time (the line is
    # all "-"), and one whose client sent alert 48 (unknown_ca) after 20 ms
    connection("14:05:10", ended="14:05:40", client_ip="72.21.218.154", tls_handshake_time_ms=5),
    connection("14:05:20", client_ip="72.21.218.200", tls_handshake_time_ms=15, tls_protocol_version="tlsv13",
               tls_cipher=NEW_CIPHER),
    connection("14:05:50", client_ip="2401:4900:1d0c:29b7::2380", tls_handshake_time_ms=None, domain_name=None,
               chosen_cert_arn=None, tls_protocol_version=None, tls_cipher=None, connection_time_ms=0),
    connection("14:05:59", ended="14:06:01", client_ip="10.1.2.3", tls_handshake_time_ms=20, incoming_tls_alert="48"),
    # an older line without tls_connection_creation_time counts at its end: 14:06, on listener L2
    connection(None, ended="14:06:30", listener=L2, client_ip="72.21.218.154", tls_handshake_time_ms=8,
               chosen_cert_arn=CERT_B),
]  # fmt: skip


@pytest.fixture
def given(db):
    insert(db, "tls_connections", GIVEN)
    return db


def test_tls_connection_facts(given):
    assert records(given, "select * from tls_connection_facts where client_ip like '2401%' or listener = ?", [L2]) == [
        {
            "lb": "tls-front",
            "listener": L1,
            "connected_at": ts("2026-11-20T14:05:50"),
            "minute": ts("2026-11-20T14:05"),
            "client_ip": "2401:4900:1d0c:29b7::2380",
            "client_network": "2401:4900:1d0c::/48",
            "domain_name": None,
            "chosen_cert_arn": None,
            "tls_protocol_version": None,
            "tls_cipher": None,
            "handshake_ms": None,
            "connection_ms": 0,
            "incoming_tls_alert": None,
            "is_failed_handshake": True,
        },
        {
            "lb": "tls-front",
            "listener": L2,
            "connected_at": ts("2026-11-20T14:06:30"),
            "minute": ts("2026-11-20T14:06"),
            "client_ip": "72.21.218.154",
            "client_network": "72.21.218.0/24",
            "domain_name": "www.example.com",
            "chosen_cert_arn": CERT_B,
            "tls_protocol_version": "tlsv12",
            "tls_cipher": OLD_CIPHER,
            "handshake_ms": 8,
            "connection_ms": 30000,
            "incoming_tls_alert": None,
            "is_failed_handshake": False,
        },
    ]


def test_nlb_minute(given):
    assert records(given, "select * from nlb_minute order by minute") == [
        {
            "lb": "tls-front",
            "minute": ts("2026-11-20T14:05"),
            "connections": 4,
            "failed_handshakes": 2,
            "failure_rate": 0.5,
            "tls_alerts": 1,
            # over 5, 15 and 20 ms (linear interpolation)
            "p50_handshake_ms": 15.0,
            "p90_handshake_ms": 19.0,
            "p99_handshake_ms": pytest.approx(19.9),
            "handshake_samples": 3,
        },
        {
            "lb": "tls-front",
            "minute": ts("2026-11-20T14:06"),
            "connections": 1,
            "failed_handshakes": 0,
            "failure_rate": 0.0,
            "tls_alerts": 0,
            "p50_handshake_ms": 8.0,
            "p90_handshake_ms": 8.0,
            "p99_handshake_ms": 8.0,
            "handshake_samples": 1,
        },
    ]


def test_nlb_listener_minute(given):
    rows = records(given, "select * exclude (lb) from nlb_listener_minute order by minute, chosen_cert_arn nulls last")
    assert rows == [
        {"minute": ts("2026-11-20T14:05"), "listener": L1, "domain_name": "www.example.com", "chosen_cert_arn": CERT_A,
         "connections": 3, "failed_handshakes": 1, "failure_rate": 1 / 3, "p99_handshake_ms": pytest.approx(19.9)},
        {"minute": ts("2026-11-20T14:05"), "listener": L1, "domain_name": None, "chosen_cert_arn": None,
         "connections": 1, "failed_handshakes": 1, "failure_rate": 1.0, "p99_handshake_ms": None},
        {"minute": ts("2026-11-20T14:06"), "listener": L2, "domain_name": "www.example.com", "chosen_cert_arn": CERT_B,
         "connections": 1, "failed_handshakes": 0, "failure_rate": 0.0, "p99_handshake_ms": 8.0},
    ]  # fmt: skip


def test_nlb_tls_minute(given):
    rows = records(given, "select * exclude (lb) from nlb_tls_minute order by minute, tls_protocol_version nulls last")
    assert rows == [
        {"minute": ts("2026-11-20T14:05"), "listener": L1, "tls_protocol_version": "tlsv12", "tls_cipher": OLD_CIPHER,
         "connections": 2, "failed_handshakes": 1, "share": 0.5},
        {"minute": ts("2026-11-20T14:05"), "listener": L1, "tls_protocol_version": "tlsv13", "tls_cipher": NEW_CIPHER,
         "connections": 1, "failed_handshakes": 0, "share": 0.25},
        {"minute": ts("2026-11-20T14:05"), "listener": L1, "tls_protocol_version": None, "tls_cipher": None,
         "connections": 1, "failed_handshakes": 1, "share": 0.25},
        {"minute": ts("2026-11-20T14:06"), "listener": L2, "tls_protocol_version": "tlsv12", "tls_cipher": OLD_CIPHER,
         "connections": 1, "failed_handshakes": 0, "share": 1.0},
    ]  # fmt: skip


def test_nlb_client_minute(given):
    rows = records(given, "select * exclude (lb) from nlb_client_minute order by minute, connections desc, 2")
    assert rows == [
        {"minute": ts("2026-11-20T14:05"), "client_network": "72.21.218.0/24", "connections": 2,
         "failed_handshakes": 0, "failure_rate": 0.0, "share": 0.5},
        {"minute": ts("2026-11-20T14:05"), "client_network": "10.1.2.0/24", "connections": 1,
         "failed_handshakes": 1, "failure_rate": 1.0, "share": 0.25},
        {"minute": ts("2026-11-20T14:05"), "client_network": "2401:4900:1d0c::/48", "connections": 1,
         "failed_handshakes": 1, "failure_rate": 1.0, "share": 0.25},
        {"minute": ts("2026-11-20T14:06"), "client_network": "72.21.218.0/24", "connections": 1,
         "failed_handshakes": 0, "failure_rate": 0.0, "share": 1.0},
    ]  # fmt: skip


def test_nlb_cells(given):
    """The timeline's NLB input: connections and failed handshakes per minute, protocol, cipher and
    handshake-time bin (1 ms wide below 16 ms, then 5 % wide: 20 ms is bin 16 + floor(20 ln 1.25) = 20)."""
    rows = records(given, "select * exclude (lb) from nlb_cells order by minute, handshake_bin nulls first")
    assert rows == [
        {"minute": ts("2026-11-20T14:05"), "tls_protocol_version": None, "tls_cipher": None, "handshake_bin": None,
         "connections": 1, "failed_handshakes": 1},
        {"minute": ts("2026-11-20T14:05"), "tls_protocol_version": "tlsv12", "tls_cipher": OLD_CIPHER,
         "handshake_bin": 5, "connections": 1, "failed_handshakes": 0},
        {"minute": ts("2026-11-20T14:05"), "tls_protocol_version": "tlsv13", "tls_cipher": NEW_CIPHER,
         "handshake_bin": 15, "connections": 1, "failed_handshakes": 0},
        {"minute": ts("2026-11-20T14:05"), "tls_protocol_version": "tlsv12", "tls_cipher": OLD_CIPHER,
         "handshake_bin": 20, "connections": 1, "failed_handshakes": 1},
        {"minute": ts("2026-11-20T14:06"), "tls_protocol_version": "tlsv12", "tls_cipher": OLD_CIPHER,
         "handshake_bin": 8, "connections": 1, "failed_handshakes": 0},
    ]  # fmt: skip
