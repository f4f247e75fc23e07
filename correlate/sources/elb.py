"""Where a load balancer writes its logs, from its attributes: `ingest logs --lb NAME` with no SOURCE.

An Application or Network Load Balancer (ELBv2) names its log bucket and prefix in the attributes
`access_logs.s3.*`, and an ALB its connection and health-check logs in `connection_logs.s3.*` and
`health_check_logs.s3.*`; a Classic ELB in its `AccessLog` attribute. Logs land under
`s3://BUCKET/[PREFIX/]AWSLogs/ACCOUNT/elasticloadbalancing/REGION/` (docs/formats.md, "Object names"). The account
and region come from the ELBv2 ARN; for a Classic ELB (which has no ARN in the API) the account
comes from STS GetCallerIdentity and the region from the client.
"""

from __future__ import annotations

from dataclasses import dataclass

from correlate.errors import NoInputFound
from correlate.sources.aws import AWS_ERRORS, AwsClients, error_code, explain

DESCRIBE_PERMISSION = (
    "elasticloadbalancing:DescribeLoadBalancers and elasticloadbalancing:DescribeLoadBalancerAttributes"
)
_V2_LOGS = (
    ("access", "access_logs.s3"),
    ("connection", "connection_logs.s3"),
    ("health_check", "health_check_logs.s3"),
)


@dataclass(frozen=True, slots=True)
class LogLocation:
    """One S3 prefix where a load balancer delivers one kind of log."""

    lb: str
    lb_type: str  # application, network, gateway, classic
    logs: str  # access, connection, health_check
    uri: str  # s3://bucket/[prefix/]AWSLogs/ACCOUNT/elasticloadbalancing/REGION/


def find_log_locations(clients: AwsClients, lb: str) -> list[LogLocation]:
    """Every enabled log location of the load balancer named `lb`, in the client's region (an ALB
    and a Classic ELB may share a name; both are looked up)."""
    subject = f"load balancer {lb}"
    try:
        v2 = _v2_load_balancers(clients, lb)
        classic = _classic_exists(clients, lb)
        region = clients.client("elbv2").meta.region_name
        if not v2 and not classic:
            raise NoInputFound(
                f"No load balancer named {lb} in {region} (asked the ELBv2 and Classic ELB APIs). Check --lb, "
                "--region and --profile, or pass where the logs are as SOURCE (s3://bucket/prefix)."
            )
        locations = [location for arn, lb_type in v2 for location in _v2_locations(clients, lb, arn, lb_type)]
        if classic:
            locations += _classic_locations(clients, lb)
    except AWS_ERRORS as error:
        raise explain(error, subject, "reading its log settings", DESCRIBE_PERMISSION) from None
    if not locations:
        raise NoInputFound(
            f"Access logs are not enabled for the load balancer {lb} in {region}. Enable them (the load "
            "balancer's access_logs.s3.enabled attribute), or pass where the logs are as SOURCE (s3://bucket/prefix)."
        )
    unique: dict[str, LogLocation] = {}
    for location in locations:
        unique.setdefault(location.uri, location)
    return list(unique.values())


def _v2_load_balancers(clients: AwsClients, lb: str) -> list[tuple[str, str]]:
    try:
        described = clients.client("elbv2").describe_load_balancers(Names=[lb])["LoadBalancers"]
    except AWS_ERRORS as error:
        if error_code(error) in ("LoadBalancerNotFound", "ValidationError"):
            return []
        raise
    return [(item["LoadBalancerArn"], item.get("Type", "application")) for item in described]


def _v2_locations(clients: AwsClients, lb: str, arn: str, lb_type: str) -> list[LogLocation]:
    attributes = {
        item["Key"]: item["Value"]
        for item in clients.client("elbv2").describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    }
    _, _, _, region, account = arn.split(":", 5)[:5]
    locations = []
    for logs, key in _V2_LOGS:
        bucket = attributes.get(f"{key}.bucket")
        if attributes.get(f"{key}.enabled") == "true" and bucket:
            uri = _log_uri(bucket, attributes.get(f"{key}.prefix", ""), account, region)
            locations.append(LogLocation(lb, lb_type, logs, uri))
    return locations


def _classic_exists(clients: AwsClients, lb: str) -> bool:
    try:
        clients.client("elb").describe_load_balancers(LoadBalancerNames=[lb])
    except AWS_ERRORS as error:
        if error_code(error) in ("LoadBalancerNotFound", "AccessPointNotFound", "ValidationError"):
            return False
        raise
    return True


def _classic_locations(clients: AwsClients, lb: str) -> list[LogLocation]:
    elb = clients.client("elb")
    access = elb.describe_load_balancer_attributes(LoadBalancerName=lb)["LoadBalancerAttributes"].get("AccessLog", {})
    if not access.get("Enabled") or not access.get("S3BucketName"):
        return []
    account = clients.client("sts").get_caller_identity()["Account"]
    uri = _log_uri(access["S3BucketName"], access.get("S3BucketPrefix", ""), account, elb.meta.region_name)
    return [LogLocation(lb, "classic", "access", uri)]


def _log_uri(bucket: str, prefix: str, account: str, region: str) -> str:
    prefix = prefix.strip("/")
    return f"s3://{bucket}/{prefix + '/' if prefix else ''}AWSLogs/{account}/elasticloadbalancing/{region}/"
