"""The typed change: one definition of the `changes` row, and the facts the change model computes for
the scoring (categories, target groups, Classic, health-check timing, attribute keys)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from conftest import ts

from correlate.model.change import Change
from correlate.model.changes import CallRow, build_changes
from correlate.model.state import Knowledge, LogLink
from correlate.store.cloudtrail import CloudTrailStore
from correlate.store.timeline import changes_between

LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188"
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web-prod/50dc6c495c0c9188/f2d7a0b1c3e4d5f6"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{}"
WEB, CANARY = TG.format("web/73e2d6bc24d8a067"), TG.format("canary/8c1f3a9d5e7b2c40")


def call(name: str, request: dict, seconds: int = 0, api_version: str | None = "2015-12-01", **values) -> CallRow:
    row = dict(
        event_id=f"{name}-{seconds}",
        event_time=ts("2026-11-20T14:00:00Z").replace(second=seconds),
        event_source="elasticloadbalancing.amazonaws.com",
        event_name=name,
        api_version=api_version,
        aws_region="us-east-1",
        account_id="123456789012",
        actor="arn:aws:iam::123456789012:user/bob",
        actor_name="bob",
        actor_kind="cli",
        error_code=None,
        error_message=None,
        request=request,
        response=None,
    )
    return CallRow(**(row | values))


def facts(change: Change) -> tuple:
    return change.lb, change.categories, change.target_groups, change.classic, change.listener_port


def test_the_changes_table_has_the_fields_of_change_in_their_order(db):
    columns = [row[0] for row in db.con.execute("describe changes").fetchall()]
    assert columns == [field.name for field in dataclasses.fields(Change)]


def test_a_change_stored_and_read_back_is_the_same_change(db):
    (forward,) = build_changes(
        [
            call(
                "ModifyListener",
                {"listenerArn": LISTENER, "defaultActions": [{"type": "forward", "targetGroupArn": WEB}]},
            )
        ]
    )
    CloudTrailStore(db).replace_changes([forward])
    assert changes_between(db, "web-prod", forward.event_time, forward.event_time + dt.timedelta(seconds=1)) == [
        forward
    ]


def test_a_forward_to_two_target_groups_concerns_both():
    weighted = {
        "type": "forward",
        "forwardConfig": {"targetGroups": [{"targetGroupArn": WEB, "weight": 90}, {"targetGroupArn": CANARY}]},
    }
    (change,) = build_changes([call("ModifyListener", {"listenerArn": LISTENER, "defaultActions": [weighted]})])
    assert facts(change) == ("web-prod", ("routing",), ("web", "canary"), False, None)


def test_tls_settings_make_a_listener_change_a_tls_change_too():
    request = {"listenerArn": LISTENER, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}
    (tls,) = build_changes([call("ModifyListener", request)])
    (both,) = build_changes([call("ModifyListener", request | {"defaultActions": [{"type": "forward"}]})])
    assert (tls.categories, both.categories) == (("listener_tls",), ("routing", "listener_tls"))


def test_classic_changes_and_their_declared_categories():
    certificate = {"loadBalancerName": "legacy-web", "loadBalancerPort": 443, "sSLCertificateId": "arn:cert"}
    check = {
        "loadBalancerName": "legacy-web",
        "healthCheck": {"target": "HTTP:80/", "interval": 10, "unhealthyThreshold": "4", "healthyThreshold": 3},
    }
    attributes = {"loadBalancerName": "legacy-web", "loadBalancerAttributes": {"accessLog": {"enabled": True}}}
    changes = build_changes(
        [
            call("SetLoadBalancerListenerSSLCertificate", certificate, 1, "2012-06-01"),
            call("ConfigureHealthCheck", check, 2, "2012-06-01"),
            call("ModifyLoadBalancerAttributes", attributes, 3, "2012-06-01"),
            call("CreateLoadBalancerListeners", {"loadBalancerName": "legacy-web", "listeners": []}, 4, None),
        ]
    )
    assert [facts(c) for c in changes] == [
        ("legacy-web", ("listener_tls", "certificate"), (), True, 443),
        ("legacy-web", ("health_check",), (), True, None),
        ("legacy-web", ("lb_attributes",), (), True, None),
        ("legacy-web", ("routing", "lifecycle"), (), True, None),  # Classic by its loadBalancerName
    ]
    assert changes[1].detail("health_check") == {"interval": 10.0, "healthy_threshold": 3.0, "unhealthy_threshold": 4.0}
    assert changes[2].detail("attribute_keys") == ["accessLog"]


def test_attribute_and_health_check_facts_of_elbv2_calls():
    attributes = [
        {"key": "access_logs.s3.enabled", "value": "true"},
        {"key": "idle_timeout.timeout_seconds", "value": "5"},
    ]
    (lb_attributes,) = build_changes(
        [call("ModifyLoadBalancerAttributes", {"loadBalancerArn": LB_ARN, "attributes": attributes})]
    )
    assert lb_attributes.detail("attribute_keys") == ["access_logs.s3.enabled", "idle_timeout.timeout_seconds"]
    assert lb_attributes.detail("health_check") is None


def test_a_change_from_elsewhere_states_what_it_knows():
    change = Change("d-1", ts("2026-11-20T14:00:00Z"), "deploy", "web-prod", category="targets", target_group="web")
    assert (change.categories, change.target_groups, change.classic, change.detail("ecs_action")) == (
        ("targets",),
        ("web",),
        False,
        None,
    )


def test_a_target_group_by_name_from_its_access_logs_or_its_cloudwatch_metrics():
    """Without an inventory, the target groups called NAME are the ones the access logs saw (by ARN)
    or, read only from CloudWatch, its TargetGroup dimension (targetgroup/NAME/ID)."""
    at = ts("2026-11-20T14:00")
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/9f8e7d6c5b4a3921"
    knowledge = Knowledge(
        log_links=[
            LogLink(arn, "web-prod", "app/web-prod/1", at, at),
            LogLink("targetgroup/api/9f8e7d6c5b4a3921", "web-prod", "app/web-prod/1", at, at, "cloudwatch"),
            LogLink("targetgroup/web/73e2d6bc24d8a067", "web-prod", "app/web-prod/1", at, at, "cloudwatch"),
        ]
    )
    assert knowledge.target_groups_named("api") == [arn]
    assert knowledge.target_groups_named("web") == ["targetgroup/web/73e2d6bc24d8a067"]
    assert knowledge.target_groups_named("web-v2") == []
    assert knowledge.tg_lbs(arn, at) == ([("web-prod", "app/web-prod/1")], "access_logs")
    assert knowledge.tg_lbs("targetgroup/web/73e2d6bc24d8a067", at) == ([("web-prod", "app/web-prod/1")], "cloudwatch")
