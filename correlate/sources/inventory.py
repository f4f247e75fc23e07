"""An inventory snapshot of the load balancers, through the Describe* APIs (clients passed in).

It tells the change model what CloudTrail may not have recorded: which load balancers a target
group serves, listener ports, certificates in use, security groups, subnets, Classic policies,
network-ACL subnets. Each resource comes out as (resource_type, arn_or_name, lb, Describe* item).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from correlate.errors import SourceAccessError

Resource = tuple[str, str, str | None, dict[str, Any]]


def inventory_clients(region: str | None) -> dict[str, Any]:
    import boto3

    session = boto3.session.Session()
    region = region or session.region_name
    if not region:
        raise SourceAccessError("No AWS region for the inventory. Pass --region or set AWS_REGION.")
    return {name: session.client(name, region_name=region) for name in ("elbv2", "elb", "ec2")}


def describe_inventory(clients: dict[str, Any]) -> Iterator[Resource]:
    """Every load balancer resource the clients can describe; missing clients are skipped."""
    try:
        if "elbv2" in clients:
            yield from _v2(clients["elbv2"])
        if "elb" in clients:
            yield from _classic(clients["elb"])
        if "ec2" in clients:
            yield from _network_acls(clients["ec2"])
    except (ClientError, BotoCoreError) as error:
        raise SourceAccessError(
            f"Describing the load balancers failed: {error}. The inventory needs elasticloadbalancing:Describe* "
            "and ec2:DescribeNetworkAcls permissions."
        ) from None


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
