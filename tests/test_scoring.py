"""Suspicion of given changes against a known shift: p50/p99 latency of target group web triples at
13:30 (target group api stays as it was)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from timeline_support import API, START, WEB, cells

from correlate.analysis.evidence import RevertedBy, Reverts
from correlate.analysis.scoring import FAILED_CALL, score_changes
from correlate.analysis.series import build_series
from correlate.analysis.shifts import DetectionParameters, detect, metric_series
from correlate.model.change import Change
from correlate.present.evidence import evidence_line, evidence_lines


@pytest.fixture(scope="module")
def incident():
    back, front = cells(
        60, rate=lambda m: 600, latency_ms=lambda m, ip: 90.0 if m >= 30 and ip != "10.0.2.21" else 30.0
    )
    params = DetectionParameters()
    series = build_series("web-prod", back, front, START, START + dt.timedelta(minutes=59))
    metrics = metric_series(series, params)
    shifts = [shift for metric in metrics for shift in detect(series, metric, params)]
    return series, shifts, {(m.scope.key, m.metric): m for m in metrics}


def change(name: str, seconds: float, **values) -> Change:
    row = dict(
        event_id=f"{name}-{seconds}",
        event_time=START + dt.timedelta(seconds=seconds),
        event_name=name,
        lb="web-prod",
        actor="arn:aws:iam::123456789012:user/bob",
        actor_kind="cli",
        error_code=None,
        summary=name,
    )
    row.update(values)
    return Change(**row)


DEREGISTER_WEB = change(
    "DeregisterTargets", 1795, category="targets", target_group="web", target_group_arn=WEB, targets=("10.0.1.13",)
)
WEB_P99 = "p99 target latency 67 ms -> 200 ms (x3) (target group web)"
WEB_P50 = "p50 target latency 30 ms -> 90 ms (x3) (target group web)"


def scored(incident, *changes):
    series, shifts, metrics = incident
    return {s.change.event_id: s for s in score_changes(changes, shifts, series, metrics)}


def test_the_change_on_the_slice_that_moved_is_suspect(incident):
    (result,) = scored(incident, DEREGISTER_WEB).values()
    assert result.suspicion == 0.758
    assert evidence_lines(result) == (
        f"{WEB_P99} from 13:30, 1 min after (Mann-Whitney p<1e-6; 95% CI x2.9-x3.2)",
        f"{WEB_P50} from 13:30, 1 min after (Mann-Whitney p<1e-6; 95% CI x3-x3)",
        "p50 target latency 30 ms -> 90 ms (x3) (target 10.0.1.11:80) from 13:30, 1 min after "
        "(Mann-Whitney p<1e-6; 95% CI x2.9-x3)",
        "p50 target latency 30 ms -> 90 ms (x3) (target 10.0.1.12:80) from 13:30, 1 min after "
        "(Mann-Whitney p<1e-6; 95% CI x3-x3)",
    )
    best = result.explains[0]
    assert (best.shift.metric, best.shift.scope.key, best.timing, best.scope, best.affinity) == (
        "p99_target_ms",
        "target_group:web",
        1.0,
        1.0,
        0.9,
    )


def test_a_failed_call_changed_nothing(incident):
    failed = dataclasses.replace(DEREGISTER_WEB, event_id="failed", error_code="AccessDenied")
    result = scored(incident, failed)["failed"]
    assert result.suspicion == round(FAILED_CALL * 0.758, 3)
    assert evidence_lines(result) == ("the call failed (AccessDenied): nothing was changed",)


def test_tags_cannot_break_traffic(incident):
    result = scored(incident, change("AddTags", 1797, category="tags"))["AddTags-1797"]
    assert result.suspicion < 0.05
    assert evidence_lines(result) == ("tag changes do not change how traffic is served",)


def test_logging_only_attributes_are_implausible(incident):
    attributes = {"attribute_keys": ["access_logs.s3.enabled"]}
    result = scored(
        incident, change("ModifyLoadBalancerAttributes", 1799, category="lb_attributes", details=attributes)
    )["ModifyLoadBalancerAttributes-1799"]
    assert result.plausibility == 0.05 and result.suspicion < 0.05
    assert evidence_lines(result) == ("only logging or protection settings changed (access_logs.s3.enabled)",)


def test_a_change_on_the_sibling_target_group_is_not_suspect(incident):
    api = change("DeregisterTargets", 1798, category="targets", target_group="api", target_group_arn=API)
    result = scored(incident, api)["DeregisterTargets-1798"]
    assert result.suspicion < 0.5
    # the load balancer moved because web did: a sibling carries the move, on every slice
    assert "the change concerns target group api, not web" in evidence_lines(result)
    assert {(a.shift.scope.kind, a.scope) for a in result.explains if a.shift.kind == "health"} == {
        ("lb", 0.1),
        ("target_group", 0.1),
        ("target", 0.1),
    }


def test_a_shift_that_began_before_the_change_is_counter_evidence(incident):
    late = change("DeregisterTargets", 2400, category="targets", target_group="web", target_group_arn=WEB)
    result = scored(incident, late)["DeregisterTargets-2400"]
    assert result.suspicion == 0.0
    assert evidence_lines(result) == (
        f"counter-evidence: {WEB_P99} began at 13:30, 10 min before the change",
        "no metric of web-prod moved within 3 min after it",
    )


def test_health_check_changes_may_act_minutes_later(incident):
    """Interval 30 s x 5 checks: a shift 5 minutes later still fits a health-check change in full, but
    not a deregistration, whose effect is immediate."""
    check = change(
        "ModifyTargetGroup",
        1500,
        category="health_check",
        target_group="web",
        details={"health_check": {"interval": 30.0, "unhealthy_threshold": 5.0}},
    )
    early = dataclasses.replace(DEREGISTER_WEB, event_id="early", event_time=START + dt.timedelta(seconds=1501))
    results = scored(incident, check, early)
    assert results["ModifyTargetGroup-1500"].suspicion == 0.758
    assert results["ModifyTargetGroup-1500"].explains[0].timing == 1.0
    assert results["early"].explains[0].timing == pytest.approx(0.672, abs=0.001)
    assert results["early"].suspicion < results["ModifyTargetGroup-1500"].suspicion


def test_ranking_puts_the_culprit_first(incident):
    series, shifts, metrics = incident
    ranked = score_changes(
        [
            change("AddTags", 1797, category="tags"),
            dataclasses.replace(DEREGISTER_WEB, event_id="failed", error_code="AccessDenied"),
            DEREGISTER_WEB,
        ],
        shifts,
        series,
        metrics,
    )
    assert [r.change.event_id for r in ranked] == [DEREGISTER_WEB.event_id, "failed", "AddTags-1797"]


def ecs(seconds: float, action: str) -> Change:
    return change(
        "UpdateService",
        seconds,
        event_source="ecs.amazonaws.com",
        category="targets",
        target_group="web",
        target_group_arn=WEB,
        details={"service": "web", "cluster": "prod", "ecs_action": action},
    )


def test_an_ecs_deployment_explains_a_shift_minutes_later(incident):
    """A new task definition reaches the targets as ECS starts tasks, registers them and their health
    checks pass: 8 minutes later still fits in full, as new code that slows or breaks requests. The
    service role's RegisterTargets at the same moment fits less (5 minutes, and a registration)."""
    deploy = ecs(1320, "deployment")
    register = change(
        "RegisterTargets", 1321, category="targets", target_group="web", target_group_arn=WEB, targets=("10.0.1.17",)
    )
    results = scored(incident, deploy, register)
    best = results[deploy.event_id].explains[0]
    assert (best.shift.scope.key, best.timing, best.scope, best.affinity) == ("target_group:web", 1.0, 1.0, 0.9)
    assert results[deploy.event_id].suspicion == 0.758
    assert results[register.event_id].suspicion < 0.5


