"""The incident scenarios: what happens to the load balancers, which API calls CloudTrail records,
and which of them (if any) is the culprit.

Every scenario runs 50 minutes of traffic on two load balancers (the ALB `web-prod` and the Classic ELB
`legacy-web`). At `incident` one of them (the subject) takes a change that moves its metrics, or, in
`traffic-surge`, a surge arrives with no change behind it. Around it come the decoys a real trail
holds: a tag change, a change on the other load balancer at the same moment, a call that failed,
read-only Describe calls, and a service role registering targets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from correlate.demo.cloudtrail import CLASSIC_API, Call
from correlate.demo.fleet import (
    ACCOUNT,
    ALB_ARN,
    ALB_ID,
    ALB_NAME,
    ALB_TLS_POLICY,
    ALICE,
    API,
    AUTOSCALING,
    BOB,
    CERTIFICATE_ARN,
    CLB_CERTIFICATE_ARN,
    CLB_INSTANCES,
    CLB_NAME,
    CLB_NEW_INSTANCE,
    ECS,
    LISTENER_HTTPS_ARN,
    REGION,
    TERRAFORM,
    WEB,
    WEB_V2,
    TargetGroup,
)

DURATION = dt.timedelta(minutes=50)
INCIDENT_AFTER = dt.timedelta(minutes=30, seconds=23)
FIRST_DAY = dt.datetime(2026, 11, 2, 13, 30)


@dataclass
class AlbState:
    """What shapes web-prod's traffic at a moment."""

    serving: dict[str, list[str]]  # target group -> targets in service (registered and healthy)
    default_group: str = WEB.name
    idle_timeout: float = 60.0
    traffic: float = 1.0  # multiplier of the base request rate


@dataclass
class ClbState:
    """What shapes legacy-web's traffic at a moment."""

    backends: list[str]  # instance IPs in service
    protocols: tuple[str, ...] = ("TLSv1", "TLSv1.1", "TLSv1.2")  # what the listener's policy accepts


@dataclass
class World:
    alb: AlbState
    clb: ClbState


Effect = tuple[dt.datetime, Callable[[World], None]]


@dataclass(frozen=True, slots=True)
class Expected:
    """The `changes` row a CloudTrail parser should make of a call (the test oracle)."""

    lb: str
    category: str
    summary: str
    lb_id: str | None = None
    listener_port: int | None = None
    target_group: TargetGroup | None = None
    targets: tuple[str, ...] = ()
    also: tuple[str, ...] = ()  # further categories the change falls in
    details: dict | None = None  # the facts the scoring reads from `details` (health-check timing, ...)


@dataclass(frozen=True, slots=True)
class Event:
    call: Call
    expected: Expected | None = None  # None: not a configuration change (Describe, other services)
    culprit: bool = False


@dataclass
class Scenario:
    kind: str
    title: str
    subject: str
    start: dt.datetime
    incident: dt.datetime
    events: list[Event] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)

    @property
    def end(self) -> dt.datetime:
        return self.start + DURATION

    @property
    def culprit(self) -> Event | None:
        return next((event for event in self.events if event.culprit), None)

    def at(self, seconds: float) -> dt.datetime:
        return self.incident + dt.timedelta(seconds=seconds)

    def add(self, call: Call, expected: Expected | None = None, culprit: bool = False) -> None:
        self.events.append(Event(call, expected, culprit))

    def effect(self, seconds: float, change: Callable[[World], None]) -> None:
        self.effects.append((self.at(seconds), change))


def initial_world() -> World:
    return World(
        alb=AlbState(serving={WEB.name: list(WEB.targets), API.name: list(API.targets), WEB_V2.name: []}),
        clb=ClbState(backends=list(CLB_INSTANCES.values())),
    )


# -- the calls, as CloudTrail records them --------------------------------------------------------


def _targets(group: TargetGroup, ips: tuple[str, ...]) -> list[dict]:
    return [{"id": ip, "port": group.port} for ip in ips]


def register_targets(at, principal, group: TargetGroup, ips: tuple[str, ...]) -> tuple[Call, Expected]:
    call = Call(at, principal, "RegisterTargets", {"targetGroupArn": group.arn, "targets": _targets(group, ips)})
    return call, Expected(
        ALB_NAME,
        "targets",
        f"RegisterTargets: {', '.join(ips)} into target group {group.name}",
        ALB_ID,
        target_group=group,
        targets=ips,
    )


