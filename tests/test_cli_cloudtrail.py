"""`correlate ingest cloudtrail`, `correlate ingest inventory`, `correlate changes` through the CLI."""

from __future__ import annotations

import json

import boto3
from conftest import FIXTURES, invoke
from moto import mock_aws

CT = FIXTURES / "cloudtrail"


def test_ingest_cloudtrail_then_changes(runner, tmp_path):
    db = tmp_path / "c.duckdb"
    result = invoke(
        runner, "--db", db, "ingest", "cloudtrail", CT / "trail_v2_story.json", CT / "classic_policy_pair.json"
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == (
        "2 files: 2 loaded, 0 skipped; 22 records: 20 kept, 2 unrelated, 0 rejected, 0 duplicates; "
        "17 changes on 2 load balancers (2 calls not linked to a load balancer: see the unattributed_calls view)\n"
    )
    as_json = invoke(runner, "--db", db, "changes", "--lb", "media-lb", "--format", "json")
    rows = json.loads(as_json.stdout)
    assert [r["event_name"] for r in rows] == [
        "CreateLoadBalancer",
        "CreateLoadBalancerPolicy",
        "SetLoadBalancerPoliciesOfListener",
        "ConfigureHealthCheck",
        "ModifyLoadBalancerAttributes",
        "RegisterInstancesWithLoadBalancer",
    ]
    assert rows[2] == {
        "event_time": "2026-11-20T14:00:30Z",
        "lb": "media-lb",
        "event_name": "SetLoadBalancerPoliciesOfListener",
        "category": "listener_tls",
        "listener_port": 443,
        "target_group": None,
        "summary": "listener 443: SSL policy → tls-1-2-only; protocols removed: TLSv1, TLSv1.1; "
        "protocols enabled: TLSv1.2; ciphers removed: AES128-SHA",
        "actor_name": "bob",
        "actor_kind": "cli",
        "applied": True,
        "error_code": None,
        "event_id": "00000000-0000-4000-8000-000000000019",
        "origin": "cloudtrail",
        "url": None,
    }
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-prod/50dc6c495c0c9188"
    by_arn = invoke(runner, "--db", db, "changes", "--lb", arn, "--since", "2026-11-20T14:05Z", "--format", "csv")
    assert by_arn.stdout.splitlines()[0] == (
        "event_time,lb,event_name,category,listener_port,target_group,summary,actor_name,actor_kind,applied,"
        "error_code,event_id,origin,url"
    )
    assert [line.split(",")[2] for line in by_arn.stdout.splitlines()[1:]] == [
        "ModifyListener",
        "RegisterTargets",
        "ModifyTargetGroup",
        "ModifyLoadBalancerAttributes",
        "ModifyRule",
        "AddTags",
    ]
    for fmt in ("ndjson", "markdown", "table"):
        assert "web-v2" in invoke(runner, "--db", db, "changes", "--lb", "web-prod", "--format", fmt).stdout
    lbs = json.loads(invoke(runner, "--db", db, "lbs", "--format", "json").stdout)
    assert [(r["lb"], r["lb_type"], r["lb_id"], r["changes"]) for r in lbs] == [
        ("media-lb", "clb", "media-lb", 6),
        ("web-prod", "alb", "app/web-prod/50dc6c495c0c9188", 11),
    ]


def test_changes_for_an_unknown_load_balancer(runner, tmp_path):
    db = tmp_path / "c.duckdb"
    invoke(runner, "--db", db, "ingest", "cloudtrail", CT / "trail_v2_story.json")
    result = invoke(runner, "--db", db, "changes", "--lb", "nope")
    assert result.exit_code == 1
    assert result.stderr == f"Error: No load balancer named nope in {db}. Known: web-prod.\n"


def test_strict_fails_on_rejects(runner, tmp_path):
    db = tmp_path / "c.duckdb"
    result = invoke(runner, "--db", db, "ingest", "cloudtrail", CT / "bad", "--strict")
    assert result.exit_code == 4
    assert result.stderr.splitlines() == [
        "Rejected records are in the rejects table: "
        "correlate sql \"select source_file, source_line, reason from rejects where kind = 'cloudtrail'\"",
        "3 files: 3 loaded, 0 skipped; 5 records: 0 kept, 0 unrelated, 5 rejected, 0 duplicates; "
        "0 changes on 0 load balancers",
        "Error: 5 records were rejected and --strict was given. "
        "See them with: correlate sql \"select * from rejects where kind = 'cloudtrail'\"",
    ]


def test_usage_errors(runner, tmp_path):
    db = tmp_path / "c.duckdb"
    neither = invoke(runner, "--db", db, "ingest", "cloudtrail")
    assert neither.exit_code == 2
    assert "Give at least one SOURCE (a file, directory, glob or s3:// prefix), or --lookup." in neither.stderr
    both = invoke(runner, "--db", db, "ingest", "cloudtrail", CT, "--lookup")
    assert both.exit_code == 2
    assert "Give either SOURCE arguments or --lookup, not both." in both.stderr
    region = invoke(runner, "--db", db, "ingest", "cloudtrail", CT, "--region", "us-east-1")
    assert region.exit_code == 2
    missing = invoke(runner, "--db", db, "ingest", "cloudtrail", tmp_path / "none")
    assert missing.exit_code == 1
    assert missing.stderr == (
        f"Error: {tmp_path / 'none'}: no such file or directory. Pass a file, a directory, a glob or an s3:// prefix.\n"
    )


def test_lookup_without_region(runner, tmp_path, monkeypatch):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    result = invoke(runner, "--db", tmp_path / "c.duckdb", "ingest", "cloudtrail", "--lookup")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: No AWS region for LookupEvents. Pass --region (repeat it for several regions) or set AWS_REGION.\n"
    )


