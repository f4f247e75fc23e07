"""An inventory snapshot of the load balancers, through the Describe* APIs.

It tells the change model what CloudTrail may not have recorded: which load balancers a target
group serves, listener ports, certificates in use, security groups, subnets, Classic policies,
network-ACL subnets, and the target groups, launch template and capacity of Auto Scaling groups.
Each resource comes out as (resource_type, arn_or_name, lb, Describe* item).
The clients come from `AwsClients` (profile, timeouts, retries, endpoint), created as each API is
reached, and failures read as the other AWS sources' one-line errors (`explain`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from correlate.errors import SourceAccessError
from correlate.sources.aws import AWS_ERRORS, AwsClients, explain

Resource = tuple[str, str, str | None, dict[str, Any]]
PERMISSION = "elasticloadbalancing:Describe*, ec2:DescribeNetworkAcls and autoscaling:DescribeAutoScalingGroups"


def inventory_region(aws: AwsClients, region: str | None) -> str:
    """The region to describe: the one given, else the configured one."""
    name = region or aws.region
    if not name:
        raise SourceAccessError("No AWS region for the inventory. Pass --region or set AWS_REGION.")
    return name


def describe_inventory(aws: AwsClients, region: str) -> Iterator[Resource]:
    """Every load balancer resource in `region`: ELBv2, Classic ELB, the network ACLs, then the Auto
    Scaling groups."""
    try:
        yield from _v2(aws.client("elbv2", region))
        yield from _classic(aws.client("elb", region))
        yield from _network_acls(aws.client("ec2", region))
        yield from _auto_scaling_groups(aws.client("autoscaling", region))
    except AWS_ERRORS as error:
        raise explain(error, f"Inventory of {region}", "describing the load balancers", PERMISSION) from None


def _v2(client: Any) -> Iterator[Resource]:
    for page in client.get_paginator("describe_load_balancers").paginate():
        for lb in page.get("LoadBalancers", []):
            arn = lb["LoadBalancerArn"]
            name = lb.get("LoadBalancerName")
            attributes = client.describe_load_balancer_attributes(LoadBalancerArn=arn).get("Attributes", [])
            yield "load_balancer", arn, name, {**lb, "Attributes": attributes}
            for listener_page in client.get_paginator("describe_listeners").paginate(LoadBalancerArn=arn):
                for listener in listener_page.get("Listeners", []):
                    yield "listener", listener["ListenerArn"], name, listener
                    marker = None
                    while True:
                        arguments = {"ListenerArn": listener["ListenerArn"], **({"Marker": marker} if marker else {})}
                        rules = client.describe_rules(**arguments)
                        for rule in rules.get("Rules", []):
                            if not rule.get("IsDefault"):
                                yield "rule", rule["RuleArn"], name, rule
                        marker = rules.get("NextMarker")
                        if not marker:
                            break
    for page in client.get_paginator("describe_target_groups").paginate():
        for group in page.get("TargetGroups", []):
            arn = group["TargetGroupArn"]
            attributes = client.describe_target_group_attributes(TargetGroupArn=arn).get("Attributes", [])
            yield "target_group", arn, None, {**group, "Attributes": attributes}


def _classic(client: Any) -> Iterator[Resource]:
    for page in client.get_paginator("describe_load_balancers").paginate():
        for lb in page.get("LoadBalancerDescriptions", []):
            name = lb["LoadBalancerName"]
            yield "classic_load_balancer", name, name, lb
            policies = client.describe_load_balancer_policies(LoadBalancerName=name).get("PolicyDescriptions", [])
            for policy in policies:
                yield "classic_policy", policy.get("PolicyName", ""), name, policy


def _network_acls(client: Any) -> Iterator[Resource]:
    for page in client.get_paginator("describe_network_acls").paginate():
        for acl in page.get("NetworkAcls", []):
            yield "network_acl", acl["NetworkAclId"], None, acl


def _auto_scaling_groups(client: Any) -> Iterator[Resource]:
    for page in client.get_paginator("describe_auto_scaling_groups").paginate():
        for group in page.get("AutoScalingGroups", []):
            yield "auto_scaling_group", group["AutoScalingGroupName"], None, group
