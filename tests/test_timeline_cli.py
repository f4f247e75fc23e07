"""`correlate timeline` and `correlate demo` as users meet them."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import invoke, ts
from timeline_support import insert, load_scenario

from correlate.present.document import timeline_document, timeline_from_document
from correlate.store.database import Database

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "timeline"
ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188"


@pytest.fixture(scope="module")
def incident(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("incident")
    path = root / "c.duckdb"
    with Database.open(str(path)) as db:
        load_scenario(db, "deregistered-targets", 1, root / "files")
    return path


@pytest.fixture(scope="module")
def document(incident) -> dict:
    result = invoke(CliRunner(), "--db", incident, "timeline", "--lb", "web-prod", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


def test_json_follows_the_contract(document):
    assert (document["lb"], document["since"], document["until"]) == (
        "web-prod",
        "2026-11-02T13:30:00Z",
        "2026-11-02T14:20:00Z",
    )
    contract = {
        "event_id",
        "event_time",
        "event_name",
        "actor",
        "actor_kind",
        "summary",
        "error_code",
        "suspicion",
        "evidence",
    }
    assert all(contract <= change.keys() for change in document["changes"])
    top = document["changes"][0]
    assert {k: top[k] for k in ("event_time", "event_name", "actor", "actor_kind", "summary", "error_code")} == {
        "event_time": "2026-11-02T14:00:23Z",
        "event_name": "DeregisterTargets",
        "actor": "arn:aws:iam::123456789012:user/bob",
        "actor_kind": "cli",
        "summary": "deregistered 4 targets (10.0.1.13:80, 10.0.1.14:80, 10.0.1.15:80, +1 more) from web",
        "error_code": None,
    }
    assert top["suspicion"] >= 0.5
    assert top["evidence"][0].startswith("ELB 5xx rate 0.0% -> ")
    assert [c["suspicion"] for c in document["changes"]] == sorted(
        (c["suspicion"] for c in document["changes"]), reverse=True
    )
    assert all(c["suspicion"] < 0.5 for c in document["changes"][1:])
    shift_keys = {"metric", "at", "before", "after", "scope"}
    assert document["shifts"] and all(shift_keys <= shift.keys() for shift in document["shifts"])
    assert [s["at"] for s in document["shifts"]] == sorted(s["at"] for s in document["shifts"])
    assert all(s["at"].endswith("Z") for s in document["shifts"])
    lb_errors = next(s for s in document["shifts"] if s["metric"] == "elb_5xx_rate" and s["scope"] == "lb")
    assert (lb_errors["at"], lb_errors["before"], lb_errors["direction"], lb_errors["explained_by"]) == (
        "2026-11-02T14:00:00Z",
        0.0,
        "up",
        [top["event_id"]],
    )
    assert document["parameters"]["alpha"] == 0.001 and document["bucket_minutes"] == 1


def test_a_saved_timeline_reads_back_whole(document):
    """One definition of the JSON document: what `--format json` wrote reads back into the same
    timeline (its series excepted), which writes the same document again."""
    timeline = timeline_from_document(json.loads(json.dumps(document)), "saved.json")
    assert timeline.suspect is timeline.changes[0] and timeline.series is None
    assert timeline_document(timeline) == document


def test_the_lb_can_be_named_by_id_or_arn(incident, document, runner):
    for name in ("app/web-prod/50dc6c495c0c9188", ALB_ARN):
        result = invoke(runner, "--db", incident, "timeline", "--lb", name, "--format", "json")
        assert json.loads(result.stdout) == document


def test_window(incident, runner):
    result = invoke(
        runner, "--db", incident, "timeline", "--lb", "web-prod", "--since", "2026-11-02T14:05Z", "--format", "json"
    )
    later = json.loads(result.stdout)
    assert later["since"] == "2026-11-02T14:05:00Z"
    assert later["changes"] == []
    assert later["notes"][0] == (
        "No configuration changes recorded for web-prod in this window. Load CloudTrail with "
        "`correlate ingest cloudtrail` to rank changes."
    )


def snapshot(name: str, text: str) -> None:
    """`text` is the snapshot's whole content; UPDATE_SNAPSHOTS=1 writes it instead (review the diff)."""
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_the_demo_incident_timeline_whole(incident, runner, fmt):
    """The main product output, whole, for the demo's deregistered-targets incident (seed 1): after an
    intended change, `UPDATE_SNAPSHOTS=1 pytest tests/test_timeline_cli.py` and review the diff."""
    result = invoke(runner, "--db", incident, "timeline", "--lb", "web-prod", "--format", fmt)
    assert (result.exit_code, result.stderr) == (0, "")
    snapshot(f"deregistered-targets-1.{fmt}", result.stdout)


