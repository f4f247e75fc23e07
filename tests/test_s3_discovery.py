"""`correlate ingest logs --lb NAME` with no SOURCE: the log location comes from the load
balancer's attributes (ELBv2 and Classic ELB), against moto."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from awslogs import ACCOUNT, elb_tree, upload_tree
from conftest import invoke, records

from correlate.errors import NoInputFound
from correlate.sources.aws import AwsClients, AwsOptions
from correlate.sources.elb import LogLocation, find_log_locations
from correlate.store.database import Database

START = dt.datetime(2026, 11, 20, 12, 0)
EAST = f"AWSLogs/{ACCOUNT}/elasticloadbalancing/us-east-1/"


def create_alb(name: str, **attributes: str) -> str:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    subnets = [subnet["SubnetId"] for subnet in ec2.describe_subnets()["Subnets"]][:2]
    elbv2 = boto3.client("elbv2", region_name="us-east-1")
    arn = elbv2.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    if attributes:
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=arn, Attributes=[{"Key": key, "Value": value} for key, value in attributes.items()]
        )
    return arn


def create_classic(name: str, bucket: str | None, prefix: str = "") -> None:
    elb = boto3.client("elb", region_name="us-east-1")
    listener = {"Protocol": "http", "LoadBalancerPort": 80, "InstancePort": 80}
    elb.create_load_balancer(LoadBalancerName=name, Listeners=[listener], AvailabilityZones=["us-east-1a"])
    if bucket:
        access_log = {"Enabled": True, "S3BucketName": bucket, "S3BucketPrefix": prefix, "EmitInterval": 5}
        elb.modify_load_balancer_attributes(LoadBalancerName=name, LoadBalancerAttributes={"AccessLog": access_log})


def logs_on(bucket: str, prefix: str) -> dict[str, str]:
    return {"access_logs.s3.enabled": "true", "access_logs.s3.bucket": bucket, "access_logs.s3.prefix": prefix}


def test_alb_access_and_connection_logs_are_found(aws):
    create_alb(
        "web-prod",
        **logs_on("alb-logs", "prod/web"),
        **{"connection_logs.s3.enabled": "true", "connection_logs.s3.bucket": "conn-logs"},
    )
    assert find_log_locations(AwsClients(), "web-prod") == [
        LogLocation("web-prod", "application", "access", f"s3://alb-logs/prod/web/{EAST}"),
        LogLocation("web-prod", "application", "connection", f"s3://conn-logs/{EAST}"),
    ]


def test_classic_elb_access_logs_are_found(aws):
    create_classic("classic-web", "clb-logs", "/team/")
    assert find_log_locations(AwsClients(), "classic-web") == [
        LogLocation("classic-web", "classic", "access", f"s3://clb-logs/team/{EAST}")
    ]


def test_no_such_load_balancer(aws):
    with pytest.raises(NoInputFound) as error:
        find_log_locations(AwsClients(AwsOptions(region="eu-west-1")), "nope")
    assert str(error.value) == (
        "No load balancer named nope in eu-west-1 (asked the ELBv2 and Classic ELB APIs). Check --lb, --region and "
        "--profile, or pass where the logs are as SOURCE (s3://bucket/prefix)."
    )


def test_access_logs_not_enabled(aws):
    create_alb("quiet-lb")
    with pytest.raises(NoInputFound) as error:
        find_log_locations(AwsClients(), "quiet-lb")
    assert str(error.value) == (
        "Access logs are not enabled for the load balancer quiet-lb in us-east-1. Enable them (the load balancer's "
        "access_logs.s3.enabled attribute), or pass where the logs are as SOURCE (s3://bucket/prefix)."
    )


def test_ingest_with_only_lb_reads_its_logs_from_where_aws_says(aws, s3, runner, tmp_path):
    tree = elb_tree(START, 1, lbs=("web-prod", "api-prod"), prefix="prod/")
    upload_tree(s3, "alb-logs", tree)
    create_alb("web-prod", **logs_on("alb-logs", "prod"))
    db_path = tmp_path / "c.duckdb"
    result = invoke(runner, "--db", db_path, "ingest", "logs", "--lb", "web-prod", "--since", "2026-11-20T12:30Z")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"web-prod (application): access logs in s3://alb-logs/prod/{EAST}\n"
        "24 files: 14 loaded, 10 skipped (10 outside --since/--until/--lb); 36 rows, 0 rejected, 6 outside the filter\n"
    )
    with Database.open(str(db_path), read_only=True) as db:
        assert records(
            db, "select lb, count(*) as n, min(request_at) >= '2026-11-20 12:30' as in_window from requests group by lb"
        ) == [{"lb": "web-prod", "n": 36, "in_window": True}]


def test_ingest_with_neither_source_nor_lb_is_a_usage_error(runner):
    result = invoke(runner, "ingest", "logs")
    assert result.exit_code == 2
    assert "Pass SOURCE (files, directories, globs, s3://bucket/prefix), or --lb NAME." in result.stderr
