"""What the report reads out of a timeline: its typed form, the incident period, the rollback."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import ts

from correlate.analysis.episodes import Incident, MetricRecovery, find_incident
from correlate.analysis.evidence import Stated
from correlate.analysis.scoring import ScoredChange
from correlate.analysis.series import Scope
from correlate.analysis.shifts import Shift
from correlate.errors import BadTimeline
from correlate.model.change import Change
from correlate.present.document import timeline_document, timeline_from_document
from correlate.report.analysis import Rollback, find_rollback
from correlate.report.timeline import load_timeline


@pytest.fixture
def scenario_timeline(report_scenario):
    """A fresh copy of the scenario's timeline JSON each time it is called."""
    return lambda: json.loads(report_scenario.timeline_file.read_text())


def shift(metric: str, at: str, before: float, after: float, scope: str = "lb", **extra) -> Shift:
    kind, _, value = scope.partition(":")
    return Shift(metric, Scope(kind, value or None), ts(at), before, after, **extra)


def test_the_contract_shape_reads_into_records(scenario_timeline):
    timeline = timeline_from_document(scenario_timeline())
    assert timeline.lb == "shop-alb"
    assert (timeline.since, timeline.until) == (ts("2026-11-20T13:40:00Z"), ts("2026-11-20T14:40:00Z"))
    assert [c.suspicion for c in timeline.changes] == [0.91, 0.34, 0.02, 0.0]
    assert timeline.changes[0] == ScoredChange(
        change=Change(
            event_id="1f0c9a4e-0002-4c3b-9d1e-7a1b2c3d4e02",
            event_time=ts("2026-11-20T14:05:12Z"),
            event_name="RegisterTargets",
            lb="shop-alb",
            actor="arn:aws:iam::123456789012:user/bob",
            actor_kind="terraform",
            summary="registered 1 target (10.0.20.23:9000) in api",
            error_code=None,
        ),
        suspicion=0.91,
        evidence=(
            Stated("p99 target latency 110 ms -> 3,600 ms (x33) from 14:06, 1 min after"),
            Stated("5xx rate 0.3% -> 6.9% from 14:06, 1 min after"),
            Stated("the 502s come from 10.0.20.23:9000, the target it registered"),
        ),
        applied=1.0,  # not stated: taken as applied
        plausibility=1.0,
    )
    assert timeline.suspect == timeline.changes[0]
    assert timeline.shifts[0] == shift("p99_target_ms", "2026-11-20T14:06:00Z", 110.0, 3600.0, family="latency")
    assert timeline_from_document(timeline_document(timeline)) == timeline


def test_extra_fields_are_read_where_known_and_ignored_otherwise(scenario_timeline):
    data = scenario_timeline() | {"notes": ["x"], "bucket_minutes": 1}
    data["changes"][0] |= {"suspicion": 0.4, "explains": []}
    data["shifts"][0] |= {"worse": True, "unit": "ms", "p_value": 0.0001}
    timeline = timeline_from_document(data)
    assert timeline.suspect is None  # nothing reaches 0.5
    assert (timeline.shifts[0].worse, timeline.shifts[0].unit) == (True, "ms")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.pop("lb"),
            "t.json: the top level.lb: expected text, found nothing",
        ),
        (
            lambda d: d["changes"][1].update(suspicion=1.5),
            "t.json: changes[1].suspicion: 1.5 is outside 0.0..1.0",
        ),
        (
            lambda d: d["changes"][0].update(event_time="yesterday"),
            "t.json: changes[0].event_time: 'yesterday' is not an ISO 8601 time",
        ),
        (
            lambda d: d["shifts"][2].update(before="3600"),
            "t.json: shifts[2].before: expected a number, found text",
        ),
        (
            lambda d: d.update(shifts={}),
            "t.json: shifts: expected a list, found an object",
        ),
        (
            lambda d: d["changes"][0].update(evidence="one line"),
            "t.json: changes[0].evidence: expected a list of text",
        ),
    ],
)
def test_a_malformed_timeline_names_the_field(scenario_timeline, change, message):
    data = scenario_timeline()
    change(data)
    with pytest.raises(BadTimeline) as error:
        timeline_from_document(data, "t.json")
    assert str(error.value) == (
        message + ". A timeline is the output of correlate timeline --format json (see docs/scoring.md)."
    )


def test_timeline_files(scenario_timeline, tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(scenario_timeline()))
    assert load_timeline(good).lb == "shop-alb"
    bad = tmp_path / "bad.json"
    bad.write_text('{"lb": "x",\n  oops}')
    with pytest.raises(BadTimeline) as error:
        load_timeline(bad)
    assert str(error.value) == (
        f"{bad} (line 2) is not JSON. Save a timeline with: correlate timeline --lb LB --format json > bad.json"
    )
    with pytest.raises(BadTimeline) as error:
        load_timeline(tmp_path / "missing.json")
    assert str(error.value) == f"Cannot read the timeline {tmp_path / 'missing.json'}: No such file or directory."


# -- the incident ---------------------------------------------------------------------------------


