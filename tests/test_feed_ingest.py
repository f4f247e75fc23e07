"""`correlate ingest changes`: change events of other systems from JSON lines, JSON arrays, CSV and
standard input into change_events, and onto load balancers as `changes` rows of origin 'feed'."""

from __future__ import annotations

import gzip
import io
import json
import shutil

import pytest
from conftest import FIXTURES, invoke, load, load_cloudtrail, records, ts

from correlate.pipeline.changes import ChangesOptions, load_changes
from correlate.store.database import Database

FEEDS = FIXTURES / "changes"
TRAIL = FIXTURES / "cloudtrail" / "ecs_service.json"  # web-prod: web (ECS service web) and api
FLAG_ID = "feed-7d0158d8b3d3246706b7"
CONFIG_ID = "feed-52f079fb1927fdeaf87c"
ROLLBACK_ID = "feed-c890dcafe8ce72c3693b"
TG_WEB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067"


def feed(db: Database, *sources, stdin: bytes | None = None):
    """Load change events through the library call of `correlate ingest changes`."""
    stream = io.BytesIO(stdin) if stdin is not None else None
    return load_changes(db, ChangesOptions(tuple(str(source) for source in sources), stream))


def stored(db: Database) -> list[dict]:
    return records(db, "select * exclude (source_file, source_line) from change_events order by event_time")


EVENTS = [
    {
        "event_id": "github:deployment:1801",
        "event_time": ts("2026-11-24T12:02:00Z"),
        "end_time": ts("2026-11-24T12:06:30Z"),
        "kind": "deploy",
        "summary": "web 2.14.0 to production",
        "actor": "alice",
        "source": "github",
        "lbs": ["web-prod"],
        "target_groups": [],
        "targets": [],
        "services": ["web"],
        "listener_port": None,
        "url": "https://github.com/example/web/commit/4c1d9e2f",
        "details": '{"sha":"4c1d9e2f"}',
    },
    {
        "event_id": FLAG_ID,
        "event_time": ts("2026-11-24T12:10:00Z"),
        "end_time": None,
        "kind": "feature-flag",
        "summary": "checkout-v2 on for 10%",
        "actor": "bob",
        "source": "launchdarkly",
        "lbs": [],
        "target_groups": ["api"],
        "targets": [],
        "services": [],
        "listener_port": 443,
        "url": None,
        "details": None,
    },
    {
        "event_id": CONFIG_ID,
        "event_time": ts("2026-11-24T12:15:00Z"),  # 13:15 at +01:00
        "end_time": None,
        "kind": "config",
        "summary": "cache TTL 60 s -> 300 s",
        "actor": None,
        "source": "consul",
        "lbs": [],
        "target_groups": [],
        "targets": ["10.0.1.41:8080", "10.0.1.42:8080"],
        "services": [],
        "listener_port": None,
        "url": None,
        "details": None,
    },
    {
        "event_id": ROLLBACK_ID,
        "event_time": ts("2026-11-24T12:20:00Z"),
        "end_time": None,
        "kind": "other",  # a kind correlate does not know, kept in details
        "summary": "payments rolled back",
        "actor": "carol",
        "source": "spinnaker",
        "lbs": [],
        "target_groups": [],
        "targets": [],
        "services": [],
        "listener_port": None,
        "url": None,
        "details": '{"kind":"rollback"}',
    },
]


@pytest.mark.parametrize("name", ["deploys.jsonl", "deploys.json", "deploys.csv"])
def test_each_shape_gives_the_same_events(db, name):
    summary = feed(db, FEEDS / name)
    # only the deploy names its load balancer; the database knows none to place the others on
    assert summary.line() == (
        "1 file: 1 loaded, 0 skipped; 4 records: 4 events, 0 rejected, 0 duplicates (1 of a kind correlate does "
        "not know, stored as other); 1 changes on 1 load balancers (3 events on no load balancer yet: load access "
        "logs or CloudTrail)"
    )
    assert stored(db) == EVENTS
    lines = records(db, "select source_file, source_line from change_events order by event_time")
    # JSON lines and CSV: the line (the CSV header is line 1); a JSON array: the position
    first = {"deploys.jsonl": 1, "deploys.json": 1, "deploys.csv": 2}[name]
    assert lines == [{"source_file": str(FEEDS / name), "source_line": first + i} for i in range(4)]


