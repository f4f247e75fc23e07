"""`correlate timeline --from-aws` through the library call: moto's in-process AWS holds the load
balancer (ELBv2, EC2), its access logs (S3) and its CloudWatch metrics; LookupEvents, which moto
lacks, answers through botocore's Stubber with the demo incident's trail. Then the same from the
command line, against moto's server in another process."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber
from conftest import FakeTime, moto_server, moto_subnets
from timeline_support import TEST_RATES

from correlate.analysis.evidence import Coverage
from correlate.demo import DemoFiles, generate, scenario
from correlate.errors import NoCredentials, NoInputFound, SourceAccessError
from correlate.pipeline.cloudtrail import lookup_attributes
from correlate.pipeline.from_aws import FromAws, fetch_from_aws, timeline_from_aws
from correlate.present.evidence import evidence_lines
from correlate.sources.aws import AwsClients, AwsOptions
from correlate.store.database import Database

REGION = "us-east-1"
BUCKET = "elb-logs"
KIND = "fail-open"


class WithLookup(AwsClients):
    """moto's clients, except CloudTrail's: a Stubber answers its LookupEvents."""

    def __init__(self) -> None:
        super().__init__(AwsOptions(region=REGION))
        self.cloudtrail = boto3.client("cloudtrail", region_name=REGION)
        self.stubber = Stubber(self.cloudtrail)

    def client(self, service, region=None, *, max_attempts=5):
        return (
            self.cloudtrail if service == "cloudtrail" else super().client(service, region, max_attempts=max_attempts)
        )


def lookup_event(record: dict) -> dict:
    at = dt.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "EventTime": at,
        "EventSource": record["eventSource"],
        "CloudTrailEvent": json.dumps(record),
    }


def answer_lookups(stubber: Stubber, records: list[dict] | None = None, error: str | None = None) -> None:
    """The trail in the first lookup's page (the ingestion keeps each event once, whatever lookup
    found it), empty pages for the rest; or, with `error`, the first lookup refused."""
    if error:
        stubber.add_client_error("lookup_events", error, "not authorized", 400)
        return
    for index, _ in enumerate(lookup_attributes()):
        page = [lookup_event(record) for record in records] if index == 0 and records else []
        stubber.add_response("lookup_events", {"Events": page}, {"LookupAttributes": ANY, "StartTime": ANY,
                                                                 "EndTime": ANY, "MaxResults": 50})  # fmt: skip


@pytest.fixture(scope="module")
def incident(tmp_path_factory) -> DemoFiles:
    return generate(KIND, 1, tmp_path_factory.mktemp("demo"), TEST_RATES, only=scenario(KIND, 1).subject, metrics=True)


def build_account(files: DemoFiles, *, access_logs: bool = True) -> None:
    """web-prod in moto as the demo has it: its target groups, its access logs in S3 (when enabled),
    and the CloudWatch datapoints of the demo's document that moto can answer (Sum and Average)."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc, subnets = moto_subnets(ec2)
    elbv2 = boto3.client("elbv2", region_name=REGION)
    lb = elbv2.create_load_balancer(Name="web-prod", Subnets=subnets, Type="application")["LoadBalancers"][0]
    groups = {}
    for name in ("web", "api", "web-v2"):
        group = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
        groups[name] = group["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": groups["web"]}],
    )
    if access_logs:
        attributes = {"access_logs.s3.enabled": "true", "access_logs.s3.bucket": BUCKET, "access_logs.s3.prefix": "web"}
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[{"Key": k, "Value": v} for k, v in attributes.items()]
        )
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        for path in files.log_files:
            s3.put_object(Bucket=BUCKET, Key=f"web/{path.relative_to(files.root)}", Body=path.read_bytes())
    put_metrics(files, lb["LoadBalancerArn"].split(":loadbalancer/")[1], groups)


def put_metrics(files: DemoFiles, lb_id: str, groups: dict[str, str]) -> None:
    (path,) = files.metric_files
    document = json.loads(Path(path).read_text())
    queries = {query["Id"]: query["MetricStat"] for query in document["MetricDataQueries"]}
    data = []
    for result in document["MetricDataResults"]:
        stat = queries[result["Id"]]
        if stat["Stat"] not in ("Sum", "Average"):
            continue  # moto answers no percentile
        dimensions = []
        for dimension in stat["Metric"]["Dimensions"]:
            value = dimension["Value"]
            if dimension["Name"] == "LoadBalancer":
                value = lb_id
            elif dimension["Name"] == "TargetGroup":
                value = groups[value.split("/")[1]].split(":", 5)[5]
            dimensions.append({"Name": dimension["Name"], "Value": value})
        for at, value in zip(result["Timestamps"], result["Values"], strict=True):
            stamp = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
            data.append({"MetricName": stat["Metric"]["MetricName"], "Dimensions": dimensions, "Timestamp": stamp,
                         "Value": value})  # fmt: skip
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for start in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace=stat["Metric"]["Namespace"], MetricData=data[start : start + 1000])


