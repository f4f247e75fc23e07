"""Files given to the other ingest command: recognised, not recorded, and named with the command to
run; each command's ledger is its own, also in a database an older correlate left poisoned."""

from __future__ import annotations

import json
import shutil

import duckdb
from conftest import FIXTURES, invoke, records

from correlate.store.database import Database

ALB_NAME = (
    "123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20181130T2225Z_10.0.0.5_abcd1234"
)
TRAIL_NAME = "123456789012_CloudTrail_us-east-1_20261120T1405Z_a1b2c3d4e5f6a7b8.json"
TRAIL = FIXTURES / "cloudtrail" / "trail_v2_story.json"
ALB_LOG = FIXTURES / "alb" / "doc_examples.log"


def ledger(db_path) -> list[dict]:
    with Database.open(str(db_path), read_only=True) as db:
        return records(db, "select source_file, kind, rows, rejected from ingested_files order by kind, source_file")


def rejects(db_path) -> list[dict]:
    with Database.open(str(db_path), read_only=True) as db:
        return records(db, "select source_file, kind from rejects order by source_file")


def test_cloudtrail_command_on_access_logs_exits_1_and_records_nothing(runner, tmp_path):
    named = tmp_path / f"{ALB_NAME}.log"  # recognised by its AWS name, never read
    unnamed = tmp_path / "some.json"  # recognised by its first line
    shutil.copy(ALB_LOG, named)
    shutil.copy(ALB_LOG, unnamed)
    db = tmp_path / "c.duckdb"
    wrong = invoke(runner, "--db", db, "ingest", "cloudtrail", named, unnamed)
    assert (wrong.exit_code, wrong.stdout) == (1, "")
    assert wrong.stderr == (
        f"Error: 2 files look like access logs, not CloudTrail ({named}, ...): load them with correlate ingest logs\n"
    )
    assert ledger(db) == []
    right = invoke(runner, "--db", db, "ingest", "logs", named, unnamed)
    assert right.exit_code == 0
    assert right.stderr == "2 files: 2 loaded, 0 skipped; 14 rows, 0 rejected\n"


def test_logs_command_on_cloudtrail_exits_1_and_records_nothing(runner, tmp_path):
    named = tmp_path / TRAIL_NAME  # recognised by its AWS name, never read
    unnamed = tmp_path / "events.log"  # recognised by its first byte
    shutil.copy(TRAIL, named)
    shutil.copy(TRAIL, unnamed)
    db = tmp_path / "c.duckdb"
    wrong = invoke(runner, "--db", db, "ingest", "logs", named)
    assert (wrong.exit_code, wrong.stdout) == (1, "")
    assert wrong.stderr == (
        f"Error: {named} looks like CloudTrail, not access logs: load it with correlate ingest cloudtrail\n"
    )
    wrong = invoke(runner, "--db", db, "ingest", "logs", unnamed)
    assert wrong.stderr == (
        f"Error: {unnamed} looks like CloudTrail, not access logs: load it with correlate ingest cloudtrail\n"
    )
    assert ledger(db) == []
    right = invoke(runner, "--db", db, "ingest", "cloudtrail", named)
    assert right.exit_code == 0
    assert right.stderr.startswith("1 files: 1 loaded, 0 skipped; 16 records: 14 kept")


def test_a_mixed_batch_loads_its_own_kind_and_names_the_rest(runner, tmp_path):
    trail = tmp_path / "trail.json"
    log = tmp_path / "access.json"
    shutil.copy(TRAIL, trail)
    shutil.copy(ALB_LOG, log)
    result = invoke(runner, "--db", tmp_path / "c.duckdb", "ingest", "cloudtrail", trail, log)
    assert result.exit_code == 0
    assert result.stderr.splitlines()[0] == (
        f"{log} looks like access logs, not CloudTrail: load it with correlate ingest logs"
    )
    assert result.stderr.splitlines()[1].startswith("2 files: 1 loaded, 1 skipped (1 access logs); 16 records")
    logs = invoke(runner, "--db", tmp_path / "c.duckdb", "ingest", "logs", trail, log)
    assert logs.exit_code == 0
    assert logs.stderr == (
        f"{trail} looks like CloudTrail, not access logs: load it with correlate ingest cloudtrail\n"
        "2 files: 1 loaded, 1 skipped (1 CloudTrail); 7 rows, 0 rejected\n"
    )
    assert [(row["kind"], row["rows"]) for row in ledger(tmp_path / "c.duckdb")] == [("alb", 7), ("cloudtrail", 14)]


