"""CloudWatch metrics of a load balancer: which load balancer it is (Describe*), and GetMetricData.

Describe* says what CloudWatch calls the load balancer (`app/NAME/ID`, `net/NAME/ID`, or a
Classic ELB's name), its zones and its target groups. GetMetricData takes up to 500 queries per
request and answers up to 100,800 datapoints per page, with a NextToken for the rest; requests are
paced (an account may make 50 a second, and CloudWatch also limits datapoints per second: one
full page every 0.6 s stays under the 180,000 datapoints a second allowed for recent data), and a
throttled request is retried after the AWS SDKs' backoff (exponential with full jitter, capped at
20 s). The clients come from `AwsClients`; failures read as the other AWS sources' one-line errors.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from correlate.errors import AccessDenied, SourceAccessError
from correlate.sources.aws import AWS_ERRORS, MAX_ATTEMPTS, THROTTLED, AwsClients, Pacer, error_code, explain

MIN_INTERVAL = 0.6  # seconds between GetMetricData requests
MAX_BACKOFF = 20.0  # seconds: the AWS SDKs' cap
MAX_RETRIES = 6
MAX_REGIONS_ASKED = 40  # where else a missing load balancer is looked for
REGION_WORKERS = 8
DESCRIBE_PERMISSION = "elasticloadbalancing:DescribeLoadBalancers"
GROUPS_PERMISSION = "elasticloadbalancing:DescribeTargetGroups"
METRICS_PERMISSION = "cloudwatch:GetMetricData"
_NOT_FOUND = frozenset({"LoadBalancerNotFound", "AccessPointNotFound", "ValidationError"})
_TYPES = {"application": "alb", "network": "nlb", "gateway": "gwlb"}


@dataclass(frozen=True, slots=True)
class DescribedLoadBalancer:
    """What Describe* says about one load balancer."""

    name: str
    lb_type: str  # alb, nlb, gwlb, clb
    lb_id: str  # app/NAME/ID, net/NAME/ID, gwy/NAME/ID, or the Classic ELB's name
    arn: str | None  # ELBv2 only
    zones: tuple[str, ...]


def describe_load_balancers(
    aws: AwsClients, region: str, name: str, attempts: int = MAX_ATTEMPTS
) -> list[DescribedLoadBalancer]:
    """The load balancers named `name` in `region`: an ALB or NLB and a Classic ELB may share a name.
    Empty when neither API knows it. When one API fails and the other finds none, its failure is
    raised (AccessDenied only when that is the only kind of failure)."""
    subject = f"load balancer {name} in {region}"
    found: list[DescribedLoadBalancer] = []
    failures: list[SourceAccessError] = []
    for service, ask in (("elbv2", _elbv2), ("elb", _elb)):
        try:
            found += ask(aws.client(service, region, max_attempts=attempts), name)
        except AWS_ERRORS as error:
            if error_code(error) not in _NOT_FOUND:
                failures.append(explain(error, subject, "describing it", DESCRIBE_PERMISSION))
    if failures and not found:
        raise next((one for one in failures if not isinstance(one, AccessDenied)), failures[0])
    return found


def _elbv2(client: Any, name: str) -> list[DescribedLoadBalancer]:
    items = client.describe_load_balancers(Names=[name]).get("LoadBalancers", [])
    described = []
    for item in items:
        arn = item["LoadBalancerArn"]
        lb_id = arn.split(":loadbalancer/", 1)[1]
        zones = tuple(zone["ZoneName"] for zone in item.get("AvailabilityZones", []) if zone.get("ZoneName"))
        described.append(DescribedLoadBalancer(name, _TYPES.get(item.get("Type", ""), "alb"), lb_id, arn, zones))
    return described


def _elb(client: Any, name: str) -> list[DescribedLoadBalancer]:
    items = client.describe_load_balancers(LoadBalancerNames=[name])["LoadBalancerDescriptions"]
    return [DescribedLoadBalancer(name, "clb", name, None, tuple(item.get("AvailabilityZones", []))) for item in items]


def target_groups(aws: AwsClients, region: str, lb: DescribedLoadBalancer) -> tuple[str, ...]:
    """The TargetGroup dimension values (targetgroup/NAME/ID) of an ALB's or NLB's target groups."""
    try:
        pages = aws.client("elbv2", region).get_paginator("describe_target_groups").paginate(LoadBalancerArn=lb.arn)
        arns = [group["TargetGroupArn"] for page in pages for group in page.get("TargetGroups", [])]
    except AWS_ERRORS as error:
        if error_code(error) == "TargetGroupNotFound":  # some endpoints say so for a load balancer with none
            return ()
        raise explain(error, f"load balancer {lb.name}", "listing its target groups", GROUPS_PERMISSION) from None
    return tuple(arn.split(":", 5)[5] for arn in arns)


def regions_with(aws: AwsClients, name: str, regions: Sequence[str], workers: int = REGION_WORKERS) -> list[str]:
    """The regions among `regions` (at most MAX_REGIONS_ASKED, asked in parallel, one attempt each)
    where a load balancer named `name` exists. Regions that fail to answer (not enabled for the
    account, no permission) are left out: this is only a hint."""

    def exists(region: str) -> bool:
        try:
            return bool(describe_load_balancers(aws, region, name, attempts=1))
        except SourceAccessError:
            return False

    asked = list(dict.fromkeys(regions))[:MAX_REGIONS_ASKED]
    if not asked:
        return []
    with ThreadPoolExecutor(max_workers=min(workers, len(asked))) as pool:
        answers = list(pool.map(exists, asked))
    return [region for region, found in zip(asked, answers, strict=True) if found]


def cloudwatch_client(aws: AwsClients, region: str) -> Any:
    """botocore retries twice at most: `metric_data_pages` paces and backs off from throttling itself."""
    return aws.client("cloudwatch", region, max_attempts=2)


def metric_data_pages(
    client: Any,
    queries: Sequence[dict[str, Any]],
    start: dt.datetime,
    end: dt.datetime,
    *,
    pacer: Pacer | None = None,
    sleep: Callable[[float], None] | None = None,
    jitter: Callable[[], float] | None = None,
    max_retries: int = MAX_RETRIES,
) -> Iterator[dict[str, Any]]:
    """Every GetMetricData response for `queries` (one request's worth, at most 500) over
    [start, end): NextToken followed, each request paced, a throttled one retried."""
    sleep = sleep or time.sleep
    pacer = pacer or Pacer(MIN_INTERVAL, sleep, time.monotonic)
    jitter = jitter or random.random
    region = getattr(getattr(client, "meta", None), "region_name", "?")
    arguments: dict[str, Any] = {
        "MetricDataQueries": list(queries),
        "StartTime": start.replace(tzinfo=dt.UTC),
        "EndTime": end.replace(tzinfo=dt.UTC),
        "ScanBy": "TimestampAscending",
    }
    token: str | None = None
    retries = 0
    while True:
        pacer.wait()
        try:
            response = client.get_metric_data(**arguments, **({"NextToken": token} if token else {}))
        except AWS_ERRORS as error:
            if error_code(error) not in THROTTLED:
                raise explain(error, f"CloudWatch in {region}", "reading metrics", METRICS_PERMISSION) from None
            retries += 1
            if retries > max_retries:
                raise SourceAccessError(
                    f"CloudWatch in {region} is still throttling GetMetricData after {max_retries} retries. "
                    "Try again later, or narrow --since/--until."
                ) from None
            sleep(jitter() * min(MAX_BACKOFF, 2.0**retries))
            continue
        retries = 0
        yield response
        token = response.get("NextToken")
        if not token:
            return
