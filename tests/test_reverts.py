"""Reverts in the change model: a change that sets a resource back to what it was before an earlier
one is paired with it (`Change.reverts`), and only when the replay knows what it was."""

from __future__ import annotations

import dataclasses

from test_change import call

from correlate.model.changes import build_changes

LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web-prod/50dc6c495c0c9188/f2f7dc8efc522ab2"
GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{}/73e2d6bc24d8a067"
LB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188"


def forward(group: str, seconds: int):
    actions = [{"type": "forward", "targetGroupArn": GROUP.format(group)}]
    return call("ModifyListener", {"listenerArn": LISTENER, "defaultActions": actions}, seconds)


def idle(value: str, seconds: int):
    pairs = [{"key": "idle_timeout.timeout_seconds", "value": value}]
    return call("ModifyLoadBalancerAttributes", {"loadBalancerArn": LB, "attributes": pairs}, seconds)


def targets(name: str, seconds: int, *ips: str):
    request = {"targetGroupArn": GROUP.format("web"), "targets": [{"id": ip, "port": 80} for ip in ips]}
    return call(name, request, seconds)


def pairs(calls) -> list[tuple[str, str | None]]:
    return [(change.event_id, change.reverts) for change in build_changes(calls)]


def test_a_default_action_moved_back_reverts_the_move():
    assert pairs([forward("web", 1), forward("web-v2", 20), forward("web", 40)]) == [
        ("ModifyListener-1", None),
        ("ModifyListener-20", None),
        ("ModifyListener-40", "ModifyListener-20"),
    ]


def test_without_the_value_from_before_no_pair_is_made():
    """The trail starts with the move: what the listener forwarded to before is unknown."""
    assert pairs([forward("web-v2", 20), forward("web", 40)]) == [
        ("ModifyListener-20", None),
        ("ModifyListener-40", None),
    ]


def test_a_change_to_a_third_value_is_not_a_revert():
    assert pairs([forward("web", 1), forward("web-v2", 20), forward("web-v3", 40)])[-1] == ("ModifyListener-40", None)


def test_an_attribute_set_back_reverts_and_a_failed_call_reverts_nothing():
    failed = dataclasses.replace(idle("60", 30), error_code="AccessDenied")
    assert pairs([idle("60", 1), idle("5", 20), failed, idle("60", 40)]) == [
        ("ModifyLoadBalancerAttributes-1", None),
        ("ModifyLoadBalancerAttributes-20", None),
        ("ModifyLoadBalancerAttributes-30", None),
        ("ModifyLoadBalancerAttributes-40", "ModifyLoadBalancerAttributes-20"),
    ]


def test_targets_registered_again_revert_their_deregistration():
    link = forward("web", 0)  # the target group reaches web-prod through the listener
    out = targets("DeregisterTargets", 10, "10.0.1.13", "10.0.1.14")
    assert pairs([link, out, targets("RegisterTargets", 40, "10.0.1.14", "10.0.1.13")])[1:] == [
        ("DeregisterTargets-10", None),
        ("RegisterTargets-40", "DeregisterTargets-10"),
    ]
    assert pairs([link, out, targets("RegisterTargets", 40, "10.0.1.13")])[-1] == ("RegisterTargets-40", None)