def request(files: DemoFiles) -> tuple[FromAws, dict]:
    story = files.scenario
    fake = FakeTime()
    return FromAws("web-prod", story.start, story.end, REGION), {
        "now": story.end + dt.timedelta(minutes=10),
        "sleep": fake.sleep,
        "clock": fake.clock,
        "other_regions": [],
    }


def test_from_zero_to_the_timeline(aws, incident):
    """Inventory, CloudWatch, the access logs from S3 and LookupEvents into the database, then the
    timeline: the health check that failed web's targets open ranks first on CloudWatch's host counts,
    beside the access logs."""
    build_account(incident)
    clients = WithLookup()
    answer_lookups(clients.stubber, list(incident.records))
    said, warned = [], []
    wanted, options = request(incident)
    with clients.stubber, Database.open(":memory:") as db:
        timeline = timeline_from_aws(db, clients, wanted, said.append, warned.append, **options)
        clients.stubber.assert_no_pending_responses()
        (loaded,) = db.query("select count(*) from requests")[1]
    lb_id = said[3].split("(alb ")[1].split(")")[0]  # moto names the load balancer app/web-prod/<random>
    assert said == [
        "Reading the Describe* inventory of us-east-1...",
        "inventory of us-east-1: 1 listeners, 1 load balancers, 2 network acls, 3 target groups; 0 changes after the "
        "rebuild",
        "Reading CloudWatch's metrics of web-prod...",
        f"CloudWatch in us-east-1: web-prod (alb {lb_id}): 45 series, 373 datapoints (373 new), 34 series without "
        "datapoints, 0 rejected",
        "Reading the access logs of web-prod...",
        f"web-prod (application): access logs in s3://{BUCKET}/web/AWSLogs/123456789012/elasticloadbalancing/us-east-1/",
        "22 files: 22 loaded, 0 skipped; 11,983 rows, 0 rejected",
        "Reading CloudTrail's LookupEvents in us-east-1...",
        "LookupEvents in 1 region; 12 records: 12 kept, 0 unrelated, 0 rejected, 0 duplicates; 7 changes on 2 load "
        "balancers",
    ]
    assert lb_id.startswith("app/web-prod/")
    assert len(warned) == 1 and warned[0].startswith("cloudwatch:us-east-1: no datapoints from 2026-11-15T13:30:00Z")
    assert loaded == (11983,)
    assert timeline.coverage == Coverage(("access logs", "CloudWatch"))
    top = timeline.changes[0]
    assert (top.change.event_name, top.change.event_time, top.suspicion) == (
        "ModifyTargetGroup",
        scenario(KIND, 1).culprit.call.at,
        1.0,
    )
    assert evidence_lines(top)[0] == (
        "UnHealthyHostCount 0 -> 6 (CloudWatch) in target group web from 14:01, 1 min after (Mann-Whitney p<1e-6)"
    )


def test_each_source_it_cannot_read_is_one_line(aws, incident):
    """Access logs not enabled and LookupEvents refused: a line each, and the timeline from what could
    be read (CloudWatch, without the changes)."""
    build_account(incident, access_logs=False)
    clients = WithLookup()
    answer_lookups(clients.stubber, error="AccessDeniedException")
    warned: list[str] = []
    wanted, options = request(incident)
    with clients.stubber, Database.open(":memory:") as db:
        fetched = fetch_from_aws(db, clients, wanted, None, warned.append, **options)
    assert fetched.failed == [
        "Access logs are not enabled for the load balancer web-prod in us-east-1. Enable them (the load balancer's "
        "access_logs.s3.enabled attribute), or pass where the logs are as SOURCE (s3://bucket/prefix).",
        "LookupEvents in us-east-1: access denied looking up events (needs cloudtrail:LookupEvents). Check the IAM "
        "policies, or use another --profile.",
    ]
    assert [line for line in warned if line in fetched.failed] == fetched.failed
    assert len(fetched.read) == 2


