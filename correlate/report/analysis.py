"""What the report reads out of the timeline besides its incident (correlate/analysis/episodes.py):
a rollback of the suspect change. A plain function of typed inputs, tested without a database.

A later change undoes the suspect one when it is the inverse call on the same object (deregisters
the targets it registered, removes the tags it added, ...), or the same call on the same object that
sets every field the suspect changed back to its value before (from `changes.details`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from correlate.analysis.scoring import ScoredChange
from correlate.model.change import Change


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