def test_ingest_inventory_command(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
                "SubnetId"
            ]
            for i, z in ((1, "a"), (2, "b"))
        ]
        boto3.client("elbv2", region_name="us-east-1").create_load_balancer(Name="api", Subnets=subnets)
        result = invoke(runner, "--db", tmp_path / "c.duckdb", "ingest", "inventory", "--region", "us-east-1")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("inventory of us-east-1: 1 load balancers, ")
    assert result.stderr.endswith("; 0 changes after the rebuild\n")


def test_ingest_logs_rebuilds_changes(runner, tmp_path):
    db = tmp_path / "c.duckdb"
    invoke(runner, "--db", db, "ingest", "cloudtrail", CT / "trail_v2_story.json")
    result = invoke(runner, "--db", db, "ingest", "logs", FIXTURES / "alb")
    assert result.exit_code == 0
    lbs = json.loads(invoke(runner, "--db", db, "lbs", "--format", "json").stdout)
    assert [(r["lb"], r["changes"]) for r in lbs if r["lb"] == "web-prod"] == [("web-prod", 11)]


def test_ingest_cloudtrail_lookup_command(runner, tmp_path, monkeypatch):
    from botocore.stub import Stubber

    from correlate.cli import ingest as ingest_cli
    from correlate.pipeline.cloudtrail import lookup_attributes

    story = json.loads((CT / "trail_v2_story.json").read_text())["Records"]
    clients = {}
    for region in ("us-east-1", "eu-west-1"):
        client = boto3.client("cloudtrail", region_name=region, aws_access_key_id="x", aws_secret_access_key="x")
        stubber = Stubber(client)
        for key, value in lookup_attributes():
            events = []
            if (key, value) == ("EventSource", "elasticloadbalancing.amazonaws.com") and region == "us-east-1":
                events = [{"EventId": r["eventID"], "CloudTrailEvent": json.dumps(r)} for r in story]
            stubber.add_response("lookup_events", {"Events": events})
        stubber.activate()
        clients[region] = client
    monkeypatch.setattr(ingest_cli, "lookup_clients", lambda aws, regions: {r: clients[r] for r in regions})
    monkeypatch.setattr("correlate.sources.lookup.time.sleep", lambda seconds: None)
    db = tmp_path / "c.duckdb"
    result = invoke(
        runner, "--db", db, "ingest", "cloudtrail", "--lookup", "--region", "us-east-1", "--region", "eu-west-1"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "LookupEvents in 2 regions; 16 records: 14 kept, 2 unrelated, 0 rejected, 0 duplicates; "
        "11 changes on 1 load balancers (2 calls not linked to a load balancer: see the unattributed_calls view)\n"
    )
    changes = json.loads(invoke(runner, "--db", db, "changes", "--lb", "web-prod", "--format", "json").stdout)
    assert len(changes) == 11