def test_one_file_in_both_ledgers(runner, tmp_path):
    """A file both commands can read (here: access-log lines after a JSON-lines record) is loaded by
    each, and re-runs of either skip it."""
    both = tmp_path / "both.log"
    records_ = json.loads(TRAIL.read_text())["Records"]
    record = next(r for r in records_ if r["eventSource"] == "elasticloadbalancing.amazonaws.com")
    both.write_text(json.dumps(record) + "\n" + ALB_LOG.read_text())
    db = tmp_path / "c.duckdb"
    assert invoke(runner, "--db", db, "ingest", "logs", both).exit_code == 0
    assert invoke(runner, "--db", db, "ingest", "cloudtrail", both).exit_code == 0
    assert [(row["kind"], row["rows"]) for row in ledger(db)] == [("alb", 7), ("cloudtrail", 1)]
    again = invoke(runner, "--db", db, "ingest", "logs", both)
    assert again.stderr.endswith("1 files: 0 loaded, 1 skipped (1 already loaded); 0 rows, 0 rejected\n")
    again = invoke(runner, "--db", db, "ingest", "cloudtrail", both)
    assert "1 files: 0 loaded, 1 skipped (1 already loaded)" in again.stderr


OLD_LEDGER = """
create table ingested_files (
    source_file varchar primary key, kind varchar, fingerprint varchar, filter varchar, size_bytes bigint,
    lines bigint, rows bigint, rejected bigint, filtered bigint, invalid_utf8_lines bigint, lb varchar,
    lb_id varchar, node_ip varchar, interval_end timestamp, loaded_at timestamp
)
"""


def poisoned(db_path, source_file: str, kind: str, fingerprint: str, lines: int) -> None:
    """A database as an older correlate left it after the wrong command read `source_file`: keyed by
    source_file alone, the file recorded with 0 rows and every line rejected."""
    con = duckdb.connect(str(db_path))
    con.execute(OLD_LEDGER)
    con.execute(
        "insert into ingested_files values (?, ?, ?, '', 0, ?, 0, ?, 0, 0, null, null, null, null, now())",
        [source_file, kind, fingerprint, lines, lines],
    )
    con.execute(
        "create table rejects (source_file varchar, source_line bigint, kind varchar, reason varchar, raw varchar)"
    )
    con.execute(
        "insert into rejects select ?, range + 1, ?, 'old reject', '' from range(?)", [source_file, kind, lines]
    )
    con.close()


def fingerprint(path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def test_poisoned_by_logs_cloudtrail_loads_and_the_stale_entry_goes(runner, tmp_path):
    trail = tmp_path / "trail.json"
    shutil.copy(TRAIL, trail)
    db = tmp_path / "old.duckdb"
    poisoned(db, str(trail), "unknown", fingerprint(trail), 300)
    result = invoke(runner, "--db", db, "ingest", "cloudtrail", trail)
    assert result.exit_code == 0
    assert result.stderr.startswith("1 files: 1 loaded, 0 skipped; 16 records: 14 kept")
    assert ledger(db) == [{"source_file": str(trail), "kind": "cloudtrail", "rows": 14, "rejected": 0}]
    assert rejects(db) == []


def test_poisoned_by_logs_a_rerun_of_logs_names_the_right_command(runner, tmp_path):
    trail = tmp_path / "trail.json"
    shutil.copy(TRAIL, trail)
    db = tmp_path / "old.duckdb"
    poisoned(db, str(trail), "unknown", fingerprint(trail), 300)
    result = invoke(runner, "--db", db, "ingest", "logs", trail)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {trail} looks like CloudTrail, not access logs: load it with correlate ingest cloudtrail\n"
    )
    assert (ledger(db), rejects(db)) == ([], [])


def test_poisoned_by_cloudtrail_logs_load_and_the_stale_entry_goes(runner, tmp_path):
    log = tmp_path / f"{ALB_NAME}.log"
    shutil.copy(ALB_LOG, log)
    db = tmp_path / "old.duckdb"
    poisoned(db, str(log), "cloudtrail", fingerprint(log), 1)
    result = invoke(runner, "--db", db, "ingest", "logs", log)
    assert result.exit_code == 0
    assert result.stderr == "1 files: 1 loaded, 0 skipped; 7 rows, 0 rejected\n"
    assert ledger(db) == [{"source_file": str(log), "kind": "alb", "rows": 7, "rejected": 0}]
    assert rejects(db) == []
    again = invoke(runner, "--db", db, "ingest", "cloudtrail", log)
    assert again.exit_code == 1


def test_poisoned_by_cloudtrail_a_rerun_of_cloudtrail_names_the_right_command(runner, tmp_path):
    log = tmp_path / "access.json"
    shutil.copy(ALB_LOG, log)
    db = tmp_path / "old.duckdb"
    poisoned(db, str(log), "cloudtrail", fingerprint(log), 1)
    result = invoke(runner, "--db", db, "ingest", "cloudtrail", log)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {log} looks like access logs, not CloudTrail: load it with correlate ingest logs\n"
    assert (ledger(db), rejects(db)) == ([], [])