def test_nothing_read_is_an_error(monkeypatch, tmp_path, incident):
    """Without credentials nothing can be read: one line, at the first source."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    wanted, options = request(incident)
    with Database.open(":memory:") as db, pytest.raises(NoCredentials) as raised:
        fetch_from_aws(db, AwsClients(AwsOptions(region=REGION)), wanted, **options)
    assert str(raised.value) == (
        "Inventory of us-east-1: no AWS credentials found. Pass --profile or set AWS_PROFILE, set AWS_ACCESS_KEY_ID "
        "and AWS_SECRET_ACCESS_KEY, or run where an IAM role is available."
    )
    assert isinstance(raised.value, SourceAccessError)


# -- the command line against moto's server, in another process -----------------------------------


@pytest.fixture(scope="module")
def server():
    with moto_server() as url:
        yield url


@pytest.mark.slow
def test_the_command_from_zero(server, tmp_path):
    """`correlate timeline --lb web-prod --since 30m --from-aws`: the access logs of the last half hour
    from S3 and CloudWatch's host counts, each source said on stderr; LookupEvents, which moto's server
    does not answer, is one line, and the timeline comes from the rest. A second `correlate timeline`
    (and `correlate report`) read the database alone."""
    import os
    import subprocess
    import sys

    from awslogs import elb_tree, upload_tree
    from conftest import AWS_TEST_ENV

    keys = {"endpoint_url": server, "region_name": REGION, "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing"}  # fmt: skip
    ec2, elbv2 = boto3.client("ec2", **keys), boto3.client("elbv2", **keys)
    _, subnets = moto_subnets(ec2, "a")
    lb = elbv2.create_load_balancer(Name="web-prod", Subnets=subnets)["LoadBalancers"][0]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Attributes=[
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": BUCKET},
        ],
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, second=0, microsecond=0)
    start = now.replace(minute=now.minute - now.minute % 5) - dt.timedelta(minutes=35)
    upload_tree(boto3.client("s3", **keys), BUCKET, elb_tree(start, 0.5, lbs=("web-prod",)))
    dimension = [{"Name": "LoadBalancer", "Value": lb["LoadBalancerArn"].split(":loadbalancer/")[1]}]
    points = [
        {
            "MetricName": "RequestCount",
            "Dimensions": dimension,
            "Value": 6.0,
            "Timestamp": now - dt.timedelta(minutes=m),
        }
        for m in range(1, 30)
    ]
    boto3.client("cloudwatch", **keys).put_metric_data(Namespace="AWS/ApplicationELB", MetricData=points)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env |= AWS_TEST_ENV | {
        "AWS_ENDPOINT_URL": server,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    db = tmp_path / "c.duckdb"

    def correlate(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "correlate", "--db", str(db), *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    first = correlate("timeline", "--lb", "web-prod", "--since", "30m", "--from-aws", "--format", "json")
    assert first.returncode == 0, first.stderr
    lines = first.stderr.splitlines()
    assert [line for line in lines if line.startswith("Reading ")] == [
        "Reading the Describe* inventory of us-east-1...",
        "Reading CloudWatch's metrics of web-prod...",
        "Reading the access logs of web-prod...",
        "Reading CloudTrail's LookupEvents in us-east-1...",
    ]
    assert lines[-1] == (
        "LookupEvents in us-east-1: looking up events failed: 500: the endpoint answered HTTP 500 with a web page, "
        "not an AWS error (check AWS_ENDPOINT_URL)"
    )
    document = json.loads(first.stdout)
    assert document["sources"] == {
        "used": ["access logs", "CloudWatch"],
        "missing": [],
    }
    again = correlate("timeline", "--lb", "web-prod", "--since", "30m", "--format", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["sources"] == document["sources"]
    report = correlate("report", "--lb", "web-prod", "--since", "30m", "-o", str(tmp_path / "review.md"))
    assert report.returncode == 0, report.stderr


def test_a_load_balancer_another_region_has(aws, incident):
    """web-prod lives in eu-west-1, the command asks us-east-1: the error says where it is."""
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    _, subnets = moto_subnets(ec2, "a")
    boto3.client("elbv2", region_name="eu-west-1").create_load_balancer(Name="web-prod", Subnets=subnets)
    clients = WithLookup()
    answer_lookups(clients.stubber, [])
    wanted, options = request(incident)
    warned: list[str] = []
    with clients.stubber, Database.open(":memory:") as db, pytest.raises(NoInputFound) as raised:
        timeline_from_aws(db, clients, wanted, None, warned.append, **{**options, "other_regions": ["eu-west-1"]})
    assert str(raised.value) == (
        "No load balancer named web-prod in us-east-1 (asked the ELBv2 and Classic ELB APIs); there is one in "
        "eu-west-1: pass --region eu-west-1."
    )
    assert str(raised.value) in warned
