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
snapshot (`correlate ingest inventory`), then the target groups seen in access logs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from correlate.model.describe import (
    UNKNOWN,
    action_target_groups,
    certificate_name,
    change_text,
    describe_actions,
    describe_conditions,
    items,
    lower_keys,
    main_target_group,
    name_list,
    permission_text,
    plural,
    policy_attributes,
    port_range,
    protocol_name,
    short_id,
    ssl_settings,
    target_list,
    text,
    tg_name,
)
from correlate.parse.arns import parse_elb_arn
from correlate.parse.cloudtrail import ELB_SOURCE, READ_PREFIXES

CLASSIC_API = "2012-06-01"
CATEGORIES = (
    "targets",
    "routing",
    "listener_tls",
    "health_check",
    "lb_attributes",
    "target_group_attributes",
    "security",
    "certificate",
    "waf",
    "tags",
    "lifecycle",
    "other",
)


@dataclass(frozen=True, slots=True)
class CallRow:
    """A kept api_calls row, as the replay needs it (JSON members already decoded)."""

    event_id: str
    event_time: dt.datetime
    event_source: str
    event_name: str
    api_version: str | None
    aws_region: str | None
    account_id: str | None
    actor: str | None
    actor_name: str | None
    actor_kind: str | None
    error_code: str | None
    error_message: str | None
    request: Any  # dict, a truncated JSON string, or None
    response: Any
    request_truncated: bool = False


@dataclass(frozen=True, slots=True)
class LogLink:
    """A target group seen serving a load balancer in the access logs, and when."""

    target_group_arn: str
    lb: str
    lb_id: str | None
    first_seen: dt.datetime
    last_seen: dt.datetime


@dataclass(frozen=True, slots=True)
class InventoryItem:
    """One resource of an inventory snapshot; `data` is the Describe* item."""

    taken_at: dt.datetime
    resource_type: str
    arn: str
    lb: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Change:
    event_id: str
    event_time: dt.datetime
    event_name: str
    lb: str
    actor: str | None
    actor_kind: str | None
    error_code: str | None
    summary: str
    event_source: str
    api_version: str | None
    aws_region: str | None
    account_id: str | None
    lb_id: str | None
    category: str
    listener_port: int | None
    target_group: str | None
    target_group_arn: str | None
    targets: tuple[str, ...]
    details: str | None  # JSON text
    actor_name: str | None
    applied: bool
    error_message: str | None
    attributed_by: str


# -- the configuration model ------------------------------------------------------------------


@dataclass
class Listener:
    lb: str
    lb_id: str | None
    arn: str | None = None
    port: Any = UNKNOWN
    protocol: Any = UNKNOWN
    ssl_policy: Any = UNKNOWN
    certificate: Any = UNKNOWN  # the default certificate ARN
    extra_certificates: set[str] = field(default_factory=set)
    default_actions: Any = UNKNOWN
    alpn_policy: Any = UNKNOWN
    mutual_authentication: Any = UNKNOWN
    instance: Any = UNKNOWN  # Classic: "HTTP:80"
    policies: Any = UNKNOWN  # Classic: policy names in force


@dataclass
class Rule:
    arn: str
    listener_arn: str | None
    lb: str
    lb_id: str | None
    priority: Any = UNKNOWN
    conditions: Any = UNKNOWN
    actions: Any = UNKNOWN


@dataclass
class TargetGroup:
    arn: str
    name: str | None
    protocol: Any = UNKNOWN
    port: Any = UNKNOWN
    health: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    lbs: set[tuple[str, str | None]] = field(default_factory=set)  # from DescribeTargetGroups (inventory)


@dataclass
class Policy:
    name: str
    type: str | None
    attributes: dict[str, str]


@dataclass
class LoadBalancer:
    lb: str
    lb_id: str | None
    classic: bool
    arn: str | None = None
    security_groups: Any = UNKNOWN
    subnets: Any = UNKNOWN
    attributes: dict[str, Any] = field(default_factory=dict)
    health: dict[str, Any] = field(default_factory=dict)  # Classic health check
    listeners: dict[int, Listener] = field(default_factory=dict)  # Classic listeners by port
    policies: dict[str, Policy] = field(default_factory=dict)  # Classic policies
    web_acl: Any = UNKNOWN


@dataclass
class State:
    lbs: dict[str, LoadBalancer] = field(default_factory=dict)  # by lb_id (the name for Classic)
    listeners: dict[str, Listener] = field(default_factory=dict)  # v2, by ARN
    rules: dict[str, Rule] = field(default_factory=dict)
    target_groups: dict[str, TargetGroup] = field(default_factory=dict)
    nacl_subnets: dict[str, set[str]] = field(default_factory=dict)
    web_acl_rules: dict[str, list[str]] = field(default_factory=dict)  # web ACL id → rule names
    linked_once: set[str] = field(default_factory=set)  # target groups some listener or rule forwarded to

    def lb(self, lb: str, lb_id: str | None, classic: bool) -> LoadBalancer:
        key = lb_id or lb
        found = self.lbs.get(key)
        if found is None:
            found = self.lbs[key] = LoadBalancer(lb, lb_id, classic)
        return found

    def listener(self, arn: str) -> Listener | None:
        found = self.listeners.get(arn)
        if found is None:
            resource = parse_elb_arn(arn)
            if resource is None or resource.lb is None:
                return None
            found = self.listeners[arn] = Listener(resource.lb, resource.lb_id, arn)
        return found

    def target_group(self, arn: str) -> TargetGroup:
        found = self.target_groups.get(arn)
        if found is None:
            found = self.target_groups[arn] = TargetGroup(arn, tg_name(arn))
        return found

    def forwards_to(self, tg_arn: str) -> list[tuple[Listener, Rule | None]]:
        """Listeners (and rules) whose actions forward to the target group now."""
        found: list[tuple[Listener, Rule | None]] = []
        for listener in self.listeners.values():
            if listener.default_actions is not UNKNOWN and tg_arn in _tg_arns(listener.default_actions):
                found.append((listener, None))
        for rule in self.rules.values():
            if rule.actions is not UNKNOWN and tg_arn in _tg_arns(rule.actions) and rule.listener_arn:
                owner = self.listeners.get(rule.listener_arn) or Listener(rule.lb, rule.lb_id, rule.listener_arn)
                found.append((owner, rule))
        return found

    def link(self, actions: Any) -> None:
        self.linked_once.update(_tg_arns(actions))

    def uses_security_group(self, group: str) -> list[LoadBalancer]:
        return [
            lb for lb in self.lbs.values() if lb.security_groups is not UNKNOWN and group in (lb.security_groups or ())
        ]


def _tg_arns(actions: Any) -> set[str]:
    return {arn for arn, _ in action_target_groups(actions)}


# -- one change being described ---------------------------------------------------------------


@dataclass
class Effect:
    """What a call does to one load balancer."""

    lb: str
    lb_id: str | None
    attributed_by: str
    category: str
    summary: str
    listener_port: int | None = None
    target_group_arn: str | None = None
    targets: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Fields:
    """Parts of a summary with their before/after values, for `details`."""

    parts: list[str] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)

    def diff(self, name: str, label: str, before: Any, after: Any, render: Callable[[Any], str] = text) -> bool:
        if before is not UNKNOWN and before == after:
            return False
        shown_before = UNKNOWN if before is UNKNOWN else render(before)
        self.parts.append(change_text(label, shown_before, render(after)))
        self.changes.append({"field": name, "before": None if before is UNKNOWN else before, "after": after})
        return True

    def note(self, part: str, **detail: Any) -> None:
        self.parts.append(part)
        if detail:
            self.changes.append(detail)

    def joined(self, empty: str) -> str:
        return "; ".join(self.parts) if self.parts else empty


class Knowledge:
    """What is known apart from the CloudTrail replay: an inventory snapshot and access-log links."""

    def __init__(self, inventory: Iterable[InventoryItem] = (), log_links: Iterable[LogLink] = ()) -> None:
        self.items = sorted(inventory, key=lambda item: item.taken_at)
        self.taken_at = self.items[0].taken_at if self.items else None
        self.log_links: dict[str, list[LogLink]] = {}
        for link in log_links:
            self.log_links.setdefault(link.target_group_arn, []).append(link)
        self.snapshot = State()
        apply_inventory(self.snapshot, self.items)

    def tg_lbs(self, tg_arn: str, when: dt.datetime) -> tuple[list[tuple[str, str | None]], str]:
        found = self.snapshot.target_groups.get(tg_arn)
        pairs: set[tuple[str, str | None]] = set(found.lbs) if found else set()
        pairs |= {(listener.lb, listener.lb_id) for listener, _ in self.snapshot.forwards_to(tg_arn)}
        if pairs:
            return sorted(pairs, key=_pair_key), "inventory"
        links = self.log_links.get(tg_arn, [])
        during = [link for link in links if link.first_seen <= when <= link.last_seen]
        chosen = during or links
        return sorted({(link.lb, link.lb_id) for link in chosen}, key=_pair_key), "access_logs"