def deregister_targets(at, principal, group: TargetGroup, ips: tuple[str, ...]) -> tuple[Call, Expected]:
    call = Call(at, principal, "DeregisterTargets", {"targetGroupArn": group.arn, "targets": _targets(group, ips)})
    return call, Expected(
        ALB_NAME,
        "targets",
        f"DeregisterTargets: {', '.join(ips)} from target group {group.name}",
        ALB_ID,
        target_group=group,
        targets=ips,
    )


def _listener(default_group: TargetGroup, policy: str = ALB_TLS_POLICY) -> dict:
    return {
        "listenerArn": LISTENER_HTTPS_ARN,
        "loadBalancerArn": ALB_ARN,
        "port": 443,
        "protocol": "HTTPS",
        "certificates": [{"certificateArn": CERTIFICATE_ARN}],
        "sslPolicy": policy,
        "defaultActions": [
            {
                "type": "forward",
                "targetGroupArn": default_group.arn,
                "forwardConfig": {
                    "targetGroups": [{"targetGroupArn": default_group.arn, "weight": 1}],
                    "targetGroupStickinessConfig": {"enabled": False},
                },
            }
        ],
    }


def modify_listener_default(at, principal, group: TargetGroup, error: tuple[str, str] | None = None):
    request = {"listenerArn": LISTENER_HTTPS_ARN, "defaultActions": [{"type": "forward", "targetGroupArn": group.arn}]}
    call = Call(
        at,
        principal,
        "ModifyListener",
        request,
        {"listeners": [_listener(group)]},
        error_code=error[0] if error else None,
        error_message=error[1] if error else None,
    )
    return call, Expected(
        ALB_NAME,
        "routing",
        f"ModifyListener: HTTPS:443 default action forwards to target group {group.name}",
        ALB_ID,
        listener_port=443,
        target_group=group,
    )


def modify_health_check(at, principal, group: TargetGroup, path: str, interval: int, threshold: int):
    request = {
        "targetGroupArn": group.arn,
        "healthCheckPath": path,
        "healthCheckIntervalSeconds": interval,
        "healthCheckTimeoutSeconds": 5,
        "unhealthyThresholdCount": threshold,
    }
    response = {
        "targetGroups": [
            {
                "targetGroupArn": group.arn,
                "targetGroupName": group.name,
                "protocol": "HTTP",
                "port": group.port,
                "vpcId": "vpc-0b6f3c2a1d9e8f7a6",
                "healthCheckProtocol": "HTTP",
                "healthCheckPort": "traffic-port",
                "healthCheckEnabled": True,
                "healthCheckIntervalSeconds": interval,
                "healthCheckTimeoutSeconds": 5,
                "healthyThresholdCount": 5,
                "unhealthyThresholdCount": threshold,
                "healthCheckPath": path,
                "matcher": {"httpCode": "200"},
                "loadBalancerArns": [ALB_ARN],
                "targetType": "ip",
                "protocolVersion": "HTTP1",
                "ipAddressType": "ipv4",
            }
        ]
    }
    call = Call(at, principal, "ModifyTargetGroup", request, response)
    return call, Expected(
        ALB_NAME,
        "health_check",
        f"ModifyTargetGroup: health check of target group {group.name} now {path} every {interval}s, "
        f"unhealthy after {threshold}",
        ALB_ID,
        target_group=group,
        details={"health_check": {"interval": float(interval), "unhealthy_threshold": float(threshold)}},
    )


def modify_lb_attributes(at, principal, attributes: dict[str, str], error: tuple[str, str] | None = None):
    pairs = [{"key": key, "value": value} for key, value in attributes.items()]
    call = Call(
        at,
        principal,
        "ModifyLoadBalancerAttributes",
        {"loadBalancerArn": ALB_ARN, "attributes": pairs},
        {"attributes": pairs},
        error_code=error[0] if error else None,
        error_message=error[1] if error else None,
    )
    described = ", ".join(f"{key}={value}" for key, value in attributes.items())
    return call, Expected(
        ALB_NAME,
        "lb_attributes",
        f"ModifyLoadBalancerAttributes: {described}",
        ALB_ID,
        details={"attribute_keys": sorted(attributes)},
    )


def redeploy_ecs_service(at, principal, group: TargetGroup):
    """UpdateService --force-new-deployment of the ECS service behind `group` (same task definition)."""
    cluster = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod"
    task = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{group.name}:7"
    call = Call(
        at,
        principal,
        "UpdateService",
        {"cluster": "prod", "service": group.name, "forceNewDeployment": True},
        {
            "service": {
                "serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/{group.name}",
                "serviceName": group.name,
                "clusterArn": cluster,
                "loadBalancers": [
                    {"targetGroupArn": group.arn, "containerName": group.name, "containerPort": group.port}
                ],
                "desiredCount": len(group.targets),
                "taskDefinition": task,
                "deployments": [
                    {"status": "PRIMARY", "taskDefinition": task, "rolloutState": "IN_PROGRESS"},
                    {"status": "ACTIVE", "taskDefinition": task, "rolloutState": "COMPLETED"},
                ],
            }
        },
        source="ecs.amazonaws.com",
        api_version=None,
    )
    return call, Expected(
        ALB_NAME,
        "targets",
        f"UpdateService: new deployment of ECS service {group.name}",
        ALB_ID,
        target_group=group,
        details={"ecs_action": "deployment"},
    )


