"""The log kinds correlate reads, each with its one declared field list.

Fields are mapped by name from these lists, never by a field count: a line may stop early (older
formats; the missing fields are NULL) or run on (AWS appends fields; the extra tokens are kept in
`extra_fields`). The kind of a file comes from its AWS object name, or, for files with other names,
from the shape of its first line. Field facts: docs/formats.md.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LogKind:
    name: str  # value of ingested_files.kind
    a_line: str  # how messages name one of its lines, as AWS names the log ("an ALB log line")
    table: str  # table the rows land in
    fields: tuple[str, ...]  # every field correlate knows, in line order
    min_fields: int  # fewer tokens than this and the line is a reject
    quote: str | None  # quote character, or None where the format has no quoting
    escape: str | None  # escape character inside quotes (Classic ELB writes \")
    hex_escapes: bool  # the format writes awkward bytes as \xHH (ALB)


ALB = LogKind(
    name="alb",
    a_line="an ALB log line",
    table="requests",
    fields=(
        "type",
        "time",
        "elb",
        "client",
        "target",
        "request_processing_time",
        "target_processing_time",
        "response_processing_time",
        "elb_status_code",
        "target_status_code",
        "received_bytes",
        "sent_bytes",
        "request",
        "user_agent",
        "ssl_cipher",
        "ssl_protocol",
        "target_group_arn",
        "trace_id",
        "domain_name",
        "chosen_cert_arn",
        "matched_rule_priority",
        "request_creation_time",
        "actions_executed",
        "redirect_url",
        "error_reason",
        "target_port_list",
        "target_status_code_list",
        "classification",
        "classification_reason",
        "conn_trace_id",
        "transformed_host",
        "transformed_uri",
        "request_transform_status",
        "ip_address",
    ),
    min_fields=18,
    quote='"',
    escape=None,
    hex_escapes=True,
)

CLB = LogKind(
    name="clb",
    a_line="a Classic ELB log line",
    table="requests",
    fields=(
        "timestamp",
        "elb",
        "client",
        "backend",
        "request_processing_time",
        "backend_processing_time",
        "response_processing_time",
        "elb_status_code",
        "backend_status_code",
        "received_bytes",
        "sent_bytes",
        "request",
        "user_agent",
        "ssl_cipher",
        "ssl_protocol",
    ),
    min_fields=12,
    quote='"',
    escape="\\",
    hex_escapes=False,
)

NLB = LogKind(
    name="nlb",
    a_line="an NLB log line",
    table="tls_connections",
    fields=(
        "type",
        "version",
        "time",
        "elb",
        "listener",
        "client",
        "destination",
        "connection_time",
        "tls_handshake_time",
        "received_bytes",
        "sent_bytes",
        "incoming_tls_alert",
        "chosen_cert_arn",
        "chosen_cert_serial",
        "tls_cipher",
        "tls_protocol_version",
        "tls_keyexchange",
        "domain_name",
        "alpn_fe_protocol",
        "alpn_be_protocol",
        "alpn_client_preference_list",
        "tls_connection_creation_time",
    ),
    min_fields=12,
    quote=None,  # only alpn_client_preference_list holds quotes, and they are part of its value
    escape=None,
    hex_escapes=False,
)

CONNECTION = LogKind(
    name="connection",
    a_line="an ALB connection log line",
    table="connections",
    fields=(
        "timestamp",
        "client_ip",
        "client_port",
        "listener_port",
        "tls_protocol",
        "tls_cipher",
        "tls_handshake_latency",
        "leaf_client_cert_subject",
        "leaf_client_cert_validity",
        "leaf_client_cert_serial_number",
        "tls_verify_status",
        "conn_trace_id",
        "tls_keyexchange",
        "elb",
        "ip_address",
    ),
    min_fields=11,  # lines written before AWS added conn_trace_id (2024) end at tls_verify_status
    quote='"',
    escape=None,
    hex_escapes=False,
)

HEALTH_CHECK = LogKind(
    name="health_check",
    a_line="an ALB health check log line",
    table="health_checks",
    fields=(
        "type",
        "time",
        "latency",
        "target_addr",
        "target_group_id",
        "status",
        "status_code",
        "reason_code",
        "elb",
        "ip_address",
    ),
    min_fields=8,
    quote='"',
    escape=None,
    hex_escapes=False,
)

KINDS = {kind.name: kind for kind in (ALB, CLB, NLB, CONNECTION, HEALTH_CHECK)}
UNKNOWN_KIND = "unknown"  # ingested_files.kind of a file whose first lines match no kind

# AWS object names (docs/formats.md, "Object names"). The node address is absent from NLB names. AWS's
# documentation writes connection-log names both as `conn_log_…` and `conn_log.…`: both are read.
_AWS_LOG_NAME = re.compile(
    r"^(?:(?P<prefix>conn_log|health_check_log)[_.])?"
    r"(?P<account>\d{12})_elasticloadbalancing_(?P<region>[a-z0-9-]+)_"
    r"(?P<lb>.+?)_(?P<end>\d{8}T\d{4}Z)_(?:(?P<node>[0-9A-Fa-f.:]+)_)?(?P<random>[A-Za-z0-9]+)"
    r"\.log(?:\.gz)?$"
)

TEST_FILE_NAME = "ELBAccessLogTestFile"


@dataclass(frozen=True, slots=True)
class NameFacts:
    """What an AWS log object's name tells before a byte is read."""

    kind: LogKind
    account: str
    region: str
    lb_id: str  # app/NAME/ID, net/NAME/ID, or the Classic ELB name
    lb: str  # the load balancer's name
    interval_end: dt.datetime
    node_ip: str | None