def _pair_key(pair: tuple[str, str | None]) -> tuple[str, str]:
    return pair[0], pair[1] or ""


def apply_inventory(state: State, inventory: Iterable[InventoryItem]) -> None:
    """Overlay an inventory snapshot (Describe* output) on the state: it is the truth at its time."""
    for item in inventory:
        data = lower_keys(item.data)
        kind = item.resource_type
        if kind == "load_balancer":
            resource = parse_elb_arn(item.arn)
            if resource is None or resource.lb is None:
                continue
            lb = state.lb(resource.lb, resource.lb_id, classic=False)
            lb.arn = item.arn
            lb.security_groups = tuple(data.get("securitygroups") or ())
            lb.subnets = tuple(az.get("subnetid") for az in data.get("availabilityzones") or [] if az.get("subnetid"))
            for attribute in data.get("attributes") or []:
                lb.attributes[str(attribute.get("key"))] = attribute.get("value")
        elif kind == "listener":
            listener = state.listener(item.arn)
            if listener is None:
                continue
            listener.port = data.get("port")
            listener.protocol = data.get("protocol")
            listener.ssl_policy = data.get("sslpolicy")
            certificates = [c.get("certificatearn") for c in data.get("certificates") or []]
            listener.certificate = certificates[0] if certificates else None
            listener.default_actions = data.get("defaultactions") or []
            state.link(listener.default_actions)
        elif kind == "rule":
            resource = parse_elb_arn(item.arn)
            if resource is None or resource.lb is None:
                continue
            listener_arn = _listener_of_rule(item.arn)
            rule = state.rules.setdefault(item.arn, Rule(item.arn, listener_arn, resource.lb, resource.lb_id))
            rule.priority = data.get("priority")
            rule.conditions = data.get("conditions") or []
            rule.actions = data.get("actions") or []
            state.link(rule.actions)
        elif kind == "target_group":
            group = state.target_group(item.arn)
            group.name = data.get("targetgroupname") or group.name
            group.protocol = data.get("protocol", UNKNOWN)
            group.port = data.get("port", UNKNOWN)
            group.health.update(_health_from(data))
            for attribute in data.get("attributes") or []:
                group.attributes[str(attribute.get("key"))] = attribute.get("value")
            for lb_arn in data.get("loadbalancerarns") or []:
                resource = parse_elb_arn(lb_arn)
                if resource is not None and resource.lb:
                    group.lbs.add((resource.lb, resource.lb_id))
        elif kind == "classic_load_balancer":
            name = data.get("loadbalancername") or item.arn
            lb = state.lb(name, name, classic=True)
            lb.security_groups = tuple(data.get("securitygroups") or ())
            lb.subnets = tuple(data.get("subnets") or ())
            check = data.get("healthcheck") or {}
            lb.health.update({key: check[key] for key in _CLASSIC_HEALTH if key in check})
            for description in data.get("listenerdescriptions") or []:
                spec = description.get("listener") or {}
                port = spec.get("loadbalancerport")
                if port is None:
                    continue
                listener = lb.listeners.setdefault(int(port), Listener(name, name))
                listener.port = int(port)
                listener.protocol = spec.get("protocol")
                listener.instance = f"{spec.get('instanceprotocol')}:{spec.get('instanceport')}"
                listener.certificate = spec.get("sslcertificateid")
                listener.policies = tuple(description.get("policynames") or ())
        elif kind == "classic_policy" and item.lb:
            lb = state.lb(item.lb, item.lb, classic=True)
            attributes = {
                str(a.get("attributename")): str(a.get("attributevalue"))
                for a in data.get("policyattributedescriptions") or []
            }
            name = data.get("policyname") or item.arn
            lb.policies[name] = Policy(name, data.get("policytypename"), attributes)
        elif kind == "network_acl":
            subnets = {a.get("subnetid") for a in data.get("associations") or [] if a.get("subnetid")}
            state.nacl_subnets[item.arn] = subnets
        elif kind == "web_acl_association":
            resource = parse_elb_arn(item.arn)
            if resource is not None and resource.lb:
                state.lb(resource.lb, resource.lb_id, classic=False).web_acl = data.get("webaclarn")


def _listener_of_rule(rule_arn: str) -> str | None:
    """listener-rule/app/NAME/ID/LISTENER/RULE → listener/app/NAME/ID/LISTENER."""
    head, _, path = rule_arn.partition(":listener-rule/")
    parts = path.split("/")
    if not path or len(parts) < 5:
        return None
    return f"{head}:listener/{'/'.join(parts[:4])}"


_CLASSIC_HEALTH = ("target", "interval", "timeout", "unhealthythreshold", "healthythreshold")
_V2_HEALTH = (
    "healthcheckprotocol",
    "healthcheckport",
    "healthcheckpath",
    "healthcheckenabled",
    "healthcheckintervalseconds",
    "healthchecktimeoutseconds",
    "healthythresholdcount",
    "unhealthythresholdcount",
    "matcher",
)


def _health_from(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in _V2_HEALTH if key in data}


# -- the replay -------------------------------------------------------------------------------


def build_changes(calls: Iterable[CallRow], knowledge: Knowledge | None = None) -> list[Change]:
    """Replay mutating calls in time order; one Change per (call, load balancer it affects)."""
    knowledge = knowledge or Knowledge()
    state = State()
    snapshot_applied = knowledge.taken_at is None
    changes: list[Change] = []
    for call in sorted(calls, key=_replay_order):
        if not snapshot_applied and call.event_time >= knowledge.taken_at:
            apply_inventory(state, knowledge.items)
            snapshot_applied = True
        if is_read_only(call.event_name):
            continue
        replay = Replay(call, state, knowledge)
        try:
            effects = replay.effects()
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
            # The parameters are valid JSON but not the shape the API defines (hand-edited or
            # damaged records): attribute the call by its identifiers and say so.
            effects = replay.unexpected_shape(error)
        for effect in effects:
            changes.append(_change(call, effect))
    return changes


def is_read_only(event_name: str) -> bool:
    return event_name.startswith(READ_PREFIXES)


_ORDER = {"Create": 0, "Add": 1, "Register": 1, "Modify": 2, "Set": 2, "Remove": 3, "Deregister": 3, "Delete": 4}


def _replay_order(call: CallRow) -> tuple:
    verb = re.match(r"[A-Z][a-z]+", call.event_name)
    return call.event_time, _ORDER.get(verb.group(0) if verb else "", 2), call.event_id


def _change(call: CallRow, effect: Effect) -> Change:
    applied = call.error_code is None
    summary = effect.summary if applied else f"not applied ({call.error_code}): {effect.summary}"
    details = dict(effect.details)
    if not applied:
        details["applied"] = False
    return Change(
        event_id=call.event_id,
        event_time=call.event_time,
        event_name=call.event_name,
        lb=effect.lb,
        actor=call.actor,
        actor_kind=call.actor_kind,
        error_code=call.error_code,
        summary=summary,
        event_source=call.event_source,
        api_version=call.api_version,
        aws_region=call.aws_region,
        account_id=call.account_id,
        lb_id=effect.lb_id,
        category=effect.category,
        listener_port=effect.listener_port,
        target_group=tg_name(effect.target_group_arn),
        target_group_arn=effect.target_group_arn,
        targets=effect.targets,
        details=orjson.dumps(details, option=orjson.OPT_SORT_KEYS).decode() if details else None,
        actor_name=call.actor_name,
        applied=applied,
        error_message=call.error_message,
        attributed_by=effect.attributed_by,
    )


_IDENTIFIER = re.compile(
    r'"(loadBalancerArn|listenerArn|ruleArn|targetGroupArn|loadBalancerName)"\s*:\s*"([^"\\]+)"', re.IGNORECASE
)