def _profile(tmp_path, monkeypatch) -> None:
    """An AWS config with one profile, `audit`, in eu-west-1; nothing else configured."""
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    (tmp_path / "config").write_text("[profile audit]\nregion = eu-west-1\n")
    (tmp_path / "credentials").write_text("[audit]\naws_access_key_id = AKIAAUDIT\naws_secret_access_key = x\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_lookup_clients_come_from_the_profile(runner, tmp_path, monkeypatch):
    from botocore.stub import Stubber

    from correlate.pipeline.cloudtrail import lookup_attributes
    from correlate.sources.aws import AwsClients

    _profile(tmp_path, monkeypatch)
    made = []
    client_of = AwsClients.client

    def stubbed(self, service, region=None, **options):
        client = client_of(self, service, region, **options)
        stubber = Stubber(client)
        for _ in lookup_attributes():
            stubber.add_response("lookup_events", {"Events": []})
        stubber.activate()
        made.append(client)
        return client

    monkeypatch.setattr(AwsClients, "client", stubbed)
    monkeypatch.setattr("correlate.sources.lookup.time.sleep", lambda seconds: None)
    result = invoke(runner, "--db", tmp_path / "c.duckdb", "ingest", "cloudtrail", "--lookup", "--profile", "audit")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "LookupEvents in 1 region; 0 records: 0 kept, 0 unrelated, 0 rejected, 0 duplicates; "
        "0 changes on 0 load balancers\n"
    )
    (client,) = made
    # the profile's region and credentials; correlate's timeouts; botocore retries twice, pacing does the rest
    assert client.meta.region_name == "eu-west-1"
    assert client._request_signer._credentials.access_key == "AKIAAUDIT"
    assert (client.meta.config.connect_timeout, client.meta.config.retries) == (
        5,
        {"mode": "standard", "total_max_attempts": 3},
    )


def test_inventory_uses_the_profile(runner, tmp_path, monkeypatch):
    _profile(tmp_path, monkeypatch)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")["Subnet"][
                "SubnetId"
            ]
            for i, z in ((1, "a"), (2, "b"))
        ]
        elbv2 = boto3.client("elbv2", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
        elbv2.create_load_balancer(Name="api", Subnets=subnets)
        result = invoke(runner, "--db", tmp_path / "c.duckdb", "ingest", "inventory", "--profile", "audit")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("inventory of eu-west-1: 1 load balancers, ")


def test_an_unknown_profile_is_one_line(runner, tmp_path, monkeypatch):
    _profile(tmp_path, monkeypatch)
    message = (
        "Error: The AWS profile 'nope' is not in your AWS config or credentials file. Check --profile / AWS_PROFILE "
        "(aws configure list-profiles).\n"
    )
    for command in (("cloudtrail", "--lookup"), ("inventory",)):
        result = invoke(runner, "--db", tmp_path / "c.duckdb", "ingest", *command, "--profile", "nope")
        assert (result.exit_code, result.stderr) == (1, message), command


def test_no_credentials_fail_within_seconds(runner, tmp_path, monkeypatch, blackhole_port):
    """No credentials anywhere, and an instance-metadata endpoint that accepts connections and never
    answers: each command fails with one line, from correlate's own limits, not a hang."""
    import time

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f"http://127.0.0.1:{blackhole_port}/")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9/")  # never contacted: signing fails first
    advice = (
        "no AWS credentials found. Pass --profile or set AWS_PROFILE, set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or run where an IAM role is available.\n"
    )
    for command, subject in (
        (("cloudtrail", "--lookup"), "LookupEvents in us-east-1"),
        (("inventory",), "Inventory of us-east-1"),
    ):
        started = time.monotonic()
        result = invoke(runner, "--db", tmp_path / "c.duckdb", "ingest", *command, "--region", "us-east-1")
        assert time.monotonic() - started < 8, command
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {subject}: {advice}")
