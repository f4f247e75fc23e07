"""Harder incidents: what real incidents add to the textbook ones, each a trap for change correlation.

- on-call-reaction: web's application starts failing (nothing in CloudTrail says why); two or three
  minutes later the on-call engineer, after a few DescribeTargetHealth calls, registers two more
  targets. The failure keeps worsening on the old targets. No change is the culprit.
- unreached-rule: a new listener rule whose conditions no request matches, and a health-check change
  on a target group that receives no requests, land around a deregistration that leaves the api
  group one target (the culprit).
- revert: the default action moves to a new target group whose release answers half its requests
  with 500 (the culprit); clients retry; 10-15 minutes later the same engineer moves it back, which
  ends the errors and the retry traffic.
- ramp: stickiness turned on for web concentrates its load on two targets, building over ten minutes
  (the culprit); the service scales out 8-11 minutes in, inside the worsening trend.
- sibling-slice: api, about a fifth of the traffic, starts failing half a minute after a harmless
  health-check change on web. No change is the culprit.
- slow-health-check: a health check that fails only after six one-minute intervals: the targets
  leave 5-7 minutes after the call (the culprit).

Each takes the scenario's random generator, so seeds vary the timings as real incidents do.
"""

from __future__ import annotations

import datetime as dt
import random

from correlate.demo.calls import (
    create_rule,
    deregister_targets,
    describe,
    modify_health_check,
    modify_listener_default,
    modify_target_group_attributes,
    register_targets,
)
from correlate.demo.fleet import ALB_NAME, ALICE, API, BOB, ECS, TERRAFORM, WEB, WEB_V2
from correlate.demo.scenarios import common_decoys, failed_attribute_change, failed_listener_change
from correlate.demo.world import INCIDENT_AFTER, Rule, Scenario


def _alb(kind: str, title: str, start: dt.datetime) -> Scenario:
    return Scenario(kind, title, ALB_NAME, start, start + INCIDENT_AFTER)


def on_call_reaction(start: dt.datetime, rng: random.Random) -> Scenario:
    s = _alb("on-call-reaction", "web's application fails; the on-call engineer adds targets minutes later", start)

    def worsen(share: float, slower: float):
        def apply(w) -> None:
            w.alb.failing[WEB.name] = share
            w.alb.slowness[WEB.name] = slower

        return apply

    for step, share in enumerate((0.06, 0.12, 0.2, 0.28, 0.36, 0.42)):
        s.effect(50 * step, worsen(share, 1.0 + 0.15 * step))
    reaction = rng.uniform(140, 200)
    for i, seconds in enumerate(sorted(rng.uniform(60, reaction - 15) for _ in range(3))):
        s.add(describe(s.at(seconds), ALICE, "DescribeTargetHealth", {"targetGroupArn": (WEB, WEB, API)[i].arn}))
    added = ("10.0.1.17", "10.0.1.18")
    s.add(*register_targets(s.at(reaction), ALICE, WEB, added))
    s.effect(reaction + 35, lambda w: w.alb.serving[WEB.name].extend(added))
    s.effect(rng.uniform(780, 960), worsen(0.0, 1.0))  # the application team's fix, outside CloudTrail
    common_decoys(s, failed=failed_listener_change(s))
    return s


def unreached_rule(start: dt.datetime, rng: random.Random) -> Scenario:
    s = _alb(
        "unreached-rule",
        "api left with one target, beside a rule no request matches and a check on an idle target group",
        start,
    )
    rule_at = -rng.uniform(40, 100)
    s.add(*create_rule(s.at(rule_at), BOB, 5, "beta.example.com", "/beta/", WEB_V2, "5e0c1a7b9d3f2e48"))
    s.effect(rule_at + 1, lambda w: w.alb.rules.append(Rule(5, WEB_V2.name, "beta.example.com", "/beta/")))
    removed = API.targets
    s.add(*deregister_targets(s.at(0), TERRAFORM, API, removed), culprit=True)
    s.effect(1, lambda w: w.alb.serving.__setitem__(API.name, [t for t in w.alb.serving[API.name] if t not in removed]))
    s.add(*modify_health_check(s.at(rng.uniform(20, 50)), TERRAFORM, WEB_V2, "/ready", 10, 2))
    common_decoys(s, failed=failed_listener_change(s))
    return s