class Replay:
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

    # -- dispatch --

    def effects(self) -> list[Effect]:
        call = self.call
        if self.truncated:
            return self._truncated()
        if call.event_source == ELB_SOURCE:
            classic = self._is_classic()
            handler = (_CLASSIC if classic else _V2).get(call.event_name)
            if handler is not None:
                return handler(self)
            return self._generic()
        handler = _RELATED.get(call.event_name)
        return handler(self) if handler is not None else []

    def _is_classic(self) -> bool:
        if self.call.api_version:
            return self.call.api_version == CLASSIC_API
        return "loadbalancername" in self.rq or "loadbalancernames" in self.rq

    # -- attribution helpers --

    def _from_arn(self, arn: Any, how: str = "arn") -> tuple[str, str | None, str] | None:
        resource = parse_elb_arn(arn) if isinstance(arn, str) else None
        if resource is None or resource.lb is None:
            return None
        return resource.lb, resource.lb_id, how

    def _tg_lbs(self, tg_arn: str) -> list[tuple[str, str | None, str]]:
        linked = self.state.forwards_to(tg_arn)
        if linked or tg_arn in self.state.linked_once:
            pairs = sorted({(listener.lb, listener.lb_id) for listener, _ in linked}, key=_pair_key)
            return [(lb, lb_id, "cloudtrail") for lb, lb_id in pairs]
        pairs, how = self.knowledge.tg_lbs(tg_arn, self.call.event_time)
        return [(lb, lb_id, how) for lb, lb_id in pairs]

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
            Effect(lb, lb_id, how, _category_of(self.call.event_name), summary, details={"request_truncated": True})
            for lb, lb_id, how in self._identified()
        ]

    def unexpected_shape(self, error: Exception) -> list[Effect]:
        summary = f"{self.call.event_name}: parameters not in the shape the API defines; what changed is unknown"
        details = {"unexpected_shape": f"{type(error).__name__}: {error}"}
        return [
            Effect(lb, lb_id, how, _category_of(self.call.event_name), summary, details=details)
            for lb, lb_id, how in self._identified()
        ]

    def _identified(self) -> list[tuple[str, str | None, str]]:
        """Load balancers named by the request's identifying parameters (whatever their shape)."""
        found: list[tuple[str, str | None, str]] = []
        rq = self.rq
        for name in [rq.get("loadbalancername"), *_list(rq.get("loadbalancernames"))]:
            if isinstance(name, str) and name:
                found.append((name, name, "request"))
        for key in ("loadbalancerarn", "listenerarn", "rulearn", "resourcearn"):
            hit = self._from_arn(rq.get(key))
            if hit:
                found.append(hit)
        for arn in _list(rq.get("resourcearns")):
            hit = self._from_arn(arn)
            if hit:
                found.append(hit)
            elif isinstance(arn, str) and ":targetgroup/" in arn:
                found += self._tg_lbs(arn)
        if isinstance(rq.get("targetgrouparn"), str):
            found += self._tg_lbs(rq["targetgrouparn"])
        for pair in _list(rq.get("rulepriorities")):
            hit = self._from_arn(pair.get("rulearn") if isinstance(pair, dict) else None)
            if hit:
                found.append(hit)
        return _unique(found)

    def _generic(self) -> list[Effect]:
        shown = {
            k: v
            for k, v in self.rq.items()
            if isinstance(v, str | int | float | bool) and not str(v).startswith("arn:")
        }
        params = ", ".join(f"{k}={v}" for k, v in list(shown.items())[:4])
        summary = f"{self.call.event_name}" + (f" ({params})" if params else "")
        return [
            Effect(lb, lb_id, how, _category_of(self.call.event_name), summary) for lb, lb_id, how in self._identified()
        ]

    # == ELBv2 ==================================================================================

    def v2_create_load_balancer(self) -> list[Effect]:
        described = (self.rs.get("loadbalancers") or [{}])[0]
        arn = described.get("loadbalancerarn")
        hit = self._from_arn(arn, "response")
        name = self.rq.get("name")
        if hit is None:
            if not name:
                return []
            hit = (name, None, "request")
        lb_type = described.get("type") or self.rq.get("type") or "application"
        scheme = described.get("scheme") or self.rq.get("scheme") or "internet-facing"
        subnets = list(self.rq.get("subnets") or [])
        subnets += [m.get("subnetid") for m in self.rq.get("subnetmappings") or [] if m.get("subnetid")]
        groups = list(self.rq.get("securitygroups") or described.get("securitygroups") or [])
        summary = f"created {lb_type} load balancer ({scheme}) in {plural(len(subnets), 'subnet')}"
        if groups:
            summary += f", security groups {', '.join(groups)}"
        if self.applied:
            lb = self.state.lb(hit[0], hit[1], classic=False)
            lb.arn = arn
            lb.security_groups = tuple(groups)
            lb.subnets = tuple(subnets)
            lb.attributes = dict(_V2_DEFAULTS.get(str(lb_type), {}))
        return [Effect(*hit, "lifecycle", summary, details={"type": lb_type, "scheme": scheme, "subnets": subnets})]

    def v2_delete_load_balancer(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("loadbalancerarn"))
        if hit is None:
            return []
        if self.applied:
            self.state.lbs.pop(hit[1] or hit[0], None)
            for arn in [a for a, listener in self.state.listeners.items() if listener.lb_id == hit[1]]:
                del self.state.listeners[arn]
            for arn in [a for a, rule in self.state.rules.items() if rule.lb_id == hit[1]]:
                del self.state.rules[arn]
        return [Effect(*hit, "lifecycle", "deleted load balancer")]

    def v2_modify_lb_attributes(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("loadbalancerarn"))
        if hit is None:
            return []
        lb = self.state.lb(hit[0], hit[1], classic=False)
        fields = Fields()
        for attribute in self.rq.get("attributes") or []:
            key = str(attribute.get("key"))
            value = attribute.get("value")
            fields.diff(key, key, lb.attributes.get(key, UNKNOWN), value)
            if self.applied:
                lb.attributes[key] = value
        summary = fields.joined("attributes re-applied unchanged")
        return [Effect(*hit, "lb_attributes", summary, details={"fields": fields.changes})]

    def v2_set_security_groups(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("loadbalancerarn"))
        if hit is None:
            return []
        lb = self.state.lb(hit[0], hit[1], classic=False)
        after = tuple(self.rq.get("securitygroups") or ())
        fields = Fields()
        fields.diff("security_groups", "security groups", lb.security_groups, after)
        if self.applied:
            lb.security_groups = after
        return [
            Effect(*hit, "security", fields.joined("security groups unchanged"), details={"fields": fields.changes})
        ]

    def v2_set_subnets(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("loadbalancerarn"))
        if hit is None:
            return []
        lb = self.state.lb(hit[0], hit[1], classic=False)
        after = list(self.rq.get("subnets") or [])
        after += [m.get("subnetid") for m in self.rq.get("subnetmappings") or [] if m.get("subnetid")]
        fields = Fields()
        fields.diff("subnets", "subnets", lb.subnets, tuple(after))
        if self.applied:
            lb.subnets = tuple(after)
        return [Effect(*hit, "other", fields.joined("subnets unchanged"), details={"fields": fields.changes})]

    def v2_set_ip_address_type(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("loadbalancerarn"))
        if hit is None:
            return []
        return [Effect(*hit, "lb_attributes", f"IP address type → {self.rq.get('ipaddresstype')}")]

    def v2_create_listener(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("loadbalancerarn"))
        if hit is None:
            return []
        described = (self.rs.get("listeners") or [{}])[0]
        arn = described.get("listenerarn")
        port = self.rq.get("port")
        protocol = self.rq.get("protocol")
        actions = self.rq.get("defaultactions") or []
        certificates = [c.get("certificatearn") for c in self.rq.get("certificates") or [] if c.get("certificatearn")]
        parts = [f"created listener {port} {protocol or ''}".rstrip()]
        if self.rq.get("sslpolicy"):
            parts.append(f"SSL policy {self.rq['sslpolicy']}")
        if certificates:
            parts.append(certificate_name(certificates[0]))
        summary = ", ".join(parts) + f": default action {describe_actions(actions)}"
        if self.applied and arn:
            listener = self.state.listener(arn)
            if listener is not None:
                listener.port = port
                listener.protocol = protocol
                listener.ssl_policy = self.rq.get("sslpolicy")
                listener.certificate = certificates[0] if certificates else None
                listener.default_actions = actions
                listener.alpn_policy = self.rq.get("alpnpolicy")
                self.state.link(actions)
        return [
            Effect(
                *hit,
                "routing",
                summary,
                listener_port=_int(port),
                target_group_arn=main_target_group(actions),
                details={"protocol": protocol, "ssl_policy": self.rq.get("sslpolicy"), "certificates": certificates},
            )
        ]

    def v2_modify_listener(self) -> list[Effect]:
        arn = self.rq.get("listenerarn")
        hit = self._from_arn(arn)
        if hit is None:
            return []
        listener = self.state.listener(arn)
        assert listener is not None
        port_before = self._listener_port(listener, arn)
        fields = Fields()
        category = None
        rq = self.rq
        if "port" in rq and fields.diff("port", "port", listener.port, rq["port"]):
            category = category or "routing"
        if "protocol" in rq and fields.diff("protocol", "protocol", listener.protocol, rq["protocol"]):
            category = category or "listener_tls"
        tls = False
        if "sslpolicy" in rq:
            tls |= fields.diff("ssl_policy", "SSL policy", listener.ssl_policy, rq["sslpolicy"])
        certificates = [c.get("certificatearn") for c in rq.get("certificates") or [] if c.get("certificatearn")]
        if certificates:
            tls |= fields.diff("certificate", "certificate", listener.certificate, certificates[0], certificate_name)
        if "mutualauthentication" in rq:
            mode = (rq["mutualauthentication"] or {}).get("mode")
            before = listener.mutual_authentication
            tls |= fields.diff("mutual_authentication", "mutual TLS", before, mode)
        routing = False
        new_actions = rq.get("defaultactions")
        if new_actions is not None:
            routing = fields.diff(
                "default_actions", "default action", listener.default_actions, new_actions, describe_actions
            )
        if "alpnpolicy" in rq:
            fields.diff("alpn_policy", "ALPN policy", listener.alpn_policy, rq["alpnpolicy"])
        category = "routing" if routing else ("listener_tls" if tls else category or "other")
        label = self._listener_label(port_before if port_before is not None else _int(rq.get("port")), arn)
        summary = f"{label}: {fields.joined('settings re-applied unchanged')}"
        if self.applied:
            if "port" in rq:
                listener.port = rq["port"]
            if "protocol" in rq:
                listener.protocol = rq["protocol"]
            if "sslpolicy" in rq:
                listener.ssl_policy = rq["sslpolicy"]
            if certificates:
                listener.certificate = certificates[0]
            if "mutualauthentication" in rq:
                listener.mutual_authentication = (rq["mutualauthentication"] or {}).get("mode")
            if new_actions is not None:
                listener.default_actions = new_actions
                self.state.link(new_actions)
            if "alpnpolicy" in rq:
                listener.alpn_policy = rq["alpnpolicy"]
        port_after = _int(rq.get("port")) if "port" in rq else port_before
        return [
            Effect(
                *hit,
                category,
                summary,
                listener_port=port_after,
                target_group_arn=main_target_group(new_actions) if routing else None,
                details={"fields": fields.changes},
            )
        ]

    def v2_delete_listener(self) -> list[Effect]:
        arn = self.rq.get("listenerarn")
        hit = self._from_arn(arn)
        if hit is None:
            return []
        listener = self.state.listeners.get(arn)
        port = self._listener_port(listener, arn)
        summary = f"deleted {self._listener_label(port, arn)}"
        if listener is not None and listener.default_actions is not UNKNOWN:
            summary += f" (default action {describe_actions(listener.default_actions)})"
        if self.applied:
            self.state.listeners.pop(arn, None)
            for rule_arn in [a for a, rule in self.state.rules.items() if rule.listener_arn == arn]:
                del self.state.rules[rule_arn]
        return [Effect(*hit, "routing", summary, listener_port=port)]

    def v2_listener_certificates(self) -> list[Effect]:
        arn = self.rq.get("listenerarn")
        hit = self._from_arn(arn)
        if hit is None:
            return []
        listener = self.state.listener(arn)
        assert listener is not None
        port = self._listener_port(listener, arn)
        certificates = [c.get("certificatearn") for c in self.rq.get("certificates") or [] if c.get("certificatearn")]
        adding = self.call.event_name == "AddListenerCertificates"
        verb = "added" if adding else "removed"
        summary = (
            f"{self._listener_label(port, arn)}: {verb} {plural(len(certificates), 'certificate')} "
            f"({', '.join(certificate_name(c) for c in certificates)})"
        )
        if self.applied:
            if adding:
                listener.extra_certificates.update(certificates)
            else:
                listener.extra_certificates.difference_update(certificates)
        return [Effect(*hit, "listener_tls", summary, listener_port=port, details={verb: certificates})]

    def v2_listener_attributes(self) -> list[Effect]:
        arn = self.rq.get("listenerarn")
        hit = self._from_arn(arn)
        if hit is None:
            return []
        port = self._listener_port(self.state.listeners.get(arn), arn)
        pairs = [f"{a.get('key')} → {a.get('value')}" for a in self.rq.get("attributes") or []]
        summary = f"{self._listener_label(port, arn)}: {'; '.join(pairs) or 'attributes re-applied'}"
        return [Effect(*hit, "lb_attributes", summary, listener_port=port)]

    def v2_create_rule(self) -> list[Effect]:
        listener_arn = self.rq.get("listenerarn")
        hit = self._from_arn(listener_arn)
        if hit is None:
            return []
        port = self._listener_port(self.state.listeners.get(listener_arn), listener_arn)
        actions = self.rq.get("actions") or []
        conditions = self.rq.get("conditions") or []
        priority = self.rq.get("priority")
        summary = (
            f"{self._listener_label(port, listener_arn)}: rule {priority} added: "
            f"{describe_conditions(conditions)} → {describe_actions(actions)}"
        )
        arn = ((self.rs.get("rules") or [{}])[0]).get("rulearn")
        if self.applied and arn:
            rule = Rule(arn, listener_arn, hit[0], hit[1], priority, conditions, actions)
            self.state.rules[arn] = rule
            self.state.link(actions)
        return [Effect(*hit, "routing", summary, listener_port=port, target_group_arn=main_target_group(actions))]

    def v2_modify_rule(self) -> list[Effect]:
        arn = self.rq.get("rulearn")
        hit = self._from_arn(arn)
        if hit is None:
            return []
        rule = self.state.rules.get(arn) or self.knowledge.snapshot.rules.get(arn)
        if rule is None:
            rule = Rule(arn, _listener_of_rule(arn), hit[0], hit[1])
        port = self._listener_port(self.state.listeners.get(rule.listener_arn or ""), rule.listener_arn)
        fields = Fields()
        if "conditions" in self.rq:
            fields.diff("conditions", "conditions", rule.conditions, self.rq["conditions"], describe_conditions)
        routing_to = None
        if "actions" in self.rq and fields.diff(
            "actions", "action", rule.actions, self.rq["actions"], describe_actions
        ):
            routing_to = main_target_group(self.rq["actions"])
        which = f"rule {rule.priority}" if rule.priority is not UNKNOWN else f"rule {short_id(arn)}"
        if rule.conditions is not UNKNOWN and "conditions" not in self.rq:
            which += f" ({describe_conditions(rule.conditions)})"
        summary = f"{self._listener_label(port, rule.listener_arn)}: {which}: {fields.joined('re-applied unchanged')}"
        if self.applied:
            stored = self.state.rules.setdefault(arn, rule)
            if "conditions" in self.rq:
                stored.conditions = self.rq["conditions"]
            if "actions" in self.rq:
                stored.actions = self.rq["actions"]
                self.state.link(stored.actions)
        return [
            Effect(
                *hit,
                "routing",
                summary,
                listener_port=port,
                target_group_arn=routing_to,
                details={"fields": fields.changes},
            )
        ]

    def v2_delete_rule(self) -> list[Effect]:
        arn = self.rq.get("rulearn")
        hit = self._from_arn(arn)
        if hit is None:
            return []
        rule = self.state.rules.get(arn)
        listener_arn = rule.listener_arn if rule else _listener_of_rule(arn)
        port = self._listener_port(self.state.listeners.get(listener_arn or ""), listener_arn)
        summary = f"{self._listener_label(port, listener_arn)}: rule "
        if rule is not None and rule.priority is not UNKNOWN:
            summary += f"{rule.priority} removed"
            if rule.conditions is not UNKNOWN and rule.actions is not UNKNOWN:
                summary += f" ({describe_conditions(rule.conditions)} → {describe_actions(rule.actions)})"
        else:
            summary += f"{short_id(arn)} removed"
        if self.applied:
            self.state.rules.pop(arn, None)
        return [Effect(*hit, "routing", summary, listener_port=port)]

    def v2_set_rule_priorities(self) -> list[Effect]:
        by_lb: dict[tuple[str, str | None, str], list[str]] = {}
        for pair in self.rq.get("rulepriorities") or []:
            arn = pair.get("rulearn")
            hit = self._from_arn(arn)
            if hit is None:
                continue
            rule = self.state.rules.get(arn)
            before = rule.priority if rule is not None else UNKNOWN
            label = f"rule {short_id(arn)}"
            if rule is not None and rule.conditions is not UNKNOWN:
                label = f"rule ({describe_conditions(rule.conditions)})"
            by_lb.setdefault(hit, []).append(change_text(f"{label} priority", before, pair.get("priority")))
            if self.applied and rule is not None:
                rule.priority = pair.get("priority")
        return [Effect(*hit, "routing", "; ".join(parts)) for hit, parts in by_lb.items()]

    def v2_create_target_group(self) -> list[Effect]:
        described = (self.rs.get("targetgroups") or [{}])[0]
        arn = described.get("targetgrouparn")
        if self.applied and arn:
            group = self.state.target_group(arn)
            group.name = self.rq.get("name") or group.name
            group.protocol = self.rq.get("protocol")
            group.port = self.rq.get("port")
            health = {"healthcheckport": "traffic-port", "healthcheckprotocol": self.rq.get("protocol")}
            if str(self.rq.get("protocol")).upper() in ("HTTP", "HTTPS"):
                health["healthcheckpath"] = "/"
            health.update(_health_from(self.rq))
            health.update(_health_from(described))
            group.health = health
            group.attributes = dict(_TG_DEFAULTS)
            if str(self.rq.get("protocol")).upper() in ("HTTP", "HTTPS"):
                group.attributes.update(_HTTP_TG_DEFAULTS)
        return []  # a new target group serves no load balancer until a listener or rule forwards to it

    def v2_modify_target_group(self) -> list[Effect]:
        arn = self.rq.get("targetgrouparn")
        if not isinstance(arn, str):
            return []
        group = self.state.target_groups.get(arn) or self.knowledge.snapshot.target_groups.get(arn)
        before = dict(group.health) if group else {}
        tg_port = group.port if group else UNKNOWN
        after = {**before, **_health_from(self.rq)}
        fields = Fields()
        endpoint_keys = ("healthcheckprotocol", "healthcheckport", "healthcheckpath")
        if any(key in self.rq for key in endpoint_keys):
            if all(key in before for key in endpoint_keys):
                fields.diff("health_check", "health check", _endpoint(before, tg_port), _endpoint(after, tg_port))
            else:
                for key, label in zip(endpoint_keys, ("protocol", "port", "path"), strict=True):
                    if key in self.rq:
                        fields.diff(key, f"health check {label}", before.get(key, UNKNOWN), self.rq[key])
        for key, label in _HEALTH_LABELS.items():
            if key in self.rq:
                render = _seconds if key.endswith("seconds") else _health_value
                fields.diff(key, label, before.get(key, UNKNOWN), self.rq[key], render)
        if self.applied:
            self.state.target_group(arn).health = after
        name = self._tg_label(arn)
        summary = f"{name}: {fields.joined('health check re-applied unchanged')}"
        return [
            Effect(lb, lb_id, how, "health_check", summary, target_group_arn=arn, details={"fields": fields.changes})
            for lb, lb_id, how in self._tg_lbs(arn)
        ]

    def v2_modify_target_group_attributes(self) -> list[Effect]:
        arn = self.rq.get("targetgrouparn")
        if not isinstance(arn, str):
            return []
        group = self.state.target_group(arn)
        known = self.knowledge.snapshot.target_groups.get(arn)
        fields = Fields()
        for attribute in self.rq.get("attributes") or []:
            key = str(attribute.get("key"))
            before = group.attributes.get(key, known.attributes.get(key, UNKNOWN) if known else UNKNOWN)
            fields.diff(key, key, before, attribute.get("value"))
            if self.applied:
                group.attributes[key] = attribute.get("value")
        summary = f"{self._tg_label(arn)}: {fields.joined('attributes re-applied unchanged')}"
        return [
            Effect(
                lb,
                lb_id,
                how,
                "target_group_attributes",
                summary,
                target_group_arn=arn,
                details={"fields": fields.changes},
            )
            for lb, lb_id, how in self._tg_lbs(arn)
        ]

    def v2_delete_target_group(self) -> list[Effect]:
        arn = self.rq.get("targetgrouparn")
        if not isinstance(arn, str):
            return []
        effects = [
            Effect(lb, lb_id, how, "lifecycle", f"deleted target group {self._tg_label(arn)}", target_group_arn=arn)
            for lb, lb_id, how in self._tg_lbs(arn)
        ]
        if self.applied:
            self.state.target_groups.pop(arn, None)
        return effects

    def v2_targets(self) -> list[Effect]:
        arn = self.rq.get("targetgrouparn")
        if not isinstance(arn, str):
            return []
        targets = [t for t in self.rq.get("targets") or [] if isinstance(t, dict)]
        registering = self.call.event_name == "RegisterTargets"
        verb, preposition = ("registered", "in") if registering else ("deregistered", "from")
        summary = (
            f"{verb} {plural(len(targets), 'target')} ({target_list(targets)}) {preposition} {self._tg_label(arn)}"
        )
        ids = tuple(str(t.get("id")) for t in targets)
        details = {verb: [{k: t.get(k) for k in ("id", "port", "availabilityzone") if k in t} for t in targets]}
        return [
            Effect(lb, lb_id, how, "targets", summary, target_group_arn=arn, targets=ids, details=details)
            for lb, lb_id, how in self._tg_lbs(arn)
        ]

    def tags(self) -> list[Effect]:
        adding = self.call.event_name == "AddTags"
        tags = [t for t in self.rq.get("tags") or [] if isinstance(t, dict)]
        if adding:
            shown = [f"{t.get('key')}={t.get('value', '')}" for t in tags]
        else:
            shown = [str(k) for k in self.rq.get("tagkeys") or []] + [str(t.get("key")) for t in tags]
        summary = f"tags {'added' if adding else 'removed'}: {name_list(shown, 6)}"
        return [Effect(lb, lb_id, how, "tags", summary) for lb, lb_id, how in self._identified()]

    def v2_trust_store(self) -> list[Effect]:
        arn = self.rq.get("truststorearn")
        if not isinstance(arn, str):
            return []
        effects = []
        for listener in self.state.listeners.values():
            mutual = listener.mutual_authentication
            if isinstance(mutual, dict) and mutual.get("truststorearn") == arn:
                port = self._listener_port(listener, listener.arn)
                summary = (
                    f"{self._listener_label(port, listener.arn)}: trust store {tg_name(arn)}: {self.call.event_name}"
                )
                effects.append(Effect(listener.lb, listener.lb_id, "cloudtrail", "listener_tls", summary, port))
        return effects

    # == Classic ================================================================================

    def _classic_lb(self) -> LoadBalancer | None:
        name = self.rq.get("loadbalancername")
        if not isinstance(name, str) or not name:
            return None
        return self.state.lb(name, name, classic=True)

    def _classic_effect(self, category: str, summary: str, **extra: Any) -> list[Effect]:
        name = self.rq.get("loadbalancername")
        return [Effect(name, name, "request", category, summary, **extra)] if isinstance(name, str) and name else []

    def classic_create_load_balancer(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        listeners = [spec for spec in self.rq.get("listeners") or [] if isinstance(spec, dict)]
        shown = [_classic_listener_text(spec) for spec in listeners]
        groups = tuple(self.rq.get("securitygroups") or ())
        subnets = tuple(self.rq.get("subnets") or ())
        zones = tuple(self.rq.get("availabilityzones") or ())
        summary = f"created Classic load balancer with listeners {', '.join(shown) or 'none'}"
        if self.applied:
            for spec in listeners:
                self._set_classic_listener(lb, spec)
            lb.security_groups = groups
            lb.subnets = subnets or UNKNOWN
            lb.attributes = dict(_CLASSIC_DEFAULTS)
        return self._classic_effect(
            "lifecycle", summary, details={"listeners": shown, "subnets": list(subnets), "zones": list(zones)}
        )

    def _set_classic_listener(self, lb: LoadBalancer, spec: dict[str, Any]) -> None:
        port = _int(spec.get("loadbalancerport"))
        if port is None:
            return
        listener = lb.listeners.setdefault(port, Listener(lb.lb, lb.lb_id))
        listener.port = port
        listener.protocol = spec.get("protocol")
        listener.instance = f"{spec.get('instanceprotocol') or spec.get('protocol')}:{spec.get('instanceport')}"
        listener.certificate = spec.get("sslcertificateid")
        listener.policies = UNKNOWN  # AWS may apply a default SSL policy; CloudTrail does not say which

    def classic_delete_load_balancer(self) -> list[Effect]:
        name = self.rq.get("loadbalancername")
        if self.applied and isinstance(name, str):
            self.state.lbs.pop(name, None)
        return self._classic_effect("lifecycle", "deleted Classic load balancer")

    def classic_create_listeners(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        listeners = [spec for spec in self.rq.get("listeners") or [] if isinstance(spec, dict)]
        if self.applied:
            for spec in listeners:
                self._set_classic_listener(lb, spec)
        ports = [_int(spec.get("loadbalancerport")) for spec in listeners]
        summary = (
            f"added {plural(len(listeners), 'listener')} {', '.join(_classic_listener_text(s) for s in listeners)}"
        )
        return self._classic_effect("routing", summary, listener_port=ports[0] if len(ports) == 1 else None)

    def classic_delete_listeners(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        ports = [_int(p) for p in self.rq.get("loadbalancerports") or []]
        if self.applied:
            for port in ports:
                lb.listeners.pop(port, None)  # type: ignore[arg-type]
        summary = f"removed {plural(len(ports), 'listener')} {', '.join(str(p) for p in ports)}"
        return self._classic_effect("routing", summary, listener_port=ports[0] if len(ports) == 1 else None)

    def classic_set_certificate(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        port = _int(self.rq.get("loadbalancerport"))
        listener = lb.listeners.get(port) if port is not None else None
        before = listener.certificate if listener else UNKNOWN
        after = self.rq.get("sslcertificateid")
        fields = Fields()
        fields.diff("certificate", "certificate", before, after, certificate_name)
        if self.applied and port is not None:
            lb.listeners.setdefault(port, Listener(lb.lb, lb.lb_id, port=port)).certificate = after
        summary = f"listener {port}: {fields.joined('certificate re-applied unchanged')}"
        return self._classic_effect("listener_tls", summary, listener_port=port, details={"fields": fields.changes})

    def classic_create_policy(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        name = str(self.rq.get("policyname"))
        kind = self.rq.get("policytypename")
        attributes = policy_attributes(self.rq.get("policyattributes"))
        if self.call.event_name == "CreateLBCookieStickinessPolicy":
            kind, attributes = (
                "LBCookieStickinessPolicyType",
                {"CookieExpirationPeriod": str(self.rq.get("cookieexpirationperiod"))},
            )
        elif self.call.event_name == "CreateAppCookieStickinessPolicy":
            kind, attributes = "AppCookieStickinessPolicyType", {"CookieName": str(self.rq.get("cookiename"))}
        if self.applied:
            lb.policies[name] = Policy(name, kind, attributes)
        summary = f"defined policy {name} ({kind}); in force once set on a listener"
        return self._classic_effect("other", summary, details={"policy": name, "type": kind, "attributes": attributes})

    def classic_delete_policy(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        name = str(self.rq.get("policyname"))
        if self.applied:
            lb.policies.pop(name, None)
        return self._classic_effect("other", f"deleted policy {name}")

    def _policy(self, lb: LoadBalancer, name: str) -> Policy | None:
        found = lb.policies.get(name)
        if found is None:
            known = self.knowledge.snapshot.lbs.get(lb.lb)
            found = known.policies.get(name) if known else None
        return found

    def classic_set_listener_policies(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        port = _int(self.rq.get("loadbalancerport"))
        names = [str(n) for n in self.rq.get("policynames") or []]
        listener = lb.listeners.setdefault(port, Listener(lb.lb, lb.lb_id, port=port)) if port is not None else None
        before_names = listener.policies if listener is not None else UNKNOWN
        policies = {name: self._policy(lb, name) for name in names}
        ssl_after = next((p for p in policies.values() if p and p.type == "SSLNegotiationPolicyType"), None)
        ssl_after_name = next(
            (n for n, p in policies.items() if (p and p.type == "SSLNegotiationPolicyType") or _looks_like_ssl(n, p)),
            None,
        )
        ssl_before = None
        ssl_before_name: Any = UNKNOWN
        if before_names is not UNKNOWN:
            ssl_before_name = None
            for name in before_names or ():
                policy = self._policy(lb, name)
                if (policy and policy.type == "SSLNegotiationPolicyType") or _looks_like_ssl(name, policy):
                    ssl_before, ssl_before_name = policy, name
        details: dict[str, Any] = {
            "policies": names,
            "policies_before": None if before_names is UNKNOWN else list(before_names),
        }
        parts: list[str] = []
        category = "lb_attributes"
        if ssl_after_name is not None or (ssl_before_name not in (UNKNOWN, None)):
            category = "listener_tls"
            parts.append(change_text("SSL policy", ssl_before_name, ssl_after_name))
            parts += self._ssl_difference(ssl_before, ssl_after, details)
        others = [n for n in names if n != ssl_after_name]
        if others:
            shown = [f"{n} ({_policy_kind(policies[n])})" for n in others]
            parts.append(f"policies {', '.join(shown)}")
        if not names:
            parts.append(
                "all policies removed"
                + (f" (was {text(list(before_names))})" if before_names not in (UNKNOWN, ()) else "")
            )
        if self.applied and listener is not None:
            listener.policies = tuple(names)
        summary = f"listener {port}: {'; '.join(parts)}"
        return self._classic_effect(category, summary, listener_port=port, details=details)

    def _ssl_difference(self, before: Policy | None, after: Policy | None, details: dict[str, Any]) -> list[str]:
        """Protocols and ciphers removed or added, from the policies' attributes."""
        if after is None:
            return []
        protocols, ciphers, reference = ssl_settings(after.attributes)
        parts: list[str] = []
        if reference:
            parts.append(f"based on {reference}")
            details["reference_policy"] = reference
        if before is not None:
            old_protocols, old_ciphers, _ = ssl_settings(before.attributes)
            removed = [p for p, on in old_protocols.items() if on and not protocols.get(p, False)]
            added = [p for p, on in protocols.items() if on and not old_protocols.get(p, False)]
            ciphers_removed = [c for c, on in old_ciphers.items() if on and not ciphers.get(c, False)]
            ciphers_added = [c for c, on in ciphers.items() if on and not old_ciphers.get(c, False)]
        else:  # the earlier policy is unknown: what the new one turns off is what it removes
            removed = [p for p, on in protocols.items() if not on]
            added = [p for p, on in protocols.items() if on]
            ciphers_removed = [c for c, on in ciphers.items() if not on]
            ciphers_added = []
        if removed:
            parts.append(f"protocols removed: {', '.join(removed)}")
        if added and before is not None:
            parts.append(f"protocols added: {', '.join(added)}")
        elif added:
            parts.append(f"protocols enabled: {', '.join(added)}")
        if ciphers_removed:
            parts.append(f"ciphers removed: {name_list(ciphers_removed)}")
        if ciphers_added:
            parts.append(f"ciphers added: {name_list(ciphers_added)}")
        details.update(
            protocols_removed=removed,
            protocols_enabled=[p for p, on in protocols.items() if on],
            ciphers_removed=ciphers_removed,
            ciphers_added=ciphers_added,
        )
        return parts

    def classic_set_backend_policies(self) -> list[Effect]:
        port = self.rq.get("instanceport")
        names = ", ".join(str(n) for n in self.rq.get("policynames") or []) or "none"
        return self._classic_effect("lb_attributes", f"backend port {port}: policies → {names}")

    def classic_health_check(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        check = self.rq.get("healthcheck") or {}
        fields = Fields()
        if "target" in check:
            fields.diff("target", "health check", lb.health.get("target", UNKNOWN), check["target"])
        for key, label in (
            ("interval", "interval"),
            ("timeout", "timeout"),
            ("healthythreshold", "healthy threshold"),
            ("unhealthythreshold", "unhealthy threshold"),
        ):
            if key in check:
                render = _seconds if key in ("interval", "timeout") else text
                fields.diff(key, label, lb.health.get(key, UNKNOWN), check[key], render)
        if self.applied:
            lb.health.update({key: check[key] for key in _CLASSIC_HEALTH if key in check})
        return self._classic_effect(
            "health_check", fields.joined("health check re-applied unchanged"), details={"fields": fields.changes}
        )

    def classic_instances(self) -> list[Effect]:
        instances = [i for i in self.rq.get("instances") or [] if isinstance(i, dict)]
        registering = self.call.event_name == "RegisterInstancesWithLoadBalancer"
        verb = "registered" if registering else "deregistered"
        targets = [{"id": i.get("instanceid")} for i in instances]
        summary = f"{verb} {plural(len(instances), 'instance')} ({target_list(targets)})"
        ids = tuple(str(i.get("instanceid")) for i in instances)
        return self._classic_effect("targets", summary, targets=ids, details={verb: list(ids)})

    def classic_attributes(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        fields = Fields()
        for key, value in _flatten(self.rq.get("loadbalancerattributes") or {}).items():
            label = _CLASSIC_ATTRIBUTE_LABELS.get(key, key)
            render = _seconds if key.endswith(("idletimeout", "timeout")) else text
            fields.diff(key, label, lb.attributes.get(key, UNKNOWN), value, render)
            if self.applied:
                lb.attributes[key] = value
        return self._classic_effect(
            "lb_attributes", fields.joined("attributes re-applied unchanged"), details={"fields": fields.changes}
        )

    def classic_security_groups(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        after = tuple(self.rq.get("securitygroups") or ())
        fields = Fields()
        fields.diff("security_groups", "security groups", lb.security_groups, after)
        if self.applied:
            lb.security_groups = after
        return self._classic_effect("security", fields.joined("security groups unchanged"))

    def classic_subnets_or_zones(self) -> list[Effect]:
        lb = self._classic_lb()
        if lb is None:
            return []
        values = list(self.rq.get("subnets") or self.rq.get("availabilityzones") or [])
        what = "subnets" if "subnets" in self.rq else "availability zones"
        adding = self.call.event_name.startswith(("Attach", "Enable"))
        if self.applied and what == "subnets" and lb.subnets is not UNKNOWN:
            current = set(lb.subnets)
            lb.subnets = tuple(sorted(current | set(values) if adding else current - set(values)))
        return self._classic_effect("other", f"{what} {'added' if adding else 'removed'}: {', '.join(values)}")

    # == related services =======================================================================

    def _lbs_with_group(self, group: str) -> list[tuple[str, str | None, str]]:
        found = [(lb.lb, lb.lb_id, "cloudtrail") for lb in self.state.uses_security_group(group)]
        if not found:
            found = [(lb.lb, lb.lb_id, "inventory") for lb in self.knowledge.snapshot.uses_security_group(group)]
        return _unique(found)

    def security_group_rules(self) -> list[Effect]:
        group = self.rq.get("groupid")
        if group is None:  # ModifySecurityGroupRules wraps its request
            inner = self.rq.get("modifysecuritygrouprulesrequest") or {}
            group = inner.get("groupid")
        if not isinstance(group, str):
            return []
        name = self.call.event_name
        egress = "Egress" in name
        permissions = [p for p in items(self.rq.get("ippermissions")) if isinstance(p, dict)]
        rules = "; ".join(permission_text(p, egress) for p in permissions)
        direction = "egress" if egress else "ingress"
        if name.startswith("Authorize"):
            summary = f"security group {group}: {direction} allowed: {rules or 'rules added'}"
        elif name.startswith("Revoke"):
            ids = [str(i) for i in items(self.rq.get("securitygroupruleids"))]
            summary = f"security group {group}: {direction} rule removed: {rules or ', '.join(ids) or 'rules removed'}"
        elif name == "DeleteSecurityGroup":
            summary = f"security group {group} deleted"
        else:
            summary = f"security group {group}: rules modified ({name})"
        return [
            Effect(lb, lb_id, how, "security", summary, details={"group": group})
            for lb, lb_id, how in self._lbs_with_group(group)
        ]

    def network_acl_entry(self) -> list[Effect]:
        acl = self.rq.get("networkaclid")
        if not isinstance(acl, str):
            return []
        subnets = self.state.nacl_subnets.get(acl) or self.knowledge.snapshot.nacl_subnets.get(acl) or set()
        rule = self.rq.get("rulenumber")
        direction = "egress" if self.rq.get("egress") in (True, "true") else "ingress"
        verb = {
            "CreateNetworkAclEntry": "added",
            "ReplaceNetworkAclEntry": "replaced",
            "DeleteNetworkAclEntry": "deleted",
        }
        summary = f"network ACL {acl}: {direction} entry {rule} {verb.get(self.call.event_name, 'changed')}"
        if self.rq.get("ruleaction"):
            span = self.rq.get("portrange") or {}
            proto = protocol_name(self.rq.get("protocol"))
            ports = "" if proto == "all traffic" else port_range(span.get("from"), span.get("to"))
            peer = self.rq.get("cidrblock") or self.rq.get("ipv6cidrblock") or "anywhere"
            summary += f": {self.rq['ruleaction']} {proto}{ports} {'to' if direction == 'egress' else 'from'} {peer}"
        found = []
        for state, how in ((self.state, "cloudtrail"), (self.knowledge.snapshot, "inventory")):
            for lb in state.lbs.values():
                if lb.subnets is not UNKNOWN and subnets & set(lb.subnets or ()):
                    found.append((lb.lb, lb.lb_id, how))
            if found:
                break
        return [
            Effect(lb, lb_id, how, "security", summary, details={"network_acl": acl})
            for lb, lb_id, how in _unique(found)
        ]

    def network_acl_association(self) -> list[Effect]:
        acl = self.rq.get("networkaclid")
        if self.applied and isinstance(acl, str):
            self.state.nacl_subnets.setdefault(acl, set())
        return []

    def certificate(self) -> list[Effect]:
        arn = self.rq.get("certificatearn") or self.rs.get("certificatearn")
        if not isinstance(arn, str):
            return []
        verbs = {
            "ImportCertificate": "re-imported",
            "RenewCertificate": "renewed",
            "DeleteCertificate": "deleted",
            "UpdateCertificateOptions": "options updated",
            "RequestCertificate": "requested",
        }
        if self.call.event_name == "ImportCertificate" and "certificatearn" not in self.rq:
            return []  # a first import: nothing uses the certificate yet
        users: dict[tuple[str, str | None, str], list[int]] = {}
        for state, how in ((self.state, "cloudtrail"), (self.knowledge.snapshot, "inventory")):
            for listener in state.listeners.values():
                if listener.certificate == arn or arn in listener.extra_certificates:
                    port = self._listener_port(listener, listener.arn)
                    users.setdefault((listener.lb, listener.lb_id, how), []).append(port)  # type: ignore[arg-type]
            for lb in state.lbs.values():
                for port, listener in lb.listeners.items():
                    if listener.certificate == arn:
                        users.setdefault((lb.lb, lb.lb_id, how), []).append(port)
            if users:
                break
        effects = []
        for (lb, lb_id, how), ports in users.items():
            known = sorted(p for p in ports if p is not None)
            where = f" (listener {', '.join(str(p) for p in known)})" if known else ""
            summary = f"{certificate_name(arn)} {verbs.get(self.call.event_name, self.call.event_name)}{where}"
            port = known[0] if len(known) == 1 else None
            effects.append(
                Effect(lb, lb_id, how, "certificate", summary, listener_port=port, details={"certificate": arn})
            )
        return effects

    def web_acl_association(self) -> list[Effect]:
        hit = self._from_arn(self.rq.get("resourcearn"))
        if hit is None:
            return []
        lb = self.state.lb(hit[0], hit[1], classic=False)
        if self.call.event_name == "AssociateWebACL":
            acl = self.rq.get("webaclarn") or self.rq.get("webaclid")
            summary = f"web ACL {_web_acl_name(acl)} associated"
            if lb.web_acl not in (UNKNOWN, None) and lb.web_acl != acl:
                summary += f" (replacing {_web_acl_name(lb.web_acl)})"
            if self.applied:
                lb.web_acl = acl
        else:
            before = lb.web_acl
            summary = "web ACL disassociated" + (
                f" (was {_web_acl_name(before)})" if before not in (UNKNOWN, None) else ""
            )
            if self.applied:
                lb.web_acl = None
        return [Effect(*hit, "waf", summary)]

    def web_acl_update(self) -> list[Effect]:
        acl_id = self.rq.get("id") or self.rq.get("webaclid")
        name = self.rq.get("name") or acl_id
        if not isinstance(acl_id, str):
            return []
        rules = [str(r.get("name")) for r in self.rq.get("rules") or [] if isinstance(r, dict)]
        parts = []
        if "rules" in self.rq:
            before = self.state.web_acl_rules.get(acl_id)
            if before is not None:
                added = [r for r in rules if r not in before]
                removed = [r for r in before if r not in rules]
                if added:
                    parts.append(f"rules added: {name_list(added)}")
                if removed:
                    parts.append(f"rules removed: {name_list(removed)}")
            else:
                parts.append(plural(len(rules), "rule"))
            if self.applied:
                self.state.web_acl_rules[acl_id] = rules
        updates = [u for u in self.rq.get("updates") or [] if isinstance(u, dict)]
        if updates:
            parts.append(plural(len(updates), "rule update"))
        default = (self.rq.get("defaultaction") or {}) if isinstance(self.rq.get("defaultaction"), dict) else {}
        if default:
            parts.append(f"default action {next(iter(default)).lower()}")
        summary = f"web ACL {name} updated" + (f": {'; '.join(parts)}" if parts else "")
        found = []
        for state, how in ((self.state, "cloudtrail"), (self.knowledge.snapshot, "inventory")):
            for lb in state.lbs.values():
                if isinstance(lb.web_acl, str) and (lb.web_acl == acl_id or lb.web_acl.endswith(f"/{acl_id}")):
                    found.append((lb.lb, lb.lb_id, how))
            if found:
                break
        return [Effect(lb, lb_id, how, "waf", summary) for lb, lb_id, how in _unique(found)]

    def autoscaling(self) -> list[Effect]:
        group = self.rq.get("autoscalinggroupname") or "?"
        attaching = self.call.event_name.startswith("Attach")
        verb, preposition = ("attached", "to") if attaching else ("detached", "from")
        effects: list[Effect] = []
        tg_arns = [str(a) for a in self.rq.get("targetgrouparns") or []]
        names = [str(n) for n in self.rq.get("loadbalancernames") or []]
        for source in self.rq.get("trafficsources") or []:
            identifier = str((source or {}).get("identifier") or "")
            (tg_arns if ":targetgroup/" in identifier else names).append(identifier)
        for arn in tg_arns:
            summary = f"auto scaling group {group} {verb} {preposition} target group {self._tg_label(arn)}"
            effects += [
                Effect(lb, lb_id, how, "targets", summary, target_group_arn=arn, details={"auto_scaling_group": group})
                for lb, lb_id, how in self._tg_lbs(arn)
            ]
        for name in names:
            hit = self._from_arn(name) if name.startswith("arn:") else (name, name, "request")
            if hit:
                summary = f"auto scaling group {group} {verb} {preposition} the load balancer"
                effects.append(Effect(*hit, "targets", summary, details={"auto_scaling_group": group}))
        return effects


# -- dispatch tables --------------------------------------------------------------------------

_V2: dict[str, Callable[[Replay], list[Effect]]] = {
    "CreateLoadBalancer": Replay.v2_create_load_balancer,
    "DeleteLoadBalancer": Replay.v2_delete_load_balancer,
    "ModifyLoadBalancerAttributes": Replay.v2_modify_lb_attributes,
    "SetSecurityGroups": Replay.v2_set_security_groups,
    "SetSubnets": Replay.v2_set_subnets,
    "SetIpAddressType": Replay.v2_set_ip_address_type,
    "CreateListener": Replay.v2_create_listener,
    "ModifyListener": Replay.v2_modify_listener,
    "DeleteListener": Replay.v2_delete_listener,
    "AddListenerCertificates": Replay.v2_listener_certificates,
    "RemoveListenerCertificates": Replay.v2_listener_certificates,
    "ModifyListenerAttributes": Replay.v2_listener_attributes,
    "CreateRule": Replay.v2_create_rule,
    "ModifyRule": Replay.v2_modify_rule,
    "DeleteRule": Replay.v2_delete_rule,
    "SetRulePriorities": Replay.v2_set_rule_priorities,
    "CreateTargetGroup": Replay.v2_create_target_group,
    "ModifyTargetGroup": Replay.v2_modify_target_group,
    "ModifyTargetGroupAttributes": Replay.v2_modify_target_group_attributes,
    "DeleteTargetGroup": Replay.v2_delete_target_group,
    "RegisterTargets": Replay.v2_targets,
    "DeregisterTargets": Replay.v2_targets,
    "AddTags": Replay.tags,
    "RemoveTags": Replay.tags,
    "ModifyTrustStore": Replay.v2_trust_store,
    "AddTrustStoreRevocations": Replay.v2_trust_store,
    "RemoveTrustStoreRevocations": Replay.v2_trust_store,
}
_CLASSIC: dict[str, Callable[[Replay], list[Effect]]] = {
    "CreateLoadBalancer": Replay.classic_create_load_balancer,
    "DeleteLoadBalancer": Replay.classic_delete_load_balancer,
    "CreateLoadBalancerListeners": Replay.classic_create_listeners,
    "DeleteLoadBalancerListeners": Replay.classic_delete_listeners,
    "SetLoadBalancerListenerSSLCertificate": Replay.classic_set_certificate,
    "CreateLoadBalancerPolicy": Replay.classic_create_policy,
    "CreateLBCookieStickinessPolicy": Replay.classic_create_policy,
    "CreateAppCookieStickinessPolicy": Replay.classic_create_policy,
    "DeleteLoadBalancerPolicy": Replay.classic_delete_policy,
    "SetLoadBalancerPoliciesOfListener": Replay.classic_set_listener_policies,
    "SetLoadBalancerPoliciesForBackendServer": Replay.classic_set_backend_policies,
    "ConfigureHealthCheck": Replay.classic_health_check,
    "RegisterInstancesWithLoadBalancer": Replay.classic_instances,
    "DeregisterInstancesFromLoadBalancer": Replay.classic_instances,
    "ModifyLoadBalancerAttributes": Replay.classic_attributes,
    "ApplySecurityGroupsToLoadBalancer": Replay.classic_security_groups,
    "AttachLoadBalancerToSubnets": Replay.classic_subnets_or_zones,
    "DetachLoadBalancerFromSubnets": Replay.classic_subnets_or_zones,
    "EnableAvailabilityZonesForLoadBalancer": Replay.classic_subnets_or_zones,
    "DisableAvailabilityZonesForLoadBalancer": Replay.classic_subnets_or_zones,
    "AddTags": Replay.tags,
    "RemoveTags": Replay.tags,
}
_RELATED: dict[str, Callable[[Replay], list[Effect]]] = {
    **dict.fromkeys(
        (
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "ModifySecurityGroupRules",
            "UpdateSecurityGroupRuleDescriptionsIngress",
            "UpdateSecurityGroupRuleDescriptionsEgress",
            "DeleteSecurityGroup",
        ),
        Replay.security_group_rules,
    ),
    **dict.fromkeys(
        ("CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry"), Replay.network_acl_entry
    ),
    "ReplaceNetworkAclAssociation": Replay.network_acl_association,
    **dict.fromkeys(
        ("ImportCertificate", "RenewCertificate", "DeleteCertificate", "UpdateCertificateOptions"), Replay.certificate
    ),
    "AssociateWebACL": Replay.web_acl_association,
    "DisassociateWebACL": Replay.web_acl_association,
    "UpdateWebACL": Replay.web_acl_update,
    **dict.fromkeys(
        (
            "AttachLoadBalancerTargetGroups",
            "DetachLoadBalancerTargetGroups",
            "AttachLoadBalancers",
            "DetachLoadBalancers",
            "AttachTrafficSources",
            "DetachTrafficSources",
        ),
        Replay.autoscaling,
    ),
}


# -- small helpers ----------------------------------------------------------------------------

# AWS's defaults: the earlier value of an attribute of a resource created within the replay.
_V2_DEFAULTS = {
    "application": {
        "idle_timeout.timeout_seconds": "60",
        "deletion_protection.enabled": "false",
        "routing.http2.enabled": "true",
        "access_logs.s3.enabled": "false",
        "routing.http.desync_mitigation_mode": "defensive",
    },
    "network": {
        "deletion_protection.enabled": "false",
        "load_balancing.cross_zone.enabled": "false",
        "access_logs.s3.enabled": "false",
    },
}
_CLASSIC_DEFAULTS = {"connectionsettings.idletimeout": 60, "accesslog.enabled": False}
_TG_DEFAULTS = {"deregistration_delay.timeout_seconds": "300", "stickiness.enabled": "false"}
_HTTP_TG_DEFAULTS = {"slow_start.duration_seconds": "0", "load_balancing.algorithm.type": "round_robin"}

_HEALTH_LABELS = {
    "healthcheckenabled": "health checks enabled",
    "healthcheckintervalseconds": "interval",
    "healthchecktimeoutseconds": "timeout",
    "healthythresholdcount": "healthy threshold",
    "unhealthythresholdcount": "unhealthy threshold",
    "matcher": "success codes",
}
_CLASSIC_ATTRIBUTE_LABELS = {
    "connectionsettings.idletimeout": "idle timeout",
    "crosszoneloadbalancing.enabled": "cross-zone load balancing",
    "connectiondraining.enabled": "connection draining",
    "connectiondraining.timeout": "connection draining timeout",
    "accesslog.enabled": "access logs",
}


def _health_value(value: Any) -> str:
    if isinstance(value, dict):  # matcher
        return ", ".join(str(v) for v in value.values())
    return text(value)


def _endpoint(health: dict[str, Any], tg_port: Any) -> str:
    port = health.get("healthcheckport")
    if port == "traffic-port" and tg_port not in (UNKNOWN, None):
        port = tg_port
    path = health.get("healthcheckpath") or ""
    return f"{health.get('healthcheckprotocol')}:{port}{path}"


def _seconds(value: Any) -> str:
    return f"{value} s"


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else key
        if key == "additionalattributes" and isinstance(item, list):
            for attribute in item:
                flat[f"{name}.{attribute.get('key')}"] = attribute.get("value")
        else:
            flat.update(_flatten(item, name))
    return flat


def _classic_listener_text(spec: dict[str, Any]) -> str:
    port = spec.get("loadbalancerport")
    protocol = spec.get("protocol")
    backend = f"{spec.get('instanceprotocol') or protocol}:{spec.get('instanceport')}"
    shown = f"{port} {protocol} → {backend}"
    if spec.get("sslcertificateid"):
        shown += f" ({certificate_name(spec['sslcertificateid'])})"
    return shown


def _looks_like_ssl(name: str, policy: Policy | None) -> bool:
    return policy is None and name.startswith("ELBSecurityPolicy")


def _policy_kind(policy: Policy | None) -> str:
    if policy is None:
        return "attributes unknown"
    kind = (policy.type or "").removesuffix("PolicyType")
    if policy.type == "LBCookieStickinessPolicyType":
        return f"LB cookie stickiness, {policy.attributes.get('CookieExpirationPeriod')} s"
    if policy.type == "AppCookieStickinessPolicyType":
        return f"app cookie stickiness, cookie {policy.attributes.get('CookieName')}"
    return kind or "unknown type"


def _web_acl_name(arn: Any) -> str:
    if not isinstance(arn, str):
        return "unknown"
    parts = arn.split("/")
    return parts[-2] if len(parts) >= 3 else parts[-1]


def _category_of(event_name: str) -> str:
    if "Target" in event_name and "Register" in event_name:
        return "targets"
    if "Tags" in event_name:
        return "tags"
    if event_name.startswith(("Create", "Delete")) and "LoadBalancer" in event_name:
        return "lifecycle"
    if "Listener" in event_name or "Rule" in event_name:
        return "routing"
    if "HealthCheck" in event_name or event_name == "ModifyTargetGroup":
        return "health_check"
    if "Attributes" in event_name:
        return "lb_attributes"
    return "other"


def _unique(found: list[tuple[str, str | None, str]]) -> list[tuple[str, str | None, str]]:
    seen: set[tuple[str, str | None]] = set()
    unique = []
    for lb, lb_id, how in found:
        if (lb, lb_id) not in seen:
            seen.add((lb, lb_id))
            unique.append((lb, lb_id, how))
    return unique


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []
