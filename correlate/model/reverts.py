"""Reverts: a change that sets a resource back to what it was before an earlier change.

On-call engineers undo what broke things: the listener's default action moved back, targets
registered again after a deregistration, an attribute set back. `pair_reverts` finds those pairs in a
replayed sequence of changes and marks the later change with the `event_id` of the one it undoes
(`Change.reverts`). A pair needs certainty, not a guess:

- the same load balancer and the same resource (the listener, rule, target group or load balancer
  the call names: `Replay.resource`);
- for changes that record before/after values (`details.fields`): the same fields, each set back to
  the value it had before the earlier change — which the replay must know (a value from before the
  trail begins is unknown, and then no pair is made);
- for targets: the same targets registered again after being deregistered (or deregistered again
  after being registered);
- the later change comes within `WITHIN` of the earlier one, and no change of the same fields came
  between them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

from correlate.model.change import Change
from correlate.model.describe import describe_actions

WITHIN = dt.timedelta(hours=6)
_OPPOSITE = {
    "RegisterTargets": "DeregisterTargets",
    "DeregisterTargets": "RegisterTargets",
    "RegisterInstancesWithLoadBalancer": "DeregisterInstancesFromLoadBalancer",
    "DeregisterInstancesFromLoadBalancer": "RegisterInstancesWithLoadBalancer",
}


def pair_reverts(changes: Iterable[tuple[Change, str | None]]) -> list[Change]:
    """The changes (in replay order, each with the resource its call changes), each revert marked with
    the change it undoes."""
    paired: list[Change] = []
    open_changes: dict[tuple[str, str], list[Change]] = {}
    for change, resource in changes:
        if not change.applied or resource is None:
            paired.append(change)
            continue
        earlier_ones = open_changes.setdefault((change.lb, resource), [])
        for earlier in reversed(earlier_ones):
            if change.event_time - earlier.event_time > WITHIN:
                break
            if undoes(change, earlier):
                change = dataclasses.replace(change, reverts=earlier.event_id)
                earlier_ones.remove(earlier)
                break
            if _touches(change) & _touches(earlier):
                break  # a later change of the same fields came between
        earlier_ones.append(change)
        paired.append(change)
    return paired


def undoes(later: Change, earlier: Change) -> bool:
    if _OPPOSITE.get(earlier.event_name) == later.event_name:
        return bool(later.targets) and set(later.targets) == set(earlier.targets)
    before, after = _fields(earlier), _fields(later)
    if not before or before.keys() != after.keys():
        return False
    for name, (was, became) in before.items():
        now_was, now_is = after[name]
        if was is None or not _same(now_is, was) or _same(was, became):
            return False
        if now_was is not None and not _same(now_was, became):
            return False
    return True


def _same(one: Any, other: Any) -> bool:
    """Equal values; actions are equal when they do the same (a request's short form and the response's
    full form of one forward describe alike)."""
    if one == other:
        return True
    if _actions(one) and _actions(other):
        return describe_actions(one) == describe_actions(other)
    return False


def _actions(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) and "type" in item for item in value)


def _fields(change: Change) -> dict[str, tuple[Any, Any]]:
    found = {}
    for item in change.detail("fields") or []:
        if isinstance(item, dict) and "field" in item:
            found[str(item["field"])] = (item.get("before"), item.get("after"))
    return found


def _touches(change: Change) -> set[str]:
    if change.event_name in _OPPOSITE:
        return {"targets"}
    return set(_fields(change))
