"""What the report reads out of the timeline: the incident period, and a rollback of the suspect change.

Both are plain functions of typed inputs, so they are tested without a database.

The incident starts at the earliest shift that made a metric of the whole load balancer worse (or,
when none did, of any slice of it: a target group, a target, a listener). A shift is worse when the
timeline says so (its `worse`); a timeline that does not say is read by the metric: a rise in latency
or errors is worse, traffic and TLS-share moves are context. The incident has recovered when every
metric that got worse at the onset came back past halfway between its level before the onset and
its worst level since; the recovery time is when the last of them did.

A later change undoes the suspect one when it is the inverse call on the same object (deregisters
the targets it registered, removes the tags it added, ...), or the same call on the same object that
sets every field the suspect changed back to its value before (from `changes.details`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from correlate.analysis.scoring import ScoredChange
from correlate.analysis.shifts import Shift
from correlate.model.change import Change

# Without the timeline's verdict: metrics whose moves are not, by themselves, harm.
NEUTRAL_METRICS = frozenset({"requests", "requests_per_min", "tls_share"})
# Shifts this close after the first one belong to the same onset.
ONSET_SPREAD = dt.timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class MetricRecovery:
    onset: Shift  # the shift that made the metric worse
    worst: float  # the worst level reached after the onset
    recovered_by: Shift | None  # the shift that brought it back, if any


@dataclass(frozen=True, slots=True)
class Incident:
    onset: dt.datetime
    recovery: dt.datetime | None  # None: not recovered within the data
    metrics: tuple[MetricRecovery, ...]  # the metrics that got worse at the onset


def is_worse(shift: Shift) -> bool:
    if shift.worse is not None:
        return shift.worse
    return shift.metric not in NEUTRAL_METRICS and shift.after > shift.before


def find_incident(shifts: Iterable[Shift]) -> Incident | None:
    ordered = sorted(shifts, key=lambda s: s.at)
    worse = [s for s in ordered if is_worse(s)]
    whole = [s for s in worse if s.scope.kind == "lb"]
    worse = whole or worse
    if not worse:
        return None
    onset = worse[0].at
    opening = [s for s in worse if s.at <= onset + ONSET_SPREAD]
    seen: set[tuple[str, str]] = set()
    metrics = []
    for first in opening:
        key = (first.metric, first.scope)
        if key in seen:
            continue
        seen.add(key)
        metrics.append(_recovery(first, [s for s in ordered if (s.metric, s.scope) == key and s.at > first.at]))
    recovered = [m.recovered_by.at for m in metrics if m.recovered_by is not None]
    recovery = max(recovered) if len(recovered) == len(metrics) else None
    return Incident(onset=onset, recovery=recovery, metrics=tuple(metrics))


def _recovery(first: Shift, later: Sequence[Shift]) -> MetricRecovery:
    worst = first.after
    rising = first.after > first.before  # the direction that is worse for this metric
    for shift in later:
        if rising:
            worst = max(worst, shift.after, shift.before)
            back = shift.after < shift.before and shift.after <= (first.before + worst) / 2
        else:
            worst = min(worst, shift.after, shift.before)
            back = shift.after > shift.before and shift.after >= (first.before + worst) / 2
        if back:
            return MetricRecovery(first, worst, shift)
    return MetricRecovery(first, worst, None)


@dataclass(frozen=True, slots=True)
class Rollback:
    change: Change
    reason: str


_PAIRS = (
    ("RegisterTargets", "DeregisterTargets"),
    ("RegisterInstancesWithLoadBalancer", "DeregisterInstancesFromLoadBalancer"),
    ("AddTags", "RemoveTags"),
    ("CreateRule", "DeleteRule"),
    ("CreateListener", "DeleteListener"),
    ("CreateLoadBalancerListeners", "DeleteLoadBalancerListeners"),
    ("AddListenerCertificates", "RemoveListenerCertificates"),
    ("AddTrustStoreRevocations", "RemoveTrustStoreRevocations"),
    ("EnableAvailabilityZonesForLoadBalancer", "DisableAvailabilityZonesForLoadBalancer"),
    ("AttachLoadBalancerToSubnets", "DetachLoadBalancerFromSubnets"),
    ("AssociateWebACL", "DisassociateWebACL"),
    ("AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"),
    ("AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"),
)
INVERSE = {a: b for a, b in _PAIRS} | {b: a for a, b in _PAIRS}


def find_rollback(suspect: ScoredChange | None, changes: Sequence[Change]) -> Rollback | None:
    """The first later, successful change that undoes `suspect`."""
    if suspect is None or suspect.change.error_code is not None:
        return None
    row = next((c for c in changes if c.event_id == suspect.change.event_id), None)
    if row is None:
        return None
    for later in sorted(changes, key=lambda c: c.event_time):
        if later.event_time <= row.event_time or later.error_code is not None or later.event_id == row.event_id:
            continue
        reason = _undoes(later, row)
        if reason:
            return Rollback(later, reason)
    return None


def _undoes(later: Change, suspect: Change) -> str | None:
    if INVERSE.get(suspect.event_name) == later.event_name:
        shared = sorted(set(later.targets) & set(suspect.targets))
        if shared:
            return f"{later.event_name} of {', '.join(shared)} undoes the {suspect.event_name}"
        if (suspect.targets or later.targets) and not shared:
            return None
        if _same_object(later, suspect):
            return f"{later.event_name} undoes the {suspect.event_name}{_object_text(suspect)}"
        return None
    if later.event_name == suspect.event_name and _same_object(later, suspect):
        restored = _restored_fields(later, suspect)
        if restored:
            return f"{later.event_name} sets {', '.join(restored)} back to the value before the suspect change"
    return None


def _same_object(a: Change, b: Change) -> bool:
    return (a.listener_port, a.target_group, a.category) == (b.listener_port, b.target_group, b.category)


def _object_text(change: Change) -> str:
    if change.target_group:
        return f" on target group {change.target_group}"
    if change.listener_port is not None:
        return f" on listener {change.listener_port}"
    return ""


def _restored_fields(later: Change, suspect: Change) -> list[str]:
    """The fields the suspect changed, when the later change sets every one back; else []."""
    changed = _fields(suspect.details)
    if not changed:
        return []
    after = {name: value for name, (_, value) in _fields(later.details).items()}
    for name, (before, _) in changed.items():
        if name not in after or before is None or after[name] != before:
            return []
    return sorted(changed)


def _fields(details: Mapping[str, Any] | None) -> dict[str, tuple[Any, Any]]:
    """{field: (before, after)} from details = {"fields": [{"field", "before", "after"}, ...]}."""
    found = {}
    for item in (details or {}).get("fields") or ():
        if isinstance(item, Mapping) and isinstance(item.get("field"), str):
            found[item["field"]] = (item.get("before"), item.get("after"))
    return found