def add_tags_alb(at, principal, tags: dict[str, str]):
    call = Call(
        at,
        principal,
        "AddTags",
        {"resourceArns": [ALB_ARN], "tags": [{"key": k, "value": v} for k, v in tags.items()]},
    )
    described = ", ".join(f"{k}={v}" for k, v in tags.items())
    return call, Expected(ALB_NAME, "tags", f"AddTags: {described}", ALB_ID)


def add_tags_clb(at, principal, tags: dict[str, str]):
    call = Call(
        at,
        principal,
        "AddTags",
        {"loadBalancerNames": [CLB_NAME], "tags": [{"key": k, "value": v} for k, v in tags.items()]},
        api_version=CLASSIC_API,
    )
    described = ", ".join(f"{k}={v}" for k, v in tags.items())
    return call, Expected(CLB_NAME, "tags", f"AddTags: {described}", CLB_NAME)


def configure_health_check_clb(at, principal):
    check = {"target": "HTTP:80/status", "interval": 30, "timeout": 5, "unhealthyThreshold": 2, "healthyThreshold": 10}
    call = Call(
        at,
        principal,
        "ConfigureHealthCheck",
        {"loadBalancerName": CLB_NAME, "healthCheck": check},
        {"healthCheck": check},
        api_version=CLASSIC_API,
    )
    return call, Expected(
        CLB_NAME,
        "health_check",
        "ConfigureHealthCheck: HTTP:80/status every 30s, unhealthy after 2",
        CLB_NAME,
        details={"health_check": {"interval": 30.0, "unhealthy_threshold": 2.0, "healthy_threshold": 10.0}},
    )


def modify_target_group_attributes(at, principal, group: TargetGroup, attributes: dict[str, str]):
    pairs = [{"key": key, "value": value} for key, value in attributes.items()]
    call = Call(
        at,
        principal,
        "ModifyTargetGroupAttributes",
        {"targetGroupArn": group.arn, "attributes": pairs},
        {"attributes": pairs},
    )
    described = ", ".join(f"{key}={value}" for key, value in attributes.items())
    return call, Expected(
        ALB_NAME,
        "target_group_attributes",
        f"ModifyTargetGroupAttributes: target group {group.name} {described}",
        ALB_ID,
        target_group=group,
        details={"attribute_keys": sorted(attributes)},
    )


def describe(at, principal, name: str, request: dict | None, classic: bool = False) -> Call:
    return Call(
        at, principal, name, request, None, api_version=CLASSIC_API if classic else "2015-12-01", read_only=True
    )


ACCESS_DENIED = "AccessDenied"


def _denied(principal, action: str, resource: str) -> tuple[str, str]:
    return (
        ACCESS_DENIED,
        f"User: {principal.arn} is not authorized to perform: elasticloadbalancing:{action} on resource: "
        f"{resource} because no identity-based policy allows the elasticloadbalancing:{action} action",
    )


# -- the scenario kinds ---------------------------------------------------------------------------


def _common_decoys(s: Scenario, *, failed: Callable[[], None], ecs_at: float | None = -720.0) -> None:
    """The decoys every web-prod scenario carries."""
    s.add(*redeploy_ecs_service(s.at(-1200), TERRAFORM, API))
    if ecs_at is not None:
        new_task = ("10.0.2.24",)
        s.add(*register_targets(s.at(ecs_at), ECS, API, new_task))
        s.effect(ecs_at + 35, lambda w: w.alb.serving[API.name].extend(new_task))
    s.add(describe(s.at(-300), ALICE, "DescribeLoadBalancers", {"names": [ALB_NAME]}))
    s.add(describe(s.at(-290), ALICE, "DescribeTargetGroups", {"loadBalancerArn": ALB_ARN}))
    s.add(*configure_health_check_clb(s.at(2), BOB))
    failed()
    s.add(*add_tags_alb(s.at(9), TERRAFORM, {"CostCenter": "web-4411", "Owner": "platform"}))
    for i, group in enumerate((WEB, API, WEB)):
        s.add(describe(s.at(75 + 40 * i), ALICE, "DescribeTargetHealth", {"targetGroupArn": group.arn}))