def test_standard_input_and_gzip(db, tmp_path):
    summary = feed(db, "-", stdin=(FEEDS / "deploys.csv").read_bytes())
    assert (summary.files, summary.loaded, summary.events) == (1, 1, 4)
    assert stored(db) == EVENTS
    assert records(db, "select distinct source_file from change_events") == [{"source_file": "stdin"}]
    assert records(db, "select count(*) as n from ingested_files") == [{"n": 0}]  # nothing to skip next time
    packed = tmp_path / "deploys.jsonl.gz"
    packed.write_bytes(gzip.compress((FEEDS / "deploys.jsonl").read_bytes()))
    again = feed(db, packed)
    assert (again.events, again.duplicates) == (4, 4)
    assert stored(db) == EVENTS


def test_reloading_dedupes_and_a_changed_file_replaces_its_events(db, tmp_path):
    path = tmp_path / "deploys.jsonl"
    shutil.copy(FEEDS / "deploys.jsonl", path)
    feed(db, path)
    skipped = feed(db, path)
    assert skipped.line().startswith("1 file: 0 loaded, 1 skipped (1 already loaded); 0 records:")
    # the same events again from standard input: replaced in place, counted as duplicates
    piped = feed(db, "-", stdin=path.read_bytes())
    assert (piped.events, piped.duplicates) == (4, 4)
    assert stored(db) == EVENTS
    # the feed re-sends the deploy with its new end, and drops the rollback: the file is read again
    lines = path.read_text().splitlines()
    update = json.loads(lines[0]) | {"end_time": "2026-11-24T12:08:00Z"}
    path.write_text("\n".join([json.dumps(update), *lines[1:3]]) + "\n")
    reloaded = feed(db, path)
    assert (reloaded.loaded, reloaded.events, reloaded.duplicates) == (1, 3, 3)  # stdin's copies were stored
    assert [(row["event_id"], row["end_time"]) for row in stored(db)] == [
        ("github:deployment:1801", ts("2026-11-24T12:08:00Z")),
        (FLAG_ID, None),
        (CONFIG_ID, None),
        (ROLLBACK_ID, None),  # stdin's copy was the last: not the file's to remove
    ]
    assert records(db, "select source_file, rows, duplicates from ingested_files where kind = 'changes'") == [
        {"source_file": str(path), "rows": 3, "duplicates": 3}
    ]


def test_bad_records_are_rejects_with_their_line_and_the_rest_loads(db, tmp_path):
    path = tmp_path / "bad.jsonl"
    lines = (FEEDS / "bad.jsonl").read_bytes().splitlines(keepends=True)
    huge = b'{"time": "2026-11-20T14:55:00Z", "kind": "deploy", "log": "' + b"x" * (10 << 20) + b'"}\n'
    path.write_bytes(b"".join([*lines[:7], huge, *lines[7:]]))
    summary = feed(db, path)
    assert (summary.records, summary.events, summary.rejected) == (9, 2, 7)
    rejects = records(
        db, "select source_file, source_line, reason, rtrim(left(raw, 40)) as raw from rejects order by 2"
    )
    assert rejects == [
        {
            "source_file": str(path),
            "source_line": 2,
            "reason": "no time: every change event needs `time`, in ISO 8601 (for example 2026-11-20T14:05:00Z)",
            "raw": '{"kind": "deploy", "summary": "no time"}',
        },
        {
            "source_file": str(path),
            "source_line": 3,
            "reason": 'time "yesterday afternoon" is not an ISO 8601 time (for example 2026-11-20T14:05:00Z)',
            "raw": '{"time": "yesterday afternoon", "kind":',
        },
        {
            "source_file": str(path),
            "source_line": 4,
            "reason": "an array, not an object: each change event is one JSON object",
            "raw": '["an", "array"]',
        },
        {
            "source_file": str(path),
            "source_line": 5,
            "reason": "not valid JSON: unexpected end of data (line 1, column 70)",
            "raw": '{"time": "2026-11-20T14:30:00Z", "kind":',
        },
        {
            "source_file": str(path),
            "source_line": 6,
            "reason": "end_time 2026-11-20T14:39:00Z is before time 2026-11-20T14:40:00Z: swap them, or leave "
            "end_time out",
            "raw": '{"time": "2026-11-20T14:40:00Z", "end_ti',
        },
        {
            "source_file": str(path),
            "source_line": 7,
            "reason": 'listener_port "https" is not a port number (1-65535)',
            "raw": '{"time": "2026-11-20T14:45:00Z", "kind":',
        },
        {
            "source_file": str(path),
            "source_line": 8,
            "reason": "record is 10,485,822 bytes, more than the 1 MiB a change event may take; raw keeps its start. "
            "Leave bulky fields (logs, diffs) out of the feed",
            "raw": '{"time": "2026-11-20T14:55:00Z", "kind":',
        },
    ]
    assert records(db, "select source_line, kind, summary from change_events order by 1") == [
        {"source_line": 1, "kind": "deploy", "summary": "web 2.14.0"},
        {"source_line": 9, "kind": "scaling", "summary": "web 6 -> 12 tasks"},
    ]


def test_a_broken_csv_row_is_a_reject_and_the_rows_around_it_load(db):
    summary = feed(db, FEEDS / "bad.csv")
    assert (summary.records, summary.events, summary.rejected) == (4, 3, 1)
    assert records(db, "select source_line, reason, raw from rejects") == [
        {
            "source_line": 4,
            "reason": "the row has 5 fields, the header 4: quote fields that hold commas",
            "raw": "2026-11-20T14:04:00Z,deploy,a summary, with an unquoted comma,web-prod",
        }
    ]
    assert records(db, "select source_line, summary from change_events order by 1") == [
        {"source_line": 2, "summary": "web 2.14.0"},
        {"source_line": 3, "summary": "a summary, with a comma"},
        {"source_line": 5, "summary": "fine again"},
    ]


def test_a_csv_without_a_time_column_rejects_every_row(db, tmp_path):
    path = tmp_path / "no-header.csv"
    path.write_text("2026-11-20T14:02:00Z,deploy,web\n2026-11-20T14:03:00Z,deploy,api\n")
    feed(db, path)
    assert records(db, "select source_line, reason from rejects order by 1") == [
        {
            "source_line": 1,
            "reason": "the CSV header has no time column (2026-11-20t14:02:00z, deploy, web); its first row must "
            "name the fields as docs/changes.md does",
        },
        {"source_line": 2, "reason": "no CSV header with a time column above this row (line 1 is not one)"},
    ]


def feed_rows(db: Database) -> list[dict]:
    return records(
        db,
        "select event_id, lb, lb_id, event_name, category, attributed_by, target_groups, targets, listener_port, "
        "details from changes where origin = 'feed' order by event_time, lb",
    )


def test_events_reach_the_load_balancers_their_hints_name(db, tmp_path):
    load_cloudtrail(db, TRAIL)
    feed(db, FEEDS / "deploys.jsonl")
    lb_id = "app/web-prod/50dc6c495c0c9188"
    web_prod = {"lb": "web-prod", "lb_id": lb_id}
    assert feed_rows(db) == [
        # lb and service: ECS service web registers with the target group web
        {
            "event_id": "github:deployment:1801",
            **web_prod,
            "event_name": "deploy",
            "category": "deploy",
            "attributed_by": "feed",
            "target_groups": ["web"],
            "targets": [],
            "listener_port": None,
            "details": '{"extra":{"sha":"4c1d9e2f"}}',
        },
        # a target group by name: the load balancer whose rule forwards to it
        {
            "event_id": FLAG_ID,
            **web_prod,
            "event_name": "feature-flag",
            "category": "feature_flag",
            "attributed_by": "cloudtrail",
            "target_groups": ["api"],
            "targets": [],
            "listener_port": 443,
            "details": None,
        },
        # targets no access log shows yet: on every load balancer, and said so
        {
            "event_id": CONFIG_ID,
            **web_prod,
            "event_name": "config",
            "category": "config",
            "attributed_by": "unscoped",
            "target_groups": [],
            "targets": ["10.0.1.41:8080", "10.0.1.42:8080"],
            "listener_port": None,
            "details": '{"unplaced":{"targets":["10.0.1.41:8080","10.0.1.42:8080"]}}',
        },
        # no hint at all
        {
            "event_id": ROLLBACK_ID,
            **web_prod,
            "event_name": "other",
            "category": "other",
            "attributed_by": "unscoped",
            "target_groups": [],
            "targets": [],
            "listener_port": None,
            "details": '{"extra":{"kind":"rollback"}}',
        },
    ]
    # the access logs show the target serving web on web-prod around the config push (and on
    # batch-lb after it): the rebuild after `ingest logs` places the push there, and the rollback,
    # which names nothing, on both load balancers now known
    logs = tmp_path / "alb.log"
    logs.write_text(
        "".join(
            f"http 2026-11-24T12:1{minute}:01.000000Z app/{lb}/{lb_id.rsplit('/', 1)[1]} 192.0.2.1:4000 "
            f'10.0.1.41:8080 0.001 0.002 0.000 200 200 10 20 "GET http://example.com:80/ HTTP/1.1" "curl/8" - - '
            f'{TG_WEB} "Root=1-5" "-" "-" 0 2026-11-24T12:1{minute}:00.000000Z "forward" "-" "-" '
            '"10.0.1.41:8080" "200" "-" "-"\n'
            for minute, lb in ((4, "web-prod"), (6, "batch-lb"), (7, "web-prod"))
        )
    )
    load(db, logs)
    rows = [(r["event_id"], r["lb"], r["attributed_by"], r["target_groups"]) for r in feed_rows(db)]
    assert rows[2:] == [
        (CONFIG_ID, "web-prod", "access_logs", ["web"]),
        (ROLLBACK_ID, "batch-lb", "unscoped", []),
        (ROLLBACK_ID, "web-prod", "unscoped", []),
    ]


def test_an_lb_hint_narrows_the_target_group_to_that_load_balancer(db, tmp_path):
    load_cloudtrail(db, TRAIL)
    path = tmp_path / "narrow.jsonl"
    path.write_text(
        '{"id": "a", "time": "2026-11-24T12:00:00Z", "kind": "deploy", "target_group": "web", "lb": "other-lb"}\n'
        '{"id": "b", "time": "2026-11-24T12:01:00Z", "kind": "deploy", "service": "nightly", "listener_port": 80}\n'
    )
    feed(db, path)
    assert [(r["event_id"], r["lb"], r["attributed_by"], r["target_groups"], r["details"]) for r in feed_rows(db)] == [
        # the group serves web-prod, not the load balancer named: the name is kept as its target group
        ("a", "other-lb", "feed", ["web"], None),
        # a service nothing knows: on every load balancer, with the hint said unplaced
        ("b", "web-prod", "unscoped", [], '{"unplaced":{"service":["nightly"]}}'),
    ]


def test_feed_rows_survive_every_rebuild(db):
    feed(db, FEEDS / "deploys.jsonl")
    load_cloudtrail(db, TRAIL)
    assert records(
        db, "select count(*) as n, count(distinct event_id) as events from changes where origin = 'feed'"
    ) == [{"n": 4, "events": 4}]
    assert records(db, "select origin, count(*) as n from changes group by origin order by origin") == [
        {"origin": "cloudtrail", "n": 9},
        {"origin": "feed", "n": 4},
    ]


def test_the_command(runner, tmp_path):
    db_path = tmp_path / "c.duckdb"
    result = invoke(runner, "--db", db_path, "ingest", "changes", FEEDS / "bad.csv", "--strict")
    assert (result.exit_code, result.stdout) == (4, "")
    assert result.stderr.splitlines() == [
        'Rejected records are in the rejects table: correlate sql "select source_file, source_line, reason from '
        "rejects where kind = 'changes'\"",
        "1 file: 1 loaded, 0 skipped; 4 records: 3 events, 1 rejected, 0 duplicates; 3 changes on 1 load balancers",
        'Error: 1 records were rejected and --strict was given. See them with: correlate sql "select * from '
        "rejects where kind = 'changes'\"",
    ]
    piped = invoke_with_input(runner, (FEEDS / "deploys.jsonl").read_bytes(), "--db", db_path, "ingest", "changes", "-")
    assert (piped.exit_code, piped.stderr) == (
        0,
        "1 file: 1 loaded, 0 skipped; 4 records: 4 events, 0 rejected, 0 duplicates (1 of a kind correlate does "
        "not know, stored as other); 4 changes on 1 load balancers (3 events on no load balancer yet: load access "
        "logs or CloudTrail)\n",
    )
    twice = invoke(runner, "--db", db_path, "ingest", "changes", "-", "-")
    assert (twice.exit_code, twice.stderr.splitlines()[-1]) == (2, "Error: Give - (standard input) once.")
    missing = invoke(runner, "--db", db_path, "ingest", "changes", tmp_path / "nope.jsonl")
    assert (missing.exit_code, missing.stderr) == (
        1,
        f"Error: {tmp_path / 'nope.jsonl'}: no such file or directory. Pass a file, a directory, a glob or an "
        "s3:// prefix.\n",
    )


def invoke_with_input(runner, data: bytes, *args):
    from correlate.cli import main

    return runner.invoke(main, [str(arg) for arg in args], input=data, catch_exceptions=False)


def test_a_feed_in_s3(db, s3):
    s3.create_bucket(Bucket="ops-feeds")
    body = (FEEDS / "deploys.csv").read_bytes()
    s3.put_object(Bucket="ops-feeds", Key="changes/2026/11/deploys.csv.gz", Body=gzip.compress(body))
    s3.put_object(Bucket="ops-feeds", Key="changes/readme.txt", Body=b"not a feed")
    summary = feed(db, "s3://ops-feeds/changes/")
    assert (summary.files, summary.events, summary.rejected) == (1, 4, 0)
    assert stored(db) == EVENTS
    assert records(db, "select distinct source_file from change_events") == [
        {"source_file": "s3://ops-feeds/changes/2026/11/deploys.csv.gz"}
    ]
    assert feed(db, "s3://ops-feeds/changes/").already_loaded == 1  # the ETag did not change
