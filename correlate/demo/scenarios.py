"""The incident scenarios: what happens to the load balancers, which API calls CloudTrail records,
and which of them (if any) is the culprit.

Every scenario runs 50 minutes of traffic on two load balancers (the ALB `web-prod` and the Classic ELB
`legacy-web`). At `incident` one of them (the subject) takes a change that moves its metrics, or, in
`traffic-surge`, a surge arrives with no change behind it; in `app-deploy` the change is a release
that only the deploy feed records. Around it come the decoys a real trail
holds: a tag change, a change on the other load balancer at the same moment, a call that failed,
read-only Describe calls, and a service role registering targets.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from correlate.demo.calls import (
    ACCESS_DENIED,
    add_tags_alb,
    add_tags_clb,
    configure_health_check_clb,
    denied,
    deregister_targets,
    describe,
    modify_health_check,
    modify_lb_attributes,
    modify_listener_default,
    modify_target_group_attributes,
    redeploy_ecs_service,
    register_targets,
)
from correlate.demo.cloudtrail import CLASSIC_API, Call
from correlate.demo.fleet import (
    ALB_ARN,
    ALB_ID,
    ALB_NAME,
    ALICE,
    API,
    AUTOSCALING,
    BOB,
    CLB_CERTIFICATE_ARN,
    CLB_INSTANCES,
    CLB_NAME,
    CLB_NEW_INSTANCE,
    ECS,
    LISTENER_HTTPS_ARN,
    TERRAFORM,
    WEB,
    WEB_V2,
)
from correlate.demo.world import INCIDENT_AFTER, Expected, Scenario

# -- the scenario kinds ---------------------------------------------------------------------------


def common_decoys(s: Scenario, *, failed: Callable[[], None], ecs_at: float | None = -720.0) -> None:
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


def failed_listener_change(s: Scenario, at: float = 4.0) -> Callable[[], None]:
    """Alice tries to move the HTTPS listener's default action to web-v2, and is denied."""
    return lambda: s.add(
        *modify_listener_default(s.at(at), ALICE, WEB_V2, denied(ALICE, "ModifyListener", LISTENER_HTTPS_ARN))
    )


def failed_attribute_change(s: Scenario, at: float = 4.0) -> Callable[[], None]:
    """Bob tries to double web-prod's idle timeout, and is denied."""
    return lambda: s.add(
        *modify_lb_attributes(
            s.at(at), BOB, {"idle_timeout.timeout_seconds": "120"}, denied(BOB, "ModifyLoadBalancerAttributes", ALB_ARN)
        )
    )


def deregistered_targets(start: dt.datetime, rng: random.Random) -> Scenario:
    s = Scenario(
        "deregistered-targets", "Four of six web targets deregistered by hand", ALB_NAME, start, start + INCIDENT_AFTER
    )
    removed = WEB.targets[2:]
    s.add(*deregister_targets(s.at(0), BOB, WEB, removed), culprit=True)
    s.effect(1, lambda w: w.alb.serving.__setitem__(WEB.name, [t for t in w.alb.serving[WEB.name] if t not in removed]))
    common_decoys(
        s,
        failed=failed_listener_change(s),
    )
    return s


def empty_target_group(start: dt.datetime, rng: random.Random) -> Scenario:
    s = Scenario(
        "empty-target-group",
        "Listener default action moved to an empty target group",
        ALB_NAME,
        start,
        start + INCIDENT_AFTER,
    )
    s.add(*modify_listener_default(s.at(0), ALICE, WEB_V2), culprit=True)
    s.effect(1, lambda w: setattr(w.alb, "default_group", WEB_V2.name))
    common_decoys(
        s,
        failed=failed_attribute_change(s),
    )
    return s


def bad_health_check(start: dt.datetime, rng: random.Random) -> Scenario:
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
    common_decoys(
        s,
        failed=failed_listener_change(s),
    )
    return s


def idle_timeout(start: dt.datetime, rng: random.Random) -> Scenario:
    s = Scenario(
        "idle-timeout",
        "Idle timeout cut from 60 s to 5 s: long exports now end in 504",
        ALB_NAME,
        start,
        start + INCIDENT_AFTER,
    )
    s.add(*modify_lb_attributes(s.at(0), BOB, {"idle_timeout.timeout_seconds": "5"}), culprit=True)
    s.effect(1, lambda w: setattr(w.alb, "idle_timeout", 5.0))
    common_decoys(
        s,
        failed=failed_listener_change(s),
    )
    return s