def deregistered_targets(start: dt.datetime) -> Scenario:
    s = Scenario(
        "deregistered-targets", "Four of six web targets deregistered by hand", ALB_NAME, start, start + INCIDENT_AFTER
    )
    removed = WEB.targets[2:]
    s.add(*deregister_targets(s.at(0), BOB, WEB, removed), culprit=True)
    s.effect(1, lambda w: w.alb.serving.__setitem__(WEB.name, [t for t in w.alb.serving[WEB.name] if t not in removed]))
    _common_decoys(
        s,
        failed=lambda: s.add(
            *modify_listener_default(s.at(4), ALICE, WEB_V2, _denied(ALICE, "ModifyListener", LISTENER_HTTPS_ARN))
        ),
    )
    return s


def empty_target_group(start: dt.datetime) -> Scenario:
    s = Scenario(
        "empty-target-group",
        "Listener default action moved to an empty target group",
        ALB_NAME,
        start,
        start + INCIDENT_AFTER,
    )
    s.add(*modify_listener_default(s.at(0), ALICE, WEB_V2), culprit=True)
    s.effect(1, lambda w: setattr(w.alb, "default_group", WEB_V2.name))
    _common_decoys(
        s,
        failed=lambda: s.add(
            *modify_lb_attributes(
                s.at(4),
                BOB,
                {"idle_timeout.timeout_seconds": "120"},
                _denied(BOB, "ModifyLoadBalancerAttributes", ALB_ARN),
            )
        ),
    )
    return s


def bad_health_check(start: dt.datetime) -> Scenario:
    s = Scenario(
        "bad-health-check",
        "Health check moved to a path half of the targets do not serve",
        ALB_NAME,
        start,
        start + INCIDENT_AFTER,
    )
    s.add(*modify_health_check(s.at(0), TERRAFORM, WEB, "/healthz/ready", 15, 3), culprit=True)
    failing = WEB.targets[3:]
    for i, target in enumerate(failing):
        # each target fails its third check: 30-45 s after the change, depending on its check phase
        s.effect(31 + 6 * i, lambda w, t=target: w.alb.serving[WEB.name].remove(t))
    _common_decoys(
        s,
        failed=lambda: s.add(
            *modify_listener_default(s.at(4), ALICE, WEB_V2, _denied(ALICE, "ModifyListener", LISTENER_HTTPS_ARN))
        ),
    )
    return s


def idle_timeout(start: dt.datetime) -> Scenario:
    s = Scenario(
        "idle-timeout",
        "Idle timeout cut from 60 s to 5 s: long exports now end in 504",
        ALB_NAME,
        start,
        start + INCIDENT_AFTER,
    )
    s.add(*modify_lb_attributes(s.at(0), BOB, {"idle_timeout.timeout_seconds": "5"}), culprit=True)
    s.effect(1, lambda w: setattr(w.alb, "idle_timeout", 5.0))
    _common_decoys(
        s,
        failed=lambda: s.add(
            *modify_listener_default(s.at(4), ALICE, WEB_V2, _denied(ALICE, "ModifyListener", LISTENER_HTTPS_ARN))
        ),
    )
    return s


def traffic_surge(start: dt.datetime) -> Scenario:
    s = Scenario("traffic-surge", "Traffic surge with no change behind it", ALB_NAME, start, start + INCIDENT_AFTER)
    for step in range(6):  # the surge ramps up over a minute
        s.effect(10 * step, lambda w, level=1.0 + 0.2 * (step + 1): setattr(w.alb, "traffic", level))
    new_task = ("10.0.1.17",)
    s.add(*register_targets(s.at(150), ECS, WEB, new_task))  # the service scales out, after the surge
    s.effect(185, lambda w: w.alb.serving[WEB.name].extend(new_task))
    _common_decoys(
        s,
        failed=lambda: s.add(
            *modify_listener_default(s.at(4), ALICE, WEB_V2, _denied(ALICE, "ModifyListener", LISTENER_HTTPS_ARN))
        ),
        ecs_at=None,
    )
    return s


