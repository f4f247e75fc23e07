"""`correlate ingest inventory`: Describe* calls through boto3 against moto, and what the change
model gets from the snapshot."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from conftest import moto_subnets, records
from moto import mock_aws

from correlate.errors import SourceAccessError
from correlate.pipeline.cloudtrail import ingest_events
from correlate.pipeline.inventory import ingest_inventory
from correlate.sources.aws import AwsClients, AwsOptions
from correlate.sources.inventory import describe_inventory
from correlate.store.cloudtrail import CloudTrailStore

REGION = "us-east-1"


@pytest.fixture
def cloud(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc, subnets = moto_subnets(ec2)
        group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
        elbv2 = boto3.client("elbv2", region_name=REGION)
        lb = elbv2.create_load_balancer(Name="web-prod", Subnets=subnets, SecurityGroups=[group])["LoadBalancers"][0]
        tg = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
        listener = elbv2.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=8080,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
        )["Listeners"][0]
        elb = boto3.client("elb", region_name=REGION)
        elb.create_load_balancer(
            LoadBalancerName="media-lb",
            Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
            AvailabilityZones=[f"{REGION}a"],
        )
        template = ec2.create_launch_template(
            LaunchTemplateName="web-lt", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"}
        )["LaunchTemplate"]
        boto3.client("autoscaling", region_name=REGION).create_auto_scaling_group(
            AutoScalingGroupName="web-asg",
            LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "1"},
            MinSize=0,
            MaxSize=2,
            DesiredCapacity=0,
            TargetGroupARNs=[tg["TargetGroupArn"]],
            VPCZoneIdentifier=subnets[0],
        )
        clients = {"elbv2": elbv2, "elb": elb, "ec2": ec2}
        yield clients, lb, tg, listener, group


def test_inventory_snapshot(db, cloud):
    _clients, lb, tg, listener, _ = cloud
    resources = list(describe_inventory(AwsClients(), REGION))
    kinds = sorted({kind for kind, *_ in resources})
    assert kinds == [
        "auto_scaling_group",
        "classic_load_balancer",
        "listener",
        "load_balancer",
        "network_acl",
        "target_group",
    ]
    summary = ingest_inventory(CloudTrailStore(db), REGION, resources, dt.datetime(2026, 11, 20, 12, 0))
    assert summary.by_type["load_balancer"] == 1 and summary.by_type["listener"] == 1
    assert records(
        db, "select resource_type, arn, lb from inventory where resource_type != 'network_acl' order by 1"
    ) == [
        {"resource_type": "auto_scaling_group", "arn": "web-asg", "lb": None},
        {"resource_type": "classic_load_balancer", "arn": "media-lb", "lb": "media-lb"},
        {"resource_type": "listener", "arn": listener["ListenerArn"], "lb": "web-prod"},
        {"resource_type": "load_balancer", "arn": lb["LoadBalancerArn"], "lb": "web-prod"},
        {"resource_type": "target_group", "arn": tg["TargetGroupArn"], "lb": None},
    ]
    again = ingest_inventory(CloudTrailStore(db), REGION, resources, dt.datetime(2026, 11, 20, 13, 0))
    assert again.by_type == summary.by_type
    assert records(db, "select count(distinct taken_at) as snapshots from inventory") == [{"snapshots": 1}]


def test_inventory_attributes_target_group_and_security_group_changes(db, cloud):
    _clients, _lb, tg, listener, group = cloud
    store = CloudTrailStore(db)
    ingest_inventory(store, REGION, describe_inventory(AwsClients(), REGION), dt.datetime(2026, 11, 20, 15, 0))
    identity = {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/bob", "userName": "bob"}
    calls = [
        {
            "eventVersion": "1.10",
            "eventID": "inv-1",
            "eventTime": "2026-11-20T14:00:00Z",
            "eventSource": "elasticloadbalancing.amazonaws.com",
            "eventName": "DeregisterTargets",
            "apiVersion": "2015-12-01",
            "userIdentity": identity,
            "userAgent": "aws-cli/2.15.30",
            "requestParameters": {"targetGroupArn": tg["TargetGroupArn"], "targets": [{"id": "i-0123456789abcdef0"}]},
        },
        {
            "eventVersion": "1.10",
            "eventID": "inv-2",
            "eventTime": "2026-11-20T14:01:00Z",
            "eventSource": "ec2.amazonaws.com",
            "eventName": "RevokeSecurityGroupIngress",
            "userIdentity": identity,
            "userAgent": "aws-cli/2.15.30",
            "requestParameters": {
                "groupId": group,
                "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 80, "toPort": 80}]},
            },
        },
        {
            "eventVersion": "1.10",
            "eventID": "inv-3",
            "eventTime": "2026-11-20T14:02:00Z",
            "eventSource": "elasticloadbalancing.amazonaws.com",
            "eventName": "ModifyListenerAttributes",
            "apiVersion": "2015-12-01",
            "userIdentity": identity,
            "userAgent": "aws-cli/2.15.30",
            "requestParameters": {
                "listenerArn": listener["ListenerArn"],
                "attributes": [{"key": "tcp.idle_timeout.seconds", "value": "600"}],
            },
        },
    ]
    ingest_events(store, [("test", [{"CloudTrailEvent": json.dumps(c)} for c in calls])], regions=1)
    assert records(db, "select event_id, lb, category, summary, attributed_by from changes order by event_id") == [
        {
            "event_id": "inv-1",
            "lb": "web-prod",
            "category": "targets",
            "summary": "deregistered 1 target (i-012…) from web",
            "attributed_by": "inventory",
        },
        {
            "event_id": "inv-2",
            "lb": "web-prod",
            "category": "security",
            "summary": f"security group {group}: ingress rule removed: tcp 80 from anywhere",
            "attributed_by": "inventory",
        },
        {
            "event_id": "inv-3",
            "lb": "web-prod",
            "category": "lb_attributes",
            "summary": "listener 8080: TCP idle timeout → 600 s",
            "attributed_by": "arn",
        },
    ]


def test_inventory_access_denied_is_one_line(aws, iam_user):
    iam_user("ec2:DescribeNetworkAcls")
    with pytest.raises(SourceAccessError) as caught:
        list(describe_inventory(AwsClients(AwsOptions(region="eu-west-1")), "eu-west-1"))
    assert str(caught.value) == (
        "Inventory of eu-west-1: access denied describing the load balancers (needs elasticloadbalancing:Describe*, "
        "ec2:DescribeNetworkAcls and autoscaling:DescribeAutoScalingGroups). Check the IAM policies, or use another "
        "--profile."
    )
