"""Kept CloudTrail calls → `Change` records: which load balancers each mutating call affects, and
one human line of what it changed.

The calls are replayed in time order over a model of the configuration seen so far (`State`):
listeners with their actions, certificates and SSL policy, rules, target groups with their
health-check settings and attributes, load balancers with their security groups, subnets,
attributes, Classic listeners and policies, web ACL associations. A call is summarised against that
state (ModifyListener records the full new value of each parameter it sets; the summary says what
it was before, where the replay knows it), and then, if it succeeded, applied to it.

Which load balancers a call affects comes from the request itself (names, load balancer, listener
and rule ARNs), and for target groups, security groups, certificates, network ACLs and web ACLs
from what is known at the time of the call: first the replayed CloudTrail state, then an inventory
snapshot (`correlate ingest inventory`), then the target groups seen in access logs. ECS services,
CodeDeploy deployment groups, Auto Scaling groups, Lambda functions and EC2 instances reach load
balancers through the target groups they register targets with (or are registered in).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from correlate.model.autoscaling import AutoScalingHandlers
from correlate.model.calls import CALLS, CLASSIC, CLASSIC_API, ELB_V2
from correlate.model.change import CATEGORIES, Change
from correlate.model.classic import ClassicHandlers
from correlate.model.codedeploy import CodeDeployHandlers
from correlate.model.describe import (
    UNKNOWN,
    lower_keys,
    short_id,
    tg_name,
    values_of,
)
from correlate.model.ec2 import Ec2Handlers
from correlate.model.ecs import EcsHandlers
from correlate.model.effects import (
    Affected,
    Effect,
    as_list,
    category_of,
    unique_lbs,
)
from correlate.model.elbv2 import ElbV2Handlers
from correlate.model.feed import place_event
from correlate.model.lambda_ import LambdaHandlers
from correlate.model.related import RelatedHandlers
from correlate.model.reverts import pair_reverts
from correlate.model.state import (
    CallRow,
    InventoryItem,
    Knowledge,
    Listener,
    LogLink,
    State,
    TargetLink,
    apply_inventory,
    lbs_serving,
)
from correlate.parse.arns import parse_elb_arn
from correlate.parse.cloudtrail import ELB_SOURCE, READ_PREFIXES, KeptCalls
from correlate.parse.feed import FeedEvent

__all__ = [
    "CATEGORIES",
    "CallRow",
    "Change",
    "FeedEvent",
    "InventoryItem",
    "Knowledge",
    "LogLink",
    "TargetLink",
    "build_changes",
    "kept_calls",
    "lookup_attributes",
]


# The handler modules above (the mixins of `Replay`) have registered their calls by now.


def kept_calls() -> KeptCalls:
    """The CloudTrail records the ingestion keeps: the calls the model handles (model/calls.py)."""
    return CALLS.kept_calls()


def lookup_attributes() -> list[tuple[str, str]]:
    """The LookupEvents attribute of each lookup, one attribute per lookup as the API requires."""
    return CALLS.lookup_attributes()


# -- the replay -------------------------------------------------------------------------------


def build_changes(
    calls: Iterable[CallRow], knowledge: Knowledge | None = None, events: Iterable[FeedEvent] = ()
) -> list[Change]:
    """Replay mutating calls in time order; one Change per (call, load balancer it affects). Change
    events of other systems (`correlate ingest changes`) are placed in between, at their time, on the
    load balancers their scope hints reach in the configuration replayed so far (model/feed.py)."""
    knowledge = knowledge or Knowledge()
    state = State()
    snapshot_applied = knowledge.taken_at is None
    changes: list[tuple[Change, str | None]] = []  # each with the resource its call changes (reverts)
    steps = [(_replay_order(call), call) for call in calls]
    steps += [((event.event_time, _AFTER_CALLS, event.event_id), event) for event in events]
    for _, call in sorted(steps, key=lambda step: step[0]):
        if not snapshot_applied and call.event_time >= knowledge.taken_at:
            apply_inventory(state, knowledge.items)
            snapshot_applied = True
        if isinstance(call, FeedEvent):
            changes += [(change, None) for change in place_event(call, state, knowledge)]  # no revert pairing
            continue
        if is_read_only(call.event_name):
            continue
        replay = Replay(call, state, knowledge)
        try:
            effects = replay.effects()
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
            # The parameters are valid JSON but not the shape the API defines (hand-edited or
            # damaged records): attribute the call by its identifiers and say so.
            effects = replay.unexpected_shape(error)
        changes += [(replay.change(effect), replay.resource()) for effect in effects]
    return pair_reverts(changes)


def is_read_only(event_name: str) -> bool:
    return event_name.startswith(READ_PREFIXES)


_ORDER = {"Create": 0, "Add": 1, "Register": 1, "Modify": 2, "Set": 2, "Remove": 3, "Deregister": 3, "Delete": 4}
_AFTER_CALLS = 5  # a change event at the same second as calls is placed with their effects known


def _replay_order(call: CallRow) -> tuple:
    verb = re.match(r"[A-Z][a-z]+", call.event_name)
    return call.event_time, _ORDER.get(verb.group(0) if verb else "", 2), call.event_id


# The columns of a change that are its call's.
_FROM_THE_CALL = (
    "event_id",
    "event_time",
    "event_name",
    "actor",
    "actor_kind",
    "error_code",
    "event_source",
    "api_version",
    "aws_region",
    "account_id",
    "actor_name",
    "error_message",
)
_CLASSIC_KEYS = ("loadBalancerName", "loadBalancerNames")  # name a Classic load balancer (no ARN)
_IDENTIFIER = re.compile(
    r'"(loadBalancerArn|listenerArn|ruleArn|targetGroupArn|loadBalancerName)"\s*:\s*"([^"\\]+)"', re.IGNORECASE
)


class Replay(
    ElbV2Handlers,
    ClassicHandlers,
    RelatedHandlers,
    EcsHandlers,
    AutoScalingHandlers,
    Ec2Handlers,
    LambdaHandlers,
    CodeDeployHandlers,
):
    """One call: its effects on each load balancer; the state is updated only if the call succeeded."""

    def __init__(self, call: CallRow, state: State, knowledge: Knowledge) -> None:
        self.call = call
        self.state = state
        self.knowledge = knowledge
        self.applied = call.error_code is None
        request = call.request
        if isinstance(request, str):  # truncated by CloudTrail: salvage the identifiers
            request = {match.group(1).lower(): match.group(2) for match in _IDENTIFIER.finditer(request)}
        self.rq: dict[str, Any] = lower_keys(request) if isinstance(request, dict) else {}
        self.rs: dict[str, Any] = lower_keys(call.response) if isinstance(call.response, dict) else {}
        self.truncated = call.request_truncated

    # -- the typed change --

    def change(self, effect: Effect) -> Change:
        """The `changes` row of one effect, with the facts the scoring reads (model/change.py)."""
        call = self.call
        summary = effect.summary if self.applied else f"not applied ({call.error_code}): {effect.summary}"
        details = dict(effect.details)
        if not self.applied:
            details["applied"] = False
        request = call.request if isinstance(call.request, dict) else {}
        categories = (effect.category, *effect.also, *CALLS.categories(call.event_source, call.event_name))
        named = [tg_name(arn) for arn in values_of(request, "targetgrouparn") if isinstance(arn, str)]
        return Change(
            **{name: getattr(call, name) for name in _FROM_THE_CALL},
            lb=effect.lb,
            summary=summary,
            lb_id=effect.lb_id,
            category=effect.category,
            listener_port=effect.listener_port,
            target_group=tg_name(effect.target_group_arn),
            target_group_arn=effect.target_group_arn,
            targets=effect.targets,
            details=details or None,
            applied=self.applied,
            attributed_by=effect.attributed_by,
            categories=tuple(dict.fromkeys(categories)),
            # the effect's target groups, and every one the request names (a forward to several)
            target_groups=tuple(
                dict.fromkeys(
                    n for n in (tg_name(effect.target_group_arn), *map(tg_name, effect.target_group_arns), *named) if n
                )
            ),
            classic=effect.classic or call.api_version == CLASSIC_API or any(key in request for key in _CLASSIC_KEYS),
        )

    def resource(self) -> str | None:
        """What the call changes, for pairing a revert with the change it undoes: the rule, listener,
        target group or load balancer its request names (the most specific), or the Classic load
        balancer (and listener port)."""
        rq = self.rq
        for key in ("rulearn", "listenerarn", "targetgrouparn", "loadbalancerarn"):
            if isinstance(rq.get(key), str):
                return rq[key]
        if isinstance(rq.get("loadbalancername"), str):
            port = rq.get("loadbalancerport")
            return f"classic:{rq['loadbalancername']}" + (f":{port}" if port is not None else "")
        return None

    # -- dispatch --

    def effects(self) -> list[Effect]:
        call = self.call
        if self.truncated:
            return self._truncated()
        if call.event_source == ELB_SOURCE:
            handler = CALLS.handler(CLASSIC if self._is_classic() else ELB_V2, call.event_name)
            return handler(self) if handler is not None else self._generic()
        handler = CALLS.related_handler(call.event_source, call.event_name)
        return handler(self) if handler is not None else []

    def _is_classic(self) -> bool:
        if self.call.api_version:
            return self.call.api_version == CLASSIC_API
        return "loadbalancername" in self.rq or "loadbalancernames" in self.rq

    # -- attribution helpers --

    def _from_arn(self, arn: Any, how: str = "arn") -> Affected | None:
        resource = parse_elb_arn(arn) if isinstance(arn, str) else None
        if resource is None or resource.lb is None:
            return None
        return Affected(resource.lb, resource.lb_id, how)

    def _tg_lbs(self, tg_arn: str) -> list[Affected]:
        pairs, how = lbs_serving(self.state, self.knowledge, tg_arn, self.call.event_time)
        return [Affected(lb, lb_id, how) for lb, lb_id in pairs]

    def _tg_arns(self, group: str) -> list[str]:
        """The ARNs a target group named in a request stands for (CodeDeploy names groups by name)."""
        if group.startswith("arn:"):
            return [group]
        return self.state.target_groups_named(group) or self.knowledge.target_groups_named(group)

    def _through(
        self,
        groups: Iterable[str],
        classic: Iterable[str],
        category: str,
        summary: str,
        details: dict[str, Any],
        also: tuple[str, ...] = (),
        targets: tuple[str, ...] = (),
        classic_how: str = "request",
    ) -> list[Effect]:
        """One effect per load balancer that serves one of the target groups (ARNs) now, naming the
        groups it serves there (the first is the effect's target group), and per Classic load
        balancer named (known from the request, or `classic_how`): how ECS services, deployment
        groups, Auto Scaling groups, Lambda functions and instances reach load balancers."""
        by_lb: dict[tuple[str, str | None], tuple[str, list[str]]] = {}
        for arn in groups:
            for lb, lb_id, how in self._tg_lbs(arn):
                by_lb.setdefault((lb, lb_id), (how, []))[1].append(arn)
        served = {lb for lb, _ in by_lb}
        classic_names = [name for name in dict.fromkeys(classic) if name not in served]
        for name in classic_names:
            by_lb.setdefault((name, name), (classic_how, []))
        return [
            Effect(
                lb,
                lb_id,
                how,
                category,
                summary,
                target_group_arn=arns[0] if arns else None,
                targets=targets,
                details=dict(details),
                also=also,
                target_group_arns=tuple(arns),
                classic=lb in classic_names,
            )
            for (lb, lb_id), (how, arns) in by_lb.items()
        ]

    def _on_target_group(self, arn: str, category: str, summary: str, **extra: Any) -> list[Effect]:
        """The call's effect on each load balancer the target group serves now (`_tg_lbs`)."""
        details = extra.pop("details", {})
        return [
            Effect(*hit, category, summary, target_group_arn=arn, details=dict(details), **extra)
            for hit in self._tg_lbs(arn)
        ]

    def _listener_port(self, listener: Listener | None, arn: str | None) -> int | None:
        if listener is not None and listener.port is not UNKNOWN and listener.port is not None:
            return int(listener.port)
        known = self.knowledge.snapshot.listeners.get(arn or "")
        if known is not None and known.port not in (UNKNOWN, None):
            return int(known.port)
        return None

    def _listener_label(self, port: int | None, arn: str | None) -> str:
        if port is not None:
            return f"listener {port}"
        return f"listener {short_id(arn)}" if arn else "listener"

    def _tg_label(self, arn: str) -> str:
        group = self.state.target_groups.get(arn)
        return (group.name if group and group.name else None) or tg_name(arn) or arn

    # -- fallbacks --

    def _truncated(self) -> list[Effect]:
        size = len(self.call.request) if isinstance(self.call.request, str) else None
        what = f" ({size:,} characters kept)" if size else ""
        summary = f"{self.call.event_name}: request parameters truncated by CloudTrail{what}; what changed is unknown"
        return [
            Effect(lb, lb_id, how, category_of(self.call.event_name), summary, details={"request_truncated": True})
            for lb, lb_id, how in self._identified()
        ]

    def unexpected_shape(self, error: Exception) -> list[Effect]:
        summary = f"{self.call.event_name}: parameters not in the shape the API defines; what changed is unknown"
        details = {"unexpected_shape": f"{type(error).__name__}: {error}"}
        return [
            Effect(lb, lb_id, how, category_of(self.call.event_name), summary, details=details)
            for lb, lb_id, how in self._identified()
        ]

    def _identified(self) -> list[Affected]:
        """Load balancers named by the request's identifying parameters (whatever their shape)."""
        found: list[Affected] = []
        rq = self.rq
        for name in [rq.get("loadbalancername"), *as_list(rq.get("loadbalancernames"))]:
            if isinstance(name, str) and name:
                found.append(Affected(name, name, "request"))
        for key in ("loadbalancerarn", "listenerarn", "rulearn", "resourcearn"):
            hit = self._from_arn(rq.get(key))
            if hit:
                found.append(hit)
        for arn in as_list(rq.get("resourcearns")):
            hit = self._from_arn(arn)
            if hit:
                found.append(hit)
            elif isinstance(arn, str) and ":targetgroup/" in arn:
                found += self._tg_lbs(arn)
        if isinstance(rq.get("targetgrouparn"), str):
            found += self._tg_lbs(rq["targetgrouparn"])
        for pair in as_list(rq.get("rulepriorities")):
            hit = self._from_arn(pair.get("rulearn") if isinstance(pair, dict) else None)
            if hit:
                found.append(hit)
        return unique_lbs(found)

    def _generic(self) -> list[Effect]:
        shown = {
            k: v
            for k, v in self.rq.items()
            if isinstance(v, str | int | float | bool) and not str(v).startswith("arn:")
        }
        params = ", ".join(f"{k}={v}" for k, v in list(shown.items())[:4])
        summary = f"{self.call.event_name}" + (f" ({params})" if params else "")
        return [
            Effect(lb, lb_id, how, category_of(self.call.event_name), summary) for lb, lb_id, how in self._identified()
        ]
