"""The timeline beyond access logs: CloudWatch's metrics (alone, or beside the logs as extra evidence)
and an NLB's TLS logs, on the demo's incidents, through the same paths as `correlate ingest metrics
FILE`, `correlate ingest logs` and `correlate ingest cloudtrail`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, invoke, ts
from timeline_support import TEST_RATES

from correlate.analysis.episodes import Episode, Stretch
from correlate.analysis.evidence import Coverage
from correlate.analysis.timeline import SUSPECT, Timeline, build_timeline
from correlate.demo import DemoFiles, Rates, generate, scenario
from correlate.demo.run import load_trail
from correlate.demo.scenarios import BASIC_KINDS
from correlate.pipeline.logs import LogsOptions, load_logs
from correlate.pipeline.metrics import ingest_metric_files
from correlate.present.document import timeline_document, timeline_from_document
from correlate.present.evidence import evidence_lines, note_line
from correlate.store.database import Database
from correlate.store.metrics import MetricsStore

NO_ACCESS_LOGS = "no access logs: per-target and per-path slices unavailable"


def write(kind: str, root: Path, rates: Rates, *, logs: bool, metrics: bool) -> DemoFiles:
    """The subject load balancer's logs (in day-long files, to load fast) and/or its CloudWatch document."""
    return generate(kind, 1, root, rates, file_minutes=1440, only=scenario(kind, 1).subject, logs=logs, metrics=metrics)


def load(db: Database, files: DemoFiles, *, logs: bool = True, metrics: bool = True) -> Timeline:
    """Load what was asked of `files`, then the trail, and build the subject's timeline."""
    if logs and files.log_files:
        load_logs(db, LogsOptions((str(files.root / "AWSLogs"),)))
    if metrics and files.metric_files:
        ingest_metric_files(MetricsStore(db), [str(path) for path in files.metric_files])
    load_trail(db, files)
    story = files.scenario
    return build_timeline(db, story.subject, story.start, story.end)


def ranking(timeline: Timeline) -> list[tuple[str, float]]:
    return [(scored.change.event_name, scored.suspicion) for scored in timeline.changes]


@pytest.mark.parametrize("kind", list(BASIC_KINDS))
def test_metrics_alone_rank_the_culprit_first(db, tmp_path, kind):
    """`correlate demo --no-access-logs`: every textbook incident from the one-minute metrics CloudWatch
    would hold for it (at the demo's own traffic), loaded as a GetMetricData document; the surge has no
    culprit."""
    timeline = load(db, write(kind, tmp_path, Rates(), logs=False, metrics=True))
    assert timeline.coverage == Coverage(("CloudWatch",), ("access_logs",))
    assert {shift.source for shift in timeline.shifts} == {"CloudWatch"}
    culprit = scenario(kind, 1).culprit
    if culprit is None:
        assert all(scored.suspicion < SUSPECT for scored in timeline.changes), ranking(timeline)
        assert any(note_line(note).startswith("Unexplained at ") for note in timeline.notes)
        return
    top = timeline.changes[0]
    assert (top.change.event_name, top.change.event_time) == (culprit.call.event_name, culprit.call.at)
    assert top.suspicion >= SUSPECT, ranking(timeline)
    assert all(scored.suspicion < SUSPECT for scored in timeline.changes[1:]), ranking(timeline)


def test_without_a_window_cloudwatch_alone_finds_the_incident(db, tmp_path):
    """No --since/--until: the stretches of data and the incident come from CloudWatch's request count
    when there are no access logs."""
    load(db, write("deregistered-targets", tmp_path, Rates(), logs=False, metrics=True))
    timeline = build_timeline(db, "web-prod")
    assert (timeline.chosen, timeline.since, timeline.until) == (True, ts("2026-11-02T13:30"), ts("2026-11-02T14:20"))
    assert timeline.stretches == (Stretch(ts("2026-11-02T13:30"), ts("2026-11-02T14:20")),)
    assert timeline.incidents == (
        Episode(
            ts("2026-11-02T13:30"), ts("2026-11-02T14:20"), ts("2026-11-02T14:00"), ts("2026-11-02T14:20"), False,
            ("elb_5xx_rate", "p50_target_ms"),
        ),
    )  # fmt: skip
    assert timeline.coverage == Coverage(("CloudWatch",), ("access_logs",))
    assert ranking(timeline)[0] == ("DeregisterTargets", 0.941)