def test_ecs_scaling_reads_as_targets_leaving_or_joining(incident):
    scale_in = dataclasses.replace(ecs(1795, "scale_in"), event_id="in")
    scale_out = dataclasses.replace(ecs(1795, "scale_out"), event_id="out")
    unknown = dataclasses.replace(ecs(1795, "scale"), event_id="unknown")
    results = scored(incident, scale_in, scale_out, unknown)
    assert [results[key].explains[0].affinity for key in ("in", "out", "unknown")] == [0.9, 0.5, 0.9]
    # a deployment is given longer than a scale-in to show its effect
    late = dataclasses.replace(ecs(1320, "scale_in"), event_id="late")
    assert scored(incident, late)["late"].suspicion < 0.5


def test_an_ecs_update_that_starts_nothing_is_barely_plausible(incident):
    idle = ecs(1795, "none")
    result = scored(incident, idle)[idle.event_id]
    assert result.plausibility == 0.3 and result.suspicion < 0.5
    assert evidence_lines(result)[0] == "the call started no deployment and kept the desired count"


def feed_event(seconds: float, kind: str, **values) -> Change:
    """A change event of `correlate ingest changes`, as the change model places it."""
    category = kind.replace("-", "_")
    return change(
        kind,
        seconds,
        event_id=f"{kind}-{seconds}",
        origin="feed",
        category=category,
        actor_kind="github",
        attributed_by="feed",
        **values,
    )


