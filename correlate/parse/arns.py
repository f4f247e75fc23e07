"""Load balancer, listener, rule and target group identifiers (docs/formats.md, "Identifiers")."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ELB_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.+)$")


@dataclass(frozen=True, slots=True)
class ElbResource:
    """What an ELB ARN or resource id says about the load balancer it belongs to."""

    kind: str  # loadbalancer, listener, listener-rule, targetgroup, truststore
    lb: str | None  # load balancer name (None for target groups and trust stores)
    lb_id: str | None  # app/NAME/ID, net/NAME/ID, gwy/NAME/ID, or a Classic ELB's name
    name: str | None  # the resource's own name (target group / trust store), else the lb name
    region: str | None = None
    account: str | None = None


def parse_elb_arn(arn: str) -> ElbResource | None:
    """Split an Elastic Load Balancing ARN; None for anything else."""
    if not isinstance(arn, str):
        return None
    match = _ELB_ARN.match(arn)
    if not match:
        return None
    region, account = match["region"] or None, match["account"] or None
    kind, _, path = match["resource"].partition("/")
    parts = path.split("/")
    if kind == "loadbalancer":
        if len(parts) >= 3 and parts[0] in ("app", "net", "gwy"):
            lb_id = "/".join(parts[:3])
            return ElbResource(kind, parts[1], lb_id, parts[1], region, account)
        return ElbResource(kind, parts[0], parts[0], parts[0], region, account)
    if kind in ("listener", "listener-rule") and len(parts) >= 3:
        lb_id = "/".join(parts[:3])
        return ElbResource(kind, parts[1], lb_id, parts[1], region, account)
    if kind in ("targetgroup", "truststore"):
        return ElbResource(kind, None, None, parts[0] or None, region, account)
    return ElbResource(kind, None, None, None, region, account)


def lb_name(text: str) -> str:
    """The load balancer name in NAME, app/NAME/ID, net/NAME/ID, or a load balancer ARN."""
    text = text.strip()
    if text.startswith("arn:"):
        resource = parse_elb_arn(text)
        if resource is not None and resource.lb:
            return resource.lb
        return text
    parts = text.split("/")
    if len(parts) == 3 and parts[0] in ("app", "net", "gwy"):
        return parts[1]
    return text
