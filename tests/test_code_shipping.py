"""The services that ship code to the targets behind a load balancer: CodeDeploy deployments, Lambda
functions registered in target groups, Auto Scaling groups and their instances, EC2 instance settings.
Each call reaches the load balancers of the target groups it touches (fixtures/cloudtrail/
code_shipping.json: web-prod forwards to web and api, fn-alb to the Lambda group checkout-fn, and
legacy-web is a Classic load balancer)."""

from __future__ import annotations

import datetime as dt
import json

from conftest import FIXTURES, load_cloudtrail, records
from test_change import call

from correlate.model.changes import InventoryItem, Knowledge, build_changes

STORY = FIXTURES / "cloudtrail" / "code_shipping.json"
COLUMNS = "event_name, lb, category, categories, target_groups, targets, attributed_by, classic, summary, details"


def changes_of(db, *suffixes: int) -> list[dict]:
    ids = [f"44444444-0000-4000-8000-{n:012d}" for n in suffixes]
    rows = records(db, f"select {COLUMNS} from changes where event_id in ? order by event_time, lb", [ids])
    for row in rows:
        row["details"] = json.loads(row["details"]) if row["details"] else None
    return rows


def change(event_name, lb, category, summary, details, *, groups=(), targets=(), classic=False, categories=None):
    return {
        "event_name": event_name,
        "lb": lb,
        "category": category,
        "categories": categories or [category],
        "target_groups": list(groups),
        "targets": list(targets),
        "attributed_by": "cloudtrail",
        "classic": classic,
        "summary": summary,
        "details": details,
    }


def test_the_story_loads_and_what_links_no_load_balancer_waits_in_unattributed_calls(db):
    summary = load_cloudtrail(db, STORY)
    assert (summary.records, summary.kept, summary.unrelated, summary.rejected) == (22, 21, 1, 0)
    assert records(db, "select event_name from unattributed_calls order by event_time") == [
        {"event_name": "CreateDeploymentGroup"},  # a group's load balancing: no change by itself
        {"event_name": "CreateDeploymentGroup"},
        {"event_name": "CreateDeployment"},  # of a group the trail never described
        {"event_name": "UpdateFunctionConfiguration20150331v2"},  # a function no target group has
        {"event_name": "ModifyInstanceAttribute"},  # termination protection: serves the same
    ]


def test_codedeploy_deployments_reach_their_groups_load_balancers(db):
    load_cloudtrail(db, STORY)
    assert changes_of(db, 10, 11) == [
        # EC2 in place: the deployment group's target group api, which web-prod's rule forwards to
        change(
            "CreateDeployment",
            "web-prod",
            "deploy",
            "CodeDeploy deployment d-7QX2T9ABC of shop to shop-prod: revision s3://shop-releases/shop-2026.11.25.zip "
            '("release 2026.11.25")',
            {"application": "shop", "deployment_group": "shop-prod", "deployment_id": "d-7QX2T9ABC"},
            groups=("api",),
        ),
        # ECS blue/green: the pair on web-prod's production listener (web-green not seen anywhere yet)
        change(
            "CreateDeployment",
            "web-prod",
            "deploy",
            "CodeDeploy deployment d-2M4K6P8RS of web to web-bg: revision from an AppSpec",
            {"application": "web", "deployment_group": "web-bg", "deployment_id": "d-2M4K6P8RS"},
            groups=("web", "web-green"),
        ),
    ]


def test_lambda_calls_reach_the_load_balancer_of_the_group_the_function_is_registered_in(db):
    load_cloudtrail(db, STORY)
    target = "arn:aws:lambda:us-east-1:123456789012:function:checkout:live"
    lambda_change = dict(groups=("checkout-fn",), targets=(target,))
    invokes = {"function": "checkout", "invokes": ["checkout:live"]}
    assert changes_of(db, 13, 14, 15) == [
        # the load balancer invokes the alias: new code for $LATEST does not reach it yet
        change(
            "UpdateFunctionCode20150331v2",
            "fn-alb",
            "deploy",
            "Lambda function checkout: new code (sha256 Yq0Z3Wm1…)",
            {"code_sha256": "Yq0Z3Wm1c2RkNTY3ODkwYWJjZGVmMDEyMzQ1Njc4OTA=", **invokes, "invoked": False},
            **lambda_change,
        ),
        change(
            "PublishVersion20150331",
            "fn-alb",
            "deploy",
            "Lambda function checkout: version 8 published",
            {"version": "8", **invokes, "invoked": False},
            **lambda_change,
        ),
        # the alias moves: what the load balancer invokes changed
        change(
            "UpdateAlias20150331",
            "fn-alb",
            "deploy",
            "Lambda function checkout: alias live → version 8 (10% to version 7)",
            {
                "alias": "live",
                "fields": [{"field": "function_version", "before": None, "after": "8"}],
                **invokes,
                "invoked": True,
            },
            **lambda_change,
        ),
    ]


