"""Suspicion: how strongly the evidence says a change moved a metric of its load balancer.

For each change and each detected shift, an explanation score multiplies four factors:

- timing: 1 when the shift starts in the bucket of the change or within the lag the change type
  allows (health checks need interval x threshold, registered targets 5 minutes, an ECS deployment 8;
  everything else acts within about 3 minutes),
  fading to 0 at twice that lag; 0 when the shift began in a bucket before the change;
- scope: 1 when the slice that moved is the change's own (its target group, targets, listener),
  lower for the whole load balancer when the change concerns a part of it (0.3 when that part did
  not move), 0.1 for a sibling slice (another target group, another listener);
- affinity: how plausibly this kind of change moves this metric in this direction (a
  DeregisterTargets explains target-group latency going up, not a TLS-mix shift);
- quality: 0.7 + 0.3 x the shift's strength (its size, 0..1); only shifts that passed their
  significance test exist at all.

The best explanation in each metric family (latency, errors, client errors, traffic, TLS mix) is
kept; the best family counts in full and the second adds half of what is left:
`E = e1 + 0.5 * e2 * (1 - e1)`. Shifts for the better (a recovery) and shifts in how requests spread
over targets (distribution) can add at most 0.4 on their own: they show the change took effect, not
that it broke anything. Then

    suspicion = applied x plausibility x E

where applied is 0.02 for a call that failed (it changed nothing) and plausibility is below 1 for
changes that cannot move traffic by themselves (tags 0.03, logging-only attributes 0.05, a Classic
policy not yet attached to a listener 0.3, an ECS UpdateService that starts nothing 0.3, a Lambda
version the load balancer does not invoke 0.2, a change no request went through: 0.1). Deploys,
config pushes and flag flips (CodeDeploy, Lambda, Auto Scaling, change events) score as an ECS
deployment does: new code.

Blame only the cause: a change inside a worsening that began before it is credited only with what was
still to come (`episode_root`, `_already_moved`); a worsening that builds up is timed from where it
began (`departure`); a target-group change does not gain from wider slices a sibling group moved; a
change of a part no request went through (`unreached_part`) explains nothing; reverts are paired and
returns to the first level are recoveries (analysis/shifts.py). docs/scoring.md explains the same
with examples.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from correlate.analysis.evidence import (
    AlreadyMoved,
    BeganBefore,
    Caveat,
    EarlyInBucket,
    Evidence,
    Failed,
    Implausible,
    Moved,
    NoLogs,
    NothingMoved,
    OtherKinds,
    OtherPart,
    QuietPart,
    RevertedBy,
    Reverts,
    Spread,
    Unreached,
)
from correlate.analysis.series import ACCESS_LOGS, Scope, SeriesSet
from correlate.analysis.shifts import INVERTED, MetricSeries, Shift, level_scale, robust_sigma, value_between
from correlate.model.change import Change
from correlate.model.feed import UNSCOPED

FAILED_CALL = 0.02
UNREACHED = 0.1  # plausibility of a change no request went through (`unreached_part`)
RECOVERY_CAP = 0.4
DISTRIBUTION_CAP = 0.4
IMMEDIATE_LAG = 180.0  # seconds: the API applies a change within seconds; logs are per minute
REGISTRATION_LAG = 300.0  # a registered target waits for its health checks
DEPLOYMENT_LAG = 480.0  # an ECS deployment starts tasks, which then register and pass their health checks
OTHER_LAG = 600.0
UNSCOPED_SCOPE = 0.5  # a change event that names no part: load-balancer scope, at this factor
NOT_INVOKED = 0.2  # a Lambda change to a version the load balancer does not invoke
# Change kinds that bring new behaviour to the targets, as an ECS deployment does (new code, config, a flag).
_NEW_CODE = {"deploy", "config", "feature_flag"}
# Stickiness, the routing algorithm and slow start change where requests go as clients come back and
# sessions pile up: their effect builds over minutes.
GRADUAL_LAG = 600.0
_GRADUAL_ATTRIBUTES = ("stickiness.", "load_balancing.algorithm.", "slow_start.")

# How plausibly each kind of change moves each metric family: {family: {kind: (rise, fall)}}, and one
# value for the families whose direction tells nothing apart (the share of TLS clients; how requests
# spread over target groups and targets, whatever the metric: a distribution shift). A new metric
# family is one entry here. The kinds are the change categories, with targets split into leaving,
# joining and an ECS deployment (new code).
AFFINITY: dict[str, dict[str, tuple[float, float] | float]] = {
    "latency": {
        "targets_out": (0.9, 0.3),
        "targets_in": (0.5, 0.6),
        "deployment": (0.9, 0.6),
        "routing": (0.7, 0.5),
        "listener_tls": (0.1, 0.1),
        "certificate": (0.1, 0.1),
        "health_check": (0.9, 0.4),
        "lb_attributes": (0.7, 0.7),
        "target_group_attributes": (0.7, 0.4),
        "security": (0.4, 0.1),
        "waf": (0.2, 0.1),
        "lifecycle": (0.6, 0.4),
    },
    "errors": {
        "targets_out": (0.9, 0.2),
        "targets_in": (0.6, 0.5),
        "deployment": (0.9, 0.5),
        "routing": (0.95, 0.6),
        "listener_tls": (0.3, 0.1),
        "certificate": (0.3, 0.1),
        "health_check": (0.9, 0.5),
        "lb_attributes": (0.85, 0.4),
        "target_group_attributes": (0.7, 0.4),
        "security": (0.9, 0.3),
        "waf": (0.3, 0.1),
        "lifecycle": (0.9, 0.4),
    },
    "client_errors": {
        "targets_out": (0.2, 0.1),
        "targets_in": (0.3, 0.1),
        "deployment": (0.6, 0.3),
        "routing": (0.8, 0.4),
        "listener_tls": (0.3, 0.1),
        "certificate": (0.3, 0.1),
        "health_check": (0.1, 0.1),
        "lb_attributes": (0.6, 0.3),
        "target_group_attributes": (0.2, 0.1),
        "security": (0.3, 0.1),
        "waf": (0.95, 0.4),
        "lifecycle": (0.6, 0.4),
    },
    "traffic": {
        "targets_out": (0.05, 0.1),
        "targets_in": (0.05, 0.1),
        "deployment": (0.1, 0.2),
        "routing": (0.5, 0.6),
        "listener_tls": (0.3, 0.9),
        "certificate": (0.2, 0.8),
        "health_check": (0.05, 0.1),
        "lb_attributes": (0.2, 0.4),
        "target_group_attributes": (0.05, 0.1),
        "security": (0.1, 0.9),
        "waf": (0.2, 0.6),
        "lifecycle": (0.9, 0.9),
    },
    "tls_mix": {
        "targets_out": 0.0,
        "targets_in": 0.0,
        "deployment": 0.0,
        "routing": 0.05,
        "listener_tls": 1.0,
        "certificate": 0.8,
        "health_check": 0.0,
        "lb_attributes": 0.2,
        "target_group_attributes": 0.0,
        "security": 0.3,
        "waf": 0.0,
        "lifecycle": 0.5,
    },
    "distribution": {
        "targets_out": 1.0,
        "targets_in": 1.0,
        "deployment": 1.0,
        "routing": 1.0,
        "listener_tls": 0.2,
        "certificate": 0.1,
        "health_check": 1.0,
        "lb_attributes": 0.3,
        "target_group_attributes": 0.8,
        "security": 0.3,
        "waf": 0.2,
        "lifecycle": 1.0,
    },
    # CloudWatch's host counts: the rise is targets turning unhealthy or leaving (the healthy count
    # falling reads as the rise, shifts.INVERTED)
    "hosts": {
        "targets_out": (0.9, 0.3),
        "targets_in": (0.3, 0.9),
        "deployment": (0.9, 0.7),
        "routing": (0.05, 0.05),
        "listener_tls": (0.0, 0.0),
        "certificate": (0.0, 0.0),
        "health_check": (1.0, 0.7),
        "lb_attributes": (0.1, 0.1),
        "target_group_attributes": (0.4, 0.2),
        "security": (0.8, 0.4),
        "waf": (0.0, 0.0),
        "lifecycle": (0.6, 0.6),
    },
    # the surge queue, spillover and rejected connections: too few targets for the load
    "capacity": {
        "targets_out": (0.8, 0.3),
        "targets_in": (0.3, 0.7),
        "deployment": (0.8, 0.5),
        "routing": (0.5, 0.3),
        "listener_tls": (0.1, 0.1),
        "certificate": (0.1, 0.1),
        "health_check": (0.8, 0.4),
        "lb_attributes": (0.6, 0.4),
        "target_group_attributes": (0.5, 0.3),
        "security": (0.5, 0.2),
        "waf": (0.1, 0.1),
        "lifecycle": (0.6, 0.4),
    },
    # client TLS negotiation errors, an NLB's failed handshakes
    "tls_errors": {
        "targets_out": (0.0, 0.0),
        "targets_in": (0.0, 0.0),
        "deployment": (0.0, 0.0),
        "routing": (0.05, 0.05),
        "listener_tls": (1.0, 0.6),
        "certificate": (0.9, 0.6),
        "health_check": (0.0, 0.0),
        "lb_attributes": (0.2, 0.1),
        "target_group_attributes": (0.0, 0.0),
        "security": (0.2, 0.1),
        "waf": (0.05, 0.05),
        "lifecycle": (0.5, 0.3),
    },
    # an NLB's TLS handshake times
    "handshake": {
        "targets_out": (0.0, 0.0),
        "targets_in": (0.0, 0.0),
        "deployment": (0.0, 0.0),
        "routing": (0.0, 0.0),
        "listener_tls": (0.8, 0.6),
        "certificate": (0.8, 0.6),
        "health_check": (0.0, 0.0),
        "lb_attributes": (0.2, 0.2),
        "target_group_attributes": (0.0, 0.0),
        "security": (0.1, 0.1),
        "waf": (0.0, 0.0),
        "lifecycle": (0.3, 0.3),
    },
}
# Kinds of change that move no family in particular, and the kind an unknown category counts as.
UNIFORM_AFFINITY = {"tags": 0.05, "other": 0.4}
_LB_WIDE = {"lb_attributes", "security", "waf", "lifecycle"}
_INERT_ATTRIBUTES = ("access_logs.", "deletion_protection.", "connection_logs.", "health_check_logs.", "accesslog")
HEALTH_CHECK_DEFAULTS = {"interval": 30.0, "unhealthy_threshold": 2.0, "healthy_threshold": 5.0}


@dataclass(frozen=True, slots=True)
class Attribution:
    """How well one change explains one shift, and the factors behind the score."""

    shift: Shift
    score: float
    timing: float
    scope: float
    affinity: float
    quality: float
    lag_seconds: float
    notes: tuple[Caveat, ...] = ()  # what lowered the score


@dataclass(frozen=True, slots=True)
class ScoredChange:
    change: Change
    suspicion: float
    evidence: tuple[Evidence, ...]  # present/evidence.py writes the words
    applied: float
    plausibility: float
    explains: tuple[Attribution, ...] = field(default=())  # best first, score >= 0.05


def score_changes(
    changes: Sequence[Change],
    shifts: Sequence[Shift],
    series: SeriesSet,
    metrics: dict[tuple[str, str], MetricSeries],
) -> list[ScoredChange]:
    """Every change with its suspicion and evidence, most suspect first (ties: oldest first)."""
    scored = [score_change(change, shifts, series, metrics) for change in changes]
    scored = _with_reverts(scored, shifts, series)
    return sorted(scored, key=lambda s: (-s.suspicion, s.change.event_time, s.change.event_id))


def _with_reverts(scored: list[ScoredChange], shifts: Sequence[Shift], series: SeriesSet) -> list[ScoredChange]:
    """Each revert in the window says which change it undoes, and that change who undid it and the
    recovery that followed (within the revert's allowed lag)."""
    by_id = {s.change.event_id: s.change for s in scored}
    undone: dict[str, Change] = {s.change.reverts: s.change for s in scored if s.change.reverts in by_id}
    paired = []
    for item in scored:
        change = item.change
        added: list[Evidence] = []
        if change.reverts in by_id:
            added.append(Reverts(by_id[change.reverts]))
        later = undone.get(change.event_id)
        if later is not None:
            window = dt.timedelta(seconds=lag_allowed(later) + 60 * series.bucket_minutes)
            recoveries = [
                s
                for s in shifts
                if s.kind == "health" and s.worse is False and dt.timedelta(0) <= s.at - _minute(later) <= window
            ]
            # the recovery of what the undone change worsened most, else the first one
            worst = next((a.shift.family for a in item.explains if a.shift.worse), None)
            recovered = next((s for s in recoveries if s.family == worst), recoveries[0] if recoveries else None)
            added.append(RevertedBy(later, later.actor == change.actor, recovered))
        paired.append(dataclasses.replace(item, evidence=(*item.evidence, *added)) if added else item)
    return paired


def _minute(change: Change) -> dt.datetime:
    return change.event_time.replace(second=0, microsecond=0)


def score_change(
    change: Change, shifts: Sequence[Shift], series: SeriesSet, metrics: dict[tuple[str, str], MetricSeries]
) -> ScoredChange:
    applied = FAILED_CALL if change.error_code else 1.0
    plausibility, implausible = plausibility_of(change)
    unreached = unreached_part(change, series)
    if unreached is not None:
        plausibility = min(plausibility, UNREACHED)
    lag = lag_allowed(change)
    attributions = []
    for shift in shifts:
        attribution = attribute(change, shift, shifts, series, metrics, lag)
        if attribution is not None:
            attributions.append(attribution)
    attributions.sort(key=lambda a: (-a.score, a.shift.at, a.shift.scope.key, a.shift.metric))
    explanation = combine(attributions)
    suspicion = round(applied * plausibility * explanation, 3)
    preceding = _preceding(change, shifts, series, lag)
    covered = _logs_cover(change, series)
    evidence = _evidence(
        change,
        applied,
        plausibility,
        implausible or unreached,
        attributions,
        preceding,
        shifts,
        lag,
        covered,
        series,
    )
    kept = tuple(a for a in attributions if a.score >= 0.05)
    return ScoredChange(change, suspicion, evidence, applied, plausibility, kept)


def combine(attributions: Iterable[Attribution]) -> float:
    """Best explanation per family; E = e1 + 0.5 e2 (1 - e1); recoveries and distribution shifts
    alone reach at most 0.4."""
    best: dict[str, float] = {}
    recovery = distribution = 0.0
    for a in attributions:
        if a.shift.kind == "distribution":
            distribution = max(distribution, a.score)
        elif a.shift.worse is False:
            recovery = max(recovery, a.score)
        else:
            best[a.shift.family] = max(best.get(a.shift.family, 0.0), a.score)
    ranked = [*sorted(best.values(), reverse=True), 0.0, 0.0]
    health = ranked[0] + 0.5 * ranked[1] * (1 - ranked[0])
    if health >= 0.3 and distribution >= 0.5:
        health += 0.1 * (1 - health)  # the change visibly took effect where it should
    return max(health, min(RECOVERY_CAP, recovery), min(DISTRIBUTION_CAP, distribution))


# -- what a change is -----------------------------------------------------------------------------


def lb_wide(change: Change) -> bool:
    """Does the change concern the whole load balancer (attributes, security, WAF, create/delete; a
    change event that names the load balancer and no part of it, or nothing at all)?"""
    if change.origin == "feed" and (
        change.attributed_by == UNSCOPED or not (change.target_groups or change.targets or change.listener_port)
    ):
        return True
    return bool(_LB_WIDE & set(change.categories))


def plausibility_of(change: Change) -> tuple[float, Implausible | None]:
    """How able this change is to move traffic at all, and why not where it is not."""
    name = change.event_name
    if name.startswith(("Describe", "Get", "List")):
        return 0.0, Implausible("read_only")
    if "tags" in change.categories:
        return 0.03, Implausible("tags")
    if name == "CreateLoadBalancerPolicy":
        return 0.3, Implausible("unused_policy")
    if name == "CreateTargetGroup":
        return 0.2, Implausible("unrouted_target_group")
    if ecs_action(change) == "none":
        return 0.3, Implausible("ecs_idle")
    if change.detail("invoked") is False:
        return NOT_INVOKED, Implausible("not_invoked", tuple(change.detail("invokes") or ()))
    if name in ("ModifyLoadBalancerAttributes", "ModifyTargetGroupAttributes"):
        keys = change.detail("attribute_keys") or []
        if keys and all(key.lower().startswith(_INERT_ATTRIBUTES) for key in keys):
            return 0.05, Implausible("inert_attributes", tuple(sorted(keys)))
    if change.categories == ("other",):
        return 0.6, None
    return 1.0, None


def unreached_part(change: Change, series: SeriesSet) -> Unreached | None:
    """The part of the load balancer the change concerns, when no request went through it in the
    window, before or after the change: the listener rule it creates or modifies (ALB logs name the
    rule each request matched), else its target groups, else its listener port. Not asked of changes
    that stop traffic by design or where a failure leaves no log line (a deleted listener, a TLS
    policy or certificate clients cannot handshake with), nor where the logs do not cover the change."""
    if change.error_code or not _logs_cover(change, series):
        return None
    if {"lifecycle", "listener_tls", "certificate"} & set(change.categories) or lb_wide(change) or change.classic:
        return None
    priority = change.detail("rule_priority")
    if isinstance(priority, int) and series.rules:
        matched = series.rules.get(priority)
        return Unreached("rule", (str(priority),)) if matched is None or not matched.any() else None
    if change.target_groups:
        quiet = [g for g in change.target_groups if _quiet(series, Scope("target_group", g))]
        return (
            Unreached("target_group", tuple(change.target_groups)) if len(quiet) == len(change.target_groups) else None
        )
    if change.listener_port is not None and series.of_kind("listener"):
        port = str(change.listener_port)
        return Unreached("listener", (port,)) if _quiet(series, Scope("listener", port)) else None
    return None


def _quiet(series: SeriesSet, scope: Scope) -> bool:
    """Did no request go through the slice? The access logs have every request; CloudWatch knows a
    target group's only when its request count was read (then it is 0 throughout); an NLB's TLS logs
    say nothing of target groups."""
    if series.traffic_source == ACCESS_LOGS:
        found = series.get(scope)
        return found is None or not found.requests.any()
    counts = [m for m in series.measured if m.scope == scope and m.metric == "requests_per_min"]
    return bool(counts) and not any(m.numerator is not None and m.numerator.any() for m in counts)


def lag_allowed(change: Change) -> float:
    """Seconds after the call within which its effect is expected in the logs (a rollout that says
    when it ended: until then, and the immediate lag after)."""
    if change.end_time is not None and change.end_time > change.event_time:
        return (change.end_time - change.event_time).total_seconds() + IMMEDIATE_LAG
    if "health_check" in change.categories:
        timing = {**HEALTH_CHECK_DEFAULTS, **(change.detail("health_check") or {})}
        # a target is taken out after `threshold` failed checks; the larger threshold, never below
        # AWS's default healthy threshold, bounds how long that takes
        checks = max(
            timing["unhealthy_threshold"], timing["healthy_threshold"], HEALTH_CHECK_DEFAULTS["healthy_threshold"]
        )
        return max(IMMEDIATE_LAG, 1.5 * timing["interval"] * checks + 60.0)
    if ecs_action(change) == "deployment" or "deploy" in change.categories:
        return DEPLOYMENT_LAG
    keys = change.detail("attribute_keys") or []
    if any(str(key).lower().startswith(_GRADUAL_ATTRIBUTES) for key in keys):
        return GRADUAL_LAG
    if ("targets" in change.categories and "Deregister" not in change.event_name) or "scaling" in change.categories:
        return REGISTRATION_LAG
    if change.categories in (("other",), ("infra",)):
        return OTHER_LAG
    return IMMEDIATE_LAG


def ecs_action(change: Change) -> str | None:
    """What an ECS service call set going (the change model's `details.ecs_action`): deployment,
    scale_out, scale_in, scale, delete or none; None for other calls."""
    action = change.detail("ecs_action")
    return action if isinstance(action, str) else None


def _kind(change: Change, category: str) -> str:
    """The row of AFFINITY for one category of the change: targets leaving, joining or new code."""
    if category in _NEW_CODE:
        return "deployment"
    if category == "scaling":  # capacity up or down, not said which: the likelier of both
        return "scale"
    if category != "targets":
        return category
    action = ecs_action(change)
    if action == "deployment":
        return "deployment"
    if action == "scale":  # tasks started or stopped, not known which: the likelier of both
        return "scale"
    if action in ("scale_in", "delete") or "Deregister" in change.event_name:
        return "targets_out"
    return "targets_in"


def affinity_of(kind: str, family: str, rising: bool) -> float:
    """AFFINITY's value for a kind of change and a family (and direction, where the family has one)."""
    if kind == "scale":
        return max(affinity_of("targets_in", family, rising), affinity_of("targets_out", family, rising))
    value = AFFINITY[family].get(kind)
    if value is None:
        return UNIFORM_AFFINITY.get(kind, UNIFORM_AFFINITY["other"])
    if isinstance(value, tuple):
        return value[0] if rising else value[1]
    return value


def affinity(change: Change, shift: Shift) -> float:
    family = "distribution" if shift.kind == "distribution" else shift.family
    rising = (shift.direction == "up") != (shift.metric in INVERTED)
    return max(affinity_of(_kind(change, category), family, rising) for category in change.categories)


# -- one change against one shift -----------------------------------------------------------------


def attribute(
    change: Change,
    shift: Shift,
    shifts: Sequence[Shift],
    series: SeriesSet,
    metrics: dict[tuple[str, str], MetricSeries],
    lag: float,
) -> Attribution | None:
    bucket = series.bucket_minutes * 60.0
    lag_seconds = (shift.at - change.event_time).total_seconds()
    if lag_seconds < -bucket:
        return None  # the shift began before the change; see _evidence
    metric = metrics.get((shift.scope.key, shift.metric))
    if metric is not None and shift.worse:
        # a worsening that builds up is judged by where it began, if that is after the change
        began = max(departure(shift, metric, series), series.time(series.bucket_of(change.event_time)))
        lag_seconds = min(lag_seconds, max(0.0, (began - change.event_time).total_seconds()))
    if lag_seconds <= lag + bucket:
        timing = 1.0
    else:
        timing = max(0.0, 1.0 - (lag_seconds - lag - bucket) / lag)
    if timing <= 0:
        return None
    notes: list[Caveat] = []
    scope, scope_note = scope_fit(change, shift, shifts, series)
    if change.attributed_by == UNSCOPED:
        scope = round(scope * UNSCOPED_SCOPE, 3)
    if scope_note:
        notes.append(scope_note)
    fit = affinity(change, shift)
    quality = 0.7 + 0.3 * shift.strength
    pre = _already_moved(change, shift, shifts, series, metrics) or _early_in_bucket(change, shift, series, metrics)
    if pre is not None:
        timing *= max(0.0, 1.0 - pre.fraction)
        notes.append(pre)
    score = round(timing * scope * fit * quality, 4)
    return Attribution(shift, score, round(timing, 3), scope, fit, round(quality, 3), lag_seconds, tuple(notes))


def scope_fit(
    change: Change, shift: Shift, shifts: Sequence[Shift], series: SeriesSet
) -> tuple[float, QuietPart | OtherPart | None]:
    """How well the slice that moved matches what the change touches."""
    kind, value = shift.scope.kind, shift.scope.value
    routing = "routing" in change.categories
    tls = bool({"listener_tls", "certificate"} & set(change.categories))
    wide = lb_wide(change)
    own = [g for g in change.target_groups if g in series.target_groups]
    if kind in ("lb", "listener", "domain") and own and not (wide or change.classic or tls or routing):
        # a change of some target groups, seen in a wider slice: did its own groups move with it?
        if any(_moved_too(shift, g, shifts, series) for g in own):
            return (0.85, None) if kind == "lb" else (0.6, None)
        sibling = next((g for g in sorted(series.target_groups) if _moved_too(shift, g, shifts, series)), None)
        if sibling is not None:  # another target group carries the move
            return 0.1, OtherPart(tuple(sorted(own)), sibling)
        if not any(_observed(g, shift.metric, series) for g in own):
            return 0.7, None  # no series says whether its part moved (CloudWatch has no ELB 5xx per group)
        return 0.3, QuietPart(tuple(sorted(own)))
    if kind == "lb":
        if wide or change.classic or tls:
            return 1.0, None
        if routing or (change.listener_port is not None and not change.target_groups):
            return 0.9, None
        return 0.7, None
    if kind == "target_group":
        if value in change.target_groups:
            return 1.0, None
        if routing or wide:
            return 0.8, None
        if change.target_groups:
            return 0.1, OtherPart(tuple(sorted(change.target_groups)), str(value))
        return 0.5, None
    if kind == "target":
        ip = (value or "").rpartition(":")[0]
        if value in change.targets or ip in change.targets:
            return 1.0, None
        parent = series.get(shift.scope)
        owner = parent.parent.value if parent is not None and parent.parent is not None else None
        if owner is not None and owner in change.target_groups:
            return 0.9, None
        if change.classic and change.targets:
            return 0.6, None
        if wide or routing:
            return 0.6, None
        if change.target_groups:
            return 0.1, None
        return 0.4, None
    if kind == "listener":
        if change.listener_port is not None:
            return (1.0, None) if str(change.listener_port) == value else (0.1, None)
        return (0.9, None) if wide or routing or tls else (0.6, None)
    if kind == "domain":
        return (0.9, None) if wide or routing or tls else (0.6, None)
    # ssl_protocol, ssl_cipher
    if tls:
        return 1.0, None
    return (0.8, None) if wide else (0.5, None)


def _observed(group: str, metric: str, series: SeriesSet) -> bool:
    """Does the set hold the target group's `metric`: its access-log slice (which has them all), or a
    CloudWatch series (which has no ELB 5xx per group)?"""
    scope = Scope("target_group", group)
    if series.get(scope) is not None:
        return True
    return any(one.scope == scope and one.metric == metric for one in series.measured)


def _moved_too(shift: Shift, group: str, shifts: Sequence[Shift], series: SeriesSet) -> bool:
    """Did the target group (or one of its targets) shift in the same family and direction at about
    the same time as the load balancer?"""
    near = dt.timedelta(minutes=2 * series.bucket_minutes)
    for other in shifts:
        if other.family != shift.family or other.direction != shift.direction:
            continue
        if abs(other.at - shift.at) > near:
            continue
        if other.scope.kind == "target_group" and other.scope.value == group:
            return True
        if other.scope.kind == "target":
            owner = series.get(other.scope)
            if owner is not None and owner.parent is not None and owner.parent.value == group:
                return True
    return False


def _already_moved(
    change: Change,
    shift: Shift,
    shifts: Sequence[Shift],
    series: SeriesSet,
    metrics: dict[tuple[str, str], MetricSeries],
) -> AlreadyMoved | None:
    """Counter-evidence: the metric had already made part of its move before the change's bucket.

    When the shift belongs to a worsening that began in an earlier bucket than the change's
    (`episode_root`: in its own slice, a wider one or a narrower one), the change is credited only
    with the part of the move still to come at its bucket. That part is measured twice, and the
    smaller counts: on the root shift's series (a narrower slice can cross its own change point
    minutes after its target group did, by chance; a wider one can cross it a bucket after its parts
    did), and on the shift's own series from its level before the episode began. Otherwise only a
    move more than half made in the buckets before the change counts against it."""
    width = dt.timedelta(minutes=series.bucket_minutes)
    change_bucket = series.time(series.bucket_of(change.event_time))
    root = episode_root(shift, shifts, series)
    metric = metrics.get((shift.scope.key, shift.metric))
    if root is shift and metric is not None and shift.worse:
        # no earlier shift, but the buckets right before the change's were already on their way
        began = departure(shift, metric, series, min_run=1)
        if began < change_bucket:
            root = dataclasses.replace(shift, at=began)
    if root is not shift and root.at < change_bucket:
        found = [
            _moved_before(measured, metrics, series, max(root.at, change_bucket - 3 * width), change_bucket, before)
            for measured, before in ((root, None), (shift, root.at))
        ]
        known = [item for item in found if item is not None]
        if not known:
            return None
        level, fraction, measured = max(known, key=lambda item: item[1])
        if fraction <= 0.1:
            return None
        minutes = int((change_bucket - max(root.at, change_bucket - 3 * width)).total_seconds() // 60)
        return AlreadyMoved(measured, level, minutes, min(1.0, fraction), root.at)
    since = max(shift.before_from, change_bucket - 3 * width)
    found = _moved_before(shift, metrics, series, since, change_bucket, None)
    if found is None or found[1] <= 0.5:
        return None
    level, fraction, _ = found
    return AlreadyMoved(shift, level, int((change_bucket - since).total_seconds() // 60), min(1.0, fraction))


def _early_in_bucket(
    change: Change, shift: Shift, series: SeriesSet, metrics: dict[tuple[str, str], MetricSeries]
) -> EarlyInBucket | None:
    """Counter-evidence from inside the change's own bucket: a shift that begins there shows its move
    pooled over the whole bucket, but only the part of the bucket after the change can carry an effect
    of it. Had the move started at the change, the bucket would hold the before level for the part
    before it and the after level for the rest. When most of the bucket came before the change and it
    holds significantly more of the move than that
    (a binomial test on a rate's events, a Poisson test on a count; p < 0.01), the excess came before
    the change. Latency quantiles do not pool that way and are not judged here."""
    metric = metrics.get((shift.scope.key, shift.metric))
    if not shift.worse or metric is None or metric.numerator is None or shift.after == shift.before:
        return None
    bucket = series.bucket_of(change.event_time)
    if shift.at != series.time(bucket) or not 0 <= bucket < series.buckets:
        return None
    width = dt.timedelta(minutes=series.bucket_minutes)
    after_change = (shift.at + width - change.event_time) / width
    if after_change > 0.5:
        return None  # too little of the bucket came before the change to tell its level apart
    expected = shift.before + (shift.after - shift.before) * after_change
    level = value_between(metric, series, shift.at, shift.at + width)
    p_value = _tail(metric, bucket, bucket + 1, expected, shift.direction == "up")
    if level is None or p_value is None or p_value >= 0.01:
        return None
    made = (level - shift.before) / (shift.after - shift.before)
    fraction = (made - after_change) / (1 - after_change)
    if fraction <= 0.1:
        return None
    return EarlyInBucket(shift, level, round(1 - after_change, 2), min(1.0, fraction))


def _moved_before(
    shift: Shift,
    metrics: dict[tuple[str, str], MetricSeries],
    series: SeriesSet,
    since: dt.datetime,
    until: dt.datetime,
    began: dt.datetime | None,
) -> tuple[float, float, Shift] | None:
    """(level in [since, until), the fraction of the shift's move it stands for, the shift): measured
    from the shift's before level, or from the level in the 5 buckets before `began` when given."""
    metric = metrics.get((shift.scope.key, shift.metric))
    if metric is None or since >= until:
        return None
    level = value_between(metric, series, since, until)
    width = dt.timedelta(minutes=series.bucket_minutes)
    baseline = shift.before if began is None else value_between(metric, series, began - 5 * width, began)
    if level is None or baseline is None:
        return None
    scale = level_scale(shift.unit)
    span = scale(shift.after) - scale(baseline)
    if span == 0:
        return None
    return level, (scale(level) - scale(baseline)) / span, shift


def episode_root(shift: Shift, shifts: Sequence[Shift], series: SeriesSet) -> Shift:
    """The first shift of the worsening a shift belongs to: following back the worse shifts of the
    same metric and direction in related slices (the same, a wider or a narrower one: the load
    balancer holds everything, a target group its targets) whose after-window reaches into the start
    of the one they precede. The shift itself when nothing earlier leads to it."""
    root = shift
    if shift.kind != "health" or not shift.worse:
        return root
    chain, seen = [shift], {shift}
    while chain:
        current = chain.pop()
        for other in shifts:
            if other in seen or other.kind != "health" or not other.worse:
                continue
            if other.metric != shift.metric or other.direction != shift.direction:
                continue
            if not other.at < current.at < other.after_until or not _related(other.scope, current.scope, series):
                continue
            seen.add(other)
            chain.append(other)
            if other.at < root.at:
                root = other
    return root


def _related(one: Scope, other: Scope, series: SeriesSet) -> bool:
    return _contains(one, other, series) or _contains(other, one, series)


def _contains(wide: Scope, narrow: Scope, series: SeriesSet) -> bool:
    if wide == narrow or wide.kind == "lb":
        return True
    if wide.kind == "target_group" and narrow.kind == "target":
        owner = series.get(narrow)
        return owner is not None and owner.parent == wide
    return False


def departure(shift: Shift, metric: MetricSeries, series: SeriesSet, min_run: int = 2) -> dt.datetime:
    """Where a shift that built up gradually began: the first of the buckets right before its change
    point that were all already worse than the early before-window level by more than the series'
    noise and a quarter of the move (at least `min_run` of them, at most five; for events and requests
    the run must also differ from the level before it by a binomial or Poisson test, p < 0.01). A step
    change gives its own time back."""
    first, stop = max(0, series.bucket_of(shift.before_from)), max(0, series.bucket_of(shift.at))
    values = metric.transformed[first:stop]
    known = values[~np.isnan(values)]
    if len(known) < 6:
        return shift.at
    level = float(np.median(known[: len(known) // 2]))
    after = metric.transformed[max(0, stop) : max(0, series.bucket_of(shift.after_until))]
    after = after[~np.isnan(after)]
    if not len(after):
        return shift.at
    # a bucket counts as already moving when it is worse than the early level by more than the noise
    # and by a quarter of the whole move
    margin = max(robust_sigma(known, metric.sigma_floor), 0.25 * abs(float(np.median(after)) - level))
    sign = 1.0 if shift.direction == "up" else -1.0
    began = stop
    for bucket in range(stop - 1, max(first, stop - 5) - 1, -1):
        value = metric.transformed[bucket]
        if math.isnan(value) or sign * (value - level) <= margin:
            break
        began = bucket
    if stop - began < min_run:
        return shift.at
    if metric.numerator is not None:  # events or requests: the run must differ from before it, not by chance
        baseline = value_between(metric, series, shift.before_from, series.time(began))
        p_value = None if baseline is None else _tail(metric, began, stop, baseline, shift.direction == "up")
        if p_value is None or p_value >= 0.01:
            return shift.at
    return series.time(began)


def _tail(metric: MetricSeries, first: int, stop: int, level: float, up: bool) -> float | None:
    """How likely the buckets [first, stop) hold as many events (up) or as few (down) as they do, were
    the rate (or requests per minute) `level`: a binomial test for a rate, a Poisson test for a count."""
    events = float(metric.numerator[first:stop].sum())
    if metric.denominator is not None:
        trials = int(metric.denominator[first:stop].sum())
        if trials == 0:
            return None
        return float(stats.binom.sf(events - 1, trials, level) if up else stats.binom.cdf(events, trials, level))
    mean = level * float(metric.coverage[first:stop].sum())
    if mean == 0 and not up:
        return None
    return float(stats.poisson.sf(events - 1, mean) if up else stats.poisson.cdf(events, mean))


# -- evidence -------------------------------------------------------------------------------------


def _preceding(change: Change, shifts: Sequence[Shift], series: SeriesSet, lag: float) -> list[Shift]:
    """Shifts for the worse that this change would fit, but that began before it (up to 15 minutes, or
    its allowed lag, before)."""
    bucket = series.bucket_minutes * 60.0
    found = []
    for shift in shifts:
        lag_seconds = (shift.at - change.event_time).total_seconds()
        if shift.kind != "health" or not shift.worse or not -max(lag + bucket, 900.0) <= lag_seconds < -bucket:
            continue
        scope, _ = scope_fit(change, shift, shifts, series)
        if scope * affinity(change, shift) >= 0.3:
            found.append(shift)
    return found


def _evidence(
    change: Change,
    applied: float,
    plausibility: float,
    implausible: Implausible | Unreached | None,
    attributions: list[Attribution],
    preceding: list[Shift],
    shifts: Sequence[Shift],
    lag: float,
    covered: bool,
    series: SeriesSet,
) -> tuple[Evidence, ...]:
    if applied < 1:
        return (Failed(str(change.error_code)),)
    found: list[Evidence] = []
    if implausible:
        found.append(implausible)
    if plausibility < 0.1:
        return tuple(found)
    strong = [a for a in attributions if a.score >= 0.05]
    distribution = [a for a in strong if a.shift.kind == "distribution"]
    found += [Moved(a.shift) for a in strong if a.shift.kind != "distribution"][:4]
    if distribution:
        found.append(Spread(tuple(a.shift for a in distribution)))
    found.extend(dict.fromkeys(note for a in strong[:4] for note in a.notes))
    if preceding:
        found.append(BeganBefore(min(preceding, key=lambda s: (s.at, -s.strength))))
    if not strong and not covered:
        found.append(NoLogs(change.lb, series.traffic_source))
    elif not strong:
        window = dt.timedelta(seconds=lag)
        after = [s for s in shifts if s.kind == "health" and dt.timedelta(0) <= s.at - change.event_time <= window]
        found.append(OtherKinds(tuple(after)) if after else NothingMoved(change.lb, lag))
    return tuple(found)


def _logs_cover(change: Change, series: SeriesSet) -> bool:
    """Does the evidence (access logs, an NLB's logs, CloudWatch) have traffic on both sides of the change?"""
    if series.traffic_from is None or series.traffic_until is None:
        return False
    return series.traffic_from < change.event_time < series.traffic_until + dt.timedelta(minutes=1)
