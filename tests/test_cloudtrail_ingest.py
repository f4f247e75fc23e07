"""CloudTrail containers, keep/skip, dedupe, addenda, digests, and bad input."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
from conftest import FIXTURES, load_cloudtrail, records, ts

from correlate.parse.cloudtrail import actor_of, parse_document
from correlate.pipeline.cloudtrail_read import KEPT
from correlate.timeparse import Window

CT = FIXTURES / "cloudtrail"
STORY = json.loads((CT / "trail_v2_story.json").read_text())["Records"]


def rejects(db) -> list[dict]:
    return records(db, "select source_file, source_line, kind, reason from rejects order by source_file, source_line")


def test_every_container_shape(db):
    summary = load_cloudtrail(
        db,
        CT / "trail_v2_story.json",
        CT / "array_related.json",
        CT / "eventbridge.jsonl",
        CT / "lookup_output.json",
    )
    assert (summary.files, summary.records, summary.kept, summary.unrelated) == (4, 26, 23, 3)
    rows = records(
        db,
        "select event_name, source_line, read_only from api_calls "
        "where source_file like '%eventbridge.jsonl' or source_file like '%lookup_output.json' "
        "order by source_file, source_line",
    )
    assert rows == [
        {"event_name": "DeregisterTargets", "source_line": 1, "read_only": False},
        {"event_name": "SetSecurityGroups", "source_line": 2, "read_only": False},
        {"event_name": "DeleteRule", "source_line": 1, "read_only": False},
        {"event_name": "DescribeLoadBalancers", "source_line": 2, "read_only": True},
    ]


def test_api_call_row(db):
    load_cloudtrail(db, CT / "trail_v2_story.json")
    (row,) = records(
        db,
        "select * exclude (record, request_parameters, source_file) from api_calls "
        "where event_name = 'RegisterTargets'",
    )
    assert row == {
        "event_id": "00000000-0000-4000-8000-000000000008",
        "event_time": ts("2026-11-20T14:05:30Z"),
        "event_source": "elasticloadbalancing.amazonaws.com",
        "event_name": "RegisterTargets",
        "api_version": "2015-12-01",
        "aws_region": "us-east-1",
        "account_id": "123456789012",
        "actor": "arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForECS/ecs-service-scheduler",
        "actor_name": "ecs-service-scheduler",
        "actor_kind": "aws-service",
        "source_ip": "ecs.amazonaws.com",
        "user_agent": "ecs.amazonaws.com",
        "read_only": False,
        "error_code": None,
        "error_message": None,
        "response_elements": None,
        "source_line": 8,
        "event_type": "AwsApiCall",
        "event_version": "1.10",
        "is_addendum": False,
        "request_truncated": False,
    }


def test_unrelated_records_are_counted_not_stored(db):
    summary = load_cloudtrail(db, CT / "trail_v2_story.json")
    assert summary.unrelated == 2
    assert records(
        db, "select count(*) as n from api_calls where event_source != 'elasticloadbalancing.amazonaws.com'"
    ) == [{"n": 0}]
    assert records(db, "select lines, rows, filtered, rejected, duplicates from ingested_files") == [
        {"lines": 16, "rows": 14, "filtered": 2, "rejected": 0, "duplicates": 0}
    ]


def test_same_event_twice_is_one_row(db, tmp_path):
    other_region = tmp_path / "other-trail.json.gz"
    other_region.write_bytes(gzip.compress((CT / "trail_v2_story.json").read_bytes()))
    first = load_cloudtrail(db, CT / "trail_v2_story.json")
    second = load_cloudtrail(db, other_region)
    again = load_cloudtrail(db, CT / "trail_v2_story.json")
    assert (first.kept, first.duplicates) == (14, 0)
    assert (second.kept, second.duplicates) == (14, 14)
    assert (again.loaded, again.already_loaded) == (0, 1)
    assert records(db, "select count(*) as n, count(distinct event_id) as d from api_calls") == [{"n": 14, "d": 14}]
    assert records(db, "select count(*) as n from changes") == [{"n": 11}]
    assert second.line() == (
        "1 files: 1 loaded, 0 skipped; 16 records: 14 kept, 2 unrelated, 0 rejected, 14 duplicates; "
        "11 changes on 1 load balancers (2 calls not linked to a load balancer: see the unattributed_calls view)"
    )


def test_addendum_replaces_the_earlier_copy_in_either_order(db, tmp_path):
    for order in (
        (CT / "trail_v2_story.json", CT / "addendum.json"),
        (CT / "addendum.json", CT / "trail_v2_story.json"),
    ):
        db.con.execute("delete from api_calls; delete from ingested_files; delete from changes")
        for path in order:
            load_cloudtrail(db, path)
        assert records(
            db, "select is_addendum, event_version, source_file from api_calls where event_name = 'DeregisterTargets'"
        ) == [{"is_addendum": True, "event_version": "1.11", "source_file": str(CT / "addendum.json")}]
        assert records(db, "select targets from changes where event_name = 'DeregisterTargets'") == [
            {"targets": ["i-0a1b2c3d4e5f60718", "i-0b2c3d4e5f6071829"]}
        ]


def test_digest_and_insight_objects_are_skipped_by_name(db, tmp_path):
    root = tmp_path / "AWSLogs" / "123456789012"
    digest_dir = root / "CloudTrail-Digest" / "us-east-1" / "2026" / "11" / "20"
    insight_dir = root / "CloudTrail-Insight" / "us-east-1" / "2026" / "11" / "20"
    trail_dir = root / "CloudTrail" / "us-east-1" / "2026" / "11" / "20"
    for folder in (digest_dir, insight_dir, trail_dir):
        folder.mkdir(parents=True)
    (digest_dir / "x.json.gz").write_bytes(b"not even gzip")
    (insight_dir / "123456789012_CloudTrail-Insight_us-east-1_20261120T1500Z_abc.json.gz").write_bytes(b"junk")
    shutil.copy(
        CT / "trail_v2_story.json", trail_dir / "123456789012_CloudTrail_us-east-1_20261120T1500Z_Mu0KsOhtH1ar15ZZ.json"
    )
    summary = load_cloudtrail(db, tmp_path / "AWSLogs", CT / "digest")
    assert (summary.files, summary.loaded, summary.rejected) == (4, 1, 0)
    assert summary.skipped_objects == {"CloudTrail-Digest": 2, "CloudTrail-Insight": 1}
    assert summary.line().startswith("4 files: 1 loaded, 3 skipped (2 CloudTrail-Digest, 1 CloudTrail-Insight); ")


def test_digest_recognised_by_content(db, tmp_path):
    path = tmp_path / "renamed.json"
    shutil.copy(next((CT / "digest").iterdir()), path)
    summary = load_cloudtrail(db, path)
    assert (summary.records, summary.rejected, summary.skipped_objects) == (0, 0, {"CloudTrail-Digest": 1})


def test_since_until_keep_only_the_window(db):
    window = Window(since=ts("2026-11-20T14:00:00Z"), until=ts("2026-11-20T14:06:00Z"))
    summary = load_cloudtrail(db, CT / "trail_v2_story.json", window=window)
    assert (summary.kept, summary.outside) == (4, 10)
    assert "4 kept" in summary.line() and "10 outside --since/--until" in summary.line()


# -- bad input ----------------------------------------------------------------------------------


def test_a_file_that_is_not_json_is_one_reject_and_other_files_load(db):
    summary = load_cloudtrail(db, CT / "bad" / "not_json.json", CT / "trail_v2_story.json")
    path = str(CT / "bad" / "not_json.json")
    assert (summary.loaded, summary.kept, summary.rejected) == (2, 14, 1)
    (reject,) = records(db, "select source_file, source_line, kind, reason, raw from rejects")
    assert reject == {
        "source_file": path,
        "source_line": None,
        "kind": "cloudtrail",
        "reason": f"{path}: not valid JSON (unexpected end of data (line 2, column 1)); expected a CloudTrail file "
        '({"Records": [...]}), JSON lines, an array of records, an EventBridge event or lookup-events output',
        "raw": (CT / "bad" / "not_json.json").read_text(),
    }


def test_records_that_is_not_a_list(db):
    summary = load_cloudtrail(db, CT / "bad" / "records_not_list.json")
    assert summary.rejected == 1
    assert [r["reason"] for r in rejects(db)] == ["Records is an object, not a list of records"]


def test_records_without_event_id_or_time(db):
    summary = load_cloudtrail(db, CT / "bad" / "missing_fields.json")
    assert (summary.records, summary.kept, summary.rejected) == (3, 0, 3)
    path = str(CT / "bad" / "missing_fields.json")
    assert rejects(db) == [
        {"source_file": path, "source_line": 1, "kind": "cloudtrail", "reason": "record has no eventID"},
        {"source_file": path, "source_line": 2, "kind": "cloudtrail", "reason": "record has no eventTime"},
        {
            "source_file": path,
            "source_line": 3,
            "kind": "cloudtrail",
            "reason": "eventTime 'yesterday' is not an ISO 8601 time",
        },
    ]
    (raw,) = records(db, "select raw from rejects where source_line = 1")
    assert json.loads(raw["raw"])["requestParameters"]["sslPolicy"] == "X"


def test_json_lines_with_bad_lines(db, tmp_path):
    path = tmp_path / "events.jsonl"
    lines = [json.dumps(STORY[8]), "{broken", "", json.dumps([STORY[9], 42]), json.dumps("a string")]
    path.write_text("\n".join(lines) + "\n")
    summary = load_cloudtrail(db, path)
    assert (summary.kept, summary.rejected) == (2, 3)
    assert [(r["source_line"], r["reason"]) for r in rejects(db)] == [
        (2, "not valid JSON: unexpected character, expected a string key (line 1, column 2)"),
        (4, "a record must be a JSON object, found a number"),
        (
            5,
            'not a CloudTrail document: found a string; expected {"Records": [...]}, an array of records, '
            "an EventBridge event or lookup-events output",
        ),
    ]


def test_first_line_broken_json_lines_still_load(db, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("{broken\n" + json.dumps(STORY[8]) + "\n" + json.dumps(STORY[9]) + "\n")
    summary = load_cloudtrail(db, path)
    assert (summary.kept, summary.rejected) == (2, 1)


def test_truncated_gzip_is_a_reject(db, tmp_path):
    path = tmp_path / "trail.json.gz"
    data = gzip.compress((CT / "trail_v2_story.json").read_bytes())
    path.write_bytes(data[: len(data) // 2])
    summary = load_cloudtrail(db, path)
    assert (summary.kept, summary.rejected) == (0, 1)
    assert rejects(db)[0]["reason"] == f"{path}: gzip data ends early (truncated file?)"


def test_unknown_fields_and_newer_event_versions_are_accepted(db):
    summary = load_cloudtrail(db, CT / "newer_versions.json")
    assert (summary.kept, summary.rejected) == (2, 0)
    assert records(db, "select event_version from api_calls order by event_version") == [
        {"event_version": "1.99"},
        {"event_version": "2.0"},
    ]


def test_lookup_event_with_bad_cloudtrail_event_string():
    parsed = parse_document(json.dumps({"Events": [{"EventId": "x", "CloudTrailEvent": "{nope"}]}), "f.json", KEPT)
    assert [(r.line, r.reason) for r in parsed.rejects] == [
        (1, "CloudTrailEvent is not valid JSON: unexpected character, expected a string key (line 1, column 2)")
    ]


# -- who made the call --------------------------------------------------------------------------

TF_AGENT = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0 "
    "aws-sdk-go-v2/1.32.2"
)


@pytest.mark.parametrize(
    ("identity", "record", "expected"),
    [
        (
            {"type": "IAMUser", "arn": "arn:aws:iam::1:user/bob", "userName": "bob"},
            {"userAgent": "aws-cli/2.15.30 Python/3.11.8"},
            ("arn:aws:iam::1:user/bob", "bob", "cli"),
        ),
        (
            {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/deploy/alice"},
            {"userAgent": TF_AGENT},
            ("arn:aws:sts::1:assumed-role/deploy/alice", "alice", "terraform"),
        ),
        (
            {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0a/carol@example.com"},
            {"userAgent": "AWS Internal", "sessionCredentialFromConsole": "true"},
            ("arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0a/carol@example.com", "carol@example.com", "console"),
        ),
        (  # exporters that normalise CloudTrail write the flag as a JSON boolean
            {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0a/carol@example.com"},
            {"userAgent": "AWS Internal", "sessionCredentialFromConsole": True},
            ("arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0a/carol@example.com", "carol@example.com", "console"),
        ),
        (
            {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0a/carol@example.com"},
            {"userAgent": "AWS Internal", "sessionCredentialFromConsole": False},
            ("arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0a/carol@example.com", "carol@example.com", "unknown"),
        ),
        (
            {"type": "IAMUser", "arn": "arn:aws:iam::1:user/dan", "userName": "dan"},
            {"userAgent": "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux"},
            ("arn:aws:iam::1:user/dan", "dan", "sdk"),
        ),
        (
            {
                "type": "AssumedRole",
                "arn": "arn:aws:sts::1:assumed-role/cfn/AWSCloudFormation",
                "invokedBy": "cloudformation.amazonaws.com",
            },
            {"userAgent": "cloudformation.amazonaws.com"},
            ("arn:aws:sts::1:assumed-role/cfn/AWSCloudFormation", "AWSCloudFormation", "cloudformation"),
        ),
        (
            {"type": "IAMUser", "arn": "arn:aws:iam::1:user/erin", "userName": "erin"},
            {"userAgent": "aws-cdk/2.160.0 (promptly) aws-sdk-js/3.600"},
            ("arn:aws:iam::1:user/erin", "erin", "cdk"),
        ),
        (
            {"type": "AWSService", "invokedBy": "elasticloadbalancing.amazonaws.com"},
            {"userAgent": "elasticloadbalancing.amazonaws.com"},
            ("elasticloadbalancing.amazonaws.com", "elasticloadbalancing.amazonaws.com", "aws-service"),
        ),
        (
            {"type": "Root", "arn": "arn:aws:iam::1:root"},
            {"userAgent": "console.ec2.amazonaws.com"},
            ("arn:aws:iam::1:root", "root", "console"),
        ),
        (
            {"type": "IAMUser", "arn": "arn:aws:iam::1:user/fay", "userName": "fay"},
            {"userAgent": "my-own-tool/0.1"},
            ("arn:aws:iam::1:user/fay", "fay", "unknown"),
        ),
        ({}, {}, (None, None, "unknown")),
    ],
)
def test_actor_kinds(identity, record, expected):
    assert actor_of({**record, "userIdentity": identity}, identity) == expected


def test_worker_processes_give_the_same_result(tmp_path):
    from correlate.pipeline.cloudtrail import ingest_cloudtrail
    from correlate.sources.local import expand_local
    from correlate.store.cloudtrail import CloudTrailStore
    from correlate.store.database import Database

    folder = tmp_path / "trail"
    folder.mkdir()
    sources = sorted(CT.glob("*.json*")) + sorted((CT / "bad").glob("*.json"))
    for index, source in enumerate(sources):
        data = source.read_bytes()
        name = f"{index:02d}-{source.name}"
        (folder / (name + ".gz" if name.endswith(".json") else name)).write_bytes(
            gzip.compress(data) if name.endswith(".json") else data
        )
    results = []
    for workers in (1, 2):
        with Database.open(":memory:") as db:
            objects = expand_local(str(folder), (".json", ".json.gz", ".jsonl"))
            assert len(objects) >= 8  # enough for the pool
            summary = ingest_cloudtrail(CloudTrailStore(db), objects, workers=workers)
            results.append(
                (
                    summary.line(),
                    records(db, "select * exclude (source_file) from api_calls order by event_id"),
                    records(db, "select * from changes order by event_id, lb"),
                    records(db, "select source_line, reason from rejects order by source_file, source_line"),
                )
            )
    assert results[0] == results[1]
    assert results[0][0].startswith(f"{len(sources)} files: {len(sources)} loaded")


@pytest.mark.parametrize("fixture", [*sorted(p.name for p in CT.glob("*.json")), "bad/records_not_list.json"])
def test_lazy_and_full_parsing_agree(fixture, monkeypatch):
    """simdjson's lazy parse (skipped records never become Python objects) and orjson's full parse
    yield the same records, rejects and counts."""
    import correlate.parse.cloudtrail as cloudtrail

    data = (CT / fixture).read_bytes()
    lazy = parse_document(data, fixture, KEPT)
    monkeypatch.setattr(cloudtrail, "simdjson", None)
    full = parse_document(data, fixture, KEPT)
    assert lazy == full
    assert lazy.records == len(lazy.calls) + len(lazy.rejects) + lazy.unrelated + lazy.outside


def test_truncated_gzip_json_lines_keep_the_lines_before_the_break(db, tmp_path):
    path = tmp_path / "events.jsonl.gz"
    lines = "".join(json.dumps({**STORY[8], "eventID": f"e-{i}"}) + "\n" for i in range(400)).encode()
    data = gzip.compress(lines)
    path.write_bytes(data[: len(data) // 2])
    summary = load_cloudtrail(db, path)
    (reject,) = rejects(db)
    assert reject["reason"] == f"{path}: gzip data ends early (truncated file?)"
    assert summary.kept == reject["source_line"] - 1 > 10
    assert summary.records == summary.kept + 1


def test_concatenated_gzip_members_and_a_gz_that_is_not_gzip(db, tmp_path):
    two = tmp_path / "two-members.json.gz"
    first = json.dumps([STORY[8]]).encode()
    two.write_bytes(gzip.compress(first) + gzip.compress(b"\n"))
    fake = tmp_path / "fake.json.gz"
    fake.write_bytes(first)
    summary = load_cloudtrail(db, two, fake)
    assert (summary.kept, summary.rejected) == (1, 1)
    assert rejects(db)[0]["reason"] == f"{fake}: named .gz but is not gzip data"


def test_streamed_and_whole_reading_agree(tmp_path, monkeypatch):
    """Objects over WHOLE_LIMIT are streamed; the records, rejects and counts are the same."""
    import correlate.pipeline.cloudtrail_read as cloudtrail_read
    from correlate.sources.local import expand_local

    lines = "".join(json.dumps({**STORY[8], "eventID": f"e-{i}"}) + "\n" for i in range(300)).encode()
    whole_gz = gzip.compress(lines)
    (tmp_path / "cut.jsonl.gz").write_bytes(whole_gz[: len(whole_gz) // 2])
    story_gz = gzip.compress((CT / "trail_v2_story.json").read_bytes())
    (tmp_path / "cut-trail.json.gz").write_bytes(story_gz[: len(story_gz) // 2])
    (tmp_path / "fake.json.gz").write_bytes(b"[]")
    for source in [*CT.glob("*.json*"), *(CT / "bad").glob("*")]:
        (tmp_path / source.name).write_bytes(source.read_bytes())
    objects = expand_local(str(tmp_path), (".json", ".json.gz", ".jsonl", ".jsonl.gz"))

    def read_all():
        return [cloudtrail_read.read_object(obj, cloudtrail_read.Window()) for obj in objects]

    whole = read_all()
    monkeypatch.setattr(cloudtrail_read, "WHOLE_LIMIT", 0)
    streamed = read_all()
    assert streamed == whole
    assert sum(len(p.rejects) for p in whole) == 3 + 5  # three broken objects, five bad records