def tls_policy(start: dt.datetime) -> Scenario:
    s = Scenario(
        "tls-policy",
        "Classic ELB listener moved to a TLS 1.2-only policy: TLS 1.0/1.1 clients vanish",
        CLB_NAME,
        start,
        start + INCIDENT_AFTER,
    )
    policy = "tls12-only-2026-11"
    s.add(
        Call(
            s.at(-41),
            ALICE,
            "CreateLoadBalancerPolicy",
            {
                "loadBalancerName": CLB_NAME,
                "policyName": policy,
                "policyTypeName": "SSLNegotiationPolicyType",
                "policyAttributes": [
                    {
                        "attributeName": "Reference-Security-Policy",
                        "attributeValue": "ELBSecurityPolicy-TLS-1-2-2017-01",
                    }
                ],
            },
            None,
            api_version=CLASSIC_API,
        ),
        Expected(
            CLB_NAME,
            "other",  # the policy does nothing until a listener uses it
            f"CreateLoadBalancerPolicy: {policy} (SSLNegotiationPolicyType, ELBSecurityPolicy-TLS-1-2-2017-01)",
            CLB_NAME,
            also=("listener_tls",),  # a TLS policy, once a listener uses it
        ),
    )
    s.add(
        Call(
            s.at(0),
            ALICE,
            "SetLoadBalancerPoliciesOfListener",
            {
                "loadBalancerName": CLB_NAME,
                "loadBalancerPort": 443,
                "policyNames": [policy],
            },
            None,
            api_version=CLASSIC_API,
        ),
        Expected(
            CLB_NAME,
            "listener_tls",
            f"SetLoadBalancerPoliciesOfListener: port 443 now uses {policy}",
            CLB_NAME,
            listener_port=443,
        ),
        culprit=True,
    )
    s.effect(1, lambda w: setattr(w.clb, "protocols", ("TLSv1.2",)))
    instance, ip = CLB_NEW_INSTANCE
    s.add(
        Call(
            s.at(-700),
            AUTOSCALING,
            "RegisterInstancesWithLoadBalancer",
            {"loadBalancerName": CLB_NAME, "instances": [{"instanceId": instance}]},
            {"instances": [{"instanceId": i} for i in [*CLB_INSTANCES, instance]]},
            api_version=CLASSIC_API,
        ),
        Expected(CLB_NAME, "targets", f"RegisterInstancesWithLoadBalancer: {instance}", CLB_NAME, targets=(instance,)),
    )
    s.effect(-700 + 40, lambda w: w.clb.backends.append(ip))
    s.add(describe(s.at(-95), ALICE, "DescribeLoadBalancerPolicies", {"loadBalancerName": CLB_NAME}, classic=True))
    s.add(describe(s.at(-80), ALICE, "DescribeLoadBalancers", {"loadBalancerNames": [CLB_NAME]}, classic=True))
    s.add(
        *modify_target_group_attributes(
            s.at(2), BOB, API, {"stickiness.enabled": "true", "stickiness.type": "lb_cookie"}
        )
    )
    s.add(
        Call(
            s.at(5),
            BOB,
            "SetLoadBalancerListenerSSLCertificate",
            {"loadBalancerName": CLB_NAME, "loadBalancerPort": 443, "sSLCertificateId": CLB_CERTIFICATE_ARN},
            None,
            api_version=CLASSIC_API,
            error_code=ACCESS_DENIED,
            error_message=_denied(
                BOB,
                "SetLoadBalancerListenerSSLCertificate",
                f"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/{CLB_NAME}",
            )[1],
        ),
        Expected(
            CLB_NAME,
            "listener_tls",
            "SetLoadBalancerListenerSSLCertificate: port 443",
            CLB_NAME,
            listener_port=443,
            also=("certificate",),
        ),
    )
    s.add(*add_tags_clb(s.at(9), TERRAFORM, {"CostCenter": "web-4411", "Tier": "legacy"}))
    s.add(*register_targets(s.at(-720), ECS, API, ("10.0.2.24",)))
    s.effect(-720 + 35, lambda w: w.alb.serving[API.name].append("10.0.2.24"))
    s.add(describe(s.at(70), ALICE, "DescribeInstanceHealth", {"loadBalancerName": CLB_NAME}, classic=True))
    return s


KINDS: dict[str, Callable[[dt.datetime], Scenario]] = {
    "deregistered-targets": deregistered_targets,
    "empty-target-group": empty_target_group,
    "bad-health-check": bad_health_check,
    "tls-policy": tls_policy,
    "idle-timeout": idle_timeout,
    "traffic-surge": traffic_surge,
}


def scenario(kind: str, seed: int) -> Scenario:
    """The scenario of `kind`; each (kind, seed) gets its own day, so several can share a database."""
    index = list(KINDS).index(kind)
    start = FIRST_DAY + dt.timedelta(days=7 * ((seed - 1) % 520) + index)
    built = KINDS[kind](start)
    built.events.sort(key=lambda event: event.call.at)
    built.effects.sort(key=lambda effect: effect[0])
    return built