@pytest.fixture(scope="module")
def fail_open(tmp_path_factory) -> DemoFiles:
    return write("fail-open", tmp_path_factory.mktemp("fail-open"), TEST_RATES, logs=True, metrics=True)


def test_only_cloudwatch_shows_a_failed_open_health_check(fail_open):
    """Every web target fails the new health check and ALB fails open: the access logs see nothing until
    a new task passes the check ten minutes later and takes all of web's traffic alone. From the logs,
    the registration looks like the cause; CloudWatch's host counts, which jumped right after the
    health-check change, put the culprit first."""
    with Database.open(":memory:") as db:
        logs_only = load(db, fail_open, metrics=False)
    assert ranking(logs_only)[:2] == [("RegisterTargets", 0.73), ("UpdateService", 0.4)]
    assert logs_only.coverage == Coverage(("access logs",), ("cloudwatch",))
    with Database.open(":memory:") as db:
        both = load(db, fail_open)
    assert ranking(both)[:2] == [("ModifyTargetGroup", 1.0), ("RegisterTargets", 0.73)]
    assert both.changes[0].change.event_time == scenario("fail-open", 1).culprit.call.at
    assert evidence_lines(both.changes[0]) == (
        "UnHealthyHostCount 0 -> 6 (CloudWatch) in target group web from 14:01, 1 min after (Mann-Whitney p<1e-6)",
        "HealthyHostCount 6 -> 0.2 (CloudWatch) in target group web from 14:01, 1 min after (Mann-Whitney p<1e-6)",
    )
    assert both.coverage == Coverage(("access logs", "CloudWatch"))


@pytest.fixture(scope="module")
def nlb_incident(tmp_path_factory) -> DemoFiles:
    return write("nlb-tls-policy", tmp_path_factory.mktemp("nlb"), TEST_RATES, logs=True, metrics=True)


def test_an_nlb_tls_policy_from_its_own_logs(nlb_incident):
    """The partner integration's TLS 1.2 clients fail their handshakes after the listener moves to a
    TLS 1.3-only policy: the NLB's TLS logs show it overall, in the partner's networks and in the
    cipher mix."""
    with Database.open(":memory:") as db:
        timeline = load(db, nlb_incident, metrics=False)
    assert ranking(timeline) == [
        ("ModifyListener", 1.0),
        ("ModifyLoadBalancerAttributes", 0.246),
        ("ModifyListener", 0.02),
        ("AddTags", 0.001),
    ]
    assert timeline.changes[0].change.error_code is None
    assert evidence_lines(timeline.changes[0]) == (
        "failed TLS handshake rate 0.0% -> 96.8% (+96.8 pp) (NLB TLS logs) in clients in 198.51.100.0/24 from 14:00, "
        "the minute of the change (chi-square p<1e-6)",
        "failed TLS handshake rate 0.0% -> 98.4% (+98.4 pp) (NLB TLS logs) in clients in 203.0.113.0/24 from 14:00, "
        "the minute of the change (chi-square p<1e-6)",
        "failed TLS handshake rate 0.0% -> 29.1% (+29.1 pp) (NLB TLS logs) from 14:00, the minute of the change "
        "(chi-square p<1e-6)",
        "share of cipher ECDHE-RSA-AES128-GCM-SHA256 (NLB TLS logs) 14.8% -> 0.0% (-14.8 pp) from 14:01, 1 min after "
        "(chi-square p<1e-6)",
    )
    assert timeline.coverage == Coverage(("NLB TLS logs",), ("cloudwatch_nlb",))


