"""`correlate ingest metrics` through click, against moto's ELB and CloudWatch (and without
credentials at all): the lines on stderr, the exit codes, and what lands in the database."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from conftest import FIXTURES, invoke, moto_subnets, records, ts

from correlate.sources.aws import AwsClients
from correlate.store.database import Database
from correlate.timeparse import iso, utcnow

REGION = "us-east-1"


def make_alb(region: str = REGION) -> tuple[str, str]:
    """An ALB web-prod in two zones with one target group; returns (LoadBalancer, TargetGroup) dimensions."""
    ec2 = boto3.client("ec2", region_name=region)
    vpc, subnets = moto_subnets(ec2)
    elbv2 = boto3.client("elbv2", region_name=region)
    lb = elbv2.create_load_balancer(Name="web-prod", Subnets=subnets)["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )
    return lb["LoadBalancerArn"].split(":loadbalancer/")[1], group["TargetGroupArn"].split(":")[-1]


@pytest.fixture
def window() -> tuple[dt.datetime, dt.datetime]:
    """Ten minutes, ending five minutes ago, on whole minutes."""
    end = utcnow().replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    return end - dt.timedelta(minutes=10), end


def put_requests(lb_id: str, minutes: list[dt.datetime], values: list[float]) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for at, value in zip(minutes, values, strict=True):
        cloudwatch.put_metric_data(
            Namespace="AWS/ApplicationELB",
            MetricData=[
                {
                    "MetricName": "RequestCount",
                    "Dimensions": [{"Name": "LoadBalancer", "Value": lb_id}],
                    "Timestamp": at.replace(tzinfo=dt.UTC),
                    "Value": value,
                }
            ],
        )


def test_ingest_metrics_from_cloudwatch_twice(aws, runner, tmp_path, window):
    lb_id, _ = make_alb()
    since, until = window
    put_requests(lb_id, [since + dt.timedelta(minutes=m) for m in (1, 2, 3)], [120.0, 118.0, 121.0])
    db_path = tmp_path / "c.duckdb"
    arguments = ("--db", db_path, "ingest", "metrics", "--lb", "web-prod", "--since", iso(since), "--until", iso(until))
    first = invoke(runner, *arguments)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ""
    end = iso(until + dt.timedelta(minutes=1))
    assert first.stderr == (
        f"cloudwatch:us-east-1: no datapoints from {iso(since)} to {end} for 44 series (HTTPCode_ELB_5XX_Count, "
        "HTTPCode_ELB_4XX_Count, HTTPCode_Target_5XX_Count, HTTPCode_Target_4XX_Count, TargetResponseTime, "
        "RejectedConnectionCount and 6 more). CloudWatch publishes a count only in minutes where it is not zero, "
        "and latencies only in minutes with requests.\n"
        f"CloudWatch in us-east-1: web-prod (alb {lb_id}): 45 series, 3 datapoints (3 new), "
        "44 series without datapoints, 0 rejected\n"
    )
    again = invoke(runner, *arguments)
    assert again.exit_code == 0
    assert again.stderr.splitlines()[-1] == (
        f"CloudWatch in us-east-1: web-prod (alb {lb_id}): 45 series, 3 datapoints (0 new), "
        "44 series without datapoints, 0 rejected"
    )
    with Database.open(str(db_path), read_only=True) as db:
        assert records(
            db, "select minute, requests, elb_5xx, errors, error_rate from metrics_lb_minute order by 1"
        ) == [
            {"minute": since + dt.timedelta(minutes=m), "requests": n, "elb_5xx": 0, "errors": 0, "error_rate": 0.0}
            for m, n in ((1, 120), (2, 118), (3, 121))
        ]
        assert records(db, "select scope, count(*) as series from metric_fetches group by 1 order by 1") == [
            # two reads of 12 load balancer series, 9 target group series and 2 x 12 zone series
            {"scope": "az", "series": 48},
            {"scope": "lb", "series": 24},
            {"scope": "target_group", "series": 18},
        ]


def test_target_groups_denied_loads_the_rest(aws, iam_user, runner, tmp_path, window):
    lb_id, _ = make_alb()
    since, until = window
    put_requests(lb_id, [since], [7.0])
    # moto names CloudWatch's IAM actions after its endpoint (monitoring:), AWS after the service
    iam_user("elasticloadbalancing:DescribeLoadBalancers", "cloudwatch:GetMetricData", "monitoring:GetMetricData")
    result = invoke(
        runner, "--db", tmp_path / "c.duckdb", "ingest", "metrics", "--lb", "web-prod", "--since", iso(since),
        "--until", iso(until),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "load balancer web-prod: access denied listing its target groups (needs "
        "elasticloadbalancing:DescribeTargetGroups). Check the IAM policies, or use another --profile. Reading the "
        "metrics of web-prod and its zones, and of no target group (the database has seen none serve it)."
    )
    assert lines[-1] == (
        f"CloudWatch in us-east-1: web-prod (alb {lb_id}): 36 series, 1 datapoints (1 new), "
        "35 series without datapoints, 0 rejected"
    )


def test_load_balancer_in_another_region(aws, runner, tmp_path, monkeypatch):
    # every region botocore knows would be asked; three keep moto's per-region set-up short
    monkeypatch.setattr(AwsClients, "regions", lambda self, service: ["us-east-1", "eu-west-1", "ap-south-1"])
    make_alb("eu-west-1")
    result = invoke(
        runner, "--db", tmp_path / "c.duckdb", "ingest", "metrics", "--lb", "web-prod", "--since", "1h", "--region",
        REGION,
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: No load balancer named web-prod in us-east-1 (asked the ELBv2 and Classic ELB APIs); there is one in "
        "eu-west-1: pass --region eu-west-1.\n"
    )


def test_no_credentials(runner, tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = invoke(
        runner, "--db", tmp_path / "c.duckdb", "ingest", "metrics", "--lb", "web-prod", "--since", "1h", "--region",
        REGION,
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: load balancer web-prod in us-east-1: no AWS credentials found. Pass --profile or set AWS_PROFILE, set "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an IAM role is available.\n"
    )


def test_window_past_retention(runner, tmp_path):
    result = invoke(
        runner, "--db", tmp_path / "c.duckdb", "ingest", "metrics", "--lb", "web-prod", "--since",
        "2020-01-01T00:00Z", "--until", "2020-01-01T02:00Z",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: The window 2020-01-01T00:00:00Z to 2020-01-01T02:01:00Z is older than 15 days: CloudWatch keeps "
        "one-minute ELB metrics for 15 days. The oldest part is past even 1-hour data (455 days): CloudWatch holds "
        "nothing for it. Use access logs for this window.\n"
    )


def test_saved_document(runner, tmp_path):
    path = FIXTURES / "cloudwatch" / "alb_unhealthy_targets.json"
    result = invoke(runner, "--db", tmp_path / "c.duckdb", "ingest", "metrics", path)
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == (
        "1 file: web-prod (alb): 6 series, 17 datapoints (17 new), 1 series without datapoints, 3 rejected"
    )
    with Database.open(str(tmp_path / "c.duckdb"), read_only=True) as db:
        assert records(db, "select max(minute) as last from metrics_lb_minute") == [{"last": ts("2026-11-20T14:06")}]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "Pass --lb NAME and --since T (CloudWatch), or FILE (saved GetMetricData output)."),
        (("--lb", "web-prod"), "Pass --lb NAME and --since T (CloudWatch), or FILE (saved GetMetricData output)."),
        (("saved.json", "--lb", "web-prod"), "Give either FILE arguments or --lb with --since, not both."),
    ],
)
def test_usage(runner, tmp_path, arguments, message):
    result = invoke(runner, "--db", tmp_path / "c.duckdb", "ingest", "metrics", *arguments)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: {message}"


def test_regions_asked_for_a_missing_load_balancer():
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(AwsClients().regions("elbv2"))