def test_an_incident_runs_from_the_first_worse_shift_to_the_last_recovery():
    up_latency = shift("p99_target_ms", "2026-11-20T14:06:00Z", 100, 900)
    up_errors = shift("error_rate", "2026-11-20T14:07:00Z", 0.001, 0.05)
    worse_still = shift("p99_target_ms", "2026-11-20T14:10:00Z", 900, 2000)
    partly_back = shift("p99_target_ms", "2026-11-20T14:20:00Z", 2000, 1200)  # not halfway back to 100
    back = shift("p99_target_ms", "2026-11-20T14:30:00Z", 1200, 110)
    errors_back = shift("error_rate", "2026-11-20T14:25:00Z", 0.05, 0.002)
    late = shift("p50_target_ms", "2026-11-20T14:15:00Z", 50, 80)  # after the onset spread: not the onset
    incident = find_incident([back, errors_back, up_errors, partly_back, worse_still, late, up_latency])
    assert incident == Incident(
        onset=ts("2026-11-20T14:06:00Z"),
        recovery=ts("2026-11-20T14:30:00Z"),
        metrics=(MetricRecovery(up_latency, 2000, back), MetricRecovery(up_errors, 0.05, errors_back)),
    )


def test_an_incident_without_recovery_and_none_at_all():
    up = shift("p99_target_ms", "2026-11-20T14:06:00Z", 100, 900)
    assert find_incident([up]) == Incident(ts("2026-11-20T14:06:00Z"), None, (MetricRecovery(up, 900, None),))
    traffic = shift("requests", "2026-11-20T14:00:00Z", 100, 300)
    faster = shift("p99_target_ms", "2026-11-20T14:00:00Z", 100, 50)
    assert find_incident([traffic, faster]) is None
    assert find_incident([]) is None


def test_the_timelines_own_verdict_wins_and_the_whole_load_balancer_comes_first():
    slice_first = shift("p99_target_ms", "2026-11-20T14:01:00Z", 10, 90, scope="target:10.0.0.1:80")
    traffic_drop = shift("requests_per_min", "2026-11-20T14:05:00Z", 300, 20, worse=True, unit="per_min")
    tls_up = shift("tls_share", "2026-11-20T14:03:00Z", 0.1, 0.2, scope="lb", worse=None)
    traffic_back = shift("requests_per_min", "2026-11-20T14:20:00Z", 20, 290, worse=False, unit="per_min")
    incident = find_incident([slice_first, traffic_drop, tls_up, traffic_back])
    assert incident == Incident(
        onset=ts("2026-11-20T14:05:00Z"),
        recovery=ts("2026-11-20T14:20:00Z"),
        metrics=(MetricRecovery(traffic_drop, 20, traffic_back),),
    )
    assert find_incident([slice_first]).onset == ts("2026-11-20T14:01:00Z")


# -- the rollback ---------------------------------------------------------------------------------


def change_row(event_id: str, at: str, event_name: str, **fields) -> Change:
    base = {
        "event_id": event_id,
        "event_time": ts(at),
        "event_name": event_name,
        "lb": "shop-alb",
        "actor": "arn:aws:iam::123456789012:user/alice",
        "actor_kind": "console",
    }
    return Change(**(base | fields))


def suspect_of(row: Change) -> ScoredChange:
    return ScoredChange(row, 0.9, (), 1.0, 1.0)


def test_deregistering_the_registered_target_is_a_rollback():
    register = change_row("r", "2026-11-20T14:05:00Z", "RegisterTargets", target_group="api", targets=("10.0.0.9",))
    failed = dataclasses.replace(register, event_id="f", event_time=ts("2026-11-20T14:10:00Z"))
    failed = dataclasses.replace(failed, event_name="DeregisterTargets", error_code="AccessDenied")
    other = change_row("o", "2026-11-20T14:12:00Z", "DeregisterTargets", target_group="api", targets=("10.0.0.1",))
    undo = change_row("u", "2026-11-20T14:30:00Z", "DeregisterTargets", target_group="api", targets=("10.0.0.9",))
    earlier = change_row("e", "2026-11-20T14:00:00Z", "DeregisterTargets", target_group="api", targets=("10.0.0.9",))
    changes = [earlier, register, failed, other, undo]
    assert find_rollback(suspect_of(register), changes) == Rollback(
        undo, "DeregisterTargets of 10.0.0.9 undoes the RegisterTargets"
    )
    assert find_rollback(suspect_of(register), [register, other]) is None
    assert find_rollback(None, changes) is None


def test_setting_the_same_fields_back_is_a_rollback():
    def modify(event_id: str, at: str, before: str, after: str, port: int = 443) -> Change:
        return change_row(
            event_id,
            at,
            "ModifyListener",
            category="listener_tls",
            listener_port=port,
            details={"fields": [{"field": "ssl_policy", "before": before, "after": after}]},
        )

    suspect = modify("s", "2026-11-20T14:05:00Z", "TLS13-1-2-2021-06", "TLS13-1-3-2021-06")
    further = modify("f", "2026-11-20T14:10:00Z", "TLS13-1-3-2021-06", "TLS13-1-3-FIPS-2023-04")
    elsewhere = modify("x", "2026-11-20T14:12:00Z", "TLS13-1-3-2021-06", "TLS13-1-2-2021-06", port=8443)
    back = modify("b", "2026-11-20T14:20:00Z", "TLS13-1-3-FIPS-2023-04", "TLS13-1-2-2021-06")
    assert find_rollback(suspect_of(suspect), [suspect, further, elsewhere, back]) == Rollback(
        back, "ModifyListener sets ssl_policy back to the value before the suspect change"
    )
    assert find_rollback(suspect_of(suspect), [suspect, further, elsewhere]) is None


def test_removing_the_added_tags_undoes_on_the_same_object():
    add = change_row("a", "2026-11-20T14:05:00Z", "AddTags", category="tags")
    remove = change_row("r", "2026-11-20T14:06:00Z", "RemoveTags", category="tags")
    elsewhere = change_row("x", "2026-11-20T14:07:00Z", "RemoveTags", category="tags", target_group="api")
    assert find_rollback(suspect_of(add), [add, elsewhere, remove]) == Rollback(remove, "RemoveTags undoes the AddTags")
