"""Test support for the timeline: demo scenarios loaded into a database (access logs, then the trail
through the CloudTrail ingestion), the `changes` rows the trail should produce (the oracle, from each
scenario's definition), and synthetic per-minute cells.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from correlate.demo import DemoFiles, Rates, generate, scenario
from correlate.demo.cloudtrail import CLASSIC_API
from correlate.demo.fleet import ACCOUNT, REGION
from correlate.demo.run import load_feed, load_trail
from correlate.parse.feed import parse_feed
from correlate.pipeline.logs import LogsOptions, load_logs
from correlate.pipeline.metrics import ingest_metric_files
from correlate.store.database import Database
from correlate.store.metrics import MetricsStore

TEST_RATES = Rates(alb=4.0, clb=2.5)


def oracle_rows(files: DemoFiles) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(changes rows, api_calls rows) for the scenario's configuration changes and change events."""
    changes, calls = [], []
    for item in files.scenario.feed:
        record = item.record
        for expected in item.expected:
            group = expected.target_group
            changes.append(
                {
                    "event_id": record["id"] if "id" in record else _feed_id(files, record),
                    "event_time": item.at,
                    "event_name": record["kind"],
                    "lb": expected.lb,
                    "actor": record.get("actor"),
                    "actor_kind": record.get("source"),
                    "error_code": None,
                    "summary": expected.summary,
                    "event_source": record.get("source"),
                    "lb_id": expected.lb_id,
                    "category": expected.category,
                    "target_group": group.name if group else None,
                    "target_group_arn": group.arn if group else None,
                    "targets": [],
                    "applied": True,
                    "categories": [expected.category],
                    "target_groups": [group.name] if group else [],
                    "classic": False,
                    "origin": "feed",
                    "url": record.get("url"),
                    "details": None,
                }
            )
    for event, body in zip(files.scenario.events, files.records, strict=True):
        if event.expected is None:
            continue
        expected, call = event.expected, event.call
        at = dt.datetime.strptime(body["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
        group = expected.target_group
        changes.append(
            {
                "event_id": body["eventID"],
                "event_time": at,
                "event_name": call.event_name,
                "lb": expected.lb,
                "actor": call.principal.arn,
                "actor_kind": call.principal.actor_kind,
                "error_code": call.error_code,
                "summary": expected.summary,
                "event_source": call.source,
                "api_version": call.api_version,
                "aws_region": REGION,
                "account_id": ACCOUNT,
                "lb_id": expected.lb_id,
                "category": expected.category,
                "listener_port": expected.listener_port,
                "target_group": group.name if group else None,
                "target_group_arn": group.arn if group else None,
                "targets": list(expected.targets),
                "details": orjson.dumps(expected.details).decode() if expected.details else None,
                "applied": call.error_code is None,
                "categories": [expected.category, *expected.also],
                "target_groups": [group.name] if group else [],
                "classic": call.api_version == CLASSIC_API,
            }
        )
        calls.append(
            {
                "event_id": body["eventID"],
                "event_time": at,
                "event_source": call.source,
                "event_name": call.event_name,
                "api_version": call.api_version,
                "aws_region": REGION,
                "account_id": ACCOUNT,
                "actor": call.principal.arn,
                "actor_kind": call.principal.actor_kind,
                "source_ip": call.principal.source_ip,
                "user_agent": call.principal.user_agent,
                "read_only": call.read_only,
                "error_code": call.error_code,
                "error_message": call.error_message,
                "request_parameters": orjson.dumps(call.request).decode() if call.request is not None else None,
                "response_elements": orjson.dumps(body["responseElements"]).decode()
                if body["responseElements"] is not None
                else None,
                "source_file": "oracle",
            }
        )
    return changes, calls


def _feed_id(files: DemoFiles, record: dict[str, Any]) -> str:
    """The id `correlate ingest changes` gives an event of the feed that names none."""
    parsed = parse_feed(io.BytesIO(orjson.dumps(record) + b"\n"), "feed.jsonl", str(files.feed_files[0]))
    return parsed.events[0].event_id


def insert(db: Database, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts keyed by column) through Arrow, columns by name."""
    if not rows:
        return
    data = pa.Table.from_pylist(rows)
    db.con.register("incoming", data)
    try:
        columns = ", ".join(data.column_names)
        db.con.execute(f"insert into {table} ({columns}) select {columns} from incoming")
    finally:
        db.con.unregister("incoming")


def load_scenario(
    db: Database,
    kind: str,
    seed: int,
    root: Path,
    rates: Rates = TEST_RATES,
    oracle: bool = False,
    subject_only: bool = True,
    cloudwatch: bool = False,
) -> DemoFiles:
    """Generate the scenario (by default the subject load balancer's logs only, in day-long files, to
    load fast), ingest its access logs (and, with `cloudwatch`, the one-minute metrics CloudWatch would
    hold beside them), then its trail through the CloudTrail ingestion and its change feed through
    `ingest changes`, as `correlate demo` does; or, with `oracle`, insert the oracle's changes instead of
    loading the trail and the feed. (Without the other load balancer's logs, its target-group changes
    cannot be linked to it.)"""
    only = scenario(kind, seed).subject if subject_only else None
    files = generate(kind, seed, root, rates, file_minutes=1440, only=only, metrics=cloudwatch)
    load_logs(db, LogsOptions((str(root / "AWSLogs"),)))
    if files.metric_files:
        ingest_metric_files(MetricsStore(db), [str(path) for path in files.metric_files])
    if oracle:
        changes, calls = oracle_rows(files)
        insert(db, "changes", changes)
        insert(db, "api_calls", calls)
    else:
        load_trail(db, files)
        load_feed(db, files)
    return files


# -- synthetic cells for detection and scoring tests ----------------------------------------------

START = dt.datetime(2026, 11, 20, 13, 0)
WEB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067"
API = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/9f8e7d6c5b4a3921"


def latency_bin(ms: np.ndarray) -> np.ndarray:
    """The bins of sql/10_request_facts.sql."""
    return np.where(ms < 16, np.floor(ms), 16 + np.floor(np.log(np.maximum(ms, 16) / 16) * 20)).astype(int)


def cells(
    minutes: int,
    rate: Callable[[int], float],
    latency_ms: Callable[[int, str], float],
    elb_5xx: Callable[[int, str], float] = lambda m, t: 0.0,
    seed: int = 1,
    targets: tuple[tuple[str, str], ...] = ((WEB, "10.0.1.11"), (WEB, "10.0.1.12"), (API, "10.0.2.21")),
    slow: Callable[[int, str], float] = lambda m, t: 0.0,
) -> tuple[pa.Table, pa.Table]:
    """Poisson requests per minute spread over targets, lognormal latency around latency_ms, a share of
    ELB 5xx answers (no latency), and optionally a share of very slow (20 s) requests."""
    rng = np.random.default_rng(seed)
    back: dict[str, list] = {k: [] for k in ("minute", "target_group_arn", "target_ip", "target_port", "latency_bin",
                                             "requests", "elb_5xx", "target_5xx", "status_4xx", "errors")}  # fmt: skip
    front: dict[str, list] = {k: [] for k in ("minute", "listener_port", "domain_name", "ssl_protocol", "ssl_cipher",
                                              "requests", "elb_5xx", "target_5xx", "status_4xx", "errors")}  # fmt: skip
    for minute in range(minutes):
        at = START + dt.timedelta(minutes=minute)
        total = failed = 0
        for arn, ip in targets:
            n = rng.poisson(rate(minute) / len(targets))
            errors = rng.binomial(n, elb_5xx(minute, ip))
            slow_n = rng.binomial(n - errors, slow(minute, ip))
            values = np.concatenate(
                [latency_ms(minute, ip) * rng.lognormal(0, 0.35, n - errors - slow_n), np.full(slow_n, 20000.0)]
            )
            binned = latency_bin(values)
            for b in np.unique(binned):
                _add(back, at, arn, ip, int(b), int((binned == b).sum()), 0)
            if errors:
                _add(back, at, arn, ip, None, errors, errors)
            total += n
            failed += errors
        for protocol, share in (("TLSv1.2", 0.3), ("TLSv1.3", 0.7)):
            n = round(total * share)
            k = round(failed * share)
            for key, value in (("minute", at), ("listener_port", 443), ("domain_name", "www.example.com"),
                               ("ssl_protocol", protocol), ("ssl_cipher", "c-" + protocol), ("requests", n),
                               ("elb_5xx", k), ("target_5xx", 0), ("status_4xx", 0), ("errors", k)):  # fmt: skip
                front[key].append(value)
    return pa.table(back), pa.table(front)


def _add(back, at, arn, ip, latency, n, errors) -> None:
    for key, value in (("minute", at), ("target_group_arn", arn), ("target_ip", ip), ("target_port", 80),
                       ("latency_bin", latency), ("requests", n), ("elb_5xx", errors), ("target_5xx", 0),
                       ("status_4xx", 0), ("errors", errors)):  # fmt: skip
        back[key].append(value)
