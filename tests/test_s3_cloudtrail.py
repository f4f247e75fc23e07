"""`correlate ingest cloudtrail s3://...` against moto in-process: trail prefixes with organisation
trails, digest and insight folders, and a window that prunes delivery days and file names."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from conftest import FIXTURES, invoke, load_cloudtrail, records

from correlate.store.database import Database

BUCKET = "org-trail"
A, B = "123456789012", "444455556666"


def trail_key(account: str, region: str, delivered: str, unique: str, org: str = "") -> str:
    day = f"{delivered[:4]}/{delivered[4:6]}/{delivered[6:8]}"
    name = f"{account}_CloudTrail_{region}_{delivered}_{unique}.json.gz"
    return f"AWSLogs/{org}{account}/CloudTrail/{region}/{day}/{name}"


DIGEST = f"{A}_CloudTrail-Digest_us-east-1_my-trail_us-east-1_20261120T150131Z.json"
TRAIL = {
    trail_key(A, "us-east-1", "20261120T1405Z", "Pq3Rs4Tu5Vw6Xy7Z"): "classic_policy_pair.json",  # 12:00-14:04
    trail_key(A, "us-east-1", "20261120T1415Z", "Ab1Cd2Ef3Gh4Ij5K"): "trail_v2_story.json",  # 13:00-14:10
    trail_key(A, "us-east-1", "20261120T1805Z", "Lm6No7Pq8Rs9Tu0V"): "newer_versions.json",  # 18:00
    # events from 2026-11-20 12:00 to 2026-11-21 10:06
    trail_key(A, "us-east-1", "20261121T1010Z", "Wx1Yz2Ab3Cd4Ef5G"): "more_shapes.json",
    # an organisation trail, events 15:00-15:05
    trail_key(B, "us-west-2", "20261120T1510Z", "Hi6Jk7Lm8No9Pq0R", org="o-abc123defg/"): "array_related.json",
    f"AWSLogs/{A}/CloudTrail-Digest/us-east-1/2026/11/20/{DIGEST}.gz": f"digest/{DIGEST}",
    # never read: Insight objects are skipped
    f"AWSLogs/{A}/CloudTrail-Insight/us-east-1/2026/11/20/{A}_CloudTrail-Insight_us-east-1_20261120T1500Z_S1.json.gz": (
        "newer_versions.json"
    ),
}
CALLS = "select * exclude (source_file) from api_calls order by event_id"


@pytest.fixture
def trail(s3, tmp_path) -> Path:
    """The trail in the bucket, and the same tree on local disk (returned)."""
    s3.create_bucket(Bucket=BUCKET)
    root = tmp_path / "trail"
    for key, fixture in TRAIL.items():
        body = gzip.compress((FIXTURES / "cloudtrail" / fixture).read_bytes(), mtime=0)
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return root


def ingest(runner, db_path: Path, *args: object):
    return invoke(runner, "--db", db_path, "ingest", "cloudtrail", *args)


def calls(db_path: Path, sql: str = CALLS) -> list[dict]:
    with Database.open(str(db_path), read_only=True) as db:
        return records(db, sql)


def test_s3_trail_loads_the_same_calls_as_local_files(runner, tmp_path, trail):
    from_s3 = ingest(runner, tmp_path / "s3.duckdb", f"s3://{BUCKET}/")
    from_disk = ingest(runner, tmp_path / "local.duckdb", trail)
    assert from_s3.exit_code == 0, from_s3.stderr
    # the walk never enters CloudTrail-Digest or CloudTrail-Insight folders; on disk they are skipped by name
    assert from_s3.stderr.startswith("5 files: 5 loaded, 0 skipped; ")
    assert from_disk.stderr.startswith("7 files: 5 loaded, 2 skipped (1 CloudTrail-Digest, 1 CloudTrail-Insight); ")
    assert from_s3.stderr.split("; ", 1)[1] == from_disk.stderr.split("; ", 1)[1]
    assert calls(tmp_path / "s3.duckdb") == calls(tmp_path / "local.duckdb")
    sources = calls(tmp_path / "s3.duckdb", "select distinct source_file from api_calls order by 1")
    assert sources[0]["source_file"].startswith(f"s3://{BUCKET}/AWSLogs/{A}/CloudTrail/us-east-1/2026/11/20/")


def test_window_skips_delivery_days_and_files_that_cannot_hold_its_events(runner, tmp_path, trail):
    window = ("--since", "2026-11-20T14:00Z", "--until", "2026-11-20T15:00Z")
    from_s3 = ingest(runner, tmp_path / "s3.duckdb", f"s3://{BUCKET}/AWSLogs/", *window)
    from_disk = ingest(runner, tmp_path / "local.duckdb", trail, *window)
    # 2026/11/21 is not listed (15:00 + 2 hours is still the 20th); the file delivered at 18:05 is
    # not read: CloudTrail delivers within minutes, and 2 hours is the margin
    assert from_s3.stderr.startswith("4 files: 3 loaded, 1 skipped (1 delivered outside --since/--until); ")
    assert from_disk.stderr.startswith(
        "7 files: 3 loaded, 4 skipped (1 CloudTrail-Digest, 1 CloudTrail-Insight, 2 delivered outside "
        "--since/--until); "
    )
    assert calls(tmp_path / "s3.duckdb") == calls(tmp_path / "local.duckdb")
    assert calls(
        tmp_path / "s3.duckdb",
        "select min(event_time) >= '2026-11-20 14:00' as after, "
        "max(event_time) <= '2026-11-20 15:00' as before, count(*) > 0 as some from api_calls",
    ) == [{"after": True, "before": True, "some": True}]


def test_a_digest_folder_named_explicitly_is_read_and_skipped(runner, tmp_path, trail):
    result = ingest(runner, tmp_path / "c.duckdb", f"s3://{BUCKET}/AWSLogs/{A}/CloudTrail-Digest/")
    assert result.exit_code == 0
    assert result.stderr.startswith("1 files: 0 loaded, 1 skipped (1 CloudTrail-Digest); 0 records")


def test_no_trail_under_the_prefix(runner, tmp_path, trail):
    result = ingest(runner, tmp_path / "c.duckdb", f"s3://{BUCKET}/AWSLogs/999999999999/")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: s3://{BUCKET}/AWSLogs/999999999999/: no objects under the prefix. Check the bucket and prefix "
        f"(aws s3 ls s3://{BUCKET}/AWSLogs/999999999999/).\n"
    )


def test_worker_processes_and_downloads_in_threads_agree_with_one_process(s3):
    """Enough S3 objects for the worker processes: downloads run in threads, parsing in processes;
    an object deleted after listing is one reject either way."""
    from correlate.pipeline.cloudtrail import ingest_cloudtrail, trail_objects
    from correlate.sources.aws import AwsClients
    from correlate.store.cloudtrail import CloudTrailStore
    from correlate.timeparse import Window

    s3.create_bucket(Bucket=BUCKET)
    body = gzip.compress((FIXTURES / "cloudtrail" / "trail_v2_story.json").read_bytes(), mtime=0)
    keys = [trail_key(A, "us-east-1", f"20261120T14{minute:02d}Z", f"K{minute:015d}") for minute in range(15, 25)]
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    results = []
    for workers in (1, 2):
        objects = list(trail_objects([f"s3://{BUCKET}/"], Window(), AwsClients()))
        s3.delete_object(Bucket=BUCKET, Key=keys[3])
        with Database.open(":memory:") as db:
            summary = ingest_cloudtrail(CloudTrailStore(db), objects, Window(), workers=workers)
            results.append((summary.line(), records(db, CALLS), records(db, "select source_file, reason from rejects")))
        s3.put_object(Bucket=BUCKET, Key=keys[3], Body=body)
    assert results[0] == results[1]
    line, calls_loaded, rejects = results[0]
    assert line.startswith("10 files: 10 loaded, 0 skipped; 145 records: ")
    with Database.open(":memory:") as db:  # the same file from disk, once: the events it keeps
        load_cloudtrail(db, FIXTURES / "cloudtrail" / "trail_v2_story.json")
        assert calls_loaded == records(db, CALLS)
    uri = f"s3://{BUCKET}/{keys[3]}"
    assert rejects == [{"source_file": uri, "reason": f"{uri}: the object is gone (deleted after it was listed)"}]
