"""The change model through ingestion: which load balancer each call affects, and what it changed."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, load, load_cloudtrail, records, ts

CT = FIXTURES / "cloudtrail"
LB_ID = "app/web-prod/50dc6c495c0c9188"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{}"
TG_WEB = TG.format("web/73e2d6bc24d8a067")
TG_V2 = TG.format("web-v2/8c1f3a9d5e7b2c40")
TG_API = TG.format("api/1a2b3c4d5e6f7a8b")


def change(db, event_id_suffix: int) -> dict:
    (row,) = records(
        db,
        "select * exclude (event_source, account_id, aws_region, api_version) from changes where event_id = ?",
        [f"00000000-0000-4000-8000-{event_id_suffix:012d}"],
    )
    row["details"] = json.loads(row["details"]) if row["details"] else None
    return row


def base(event_id: int, time: str, name: str, **fields) -> dict:
    row = {
        "event_id": f"00000000-0000-4000-8000-{event_id:012d}",
        "event_time": ts(time),
        "event_name": name,
        "lb": "web-prod",
        "lb_id": LB_ID,
        "actor": "arn:aws:sts::123456789012:assumed-role/deploy/alice",
        "actor_name": "alice",
        "actor_kind": "terraform",
        "error_code": None,
        "error_message": None,
        "applied": True,
        "listener_port": None,
        "target_group": None,
        "target_group_arn": None,
        "targets": [],
        "details": None,
        "attributed_by": "arn",
        "origin": "cloudtrail",
        "url": None,
        "end_time": None,
    }
    row.update(fields)
    # the scoring's facts: by default the category alone, the target group named, an ELBv2 change
    row.setdefault("categories", [row.get("category")])
    row.setdefault("target_groups", [row["target_group"]] if row["target_group"] else [])
    row.setdefault("classic", False)
    row.setdefault("reverts", None)
    return row


def test_v2_story(db):
    summary = load_cloudtrail(db, CT / "trail_v2_story.json")
    assert (summary.records, summary.kept, summary.unrelated, summary.rejected) == (16, 14, 2, 0)
    assert change(db, 9) == base(
        9,
        "2026-11-20T14:01:00Z",
        "ModifyListener",
        category="listener_tls",
        listener_port=443,
        summary="listener 443: SSL policy ELBSecurityPolicy-2016-08 → ELBSecurityPolicy-TLS13-1-2-2021-06",
        details={
            "fields": [
                {
                    "after": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                    "before": "ELBSecurityPolicy-2016-08",
                    "field": "ssl_policy",
                }
            ]
        },
    )
    assert change(db, 11) == base(
        11,
        "2026-11-20T14:05:00Z",
        "ModifyListener",
        actor="arn:aws:iam::123456789012:user/bob",
        actor_name="bob",
        actor_kind="console",
        category="routing",
        listener_port=443,
        target_group="web-v2",
        target_group_arn=TG_V2,
        summary="listener 443: default action forward web → forward web-v2",
        details={
            "fields": [
                {
                    "after": [{"targetgrouparn": TG_V2, "type": "forward"}],
                    "before": [{"targetgrouparn": TG_WEB, "type": "forward"}],
                    "field": "default_actions",
                }
            ]
        },
    )


def test_failed_modify_listener_is_kept_as_not_applied(db):
    load_cloudtrail(db, CT / "trail_v2_story.json")
    row = change(db, 10)
    assert row == base(
        10,
        "2026-11-20T14:03:00Z",
        "ModifyListener",
        actor="arn:aws:iam::123456789012:user/bob",
        actor_name="bob",
        actor_kind="cli",
        error_code="ValidationError",
        error_message="Certificates are not supported with protocol HTTP",
        applied=False,
        category="listener_tls",
        categories=["listener_tls", "routing"],  # a protocol change; a ModifyListener without TLS settings
        listener_port=443,
        summary="not applied (ValidationError): listener 443: protocol HTTPS → HTTP",
        details={"applied": False, "fields": [{"after": "HTTP", "before": "HTTPS", "field": "protocol"}]},
    )
    # the failed call changed nothing: the next change still sees HTTPS
    listener = records(db, "select summary from changes where event_id like '%11'")
    assert listener == [{"summary": "listener 443: default action forward web → forward web-v2"}]


def test_ecs_service_role_register_targets(db):
    load_cloudtrail(db, CT / "trail_v2_story.json")
    assert change(db, 8) == base(
        8,
        "2026-11-20T14:05:30Z",
        "RegisterTargets",
        actor="arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForECS/ecs-service-scheduler",
        actor_name="ecs-service-scheduler",
        actor_kind="aws-service",
        category="targets",
        target_group="web-v2",
        target_group_arn=TG_V2,
        targets=["10.0.1.15", "10.0.2.27"],
        attributed_by="cloudtrail",
        summary="registered 2 targets (10.0.1.15:8080, 10.0.2.27:8080) in web-v2",
        details={"registered": [{"id": "10.0.1.15", "port": 8080}, {"id": "10.0.2.27", "port": 8080}]},
    )


def test_target_group_changes_follow_the_listener_at_that_time(db):
    load_cloudtrail(db, CT / "trail_v2_story.json")
    rows = records(
        db,
        "select event_name, category, target_group, targets, summary, attributed_by from changes "
        "where target_group is not null and event_name not like '%Rule' and event_name != 'CreateListener' "
        "order by event_time",
    )
    assert rows == [
        {
            "event_name": "DeregisterTargets",
            "category": "targets",
            "target_group": "web",
            "targets": ["i-0a1b2c3d4e5f60718", "i-0b2c3d4e5f6071829", "i-0c3d4e5f607182930"],
            "summary": "deregistered 3 targets (i-0a1…, i-0b2…, i-0c3…) from web",
            "attributed_by": "cloudtrail",
        },
        {
            "event_name": "ModifyListener",
            "category": "routing",
            "target_group": "web-v2",
            "targets": [],
            "summary": "listener 443: default action forward web → forward web-v2",
            "attributed_by": "arn",
        },
        {
            "event_name": "RegisterTargets",
            "category": "targets",
            "target_group": "web-v2",
            "targets": ["10.0.1.15", "10.0.2.27"],
            "summary": "registered 2 targets (10.0.1.15:8080, 10.0.2.27:8080) in web-v2",
            "attributed_by": "cloudtrail",
        },
        {
            "event_name": "ModifyTargetGroup",
            "category": "health_check",
            "target_group": "web-v2",
            "targets": [],
            "summary": "web-v2: health check HTTP:80/ → HTTP:80/healthz; interval 30 s → 10 s",
            "attributed_by": "cloudtrail",
        },
    ]


def test_every_v2_summary(db):
    load_cloudtrail(db, CT / "trail_v2_story.json")
    rows = records(db, "select event_name, category, listener_port, summary from changes order by event_time")
    assert [tuple(r.values()) for r in rows] == [
        (
            "CreateListener",
            "routing",
            443,
            "created listener 443 HTTPS, SSL policy ELBSecurityPolicy-2016-08, certificate 12345678…: "
            "default action forward web",
        ),
        ("CreateRule", "routing", 443, "listener 443: rule 10 added: path /api/* → forward api"),
        ("DeregisterTargets", "targets", None, "deregistered 3 targets (i-0a1…, i-0b2…, i-0c3…) from web"),
        (
            "ModifyListener",
            "listener_tls",
            443,
            "listener 443: SSL policy ELBSecurityPolicy-2016-08 → ELBSecurityPolicy-TLS13-1-2-2021-06",
        ),
        ("ModifyListener", "listener_tls", 443, "not applied (ValidationError): listener 443: protocol HTTPS → HTTP"),
        ("ModifyListener", "routing", 443, "listener 443: default action forward web → forward web-v2"),
        ("RegisterTargets", "targets", None, "registered 2 targets (10.0.1.15:8080, 10.0.2.27:8080) in web-v2"),
        (
            "ModifyTargetGroup",
            "health_check",
            None,
            "web-v2: health check HTTP:80/ → HTTP:80/healthz; interval 30 s → 10 s",
        ),
        ("ModifyLoadBalancerAttributes", "lb_attributes", None, "idle timeout → 120 s"),
        (
            "ModifyRule",
            "routing",
            443,
            "listener 443: rule 10 (path /api/*): action forward api → forward api 90%, web-v2 10%",
        ),
        ("AddTags", "tags", None, "tags added: team=web"),
    ]


def test_classic_policy_pair_is_a_listener_tls_change(db):
    load_cloudtrail(db, CT / "classic_policy_pair.json")
    rows = records(
        db, "select event_name, category, listener_port, summary, actor_kind from changes order by event_time"
    )
    assert [tuple(r.values()) for r in rows] == [
        (
            "CreateLoadBalancer",
            "lifecycle",
            None,
            "created Classic load balancer with listeners 443 HTTPS → HTTP:80 (server-certificate/media-2026), "
            "80 HTTP → HTTP:80",
            "cli",
        ),
        (
            "CreateLoadBalancerPolicy",
            "other",
            None,
            "defined policy tls-1-2-only (SSLNegotiationPolicyType); in force once set on a listener",
            "cli",
        ),
        (
            "SetLoadBalancerPoliciesOfListener",
            "listener_tls",
            443,
            "listener 443: SSL policy → tls-1-2-only; protocols removed: TLSv1, TLSv1.1; protocols enabled: TLSv1.2; "
            "ciphers removed: AES128-SHA",
            "cli",
        ),
        (
            "ConfigureHealthCheck",
            "health_check",
            None,
            "health check → HTTP:80/healthz; interval → 10 s; timeout → 5 s; healthy threshold → 3; "
            "unhealthy threshold → 2",
            "cli",
        ),
        ("ModifyLoadBalancerAttributes", "lb_attributes", None, "idle timeout 60 s → 120 s", "cli"),
        ("RegisterInstancesWithLoadBalancer", "targets", None, "registered 1 instance (i-c67…)", "console"),
    ]
    (details,) = records(db, "select details from changes where event_name = 'SetLoadBalancerPoliciesOfListener'")
    assert json.loads(details["details"]) == {
        "ciphers_added": [],
        "ciphers_removed": ["AES128-SHA"],
        "policies": ["tls-1-2-only"],
        "policies_before": None,
        "protocols_enabled": ["TLSv1.2"],
        "protocols_removed": ["TLSv1", "TLSv1.1"],
    }
    assert records(db, "select distinct lb, lb_id from changes") == [{"lb": "media-lb", "lb_id": "media-lb"}]


def test_classic_policy_change_diffs_against_the_policy_before(db, tmp_path):
    base_records = json.loads((CT / "classic_policy_pair.json").read_text())["Records"]
    create, set_policy = base_records[1], base_records[2]
    newer = json.loads(json.dumps(create))
    newer["eventID"], newer["eventTime"] = "e-create-2", "2026-11-20T15:00:00Z"
    newer["requestParameters"]["policyName"] = "tls-1-3"
    newer["requestParameters"]["policyAttributes"] = [
        {"attributeName": "Protocol-TLSv1.2", "attributeValue": "false"},
        {"attributeName": "Protocol-TLSv1.3", "attributeValue": "true"},
        {"attributeName": "ECDHE-RSA-AES128-GCM-SHA256", "attributeValue": "true"},
    ]
    again = json.loads(json.dumps(set_policy))
    again["eventID"], again["eventTime"] = "e-set-2", "2026-11-20T15:00:10Z"
    again["requestParameters"]["policyNames"] = ["tls-1-3"]
    path = tmp_path / "pair.json"
    path.write_text(json.dumps({"Records": [create, set_policy, newer, again]}))
    load_cloudtrail(db, path)
    assert records(db, "select summary from changes where event_id = 'e-set-2'") == [
        {
            "summary": "listener 443: SSL policy tls-1-2-only → tls-1-3; protocols removed: TLSv1.2; "
            "protocols added: TLSv1.3"
        }
    ]


def test_related_services(db):
    load_cloudtrail(db, CT / "trail_v2_story.json", CT / "classic_policy_pair.json", CT / "array_related.json")
    rows = records(
        db,
        "select event_name, lb, category, listener_port, target_group, summary, actor_kind, attributed_by "
        "from changes where event_source != 'elasticloadbalancing.amazonaws.com' order by event_time",
    )
    assert [tuple(r.values()) for r in rows] == [
        (
            "RevokeSecurityGroupIngress",
            "media-lb",
            "security",
            None,
            None,
            "security group sg-0media: ingress rule removed: tcp 443 from 0.0.0.0/0",
            "console",
            "cloudtrail",
        ),
        (
            "ImportCertificate",
            "web-prod",
            "certificate",
            443,
            None,
            "certificate 12345678… re-imported (listener 443)",
            "cli",
            "cloudtrail",
        ),
        ("AssociateWebACL", "web-prod", "waf", None, None, "web ACL edge-acl associated", "terraform", "arn"),
        (
            "AttachLoadBalancerTargetGroups",
            "web-prod",
            "targets",
            None,
            "web-v2",
            "auto scaling group web-asg attached to target group web-v2",
            "cdk",
            "cloudtrail",
        ),
    ]
    # a security group no load balancer uses affects none: the call waits in unattributed_calls
    assert records(
        db, "select event_name, actor_kind from unattributed_calls where event_source = 'ec2.amazonaws.com'"
    ) == [{"event_name": "AuthorizeSecurityGroupIngress", "actor_kind": "cloudformation"}]


def test_target_group_found_through_access_logs(db, tmp_path):
    line = (
        "https 2026-11-20T18:00:01.000000Z app/web-prod/50dc6c495c0c9188 192.0.2.1:4000 10.0.0.1:80 0.001 0.002 0.000 "
        '200 200 10 20 "GET https://example.com:443/ HTTP/1.1" "curl/8" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 '
        f'{TG.format("orphan/0f0f0f0f0f0f0f0f")} "Root=1-5" "example.com" "-" 0 2026-11-20T18:00:00.000000Z '
        '"forward" "-" "-" "10.0.0.1:80" "200" "-" "-"\n'
    )
    logs = tmp_path / "alb.log"
    logs.write_text(line)
    trail = tmp_path / "trail.json"
    record = json.loads((CT / "trail_v2_story.json").read_text())["Records"][7]  # ECS RegisterTargets
    record["requestParameters"]["targetGroupArn"] = TG.format("orphan/0f0f0f0f0f0f0f0f")
    trail.write_text(json.dumps({"Records": [record]}))
    load_cloudtrail(db, trail)
    assert records(db, "select count(*) as n from changes") == [{"n": 0}]
    load(db, logs)
    from correlate.pipeline.changes import rebuild_changes
    from correlate.store.cloudtrail import CloudTrailStore

    rebuild_changes(CloudTrailStore(db))  # what `correlate ingest logs` does after loading
    assert records(db, "select lb, lb_id, target_group, attributed_by from changes") == [
        {"lb": "web-prod", "lb_id": LB_ID, "target_group": "orphan", "attributed_by": "access_logs"}
    ]


def test_truncated_request_parameters_are_kept_and_still_attributed(db, tmp_path):
    record = json.loads((CT / "trail_v2_story.json").read_text())["Records"][8]  # ModifyListener
    full = json.dumps(record["requestParameters"]) + " " * 200_000
    record["requestParameters"] = full[:102_400]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"Records": [record]}))
    summary = load_cloudtrail(db, path)
    assert (summary.kept, summary.rejected) == (1, 0)
    assert records(db, "select request_truncated, json_type(request_parameters) as t from api_calls") == [
        {"request_truncated": True, "t": "VARCHAR"}
    ]
    assert records(db, "select lb, category, summary from changes") == [
        {
            "lb": "web-prod",
            "category": "routing",
            "summary": "ModifyListener: request parameters truncated by CloudTrail (102,400 characters kept); "
            "what changed is unknown",
        }
    ]


def test_parameters_in_an_unexpected_shape_are_attributed_not_summarised(db, tmp_path):
    story = json.loads((CT / "trail_v2_story.json").read_text())["Records"]
    odd = json.loads(json.dumps(story[8]))  # ModifyListener
    odd["requestParameters"]["certificates"] = True
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"Records": [story[3], odd]}))
    load_cloudtrail(db, path)
    (row,) = records(db, "select lb, category, summary, details from changes where event_name = 'ModifyListener'")
    assert row == {
        "lb": "web-prod",
        "category": "routing",
        "summary": "ModifyListener: parameters not in the shape the API defines; what changed is unknown",
        "details": '{"unexpected_shape":"TypeError: \'bool\' object is not iterable"}',
    }


def test_attributes_of_resources_created_in_the_trail_start_from_aws_defaults(db, tmp_path):
    create = {
        "eventVersion": "1.10",
        "eventID": "c-1",
        "eventTime": "2026-11-20T10:00:00Z",
        "eventSource": "elasticloadbalancing.amazonaws.com",
        "eventName": "CreateLoadBalancer",
        "apiVersion": "2015-12-01",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/bob", "userName": "bob"},
        "requestParameters": {"name": "web-prod", "subnets": ["subnet-1", "subnet-2"], "securityGroups": ["sg-1"]},
        "responseElements": {
            "loadBalancers": [
                {
                    "type": "application",
                    "scheme": "internet-facing",
                    "loadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/" + LB_ID,
                }
            ]
        },
    }
    modify = json.loads((CT / "trail_v2_story.json").read_text())["Records"][13]  # idle timeout → 120
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Records": [create, modify]}))
    load_cloudtrail(db, path)
    assert records(db, "select event_name, category, summary from changes order by event_time") == [
        {
            "event_name": "CreateLoadBalancer",
            "category": "lifecycle",
            "summary": "created application load balancer (internet-facing) in 2 subnets, security groups sg-1",
        },
        {
            "event_name": "ModifyLoadBalancerAttributes",
            "category": "lb_attributes",
            "summary": "idle timeout 60 s → 120 s",
        },
    ]


def test_more_api_shapes(db):
    summary = load_cloudtrail(db, CT / "more_shapes.json")
    assert (summary.kept, summary.rejected) == (30, 0)
    rows = records(
        db,
        "select event_name, lb, category, listener_port, target_group, summary from changes "
        "where event_time >= '2026-11-21' order by event_time",
    )
    assert [tuple(r.values()) for r in rows] == [
        (
            "CreateLoadBalancer",
            "web-prod",
            "lifecycle",
            None,
            None,
            "created application load balancer (internet-facing) in 2 subnets, security groups sg-0web",
        ),
        (
            "CreateListener",
            "web-prod",
            "routing",
            80,
            None,
            "created listener 80 HTTP: default action redirect to HTTPS:443 (HTTP_301)",
        ),
        (
            "CreateRule",
            "web-prod",
            "routing",
            80,
            "web",
            "listener 80: rule 5 added: host api.example.com → forward web",
        ),
        ("SetRulePriorities", "web-prod", "routing", None, None, "rule (host api.example.com) priority 5 → 1"),
        (
            "AddListenerCertificates",
            "web-prod",
            "listener_tls",
            80,
            None,
            "listener 80: added 1 certificate (certificate 87654321…)",
        ),
        (
            "RemoveListenerCertificates",
            "web-prod",
            "listener_tls",
            80,
            None,
            "listener 80: removed 1 certificate (certificate 87654321…)",
        ),
        (
            "ModifyTargetGroupAttributes",
            "web-prod",
            "target_group_attributes",
            None,
            "web",
            "web: deregistration delay 300 s → 30 s",
        ),
        ("SetSubnets", "web-prod", "other", None, None, "subnets subnet-8360a9e7, subnet-b7d581c0 → subnet-8360a9e7"),
        ("RemoveTags", "web-prod", "tags", None, None, "tags removed: team"),
        ("AssociateWebACL", "web-prod", "waf", None, None, "web ACL edge-acl associated"),
        ("UpdateWebACL", "web-prod", "waf", None, None, "web ACL edge-acl updated: 2 rules; default action block"),
        ("DisassociateWebACL", "web-prod", "waf", None, None, "web ACL disassociated (was edge-acl)"),
        (
            "DetachTrafficSources",
            "web-prod",
            "targets",
            None,
            "web",
            "auto scaling group web-asg detached from target group web",
        ),
        (
            "DeleteRule",
            "web-prod",
            "routing",
            80,
            None,
            "listener 80: rule 1 removed (host api.example.com → forward web)",
        ),
        (
            "DeleteListener",
            "web-prod",
            "routing",
            80,
            None,
            "deleted listener 80 (default action redirect to HTTPS:443 (HTTP_301))",
        ),
        ("DeleteLoadBalancer", "web-prod", "lifecycle", None, None, "deleted load balancer"),
        (
            "CreateLoadBalancerListeners",
            "media-lb",
            "routing",
            8443,
            None,
            "added 1 listener 8443 HTTPS → HTTP:8080 (server-certificate/media-2026)",
        ),
        (
            "SetLoadBalancerListenerSSLCertificate",
            "media-lb",
            "listener_tls",
            8443,
            None,
            "listener 8443: certificate server-certificate/media-2026 → certificate 87654321…",
        ),
        ("RenewCertificate", "media-lb", "certificate", 8443, None, "certificate 87654321… renewed (listener 8443)"),
        (
            "ApplySecurityGroupsToLoadBalancer",
            "media-lb",
            "security",
            None,
            None,
            "security groups sg-0media → sg-0media2",
        ),
        ("DetachLoadBalancerFromSubnets", "media-lb", "other", None, None, "subnets removed: subnet-0old"),
        ("DeleteLoadBalancerListeners", "media-lb", "routing", 8443, None, "removed 1 listener 8443"),
        (
            "DeregisterInstancesFromLoadBalancer",
            "media-lb",
            "targets",
            None,
            None,
            "deregistered 4 instances (i-c67…, i-0d9…, i-0e1…, +1 more)",
        ),
    ]
    assert records(db, "select event_name from unattributed_calls") == [{"event_name": "CreateTargetGroup"}]


def test_network_acl_entry_through_inventory_subnets(db, tmp_path):
    from correlate.model.changes import InventoryItem
    from correlate.store.cloudtrail import CloudTrailStore

    taken = ts("2026-11-20T12:00:00Z")
    store = CloudTrailStore(db)
    store.replace_inventory(
        "123456789012",
        "us-east-1",
        [
            InventoryItem(
                taken,
                "load_balancer",
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/" + LB_ID,
                "web-prod",
                {"LoadBalancerName": "web-prod", "AvailabilityZones": [{"SubnetId": "subnet-a"}], "SecurityGroups": []},
            ),
            InventoryItem(
                taken,
                "network_acl",
                "acl-0abc",
                None,
                {"NetworkAclId": "acl-0abc", "Associations": [{"SubnetId": "subnet-a"}]},
            ),
        ],
    )
    entry = {
        "eventVersion": "1.10",
        "eventID": "n-1",
        "eventTime": "2026-11-20T14:00:00Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "CreateNetworkAclEntry",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/bob", "userName": "bob"},
        "userAgent": "console.ec2.amazonaws.com",
        "requestParameters": {
            "networkAclId": "acl-0abc",
            "ruleNumber": 90,
            "egress": False,
            "ruleAction": "deny",
            "protocol": "6",
            "portRange": {"from": 1024, "to": 65535},
            "cidrBlock": "0.0.0.0/0",
        },
    }
    path = tmp_path / "nacl.json"
    path.write_text(json.dumps([entry]))
    load_cloudtrail(db, path)
    assert records(db, "select lb, category, summary, attributed_by from changes") == [
        {
            "lb": "web-prod",
            "category": "security",
            "summary": "network ACL acl-0abc: ingress entry 90 added: deny tcp 1024-65535 from 0.0.0.0/0",
            # the snapshot predates the call, so it is part of the replayed configuration by then
            "attributed_by": "cloudtrail",
        }
    ]


API_LISTENER = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/api-prod/6d0ecf831eec9f09/9a8b7c6d5e4f3a2b"
)


def test_listener_port_from_the_record_when_the_trail_never_created_the_listener(db):
    load_cloudtrail(db, CT / "listener_without_create.json")
    rows = records(
        db,
        "select event_name, category, listener_port, target_group, summary, attributed_by from changes "
        "order by event_time",
    )
    assert [tuple(r.values()) for r in rows] == [
        # the response describes the listener: its port, and its default action from then on
        (
            "ModifyListener",
            "listener_tls",
            443,
            None,
            "listener 443: SSL policy → ELBSecurityPolicy-TLS13-1-2-2021-06",
            "arn",
        ),
        # the calls after it know the port from the replayed listener
        (
            "ModifyListenerAttributes",
            "lb_attributes",
            443,
            None,
            "listener 443: routing.http.response.server.enabled → false",
            "arn",
        ),
        (
            "AddListenerCertificates",
            "listener_tls",
            443,
            None,
            "listener 443: added 1 certificate (certificate abcdef01…)",
            "arn",
        ),
        (
            "RemoveListenerCertificates",
            "listener_tls",
            443,
            None,
            "listener 443: removed 1 certificate (certificate abcdef01…)",
            "arn",
        ),
        # the response gives the rule's priority and conditions
        ("ModifyRule", "routing", 443, "api-v2", "listener 443: rule 20 (path /v2/*): action → forward api-v2", "arn"),
        # the group the response's default action forwards to is linked to the load balancer
        ("RegisterTargets", "targets", None, "api", "registered 1 target (10.0.3.31:8080) in api", "cloudtrail"),
        # no response: the port the request sets
        ("ModifyListener", "routing", 8443, None, "listener 8443: port → 8443; protocol → HTTPS", "arn"),
        ("DeleteRule", "routing", 443, None, "listener 443: rule 20 removed (path /v2/* → forward api-v2)", "arn"),
        # a port change: the label is the port before, listener_port the port after
        ("ModifyListener", "routing", 4443, None, "listener 443: port 443 → 4443", "arn"),
        ("DeleteListener", "routing", 4443, None, "deleted listener 4443 (default action forward api)", "arn"),
    ]


def test_listener_port_from_the_inventory_for_calls_that_do_not_carry_it(db, tmp_path):
    from correlate.model.changes import InventoryItem
    from correlate.store.cloudtrail import CloudTrailStore

    story = json.loads((CT / "listener_without_create.json").read_text())["Records"]
    modify_rule, delete_rule, delete_listener = story[4], story[7], story[9]
    modify_rule["responseElements"] = None  # an older record: nothing but the request
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Records": [story[1], modify_rule, delete_rule, delete_listener]}))
    load_cloudtrail(db, path)
    taken = ts("2026-11-22T12:00:00Z")  # after the calls: a fallback, not the replayed state
    CloudTrailStore(db).replace_inventory(
        "123456789012",
        "us-east-1",
        [
            InventoryItem(taken, "listener", API_LISTENER, "api-prod", {"ListenerArn": API_LISTENER, "Port": 443}),
            InventoryItem(
                taken,
                "rule",
                modify_rule["requestParameters"]["ruleArn"],
                "api-prod",
                {"Priority": "20", "Conditions": [{"Field": "path-pattern", "Values": ["/v2/*"]}], "Actions": []},
            ),
        ],
    )
    from correlate.pipeline.changes import rebuild_changes

    rebuild_changes(CloudTrailStore(db))
    rows = records(db, "select event_name, listener_port, summary from changes order by event_time")
    assert [tuple(r.values()) for r in rows] == [
        ("ModifyListenerAttributes", 443, "listener 443: routing.http.response.server.enabled → false"),
        ("ModifyRule", 443, "listener 443: rule 20 (path /v2/*): action none → forward api-v2"),
        ("DeleteRule", 443, "listener 443: rule 20 removed (path /v2/* → forward api-v2)"),
        ("DeleteListener", 443, "deleted listener 443"),
    ]


def test_trust_store_changes_reach_the_listeners_that_verify_with_it(db, tmp_path):
    story = json.loads((CT / "listener_without_create.json").read_text())["Records"]
    trust_store = "arn:aws:elasticloadbalancing:us-east-1:123456789012:truststore/partners/0a1b2c3d4e5f6a7b"
    mutual = json.loads(json.dumps(story[0]))
    mutual["eventID"], mutual["eventTime"] = "mtls-1", "2026-11-22T11:00:00Z"
    mutual["requestParameters"] = {
        "listenerArn": API_LISTENER,
        "mutualAuthentication": {"mode": "verify", "trustStoreArn": trust_store},
    }
    mutual["responseElements"]["listeners"][0]["mutualAuthentication"] = {
        "mode": "verify",
        "trustStoreArn": trust_store,
    }
    revocations = json.loads(json.dumps(story[1]))
    revocations["eventID"], revocations["eventTime"] = "mtls-2", "2026-11-22T11:05:00Z"
    revocations["eventName"] = "AddTrustStoreRevocations"
    revocations["requestParameters"] = {"trustStoreArn": trust_store, "revocationContents": [{"s3Bucket": "crl"}]}
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Records": [mutual, revocations]}))
    load_cloudtrail(db, path)
    rows = records(db, "select event_name, category, listener_port, summary from changes order by event_time")
    assert [tuple(r.values()) for r in rows] == [
        ("ModifyListener", "listener_tls", 443, "listener 443: mutual TLS → verify"),
        (
            "AddTrustStoreRevocations",
            "listener_tls",
            443,
            "listener 443: trust store partners: AddTrustStoreRevocations",
        ),
    ]


def test_attributes_read_the_same_in_both_apis(db):
    load_cloudtrail(db, CT / "attribute_wording.json")
    rows = records(
        db,
        "select lb, category, summary, details from changes where event_name like 'Modify%Attributes' "
        "order by event_time",
    )
    assert [(r["lb"], r["category"], r["summary"]) for r in rows] == [
        (
            "shop-alb",
            "lb_attributes",
            # before values: AWS's defaults of a load balancer created in the trail; an attribute set
            # to the value it had is left out; a key without a label stays as AWS spells it
            "idle timeout 60 s → 120 s; HTTP/2 on → off; desync mitigation mode defensive → strictest; "
            "deletion protection off → on; routing.http.example_future_setting → on",
        ),
        (
            "shop-alb",
            "target_group_attributes",
            "shop: stickiness off → on; stickiness duration 86400 s → 3600 s; slow start 0 s → 30 s; "
            "load balancing algorithm round_robin → least_outstanding_requests",
        ),
        ("shop-alb", "lb_attributes", "access logs off → on; access logs bucket → shop-alb-logs"),
        (
            "media-lb",
            "lb_attributes",
            "cross-zone load balancing → on; connection draining → on; connection draining timeout → 60 s; "
            "idle timeout → 120 s; desync mitigation mode → strictest",
        ),
    ]
    # details keep the raw keys and values
    assert json.loads(rows[0]["details"])["fields"][:2] == [
        {"field": "idle_timeout.timeout_seconds", "before": "60", "after": "120"},
        {"field": "routing.http2.enabled", "before": "true", "after": "false"},
    ]
    assert json.loads(rows[3]["details"])["fields"][0] == {
        "field": "crosszoneloadbalancing.enabled",
        "before": None,
        "after": True,
    }


@pytest.mark.parametrize(
    ("taken_at", "summary"),
    [
        # taken before the call: the snapshot's values are the earlier ones
        ("2026-11-23T08:00:00Z", "shop: stickiness off → on; slow start 0 s → 30 s"),
        # taken after: it holds the new values, which say nothing of the earlier ones
        (
            "2026-11-23T12:00:00Z",
            "shop: stickiness → on; stickiness type → lb_cookie; slow start → 30 s",
        ),
    ],
)
def test_target_group_attributes_before_values_from_an_earlier_snapshot_only(db, tmp_path, taken_at, summary):
    from correlate.model.changes import InventoryItem
    from correlate.store.cloudtrail import CloudTrailStore

    story = json.loads((CT / "attribute_wording.json").read_text())["Records"]
    modify = story[4]
    modify["requestParameters"]["attributes"] = [
        {"key": "stickiness.enabled", "value": "true"},
        {"key": "stickiness.type", "value": "lb_cookie"},
        {"key": "slow_start.duration_seconds", "value": "30"},
    ]
    tg_arn = modify["requestParameters"]["targetGroupArn"]
    lb_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-alb/0123456789abcdef"
    values = {"stickiness.enabled": "false", "stickiness.type": "lb_cookie", "slow_start.duration_seconds": "0"}
    if taken_at > modify["eventTime"]:
        values = {"stickiness.enabled": "true", "stickiness.type": "lb_cookie", "slow_start.duration_seconds": "30"}
    CloudTrailStore(db).replace_inventory(
        "123456789012",
        "us-east-1",
        [
            InventoryItem(
                ts(taken_at),
                "target_group",
                tg_arn,
                None,
                {
                    "TargetGroupName": "shop",
                    "LoadBalancerArns": [lb_arn],
                    "Attributes": [{"Key": k, "Value": v} for k, v in values.items()],
                },
            )
        ],
    )
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Records": [modify]}))
    load_cloudtrail(db, path)
    assert records(db, "select lb, summary, attributed_by from changes") == [
        {"lb": "shop-alb", "summary": summary, "attributed_by": "inventory"}
    ]


def test_ecs_services_reach_the_load_balancers_of_their_target_groups(db):
    summary = load_cloudtrail(db, CT / "ecs_service.json")
    assert (summary.records, summary.kept, summary.unrelated) == (10, 10, 0)
    rows = records(
        db,
        "select event_name, lb, category, target_group, attributed_by, summary, details from changes "
        "where event_source = 'ecs.amazonaws.com' order by event_time",
    )
    web = {"service": "web", "cluster": "prod"}
    api = {"service": "api", "cluster": "prod"}
    task = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:{}".format
    assert [(r["event_name"], r["lb"], r["category"], r["target_group"], r["attributed_by"]) for r in rows] == [
        ("CreateService", "web-prod", "targets", "web", "cloudtrail"),
        ("UpdateService", "web-prod", "targets", "web", "cloudtrail"),
        ("UpdateService", "web-prod", "targets", "web", "cloudtrail"),
        ("UpdateService", "web-prod", "targets", "api", "cloudtrail"),
        ("UpdateService", "web-prod", "targets", "web", "cloudtrail"),
        ("DeleteService", "web-prod", "targets", "api", "cloudtrail"),
    ]
    assert [(r["summary"], json.loads(r["details"])) for r in rows] == [
        (
            "ECS service web (cluster prod) created: task definition web:41, desired count 6, target group web",
            web
            | {
                "ecs_action": "deployment",
                "fields": [
                    {"field": "task_definition", "before": None, "after": task(41)},
                    {"field": "desired_count", "before": None, "after": 6},
                ],
            },
        ),
        # the service created in the trail gives the task definition before
        (
            "ECS service web (cluster prod) updated: task definition web:41 → web:42, desired count 6",
            web
            | {
                "ecs_action": "deployment",
                "fields": [{"field": "task_definition", "before": task(41), "after": task(42)}],
            },
        ),
        (
            "ECS service web (cluster prod) updated: desired count 6 → 3",
            web | {"ecs_action": "scale_in", "fields": [{"field": "desired_count", "before": 6, "after": 3}]},
        ),
        # a service the trail never created: names from the ARNs, target group from the response
        (
            "ECS service api (cluster prod) updated: new deployment forced (task definition api:7)",
            api | {"ecs_action": "deployment", "fields": []},
        ),
        # a failed call: attributed through the replayed service, the state unchanged by it
        (
            "not applied (InvalidParameterException): ECS service web (cluster prod) updated: "
            "task definition web:42 → web:40",
            web
            | {
                "applied": False,
                "ecs_action": "deployment",
                "fields": [{"field": "task_definition", "before": task(42), "after": "web:40"}],
            },
        ),
        ("ECS service api (cluster prod) deleted (forced)", api | {"ecs_action": "delete"}),
    ]
    # a service with no load balancer affects none
    assert records(db, "select event_name, event_source from unattributed_calls") == [
        {"event_name": "UpdateService", "event_source": "ecs.amazonaws.com"}
    ]


def test_ecs_update_before_values_from_the_response_and_groups_before_and_after(db, tmp_path):
    story = json.loads((CT / "ecs_service.json").read_text())["Records"]
    listener, rule, create, update = story[0], story[1], story[2], story[4]
    # the trail never created the service: its response's ACTIVE deployment is the one before
    path = tmp_path / "alone.json"
    path.write_text(json.dumps({"Records": [listener, rule, update]}))
    load_cloudtrail(db, path)
    assert records(db, "select summary from changes where event_name = 'UpdateService'") == [
        {"summary": "ECS service web (cluster prod) updated: task definition web:41 → web:42, desired count 6"}
    ]
    # the service moves to a group nothing links yet: the load balancer of the group it leaves is affected
    moved = json.loads(json.dumps(update))
    moved["eventID"], moved["eventTime"] = "ecs-moved", "2026-11-24T09:50:00Z"
    orphan = TG.format("orphan/0f0f0f0f0f0f0f0f")
    moved["requestParameters"] = {
        "cluster": "prod",
        "service": "web",
        "loadBalancers": [{"targetGroupArn": orphan, "containerName": "web", "containerPort": 8080}],
    }
    moved["responseElements"] = None
    path = tmp_path / "moved.json"
    path.write_text(json.dumps({"Records": [create, moved]}))
    load_cloudtrail(db, path)
    assert records(db, "select lb, target_group, summary, attributed_by from changes where event_id = 'ecs-moved'") == [
        {
            "lb": "web-prod",
            "target_group": "web",
            "summary": "ECS service web (cluster prod) updated: target groups web → orphan",
            "attributed_by": "cloudtrail",
        }
    ]


def test_ecs_service_learned_from_a_response_gives_the_next_call_its_before_values(db, tmp_path):
    story = json.loads((CT / "ecs_service.json").read_text())["Records"]
    listener, forced = story[0], story[7]  # UpdateService api --force-new-deployment: 4 tasks of api:7
    scale = json.loads(json.dumps(forced))
    scale["eventID"], scale["eventTime"] = "ecs-scale", "2026-11-24T10:10:00Z"
    scale["requestParameters"] = {"cluster": "prod", "service": "api", "desiredCount": 8, "networkConfiguration": {}}
    scale["responseElements"] = None
    rule = story[1]
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Records": [listener, rule, forced, scale]}))
    load_cloudtrail(db, path)
    assert records(db, "select target_group, summary, details from changes where event_id = 'ecs-scale'") == [
        {
            "target_group": "api",
            "summary": "ECS service api (cluster prod) updated: desired count 4 → 8, also sets networkConfiguration",
            "details": '{"cluster":"prod","ecs_action":"deployment","fields":[{"after":8,"before":4,'
            '"field":"desired_count"}],"service":"api"}',
        }
    ]


def test_a_call_that_sets_what_is_already_set_reads_unchanged(db, tmp_path):
    """Once the replay knows the listener forwards to web-v2 (also from another day's calls), a call
    setting it again, spelled as the request or as a described listener, is not "forward web-v2 ->
    forward web-v2": it reads unchanged, and is scored as a routing change to web-v2 all the same, as
    when the replay knows nothing before it."""
    trail = json.loads((CT / "trail_v2_story.json").read_text())
    (story,) = [r for r in trail["Records"] if r["eventID"].endswith("000000000011")]
    described = {"type": "forward", "order": 1, "targetGroupArn": TG_V2}
    described["forwardConfig"] = {"targetGroups": [{"targetGroupArn": TG_V2}]}
    again = []
    for number, minute, actions, error in (
        (60, "14:10", story["requestParameters"]["defaultActions"], "AccessDenied"),
        (61, "14:12", [described], None),
    ):
        record = json.loads(json.dumps(story))
        record |= {"eventID": f"00000000-0000-4000-8000-{number:012d}", "eventTime": f"2026-11-20T{minute}:00Z"}
        record["requestParameters"]["defaultActions"] = actions
        if error:
            record |= {"errorCode": error, "errorMessage": "not allowed"}
        again.append(record)
    (tmp_path / "again.json").write_text(json.dumps({"Records": again}))
    load_cloudtrail(db, CT / "trail_v2_story.json", tmp_path / "again.json")
    facts = ("summary", "category", "categories", "target_group", "listener_port", "details")
    assert [{k: change(db, n)[k] for k in facts} for n in (60, 61)] == [
        {
            "summary": "not applied (AccessDenied): listener 443: default action unchanged (already forward web-v2)",
            "category": "routing",
            "categories": ["routing"],
            "target_group": "web-v2",
            "listener_port": 443,
            "details": {"applied": False, "fields": []},
        },
        {
            "summary": "listener 443: default action unchanged (already forward web-v2)",
            "category": "routing",
            "categories": ["routing"],
            "target_group": "web-v2",
            "listener_port": 443,
            "details": {"fields": []},
        },
    ]
