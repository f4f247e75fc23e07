"""Test support for the timeline: demo scenarios loaded into a database, with the `changes` rows a
CloudTrail parser should make of their trail (the oracle from each scenario's definition).

The oracle stands in for `correlate ingest cloudtrail` only in tests that check the scoring on
given changes; the demo command itself loads the trail files through the real ingestion.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from correlate.demo import DemoFiles, Rates, generate
from correlate.demo.fleet import ACCOUNT, REGION
from correlate.pipeline.logs import ingest_logs
from correlate.sources import expand_sources
from correlate.store.database import Database
from correlate.store.logs import LogStore

TEST_RATES = Rates(alb=5.0, clb=3.0)


def oracle_rows(files: DemoFiles) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(changes rows, api_calls rows) for the scenario's configuration changes."""
    changes, calls = [], []
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
                "details": None,
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


def load_scenario(db: Database, kind: str, seed: int, root: Path, rates: Rates = TEST_RATES) -> DemoFiles:
    """Generate the scenario (hour-long log files, to load fast), ingest its access logs, and insert the
    oracle's changes."""
    files = generate(kind, seed, root, rates, file_minutes=60)
    ingest_logs(LogStore(db), expand_sources([str(root / "AWSLogs")], (".log", ".log.gz")))
    changes, calls = oracle_rows(files)
    insert(db, "changes", changes)
    insert(db, "api_calls", calls)
    return files
