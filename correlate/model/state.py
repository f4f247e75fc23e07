"""What the change model knows: the records it reads, the replayed configuration (`State`), and what
is known besides CloudTrail (`Knowledge`: an inventory snapshot, access logs). The record it writes
is `Change` (model/change.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from correlate.model.describe import UNKNOWN, action_target_groups, lower_keys, tg_name
from correlate.parse.arns import parse_elb_arn


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
    """A target group seen serving a load balancer in the access logs (or read with it from CloudWatch:
    `target_group_arn` is then the metric's `targetgroup/NAME/ID`), and when."""

    target_group_arn: str
    lb: str
    lb_id: str | None
    first_seen: dt.datetime
    last_seen: dt.datetime
    source: str = "access_logs"  # or cloudwatch


def target_group_key(arn: str) -> str:
    """`targetgroup/NAME/ID`, the part of a target group's ARN that CloudWatch's dimension holds too."""
    return arn.rsplit(":", 1)[-1]


@dataclass(frozen=True, slots=True)
class TargetLink:
    """A target (ip:port) seen serving a target group of a load balancer in the access logs, and when."""

    target: str
    target_group_arn: str | None
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
    mutual_authentication: Any = UNKNOWN  # the mode: off, passthrough, verify
    trust_store: Any = UNKNOWN  # the trust store ARN of mutual TLS (verify mode)
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
class EcsService:
    """An ECS service: the task definition it runs, how many tasks, and the load balancing it registers
    them with (target group ARNs; Classic load balancer names)."""

    cluster: str
    name: str
    task_definition: Any = UNKNOWN
    desired_count: Any = UNKNOWN
    target_groups: Any = UNKNOWN  # tuple of ARNs
    classic_lbs: Any = UNKNOWN  # tuple of names
    health_check_grace: Any = UNKNOWN


@dataclass
class DeploymentGroup:
    """A CodeDeploy deployment group and the load balancing its deployments go through
    (`loadBalancerInfo`): target group names, Classic load balancer names, and the listeners a
    blue/green deployment moves traffic on."""

    application: str
    name: str
    target_groups: tuple[str, ...] = ()
    classic_lbs: tuple[str, ...] = ()
    listeners: tuple[str, ...] = ()  # listener ARNs (ECS blue/green: the production traffic route)


@dataclass
class AutoScalingGroup:
    """An Auto Scaling group: the load balancing its instances are registered with, the launch
    template they start from, and how many run."""

    name: str
    target_groups: Any = UNKNOWN  # tuple of ARNs
    classic_lbs: Any = UNKNOWN  # tuple of names
    launch_template: Any = UNKNOWN  # "NAME version N", as launch_template_text writes it
    desired_capacity: Any = UNKNOWN


@dataclass
class State:
    lbs: dict[str, LoadBalancer] = field(default_factory=dict)  # by lb_id (the name for Classic)
    listeners: dict[str, Listener] = field(default_factory=dict)  # v2, by ARN
    rules: dict[str, Rule] = field(default_factory=dict)
    target_groups: dict[str, TargetGroup] = field(default_factory=dict)
    nacl_subnets: dict[str, set[str]] = field(default_factory=dict)
    web_acl_rules: dict[str, list[str]] = field(default_factory=dict)  # web ACL id → rule names
    linked_once: set[str] = field(default_factory=set)  # target groups some listener or rule forwarded to
    ecs_services: dict[str, EcsService] = field(default_factory=dict)  # by CLUSTER/SERVICE
    # target id (instance id, IP, Lambda ARN) → the target groups it is registered in
    registered: dict[str, set[str]] = field(default_factory=dict)
    classic_registered: dict[str, set[str]] = field(default_factory=dict)  # instance id → Classic names
    deployment_groups: dict[str, DeploymentGroup] = field(default_factory=dict)  # by APPLICATION/GROUP
    auto_scaling_groups: dict[str, AutoScalingGroup] = field(default_factory=dict)  # by name
    lambda_aliases: dict[str, Any] = field(default_factory=dict)  # FUNCTION:ALIAS → the version it points to

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
            if listener.default_actions is not UNKNOWN and tg_arn in tg_arns(listener.default_actions):
                found.append((listener, None))
        for rule in self.rules.values():
            if rule.actions is not UNKNOWN and tg_arn in tg_arns(rule.actions) and rule.listener_arn:
                owner = self.listeners.get(rule.listener_arn) or Listener(rule.lb, rule.lb_id, rule.listener_arn)
                found.append((owner, rule))
        return found

    def target_groups_named(self, name: str) -> list[str]:
        """The ARNs of the target groups called `name` (names are unique in an account and region)
        that the configuration knows: created, forwarded to, or with targets registered."""
        known = {
            *self.target_groups,
            *self.linked_once,
            *(arn for groups in self.registered.values() for arn in groups),
        }
        return sorted(
            arn
            for arn in known
            if (self.target_groups[arn].name if arn in self.target_groups else tg_name(arn)) == name
        )

    def register(self, target_group_arn: str, target_ids: Iterable[str], registering: bool) -> None:
        for target in target_ids:
            groups = self.registered.setdefault(target, set())
            if registering:
                groups.add(target_group_arn)
            else:
                groups.discard(target_group_arn)

    def link(self, actions: Any) -> None:
        self.linked_once.update(tg_arns(actions))

    def uses_security_group(self, group: str) -> list[LoadBalancer]:
        return [
            lb for lb in self.lbs.values() if lb.security_groups is not UNKNOWN and group in (lb.security_groups or ())
        ]


def tg_arns(actions: Any) -> set[str]:
    return {arn for arn, _ in action_target_groups(actions)}


class Knowledge:
    """What is known apart from the CloudTrail replay: an inventory snapshot, access-log links, the
    load balancers seen, and (for change events that name targets) which targets served where."""

    def __init__(
        self,
        inventory: Iterable[InventoryItem] = (),
        log_links: Iterable[LogLink] = (),
        load_balancers: Iterable[tuple[str, str | None]] = (),
        target_links: Iterable[TargetLink] = (),
    ) -> None:
        self.load_balancers = list(load_balancers)
        self.target_links: dict[str, list[TargetLink]] = {}
        for target_link in target_links:
            self.target_links.setdefault(target_link.target, []).append(target_link)
        self.items = sorted(inventory, key=lambda item: item.taken_at)
        self.taken_at = self.items[0].taken_at if self.items else None
        self.log_links: dict[str, list[LogLink]] = {}
        for link in log_links:
            self.log_links.setdefault(target_group_key(link.target_group_arn), []).append(link)
        self.snapshot = State()
        apply_inventory(self.snapshot, self.items)

    def target_groups_named(self, name: str) -> list[str]:
        """The ARNs of the target groups called `name` in the inventory, else in the access logs (or, read
        from CloudWatch only, its `targetgroup/NAME/ID`)."""
        return self.snapshot.target_groups_named(name) or sorted(
            next((link.target_group_arn for link in links if link.target_group_arn.startswith("arn:")), key)
            for key, links in self.log_links.items()
            if key.split("/")[1:2] == [name]
        )

    def tg_lbs(self, tg_arn: str, when: dt.datetime) -> tuple[list[tuple[str, str | None]], str]:
        found = self.snapshot.target_groups.get(tg_arn)
        pairs: set[tuple[str, str | None]] = set(found.lbs) if found else set()
        pairs |= {(listener.lb, listener.lb_id) for listener, _ in self.snapshot.forwards_to(tg_arn)}
        if pairs:
            return sorted(pairs, key=pair_key), "inventory"
        links = self.log_links.get(target_group_key(tg_arn), [])
        during = [link for link in links if link.first_seen <= when <= link.last_seen]
        chosen = during or links
        how = "access_logs" if any(link.source == "access_logs" for link in chosen) else "cloudwatch"
        return sorted({(link.lb, link.lb_id) for link in chosen}, key=pair_key), how


def lbs_serving(
    state: State, knowledge: Knowledge, tg_arn: str, when: dt.datetime
) -> tuple[list[tuple[str, str | None]], str]:
    """The load balancers that forward to the target group at `when`, and how that is known: the
    replayed CloudTrail state (a group CloudTrail saw attached and then detached serves none), else
    the inventory, else the access logs."""
    linked = state.forwards_to(tg_arn)
    if linked or tg_arn in state.linked_once:
        return sorted({(listener.lb, listener.lb_id) for listener, _ in linked}, key=pair_key), "cloudtrail"
    return knowledge.tg_lbs(tg_arn, when)


def pair_key(pair: tuple[str, str | None]) -> tuple[str, str]:
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
            mutual = data.get("mutualauthentication")
            listener.mutual_authentication = mutual.get("mode") if isinstance(mutual, dict) else None
            listener.trust_store = mutual.get("truststorearn") if isinstance(mutual, dict) else None
            state.link(listener.default_actions)
        elif kind == "rule":
            resource = parse_elb_arn(item.arn)
            if resource is None or resource.lb is None:
                continue
            listener_arn = listener_of_rule(item.arn)
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
            group.health.update(health_from(data))
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
            lb.health.update({key: check[key] for key in CLASSIC_HEALTH if key in check})
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
        elif kind == "auto_scaling_group":
            group = state.auto_scaling_groups.setdefault(item.arn, AutoScalingGroup(item.arn))
            group.target_groups = tuple(data.get("targetgrouparns") or ())
            group.classic_lbs = tuple(data.get("loadbalancernames") or ())
            group.launch_template = launch_template_text(
                data.get("launchtemplate") or (data.get("mixedinstancespolicy") or {}).get("launchtemplate")
            )
            group.desired_capacity = data.get("desiredcapacity", UNKNOWN)
        elif kind == "web_acl_association":
            resource = parse_elb_arn(item.arn)
            if resource is not None and resource.lb:
                state.lb(resource.lb, resource.lb_id, classic=False).web_acl = data.get("webaclarn")


def launch_template_text(spec: Any) -> Any:
    """`web-lt version 7` from an Auto Scaling launch template specification (keys lower-cased;
    also the `launchTemplateSpecification` of a mixed instances policy), UNKNOWN without one."""
    if not isinstance(spec, dict):
        return UNKNOWN
    spec = spec.get("launchtemplatespecification", spec)
    name = spec.get("launchtemplatename") or spec.get("launchtemplateid")
    if not name:
        return UNKNOWN
    version = spec.get("version")
    return f"{name} version {version}" if version not in (None, "") else f"{name} version $Default"


def listener_of_rule(rule_arn: str) -> str | None:
    """listener-rule/app/NAME/ID/LISTENER/RULE → listener/app/NAME/ID/LISTENER."""
    head, _, path = rule_arn.partition(":listener-rule/")
    parts = path.split("/")
    if not path or len(parts) < 5:
        return None
    return f"{head}:listener/{'/'.join(parts[:4])}"


CLASSIC_HEALTH = ("target", "interval", "timeout", "unhealthythreshold", "healthythreshold")
V2_HEALTH = (
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


def health_from(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in V2_HEALTH if key in data}