def test_ndjson_rows_are_the_csv_rows(incident, runner):
    table = invoke(runner, "--db", incident, "timeline", "--lb", "web-prod", "--format", "csv").stdout
    lines = invoke(runner, "--db", incident, "timeline", "--lb", "web-prod", "--format", "ndjson").stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows] == list(
        csv.DictReader(table.splitlines())
    )


def test_errors(incident, runner):
    unknown = invoke(runner, "--db", incident, "timeline", "--lb", "nope")
    assert (unknown.exit_code, unknown.stdout) == (1, "")
    assert unknown.stderr == (f"Error: No load balancer named nope in {incident}. Known: legacy-web, web-prod.\n")
    backwards = invoke(
        runner,
        "--db",
        incident,
        "timeline",
        "--lb",
        "web-prod",
        "--since",
        "2026-11-02T15:00Z",
        "--until",
        "2026-11-02T14:00Z",
    )
    assert (backwards.exit_code, backwards.stderr.splitlines()[-1]) == (
        2,
        "Error: --since (2026-11-02T15:00:00Z) is not before --until (2026-11-02T14:00:00Z): "
        "give the earlier time to --since.",
    )
    missing = invoke(runner, "--db", incident, "timeline")
    assert missing.exit_code == 2 and "Missing option '--lb'" in missing.stderr


def test_demo_list(runner):
    result = invoke(runner, "--db", ":memory:", "demo", "--list", "--format", "csv")
    assert result.stdout == (
        "kind,load balancer,what happens\n"
        "deregistered-targets,web-prod,Four of six web targets deregistered by hand\n"
        "empty-target-group,web-prod,Listener default action moved to an empty target group\n"
        "bad-health-check,web-prod,Health check moved to a path half of the targets do not serve\n"
        "tls-policy,legacy-web,Classic ELB listener moved to a TLS 1.2-only policy: TLS 1.0/1.1 clients vanish\n"
        "idle-timeout,web-prod,Idle timeout cut from 60 s to 5 s: long exports now end in 504\n"
        "traffic-surge,web-prod,Traffic surge with no change behind it\n"
        "on-call-reaction,web-prod,web's application fails; the on-call engineer adds targets minutes later\n"
        'unreached-rule,web-prod,"api left with one target, beside a rule no request matches and a check on an '
        'idle target group"\n'
        'revert,web-prod,"Default action moved to a broken release, then moved back 10-15 minutes later"\n'
        "ramp,web-prod,Stickiness concentrates web's load on two targets over ten minutes\n"
        "sibling-slice,web-prod,api's application fails half a minute after a harmless check change on web\n"
        "slow-health-check,web-prod,A health check that fails after six one-minute intervals: targets leave later\n"
        "app-deploy,web-prod,A deploy of web's application makes it slower and fail more (the cause only in the "
        "deploy feed)\n"
        "fail-open,web-prod,Health check moved to a path no web target serves: ALB fails open; errors follow a new "
        "task minutes later\n"
        "nlb-tls-policy,tls-front,NLB listener moved to a TLS 1.3-only policy: the partner integration's TLS 1.2 "
        "clients fail their handshakes\n"
    )


def test_demo_writes_loads_and_prints_the_timeline(runner, tmp_path):
    db = tmp_path / "demo.duckdb"
    out = tmp_path / "files"
    result = invoke(runner, "--db", db, "demo", "--kind", "idle-timeout", "--out", out, "--format", "json")
    assert result.exit_code == 0, result.stderr
    timeline = json.loads(result.stdout)
    assert (timeline["lb"], timeline["since"], timeline["until"]) == (
        "web-prod",
        "2026-11-06T13:30:00Z",
        "2026-11-06T14:20:00Z",
    )
    assert any(s["metric"] == "elb_5xx_rate" and s["scope"] == "target_group:api" for s in timeline["shifts"])
    stderr = result.stderr.splitlines()
    assert stderr[0] == (
        f"idle-timeout (seed 1): Idle timeout cut from 60 s to 5 s: long exports now end in 504. Wrote 32 access-log "
        f"files and 4 CloudTrail files under {out}/AWSLogs."
    )
    assert stderr[1] == "Access logs: 32 files: 32 loaded, 0 skipped; 36,056 rows, 0 rejected"
    assert stderr[2] == (
        "CloudTrail: 4 files: 4 loaded, 0 skipped; 11 records: 11 kept, 0 unrelated, 0 rejected, 0 duplicates; "
        "6 changes on 2 load balancers"
    )
    assert stderr[3] == "Explore: correlate timeline --lb web-prod --since 2026-11-06T13:30Z --until 2026-11-06T14:20Z"
    again = invoke(runner, "--db", db, "-q", "demo", "--kind", "idle-timeout", "--out", out, "--format", "json")
    assert again.stderr == "" and json.loads(again.stdout) == timeline
    assert (
        invoke(runner, "--db", db, "sql", "select count(*) as n from requests", "--format", "csv").stdout
        == "n\n36056\n"
    )