def facts_from_name(name: str) -> NameFacts | None:
    """Kind, load balancer and interval of an AWS-named log object, or None for any other name."""
    match = _AWS_LOG_NAME.match(name)
    if not match:
        return None
    raw_lb = match["lb"]
    if match["prefix"] == "conn_log":
        kind = CONNECTION
    elif match["prefix"] == "health_check_log":
        kind = HEALTH_CHECK
    elif raw_lb.startswith("net."):
        kind = NLB
    elif raw_lb.startswith("app."):
        kind = ALB
    else:
        kind = CLB
    if raw_lb.startswith(("app.", "net.")) and raw_lb.count(".") >= 2:
        lb_type, rest = raw_lb.split(".", 1)
        lb_name, lb_hex = rest.rsplit(".", 1)
        lb_id = f"{lb_type}/{lb_name}/{lb_hex}"
    else:
        lb_name, lb_id = raw_lb, raw_lb
    return NameFacts(
        kind=kind,
        account=match["account"],
        region=match["region"],
        lb_id=lb_id,
        lb=lb_name,
        interval_end=dt.datetime.strptime(match["end"], "%Y%m%dT%H%MZ"),
        node_ip=match["node"],
    )


_ISO_US = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z"
_ADDR = r"\S+:\d+"
_SHAPES: tuple[tuple[LogKind, re.Pattern[str]], ...] = (
    (NLB, re.compile(r"^tls \d+\.\d+ \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2} (?:net|app)/")),
    (HEALTH_CHECK, re.compile(rf"^[a-z0-9]+ {_ISO_US} \d+(?:\.\d+)? \S+ \S+ (?:PASS|FAIL) ")),
    (ALB, re.compile(rf"^[a-z0-9]+ {_ISO_US} [a-z]+/[^/ ]+/\S+ {_ADDR} ")),
    (CONNECTION, re.compile(rf"^{_ISO_US} [0-9A-Fa-f.:]+ \d+ \d+ ")),
    (CLB, re.compile(rf"^{_ISO_US} \S+ {_ADDR} ")),
)


def kind_from_line(line: str) -> LogKind | None:
    """Recognise a log kind from one line, for files whose names say nothing."""
    for kind, shape in _SHAPES:
        if shape.match(line):
            return kind
    return None


# A file named for interval end E holds entries of requests received before E; a Classic ELB may
# publish hourly, so the newest file that can hold a request made at T may end up to an hour later.
LOG_INTERVAL_MARGIN = dt.timedelta(minutes=75)


def outside_window(facts: NameFacts, since: dt.datetime | None, until: dt.datetime | None, lb: str | None) -> bool:
    """True when an object's name proves none of its rows can fall in [since, until) for `lb`.

    The same test prunes local files and S3 keys; rows of the objects it keeps are still filtered by
    their own timestamps."""
    if lb is not None and facts.lb != lb:
        return True
    if since is not None and facts.interval_end < since:
        return True
    return until is not None and facts.interval_end > until + LOG_INTERVAL_MARGIN