def revert(start: dt.datetime, rng: random.Random) -> Scenario:
    s = _alb("revert", "Default action moved to a broken release, then moved back 10-15 minutes later", start)
    # Terraform re-applies the listener as it is (its plan sets the default action every run)
    s.add(*modify_listener_default(s.at(-rng.uniform(1500, 1700)), TERRAFORM, WEB))
    green = ("10.0.5.11", "10.0.5.12", "10.0.5.13", "10.0.5.14")
    prepared = -rng.uniform(900, 1500)
    s.add(*register_targets(s.at(prepared), TERRAFORM, WEB_V2, green))
    s.effect(prepared + 35, lambda w: w.alb.serving.__setitem__(WEB_V2.name, list(green)))
    s.effect(prepared + 35, lambda w: w.alb.failing.__setitem__(WEB_V2.name, 0.5))
    culprit, expected = modify_listener_default(s.at(0), ALICE, WEB_V2)
    s.add(culprit, expected, culprit=True)
    s.effect(1, lambda w: setattr(w.alb, "default_group", WEB_V2.name))
    s.effect(20, lambda w: setattr(w.alb, "traffic", 1.3))  # clients retry the 500s
    back = rng.uniform(600, 900)
    s.add(*modify_listener_default(s.at(back), ALICE, WEB), reverts=culprit)
    s.effect(back + 1, lambda w: setattr(w.alb, "default_group", WEB.name))
    s.effect(back + 20, lambda w: setattr(w.alb, "traffic", 1.0))
    common_decoys(s, failed=failed_attribute_change(s, at=rng.uniform(300, 500)))
    return s


def ramp(start: dt.datetime, rng: random.Random) -> Scenario:
    s = _alb("ramp", "Stickiness concentrates web's load on two targets over ten minutes", start)
    attributes = {
        "stickiness.enabled": "true",
        "stickiness.type": "lb_cookie",
        "stickiness.lb_cookie.duration_seconds": "86400",
    }
    s.add(*modify_target_group_attributes(s.at(0), BOB, WEB, attributes), culprit=True)
    hot = rng.sample(WEB.targets, 2)
    for step in range(1, 25):  # the load builds for twelve minutes, then stays concentrated
        weight = 1.0 + 6.0 * step / 24
        s.effect(30 * step, lambda w, weight=weight: w.alb.weights.update(dict.fromkeys(hot, weight)))
    scale_out = rng.uniform(480, 660)
    added = ("10.0.1.17", "10.0.1.18")
    s.add(*register_targets(s.at(scale_out), ECS, WEB, added))
    s.effect(scale_out + 35, lambda w: w.alb.serving[WEB.name].extend(added))
    common_decoys(s, failed=failed_listener_change(s))
    return s


def sibling_slice(start: dt.datetime, rng: random.Random) -> Scenario:
    s = _alb("sibling-slice", "api's application fails half a minute after a harmless check change on web", start)
    s.effect(-INCIDENT_AFTER.total_seconds(), lambda w: setattr(w.alb, "api_share", 0.22))
    s.add(*modify_health_check(s.at(0), TERRAFORM, WEB, "/health", 20, 3))
    onset = rng.uniform(20, 50)

    def api_fails(share: float, slower: float):
        def apply(w) -> None:
            w.alb.failing[API.name] = share
            w.alb.slowness[API.name] = slower

        return apply

    s.effect(onset, api_fails(0.3, 2.0))  # its database times out: slower, and a third of requests fail
    s.effect(onset + 120, api_fails(0.4, 2.5))
    s.effect(rng.uniform(720, 900), api_fails(0.0, 1.0))
    common_decoys(s, failed=failed_listener_change(s))
    return s


def slow_health_check(start: dt.datetime, rng: random.Random) -> Scenario:
    s = _alb(
        "slow-health-check", "A health check that fails after six one-minute intervals: targets leave later", start
    )
    s.add(*modify_health_check(s.at(0), BOB, WEB, "/healthz/deep", 60, 6), culprit=True)
    first = rng.uniform(300, 360)  # six failed checks, depending on each target's check phase
    for i, target in enumerate(WEB.targets[2:]):
        s.effect(first + rng.uniform(0, 60) + 5 * i, lambda w, t=target: w.alb.serving[WEB.name].remove(t))
    common_decoys(s, failed=failed_listener_change(s))
    return s


HARD_KINDS = {
    "on-call-reaction": on_call_reaction,
    "unreached-rule": unreached_rule,
    "revert": revert,
    "ramp": ramp,
    "sibling-slice": sibling_slice,
    "slow-health-check": slow_health_check,
}
