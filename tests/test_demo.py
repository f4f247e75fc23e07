"""The demo generator: deterministic, AWS key layouts, CloudTrail records shaped as CloudTrail writes
them, and access logs that load without a reject."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import re

import orjson
import pytest
from conftest import load
from timeline_support import TEST_RATES

from correlate.demo import KINDS, generate, scenario

ALB_LOG = re.compile(
    r"^AWSLogs/123456789012/elasticloadbalancing/us-east-1/\d{4}/\d{2}/\d{2}/123456789012_elasticloadbalancing_"
    r"us-east-1_app\.web-prod\.50dc6c495c0c9188_\d{8}T\d{4}Z_10\.0\.(0\.23|1\.87)_[a-z0-9]{8}\.log\.gz$"
)
CLB_LOG = re.compile(
    r"^AWSLogs/123456789012/elasticloadbalancing/us-east-1/\d{4}/\d{2}/\d{2}/123456789012_elasticloadbalancing_"
    r"us-east-1_legacy-web_\d{8}T\d{4}Z_10\.0\.4\.31_[a-z0-9]{8}\.log$"
)
TRAIL = re.compile(
    r"^AWSLogs/123456789012/CloudTrail/us-east-1/\d{4}/\d{2}/\d{2}/123456789012_CloudTrail_us-east-1_"
    r"\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$"
)


@pytest.fixture(scope="module")
def deregistered(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    return generate("deregistered-targets", 1, root, TEST_RATES)


def test_same_seed_same_bytes(deregistered, tmp_path):
    again = generate("deregistered-targets", 1, tmp_path, TEST_RATES)
    first = {
        p.relative_to(deregistered.root): p.read_bytes() for p in deregistered.log_files + deregistered.trail_files
    }
    second = {p.relative_to(tmp_path): p.read_bytes() for p in again.log_files + again.trail_files}
    assert first == second


def test_files_follow_the_aws_key_layouts(deregistered):
    names = [str(p.relative_to(deregistered.root)) for p in deregistered.log_files]
    # 50 minutes: 10 five-minute files per node; one ALB node also answers a request after 14:20
    assert sum(bool(ALB_LOG.match(n)) for n in names) == 21
    assert sum(bool(CLB_LOG.match(n)) for n in names) == 10
    assert len(names) == 31
    trails = [str(p.relative_to(deregistered.root)) for p in deregistered.trail_files]
    assert trails and all(TRAIL.match(n) for n in trails)


def test_trail_files_hold_records_shaped_as_cloudtrail_writes_them(deregistered):
    records = [r for p in deregistered.trail_files for r in orjson.loads(gzip.decompress(p.read_bytes()))["Records"]]
    assert sorted(r["eventID"] for r in records) == sorted(r["eventID"] for r in deregistered.records)
    culprit = next(r for r in records if r["eventName"] == "DeregisterTargets")
    assert culprit == {
        "eventVersion": "1.11",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDA4EXAMPLEBOBXYZ123",
            "arn": "arn:aws:iam::123456789012:user/bob",
            "accountId": "123456789012",
            "accessKeyId": "AKIA4EXAMPLEBOB12345",
            "userName": "bob",
        },
        "eventTime": "2026-11-02T14:00:23Z",
        "eventSource": "elasticloadbalancing.amazonaws.com",
        "eventName": "DeregisterTargets",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.77",
        "userAgent": culprit["userAgent"],
        "requestParameters": {
            "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067",
            "targets": [{"id": f"10.0.1.{i}", "port": 80} for i in (13, 14, 15, 16)],
        },
        "responseElements": None,
        "requestID": culprit["requestID"],
        "eventID": culprit["eventID"],
        "readOnly": False,
        "eventType": "AwsApiCall",
        "apiVersion": "2015-12-01",
        "managementEvent": True,
        "recipientAccountId": "123456789012",
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": "elasticloadbalancing.us-east-1.amazonaws.com",
        },
    }
    assert culprit["userAgent"].startswith("aws-cli/2.22.4 ")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", culprit["eventID"])
    failed = next(r for r in records if r.get("errorCode"))
    assert (failed["eventName"], failed["errorCode"], failed["responseElements"]) == (
        "ModifyListener",
        "AccessDenied",
        None,
    )
    assert failed["errorMessage"].startswith("User: arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_")
    describes = [r for r in records if r["eventName"].startswith("Describe")]
    assert describes and all(r["readOnly"] is True for r in describes)
    ecs = next(r for r in records if r["eventName"] == "RegisterTargets")
    assert ecs["userIdentity"]["invokedBy"] == "ecs.amazonaws.com"
    assert ecs["userIdentity"]["sessionContext"]["sessionIssuer"]["userName"] == "AWSServiceRoleForECS"
    assert ecs["sourceIPAddress"] == "ecs.amazonaws.com"


def test_access_logs_load_without_a_reject(db, deregistered):
    summary = load(db, deregistered.root / "AWSLogs")
    lines = sum(len(_text(p).splitlines()) for p in deregistered.log_files)
    assert (summary.loaded, summary.rows, summary.rejected) == (31, lines, 0)
    by_type = dict(db.query("select lb_type, count(*) from requests group by lb_type")[1])
    assert set(by_type) == {"alb", "clb"}
    (shape,) = db.query(
        "select max(len(extra_fields)), count(distinct ip_address) from requests where lb_type = 'alb'"
    )[1]
    assert shape == (2, 2)  # the 2026 layout: ip_address of the node, then two placeholder fields


def _text(path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def test_every_kind_and_seed_has_its_own_hour():
    windows = [(scenario(kind, seed).start, scenario(kind, seed).end) for kind in KINDS for seed in (1, 2)]
    windows.sort()
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(windows))
    story = scenario("tls-policy", 1)
    assert (story.subject, story.start, story.incident) == (
        "legacy-web",
        dt.datetime(2026, 11, 5, 13, 30),
        dt.datetime(2026, 11, 5, 14, 0, 23),
    )
    assert story.culprit is not None and story.culprit.call.event_name == "SetLoadBalancerPoliciesOfListener"
    assert scenario("traffic-surge", 1).culprit is None