def test_a_deploy_is_new_code_like_an_ecs_deployment(incident):
    """Eight minutes for a deploy of web to show, as for an ECS deployment; the same affinity."""
    deploy = feed_event(1320, "deploy", target_group="web", target_group_arn=WEB)
    result = scored(incident, deploy)[deploy.event_id]
    best = result.explains[0]
    assert (best.shift.scope.key, best.timing, best.scope, best.affinity) == ("target_group:web", 1.0, 1.0, 0.9)
    assert result.suspicion == 0.758
    # a feature flag acts at once: the same shift 8 minutes later does not fit it
    flag = feed_event(1320, "feature-flag", target_group="web", target_group_arn=WEB)
    assert scored(incident, flag)[flag.event_id].suspicion == 0.0


def test_a_rollout_with_an_end_time_is_given_until_then(incident):
    """A deploy that started 20 minutes before the shift: too early, unless it says it ran until 13:29."""
    started = START + dt.timedelta(minutes=10)
    early = feed_event(600, "deploy", target_group="web", target_group_arn=WEB)
    rolling = dataclasses.replace(early, event_id="rolling", end_time=started + dt.timedelta(minutes=19))
    results = scored(incident, early, rolling)
    assert results[early.event_id].suspicion == 0.0
    assert results["rolling"].suspicion == 0.758
    assert results["rolling"].explains[0].timing == 1.0


def test_an_event_that_names_no_part_has_load_balancer_scope(incident):
    """Named load balancer only: as a load-balancer-wide change. Placed on every load balancer (no
    hint at all): the same at half the scope, which alone stays below 0.5."""
    whole = feed_event(1795, "deploy")
    unscoped = dataclasses.replace(whole, event_id="unscoped", attributed_by="unscoped")
    results = scored(incident, whole, unscoped)
    best = {key: results[key].explains[0] for key in (whole.event_id, "unscoped")}
    assert [(b.shift.scope.key, b.scope) for b in best.values()] == [("lb", 1.0), ("lb", 0.5)]
    assert results[whole.event_id].suspicion == 0.752
    assert results["unscoped"].suspicion == 0.376


def test_a_lambda_change_the_load_balancer_does_not_invoke_is_barely_plausible(incident):
    details = {"function": "checkout", "invokes": ["checkout:live"], "invoked": False}
    code = change(
        "UpdateFunctionCode20150331v2",
        1795,
        category="deploy",
        target_group="web",
        target_group_arn=WEB,
        details=details,
    )
    result = scored(incident, code)[code.event_id]
    assert (result.plausibility, result.suspicion) == (0.2, round(0.2 * 0.758, 3))
    assert evidence_lines(result)[0] == "the load balancer invokes checkout:live, which this call did not change"


def test_evidence_times_carry_their_date_on_another_day_than_the_change():
    """The row gives the change's time (dated where the window's times are); a time in its evidence
    on another day says which."""
    late = change("ModifyListener", 3600 * 10 + 1700, actor_name="user/bob")  # 23:28:20, the day of START
    undo = change("ModifyListener", 3600 * 11 + 1925, actor_name="user/alice")  # 00:32:05, the next day
    assert evidence_line(RevertedBy(undo, False, None), late.event_time) == (
        "reverted at 2026-11-21 00:32:05 by user/alice (ModifyListener)"
    )
    assert evidence_line(Reverts(late), undo.event_time) == (
        "reverts the change at 2026-11-20 23:28:20 (ModifyListener by user/bob): sets it back as it was"
    )
    assert evidence_line(Reverts(late), late.event_time + dt.timedelta(minutes=20)) == (
        "reverts the change at 23:28:20 (ModifyListener by user/bob): sets it back as it was"
    )