def test_an_nlb_tls_policy_from_cloudwatch_alone(db, nlb_incident):
    timeline = load(db, nlb_incident, logs=False)
    assert ranking(timeline)[:2] == [("ModifyListener", 1.0), ("ModifyLoadBalancerAttributes", 0.2)]
    assert evidence_lines(timeline.changes[0]) == (
        "ClientTLSNegotiationErrorCount 0.0/min -> 89/min (from nothing) (CloudWatch) from 14:00, the minute of the "
        "change (Mann-Whitney p<1e-6)",
    )
    assert timeline.coverage == Coverage(("CloudWatch",), ("tls_logs",))


def test_the_json_and_the_table_say_which_evidence_was_used(runner, tmp_path):
    """An extra key beside the contract's (`sources`), each shift's `source`, and a line under the table."""
    path = tmp_path / "m.duckdb"
    result = invoke(runner, "--db", path, "demo", "--kind", "bad-health-check", "--no-access-logs", "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "bad-health-check (seed 1): Health check moved to a path half of the targets do not serve. Wrote 2 "
        f"CloudWatch metric files under {tmp_path}/cloudwatch and 4 CloudTrail files under {tmp_path}/AWSLogs."
    )
    assert lines[1].startswith("CloudWatch: 2 files: web-prod (alb), legacy-web (clb): 52 series, ")
    with Database.open(str(path), read_only=True) as db:
        # no access logs or inventory: the health-check change reaches web-prod through CloudWatch's
        # target-group series of it
        assert db.query("select lb, attributed_by from changes where event_name = 'ModifyTargetGroup'")[1] == [
            ("web-prod", "cloudwatch")
        ]
    document = json.loads(invoke(runner, "--db", path, "timeline", "--lb", "web-prod", "--format", "json").stdout)
    assert document["sources"] == {"used": ["CloudWatch"], "missing": [NO_ACCESS_LOGS]}
    assert {shift["source"] for shift in document["shifts"]} == {"CloudWatch"}
    assert document["changes"][0]["event_name"] == "ModifyTargetGroup"
    assert document["changes"][0]["evidence"][0] == (
        "UnHealthyHostCount 0 -> 3 (CloudWatch) in target group web from 14:01, 1 min after (Mann-Whitney p<1e-6)"
    )
    read_back = timeline_from_document(document)
    assert read_back.coverage == Coverage(("CloudWatch",), (NO_ACCESS_LOGS,))
    assert timeline_document(read_back)["sources"] == document["sources"]
    table = invoke(runner, "--db", path, "timeline", "--lb", "web-prod", "--format", "table").stdout
    assert table.endswith(f"Evidence: CloudWatch.\nMissing: {NO_ACCESS_LOGS}.\n")
    review = tmp_path / "review.md"
    assert invoke(runner, "--db", path, "report", "--lb", "web-prod", "-o", review).exit_code == 0
    text = review.read_text()
    assert "> First draft, built from the CloudWatch metrics and CloudTrail records in the database." in text
    assert (
        "No access logs cover this window: the request, error and latency figures are empty. The trigger candidates "
        "and the timeline come from CloudWatch's one-minute metrics."
    ) in text
    assert f"- Evidence: CloudWatch.\n- Missing: {NO_ACCESS_LOGS}.\n" in text


def test_a_network_load_balancer_gets_a_timeline_from_its_logs(runner, tmp_path):
    """NLB TLS logs alone (four connections years apart) make a timeline: no shift, and what is missing."""
    path = tmp_path / "n.duckdb"
    assert invoke(runner, "--db", path, "ingest", "logs", FIXTURES / "nlb").exit_code == 0
    result = invoke(runner, "--db", path, "timeline", "--lb", "my-network-loadbalancer", "--format", "json")
    assert (result.exit_code, result.stderr) == (0, "")
    document = json.loads(result.stdout)
    assert (document["changes"], document["shifts"]) == ([], [])
    assert document["sources"] == {
        "used": ["NLB TLS logs"],
        "missing": ["no CloudWatch metrics: host counts unavailable"],
    }
    assert document["notes"][0] == (
        "No configuration changes recorded for my-network-loadbalancer in this window. Load CloudTrail with "
        "`correlate ingest cloudtrail` to rank changes."
    )
