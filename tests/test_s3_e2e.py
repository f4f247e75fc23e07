"""End to end: the real CLI, in its own process, against moto's S3 server on 127.0.0.1 through
AWS_ENDPOINT_URL, compared with a local-disk ingest of the same tree."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from awslogs import ACCOUNT, elb_tree, upload_tree, write_tree
from conftest import AWS_TEST_ENV, moto_server, records

from correlate.store.database import Database

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "e2e-elb-logs"
TREE = elb_tree(dt.datetime(2026, 11, 20, 23, 30), 1, lbs=("web-prod", "classic-web"))


@pytest.fixture(scope="module")
def endpoint():
    with moto_server() as url:
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", **_keys())
        upload_tree(s3, BUCKET, TREE, {f"AWSLogs/{ACCOUNT}/ELBAccessLogTestFile": b"Enable AccessLog for ELB"})
        yield url


def _keys() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }
    return env | extra


def correlate(env: dict[str, str], *args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "correlate", *map(str, args)], env=env, capture_output=True, text=True, timeout=120
    )


def rows(db_path: Path) -> list[dict]:
    with Database.open(str(db_path), read_only=True) as db:
        return records(db, "select * exclude (source_file) from requests order by lb, time, url")


def test_cli_over_s3_endpoint_matches_local_ingest_and_prunes(endpoint, tmp_path):
    env = _env(tmp_path, AWS_ENDPOINT_URL=endpoint, **AWS_TEST_ENV)
    local = write_tree(tmp_path / "tree", TREE)

    from_s3 = correlate(env, "--db", tmp_path / "s3.duckdb", "ingest", "logs", f"s3://{BUCKET}/")
    from_disk = correlate(env, "--db", tmp_path / "local.duckdb", "ingest", "logs", local)
    assert from_s3.returncode == 0, from_s3.stderr
    assert from_s3.stderr == "49 files: 48 loaded, 1 skipped (1 ELBAccessLogTestFile); 144 rows, 0 rejected\n"
    assert from_disk.stderr == "48 files: 48 loaded, 0 skipped; 144 rows, 0 rejected\n"
    assert rows(tmp_path / "s3.duckdb") == rows(tmp_path / "local.duckdb")

    window = ("--since", "2026-11-21T00:05Z", "--until", "2026-11-21T00:15Z")
    pruned = correlate(env, "--db", tmp_path / "w3.duckdb", "ingest", "logs", f"s3://{BUCKET}/AWSLogs/", *window)
    local_window = correlate(env, "--db", tmp_path / "wl.duckdb", "ingest", "logs", local, *window)
    # The 2026/11/20 folder is not listed (its files end by 23:50, before --since); of the 32 files
    # in 2026/11/21, the 8 that end at 23:55 and 00:00 cannot hold rows from 00:05.
    assert pruned.stderr == (
        "33 files: 24 loaded, 9 skipped (8 outside --since/--until/--lb, 1 ELBAccessLogTestFile); "
        "24 rows, 0 rejected, 48 outside the filter\n"
    )
    assert local_window.stderr == (
        "48 files: 24 loaded, 24 skipped (24 outside --since/--until/--lb); 24 rows, 0 rejected, "
        "48 outside the filter\n"
    )
    assert rows(tmp_path / "w3.duckdb") == rows(tmp_path / "wl.duckdb")


def test_no_credentials_is_one_line_within_seconds(endpoint, tmp_path):
    env = _env(tmp_path, AWS_ENDPOINT_URL=endpoint, AWS_EC2_METADATA_DISABLED="true", AWS_DEFAULT_REGION="us-east-1")
    started = time.monotonic()
    result = correlate(env, "--db", tmp_path / "c.duckdb", "ingest", "logs", f"s3://{BUCKET}/")
    assert time.monotonic() - started < 10
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: s3://{BUCKET}/: no AWS credentials found. Pass --profile or set AWS_PROFILE, set AWS_ACCESS_KEY_ID "
        "and AWS_SECRET_ACCESS_KEY, or run where an IAM role is available.\n"
    )
