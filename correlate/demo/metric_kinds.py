"""Incidents whose cause an ALB's access logs alone cannot pin down.

- fail-open: web's health check moves to a path no running target serves. Every web target turns
  unhealthy, and ALB fails open: it keeps routing to all of them, so the access logs show nothing.
  Ten to thirteen minutes later the service starts a task of the new build, which passes the check:
  the group stops failing open and sends all of web's traffic to that one healthy target, and errors
  follow. The access logs point at the registration; CloudWatch's UnHealthyHostCount, which jumped
  from 0 to 6 right after the health-check change, points at the culprit.
- nlb-tls-policy: the NLB tls-front's listener moves to a TLS 1.3-only policy; the partner
  integration's TLS 1.2 clients fail their handshakes (failed handshakes in its TLS logs,
  ClientTLSNegotiationErrorCount in CloudWatch).
"""

from __future__ import annotations

import datetime as dt
import random

from correlate.demo.calls import denied, describe, modify_health_check, register_targets
from correlate.demo.cloudtrail import Call
from correlate.demo.fleet import (
    ALB_NAME,
    ALICE,
    BOB,
    ECS,
    NLB_ARN,
    NLB_CERTIFICATE_ARN,
    NLB_ID,
    NLB_LISTENER_ARN,
    NLB_NAME,
    NLB_STRICT_POLICY,
    PARTNER_API,
    TERRAFORM,
    WEB,
)
from correlate.demo.scenarios import common_decoys, failed_listener_change
from correlate.demo.world import INCIDENT_AFTER, Expected, Scenario


def fail_open(start: dt.datetime, rng: random.Random) -> Scenario:
    s = Scenario(
        "fail-open",
        "Health check moved to a path no web target serves: ALB fails open; errors follow a new task minutes later",
        ALB_NAME,
        start,
        start + INCIDENT_AFTER,
    )
    s.add(*modify_health_check(s.at(0), TERRAFORM, WEB, "/healthz/v2", 15, 3), culprit=True)
    s.effect(45, lambda w: w.alb.unhealthy.__setitem__(WEB.name, set(WEB.targets)))  # third failed check
    new_task = ("10.0.1.17",)
    started = rng.uniform(600, 780)
    s.add(*register_targets(s.at(started), ECS, WEB, new_task))
    # the new build answers /healthz/v2: once healthy it is the group's only healthy target
    s.effect(started + 35, lambda w: w.alb.serving.__setitem__(WEB.name, list(new_task)))
    common_decoys(s, failed=failed_listener_change(s))
    return s


def _nlb_listener(policy: str) -> dict:
    return {
        "listenerArn": NLB_LISTENER_ARN,
        "loadBalancerArn": NLB_ARN,
        "port": 443,
        "protocol": "TLS",
        "certificates": [{"certificateArn": NLB_CERTIFICATE_ARN}],
        "sslPolicy": policy,
        "defaultActions": [{"type": "forward", "targetGroupArn": PARTNER_API.arn}],
    }


def nlb_tls_policy(start: dt.datetime, rng: random.Random) -> Scenario:
    s = Scenario(
        "nlb-tls-policy",
        "NLB listener moved to a TLS 1.3-only policy: the partner integration's TLS 1.2 clients fail their handshakes",
        NLB_NAME,
        start,
        start + INCIDENT_AFTER,
    )
    s.add(
        Call(
            s.at(0),
            BOB,
            "ModifyListener",
            {"listenerArn": NLB_LISTENER_ARN, "sslPolicy": NLB_STRICT_POLICY},
            {"listeners": [_nlb_listener(NLB_STRICT_POLICY)]},
        ),
        Expected(NLB_NAME, "listener_tls", f"ModifyListener: TLS:443 SSL policy {NLB_STRICT_POLICY}", NLB_ID, 443),
        culprit=True,
    )
    s.effect(1, lambda w: setattr(w.nlb, "protocols", ("tlsv13",)))
    cross_zone = [{"key": "load_balancing.cross_zone.enabled", "value": "true"}]
    s.add(
        Call(
            s.at(-rng.uniform(200, 300)),
            TERRAFORM,
            "ModifyLoadBalancerAttributes",
            {"loadBalancerArn": NLB_ARN, "attributes": cross_zone},
            {"attributes": cross_zone},
        ),
        Expected(
            NLB_NAME,
            "lb_attributes",
            "ModifyLoadBalancerAttributes: load_balancing.cross_zone.enabled=true",
            NLB_ID,
            details={"attribute_keys": ["load_balancing.cross_zone.enabled"]},
        ),
    )
    s.add(describe(s.at(-60), ALICE, "DescribeListeners", {"loadBalancerArn": NLB_ARN}))
    certificate = {"listenerArn": NLB_LISTENER_ARN, "certificates": [{"certificateArn": NLB_CERTIFICATE_ARN}]}
    error_code, message = denied(ALICE, "ModifyListener", NLB_LISTENER_ARN)
    s.add(
        Call(s.at(4), ALICE, "ModifyListener", certificate, None, error_code=error_code, error_message=message),
        Expected(NLB_NAME, "listener_tls", "ModifyListener: TLS:443 certificate", NLB_ID, 443),
    )
    s.add(
        Call(
            s.at(9),
            TERRAFORM,
            "AddTags",
            {"resourceArns": [NLB_ARN], "tags": [{"key": "Partner", "value": "acme"}]},
        ),
        Expected(NLB_NAME, "tags", "AddTags: Partner=acme", NLB_ID),
    )
    s.add(describe(s.at(80), BOB, "DescribeTargetHealth", {"targetGroupArn": PARTNER_API.arn}))
    return s


METRIC_KINDS = {"fail-open": fail_open, "nlb-tls-policy": nlb_tls_policy}