def traffic_surge(start: dt.datetime, rng: random.Random) -> Scenario:
    s = Scenario("traffic-surge", "Traffic surge with no change behind it", ALB_NAME, start, start + INCIDENT_AFTER)
    for step in range(6):  # the surge ramps up over a minute
        s.effect(10 * step, lambda w, level=1.0 + 0.2 * (step + 1): setattr(w.alb, "traffic", level))
    new_task = ("10.0.1.17",)
    s.add(*register_targets(s.at(150), ECS, WEB, new_task))  # the service scales out, after the surge
    s.effect(185, lambda w: w.alb.serving[WEB.name].extend(new_task))
    common_decoys(
        s,
        failed=failed_listener_change(s),
        ecs_at=None,
    )
    return s


def tls_policy(start: dt.datetime, rng: random.Random) -> Scenario:
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
            error_message=denied(
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


def app_deploy(start: dt.datetime, rng: random.Random) -> Scenario:
    """A release of web's application rolls out over two minutes and makes it slower and fail more.
    Nothing in CloudTrail says so: the deploy is only in the deploy feed (GitHub deployments mapped
    to `correlate ingest changes`), beside a feature flag on api, a database maintenance that names
    no load balancer, and a config push to legacy-web at the same moment."""
    s = Scenario(
        "app-deploy",
        "A deploy of web's application makes it slower and fail more (the cause only in the deploy feed)",
        ALB_NAME,
        start,
        start + INCIDENT_AFTER,
    )
    rollout = rng.uniform(90, 150)
    deployment = rng.randrange(1000, 9999)
    sha = "".join(rng.choice("0123456789abcdef") for _ in range(40))
    summary = f"web v2.14.{deployment % 10} ({sha[:7]}) to production"
    s.announce(
        0,
        {
            "id": f"github:deployment:{deployment}",
            "end_after": rollout,
            "kind": "deploy",
            "summary": summary,
            "actor": "release-bot",
            "source": "github",
            "service": "web",
            "target_group": "web",
            "url": f"https://github.com/example/web/commit/{sha}",
            "sha": sha,
        },
        Expected(ALB_NAME, "deploy", summary, ALB_ID, target_group=WEB),
        culprit=True,
    )
    for share, seconds in ((0.04, 20.0), (0.09, rollout / 2), (0.15, rollout)):  # more new tasks, more failures

        def release(w, share=share) -> None:
            w.alb.failing[WEB.name] = share
            w.alb.slowness[WEB.name] = 1.0 + 15 * share

        s.effect(seconds, release)
    flag = "checkout-v2 on for 10% of users"
    s.announce(
        -rng.uniform(1200, 1600),
        {"kind": "feature-flag", "summary": flag, "actor": "carol", "source": "launchdarkly", "target_group": "api"},
        Expected(ALB_NAME, "feature_flag", flag, ALB_ID, target_group=API),
    )
    maintenance = "web-db minor version upgrade (maintenance window)"
    s.announce(
        -rng.uniform(800, 1000),
        {"kind": "infra", "summary": maintenance, "source": "rds-events"},
        Expected(ALB_NAME, "infra", maintenance, ALB_ID),
        Expected(CLB_NAME, "infra", maintenance, CLB_NAME),
    )
    push = "keep-alive timeout 5 s -> 2 s"
    s.announce(
        6,
        {"kind": "config", "summary": push, "actor": "dave", "source": "ansible", "lb": CLB_NAME},
        Expected(CLB_NAME, "config", push, CLB_NAME),
    )
    common_decoys(s, failed=failed_listener_change(s))
    return s


BASIC_KINDS: dict[str, Callable[[dt.datetime, random.Random], Scenario]] = {
    "deregistered-targets": deregistered_targets,
    "empty-target-group": empty_target_group,
    "bad-health-check": bad_health_check,
    "tls-policy": tls_policy,
    "idle-timeout": idle_timeout,
    "traffic-surge": traffic_surge,
}

# Kinds whose cause is in a change feed (`correlate ingest changes`), not in CloudTrail.
FEED_KINDS: dict[str, Callable[[dt.datetime, random.Random], Scenario]] = {
    "app-deploy": app_deploy,
}