def test_auto_scaling_group_calls_reach_the_load_balancers_of_its_target_groups(db):
    load_cloudtrail(db, STORY)
    group = {"auto_scaling_group": "web-asg"}
    assert changes_of(db, 5, 17, 18) == [
        change(
            "CreateAutoScalingGroup",
            "web-prod",
            "targets",
            "auto scaling group web-asg created: launch template web-lt version 7, desired capacity 2",
            group,
            groups=("web",),
        ),
        # the group's launch template before comes from its creation in the trail
        change(
            "UpdateAutoScalingGroup",
            "web-prod",
            "deploy",
            "auto scaling group web-asg updated: launch template web-lt version 7 → web-lt version 8 "
            "(for instances launched from now on)",
            group
            | {"fields": [{"field": "launch_template", "before": "web-lt version 7", "after": "web-lt version 8"}]},
            groups=("web",),
        ),
        change(
            "StartInstanceRefresh",
            "web-prod",
            "deploy",
            "auto scaling group web-asg: instance refresh started (rolling, min healthy 90%, running web-lt version 8)",
            group | {"instance_refresh": "08b91cf7-8fa6-48af-b6a6-d227f40f1b9b"},
            groups=("web",),
        ),
    ]


def test_instance_settings_reach_the_load_balancers_the_instance_is_registered_with(db):
    load_cloudtrail(db, STORY)
    assert changes_of(db, 19, 20, 21) == [
        # registered in web by the Auto Scaling group's service role
        change(
            "ModifyInstanceAttribute",
            "web-prod",
            "security",
            "instance i-0web000000000001 (target of web): security groups → sg-0app1111, sg-0ops2222",
            {
                "instance": "i-0web000000000001",
                "fields": [{"field": "groupset", "before": None, "after": ["sg-0app1111", "sg-0ops2222"]}],
            },
            groups=("web",),
            targets=("i-0web000000000001",),
        ),
        # registered with the Classic load balancer legacy-web
        change(
            "ModifyInstanceAttribute",
            "legacy-web",
            "infra",
            "instance i-0legacy00000001 (target of legacy-web): instance type → c6i.large",
            {
                "instance": "i-0legacy00000001",
                "fields": [{"field": "instancetype", "before": None, "after": "c6i.large"}],
            },
            targets=("i-0legacy00000001",),
            classic=True,
        ),
    ]


def test_a_deregistered_function_takes_its_calls_nowhere(db, tmp_path):
    story = json.loads(STORY.read_text())["Records"]
    deregister = json.loads(json.dumps(story[3]))
    deregister["eventName"], deregister["eventID"] = "DeregisterTargets", "deregister-fn"
    deregister["eventTime"] = "2026-11-25T10:00:00Z"
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Records": [*story[:4], deregister, story[14]]}))
    load_cloudtrail(db, path)
    assert records(db, "select event_name from changes where event_source = 'lambda.amazonaws.com'") == []


def test_an_auto_scaling_group_known_from_the_inventory():
    web = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067"
    taken = dt.datetime(2026, 11, 20, 8, 0)  # before the call
    inventory = [
        InventoryItem(
            taken,
            "target_group",
            web,
            None,
            {
                "TargetGroupName": "web",
                "LoadBalancerArns": [
                    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188"
                ],
            },
        ),
        InventoryItem(
            taken,
            "auto_scaling_group",
            "web-asg",
            None,
            {
                "AutoScalingGroupName": "web-asg",
                "TargetGroupARNs": [web],
                "LaunchTemplate": {"LaunchTemplateName": "web-lt", "Version": "7"},
                "DesiredCapacity": 4,
            },
        ),
    ]
    request = {"autoScalingGroupName": "web-asg", "desiredCapacity": 2, "healthCheckGracePeriod": 60}
    update = call("UpdateAutoScalingGroup", request, api_version=None, event_source="autoscaling.amazonaws.com")
    (scaled,) = build_changes([update], Knowledge(inventory))
    assert (scaled.lb, scaled.categories, scaled.target_groups, scaled.attributed_by, scaled.summary) == (
        "web-prod",
        ("scaling",),
        ("web",),
        "inventory",
        "auto scaling group web-asg updated: desired capacity 4 → 2, also sets healthCheckGracePeriod",
    )