def test_a_load_balancer_with_changes_but_no_logs(runner, tmp_path):
    path = tmp_path / "c.duckdb"
    with Database.open(str(path)) as db:
        insert(
            db,
            "changes",
            [
                {
                    "event_id": "e1",
                    "event_time": ts("2026-11-20T14:00:05"),
                    "event_name": "ModifyListener",
                    "lb": "lonely",
                    "actor": "arn:aws:iam::123456789012:user/bob",
                    "actor_kind": "cli",
                    "summary": "ModifyListener: HTTPS:443",
                    "category": "routing",
                    "targets": [],
                }
            ],
        )
    result = invoke(runner, "--db", path, "timeline", "--lb", "lonely", "--format", "json")
    document = json.loads(result.stdout)
    assert [(c["event_id"], c["suspicion"], c["evidence"]) for c in document["changes"]] == [
        ("e1", 0.0, ["the access logs of lonely do not cover the minutes around it, so its effect is unknown"])
    ]
    assert document["shifts"] == []
    assert document["notes"] == [
        "No requests of lonely in this window: load its access logs with `correlate ingest logs`."
    ]


def test_demo_timeline_and_report_agree(runner, tmp_path, monkeypatch):
    """One clock: the demo's timeline, the default timeline and the default report cover the same whole
    minutes of arrivals, rank the same changes with the same evidence, and the report's last minute
    is a full one."""
    from timeline_support import TEST_RATES

    from correlate.demo import run

    generate = run.generate
    monkeypatch.setattr(run, "generate", lambda kind, seed, root, rates=None: generate(kind, seed, root, TEST_RATES))
    db = tmp_path / "c.duckdb"
    demo = invoke(runner, "--db", db, "demo", "--out", tmp_path / "files", "--format", "json")
    assert demo.exit_code == 0, demo.stderr
    assert demo.stderr.splitlines()[-1] == (
        "Explore: correlate timeline --lb web-prod --since 2026-11-02T13:30Z --until 2026-11-02T14:20Z"
    )
    timeline = invoke(runner, "--db", db, "timeline", "--lb", "web-prod", "--format", "json")
    chosen = json.loads(timeline.stdout)
    # the demo names its scenario's window; without one the timeline finds the same as the one incident
    assert (chosen.pop("window_chosen"), chosen.pop("incidents")) == (
        True,
        [
            {
                "since": "2026-11-02T13:30:00Z",
                "until": "2026-11-02T14:20:00Z",
                "onset": "2026-11-02T14:00:00Z",
                "end": "2026-11-02T14:20:00Z",
                "recovered": False,
                "metrics": ["elb_5xx_rate", "p99_target_ms", "p50_target_ms"],
                "shown": True,
            }
        ],
    )
    given = json.loads(demo.stdout)
    assert (given.pop("window_chosen"), given.pop("incidents")) == (False, [])
    assert chosen == given
    assert (json.loads(demo.stdout)["since"], json.loads(demo.stdout)["until"]) == (
        "2026-11-02T13:30:00Z",
        "2026-11-02T14:20:00Z",
    )
    report = tmp_path / "review.md"
    assert invoke(runner, "--db", db, "report", "--lb", "web-prod", "-o", report).exit_code == 0
    text = report.read_text()
    assert "· window 2026-11-02 13:30 – 14:20 UTC ·" in text
    assert "`correlate timeline --lb web-prod --since 2026-11-02T13:30:00Z --until 2026-11-02T14:20:00Z" in text
    minutes = (tmp_path / "review_files" / "F6-minutes.csv").read_text().splitlines()
    assert (minutes[1][:20], minutes[-1][:20]) == ("2026-11-02T13:30:00Z", "2026-11-02T14:19:00Z")
    with Database.open(str(db), read_only=True) as database:
        ((last_minute, full_minute),) = database.query(
            """
            select
                count(*) filter (where arrived_at >= '2026-11-02 14:19:00'),
                count(*) filter (where arrived_at >= '2026-11-02 14:18:00' and arrived_at < '2026-11-02 14:19:00')
            from request_facts
            where lb = 'web-prod'
            """
        )[1]
    header = minutes[0].split(",")
    assert int(minutes[-1].split(",")[header.index("requests")]) == last_minute
    assert last_minute > full_minute / 2  # arrivals fill the last minute; responses after 14:20 are not cut off
