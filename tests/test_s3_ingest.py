"""`correlate ingest logs s3://...` against moto in-process: the same rows as a local ingest of the
same tree, pruning, bad objects, interrupted runs, streaming reads, progress."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest
from awslogs import ACCOUNT, ALB_ID, REGION, alb_object, elb_tree, upload_tree, write_tree
from botocore.exceptions import ResponseStreamingError
from conftest import invoke, records

from correlate.errors import SourceAccessError, StreamBroken
from correlate.parse.framing import CHUNK_BYTES
from correlate.pipeline.logs import Progress, ingest_logs, log_objects
from correlate.sources.aws import AwsClients
from correlate.sources.s3 import S3ObjectStream
from correlate.store.database import Database
from correlate.store.logs import LogStore, RowFilter

START = dt.datetime(2026, 11, 20, 23, 30)
BUCKET = "elb-access-logs"
# 5-minute files ending 23:35 ... 00:30, for 3 load balancers x 2 nodes: 72 objects, 216 rows
TREE = elb_tree(START, 1, lbs=("web-prod", "api-prod", "classic-web"))
ROWS = """
    select * exclude (source_file) from requests order by lb, time, url
"""


@pytest.fixture
def bucket(s3) -> str:
    upload_tree(s3, BUCKET, TREE, {f"AWSLogs/{ACCOUNT}/ELBAccessLogTestFile": b"Enable AccessLog for ELB: web-prod"})
    return BUCKET


def ingest(runner, db_path: Path, *args: str):
    return invoke(runner, "--db", db_path, "ingest", "logs", *args)


def rows(db_path: Path, sql: str = ROWS) -> list[dict]:
    with Database.open(str(db_path), read_only=True) as db:
        return records(db, sql)


def test_s3_ingest_loads_the_same_rows_as_a_local_ingest(runner, tmp_path, bucket):
    local = write_tree(tmp_path / "tree", TREE)
    (local / f"AWSLogs/{ACCOUNT}/ELBAccessLogTestFile").write_text("Enable AccessLog for ELB: web-prod")
    from_s3 = ingest(runner, tmp_path / "s3.duckdb", f"s3://{BUCKET}/")
    from_disk = ingest(runner, tmp_path / "local.duckdb", local)
    assert from_s3.exit_code == 0, from_s3.stderr
    assert from_s3.stderr == "73 files: 72 loaded, 1 skipped (1 ELBAccessLogTestFile); 216 rows, 0 rejected\n"
    assert from_disk.stderr == from_s3.stderr
    assert rows(tmp_path / "s3.duckdb") == rows(tmp_path / "local.duckdb")
    assert len(rows(tmp_path / "s3.duckdb")) == 216
    ledger = "select source_file, fingerprint, rows from ingested_files order by source_file limit 1"
    (first,) = rows(tmp_path / "s3.duckdb", ledger)
    key = sorted(obj.key for obj in TREE)[0]
    assert first["source_file"] == f"s3://{BUCKET}/{key}"
    assert first["rows"] == 3


def test_rerun_loads_nothing_twice(runner, tmp_path, bucket):
    ingest(runner, tmp_path / "c.duckdb", f"s3://{BUCKET}/AWSLogs/")
    again = ingest(runner, tmp_path / "c.duckdb", f"s3://{BUCKET}/AWSLogs/")
    assert again.stderr == (
        "73 files: 0 loaded, 73 skipped (72 already loaded, 1 ELBAccessLogTestFile); 0 rows, 0 rejected\n"
    )


def test_window_prunes_folders_and_names_and_keeps_rows_by_time(runner, tmp_path, bucket):
    window = ("--since", "2026-11-21T00:05:00Z", "--until", "2026-11-21T00:15:00Z")
    local = write_tree(tmp_path / "tree", TREE)
    from_s3 = ingest(runner, tmp_path / "s3.duckdb", f"s3://{BUCKET}/", *window)
    from_disk = ingest(runner, tmp_path / "local.duckdb", local, *window)
    # Only the 2026/11/21 folder is listed (the 2026/11/20 one holds files delivered before --since):
    # 48 files, ending 23:55 to 00:30. The 12 ending at 23:55 and 00:00 cannot hold rows from 00:05.
    assert from_s3.stderr == (
        "49 files: 36 loaded, 13 skipped (12 outside --since/--until/--lb, 1 ELBAccessLogTestFile); "
        "36 rows, 0 rejected, 72 outside the filter\n"
    )
    assert from_disk.stderr == (
        "72 files: 36 loaded, 36 skipped (36 outside --since/--until/--lb); 36 rows, 0 rejected, "
        "72 outside the filter\n"
    )
    assert rows(tmp_path / "s3.duckdb") == rows(tmp_path / "local.duckdb")
    times = rows(tmp_path / "s3.duckdb", "select min(request_at) as first, max(request_at) as last from requests")
    assert times == [{"first": dt.datetime(2026, 11, 21, 0, 5, 17), "last": dt.datetime(2026, 11, 21, 0, 12, 17)}]


def test_lb_lists_only_that_load_balancers_files(runner, tmp_path, bucket):
    result = ingest(runner, tmp_path / "c.duckdb", f"s3://{BUCKET}/", "--lb", "classic-web")
    assert result.stderr == "25 files: 24 loaded, 1 skipped (1 ELBAccessLogTestFile); 72 rows, 0 rejected\n"
    assert rows(tmp_path / "c.duckdb", "select lb, lb_type, count(*) as n from requests group by all") == [
        {"lb": "classic-web", "lb_type": "clb", "n": 72}
    ]


def test_a_corrupt_object_is_one_reject_and_the_rest_load(runner, tmp_path, bucket, s3):
    bad = alb_object("web-prod", START + dt.timedelta(minutes=5), "10.0.9.9")
    broken = bytearray(bad.body)
    broken[30:60] = b"\xff" * 30
    s3.put_object(Bucket=BUCKET, Key=bad.key, Body=bytes(broken))
    result = ingest(runner, tmp_path / "c.duckdb", f"s3://{BUCKET}/")
    assert result.exit_code == 0
    assert result.stderr.endswith("74 files: 73 loaded, 1 skipped (1 ELBAccessLogTestFile); 216 rows, 1 rejected\n")
    (reject,) = rows(tmp_path / "c.duckdb", "select source_file, source_line, kind, reason from rejects")
    uri = f"s3://{BUCKET}/{bad.key}"
    assert reject["source_file"] == uri
    assert (reject["source_line"], reject["kind"]) == (1, "alb")
    assert reject["reason"].startswith(f"{uri}: gzip data is corrupt (")


def test_an_interrupted_run_continues_where_it_stopped(runner, tmp_path, bucket, monkeypatch):
    keys = sorted(obj.key for obj in TREE)
    failing = keys[50]
    real_open = S3ObjectStream._open

    def open_or_fail(self):
        if self._key == failing:
            raise SourceAccessError(f"s3://{BUCKET}/{failing}: connection lost")
        real_open(self)

    monkeypatch.setattr(S3ObjectStream, "_open", open_or_fail)
    first = ingest(runner, tmp_path / "c.duckdb", f"s3://{BUCKET}/")
    assert first.exit_code == 1
    assert first.stderr == f"Error: s3://{BUCKET}/{failing}: connection lost\n"
    loaded = rows(tmp_path / "c.duckdb", "select source_file from ingested_files order by source_file")
    assert [row["source_file"] for row in loaded] == [f"s3://{BUCKET}/{key}" for key in keys[:50]]

    monkeypatch.setattr(S3ObjectStream, "_open", real_open)
    second = ingest(runner, tmp_path / "c.duckdb", f"s3://{BUCKET}/")
    assert second.stderr == (
        "73 files: 22 loaded, 51 skipped (50 already loaded, 1 ELBAccessLogTestFile); 66 rows, 0 rejected\n"
    )
    assert rows(tmp_path / "c.duckdb", "select count(*) as n from requests") == [{"n": 216}]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("s3://no-such-bucket-here/", "Error: s3://no-such-bucket-here/: no such bucket 'no-such-bucket-here'."),
        (f"s3://{BUCKET}/nothing/", f"Error: s3://{BUCKET}/nothing/: no objects under the prefix."),
    ],
)
def test_bad_sources_are_one_line_naming_the_uri(runner, tmp_path, bucket, uri, message):
    result = ingest(runner, tmp_path / "c.duckdb", uri)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1


def test_a_large_object_streams_in_bounded_reads(aws, s3, tmp_path, monkeypatch):
    """An object of more than one chunk goes through the streaming path, read in bounded pieces."""
    line = alb_object("web-prod", START, "10.0.0.5", lines=1).body
    text = gzip.decompress(line)
    copies = CHUNK_BYTES // len(text) + 2000
    key = f"AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/2026/11/20/big.log.gz"
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(text * copies, compresslevel=1))
    sizes: list[int | None] = []
    real_open = S3ObjectStream._open

    def recording_open(self):
        real_open(self)
        body = self._body
        real_read = body.read

        def read(amount=None):
            sizes.append(amount)
            return real_read(amount)

        body.read = read

    monkeypatch.setattr(S3ObjectStream, "_open", recording_open)
    with Database.open(":memory:") as db:
        summary = ingest_logs(LogStore(db), log_objects([f"s3://{BUCKET}/{key}"], RowFilter(), AwsClients()))
        assert (summary.rows, summary.rejected) == (copies, 0)
    assert sizes and None not in sizes and max(sizes) <= CHUNK_BYTES


class _FlakyBody:
    """A GetObject body that breaks off after `limit` bytes, as a reset connection does."""

    def __init__(self, body, limit: int) -> None:
        self.body = body
        self.limit = limit

    def read(self, amount=None):
        if self.limit <= 0:
            raise ResponseStreamingError(error=ConnectionResetError("connection reset by peer"))
        data = self.body.read(min(amount, self.limit) if amount else self.limit)
        self.limit -= len(data)
        return data

    def close(self):
        self.body.close()


class _BreakingClients:
    """Stands in for AwsClients: each GetObject body breaks off after the next of `limits` bytes."""

    def __init__(self, s3, limits: list[int], before_retry=None) -> None:
        self._s3 = s3
        self.limits = list(limits)
        self.requests: list[dict] = []
        self.before_retry = before_retry

    def s3(self):
        return self

    def get_object(self, **request):
        if self.requests and self.before_retry:
            self.before_retry()
        self.requests.append(request)
        response = self._s3.get_object(**request)
        if self.limits:
            response["Body"] = _FlakyBody(response["Body"], self.limits.pop(0))
        return response


def _stream(clients, s3, key: str, attempts: int = 5) -> S3ObjectStream:
    etag = s3.head_object(Bucket=BUCKET, Key=key)["ETag"]
    return S3ObjectStream(clients, BUCKET, key, etag, attempts=attempts, backoff=0)


def test_a_broken_download_resumes_where_it_broke(s3):
    data = bytes(range(256)) * 1200
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="a.log", Body=data)
    clients = _BreakingClients(s3, [100_000, 150_000])
    with _stream(clients, s3, "a.log") as stream:
        got = b"".join(iter(lambda: stream.read(65536), b""))
    assert got == data
    etag = s3.head_object(Bucket=BUCKET, Key="a.log")["ETag"]
    assert clients.requests == [
        {"Bucket": BUCKET, "Key": "a.log", "IfMatch": etag},
        {"Bucket": BUCKET, "Key": "a.log", "IfMatch": etag, "Range": "bytes=100000-"},
        {"Bucket": BUCKET, "Key": "a.log", "IfMatch": etag, "Range": "bytes=250000-"},
    ]


def test_an_object_replaced_while_read_is_not_spliced(s3):
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="a.log", Body=b"x" * 1000)

    def replace():
        s3.put_object(Bucket=BUCKET, Key="a.log", Body=b"y" * 1000)

    clients = _BreakingClients(s3, [400], before_retry=replace)
    with _stream(clients, s3, "a.log") as stream, pytest.raises(StreamBroken) as error:
        while stream.read(100):
            pass
    assert str(error.value) == (
        f"s3://{BUCKET}/a.log: the object was replaced while it was read; run the command again to load the new version"
    )


def test_a_download_that_keeps_breaking_stops_the_run_with_what_to_do(s3):
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="a.log", Body=b"x" * 1000)
    clients = _BreakingClients(s3, [10, 0, 0, 0])
    with _stream(clients, s3, "a.log", attempts=3) as stream, pytest.raises(SourceAccessError) as error:
        while stream.read(100):
            pass
    # the first read got 10 bytes; the second failed on that body, then on two more requests
    assert len(clients.requests) == 3
    assert str(error.value) == (
        f"s3://{BUCKET}/a.log: the download broke off 3 times (last: An error occurred while reading from response "
        "stream: connection reset by peer). Re-run the same command to continue: objects already loaded are skipped."
    )


def test_an_object_deleted_after_listing_is_one_reject(aws, s3, tmp_path):
    upload_tree(s3, BUCKET, TREE[:4])
    objects = log_objects([f"s3://{BUCKET}/"], RowFilter(), AwsClients())
    first = next(objects)
    s3.delete_object(Bucket=BUCKET, Key=TREE[1].key)
    with Database.open(":memory:") as db:
        summary = ingest_logs(LogStore(db), [first, *objects])
        assert (summary.loaded, summary.rows, summary.rejected) == (4, 9, 1)
        assert records(db, "select source_file, reason from rejects") == [
            {
                "source_file": f"s3://{BUCKET}/{TREE[1].key}",
                "reason": f"s3://{BUCKET}/{TREE[1].key}: the object is gone (deleted after it was listed)",
            }
        ]


def test_progress_counts_objects_bytes_and_rows(aws, s3):
    upload_tree(s3, BUCKET, TREE[:12])
    events: list[Progress] = []
    with Database.open(":memory:") as db:
        objects = log_objects([f"s3://{BUCKET}/"], RowFilter(), AwsClients())
        summary = ingest_logs(LogStore(db), objects, on_progress=events.append, workers=3)
    assert events[-1] == Progress(
        objects_seen=12,
        objects_done=12,
        bytes_read=sum(len(obj.body) for obj in TREE[:12]),
        rows=36,
        current=f"s3://{BUCKET}/{sorted(obj.key for obj in TREE[:12])[-1]}",
    )
    assert summary.bytes_read == events[-1].bytes_read
    done = [event.objects_done for event in events]
    assert done == sorted(done)


def test_one_worker_loads_the_same(aws, s3, tmp_path):
    upload_tree(s3, BUCKET, TREE[:30])
    counts = []
    for workers in (1, 8):
        with Database.open(":memory:") as db:
            objects = log_objects([f"s3://{BUCKET}/"], RowFilter(), AwsClients())
            summary = ingest_logs(LogStore(db), objects, workers=workers)
            counts.append((summary.loaded, summary.rows, records(db, "select count(*) as n from requests")))
    assert counts[0] == counts[1] == (30, 90, [{"n": 90}])


def test_alb_id_is_in_the_ledger(runner, tmp_path, bucket):
    ingest(runner, tmp_path / "c.duckdb", f"s3://{BUCKET}/", "--lb", "web-prod")
    assert rows(tmp_path / "c.duckdb", "select distinct lb, lb_id from ingested_files") == [
        {"lb": "web-prod", "lb_id": f"app/web-prod/{ALB_ID}"}
    ]


def test_a_listing_that_fails_midway_keeps_what_was_loaded(runner, tmp_path, bucket, monkeypatch):
    from correlate.sources.s3 import _Walk

    real_pages = _Walk._pages

    def pages(self, prefix):
        if prefix.endswith("/2026/11/21/"):
            raise SourceAccessError(f"s3://{BUCKET}/{prefix}: connection lost")
        return real_pages(self, prefix)

    monkeypatch.setattr(_Walk, "_pages", pages)
    result = ingest(runner, tmp_path / "c.duckdb", f"s3://{BUCKET}/")
    assert result.exit_code == 1
    day = f"AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/2026/11/21/"
    assert result.stderr == f"Error: s3://{BUCKET}/{day}: connection lost\n"
    loaded = rows(tmp_path / "c.duckdb", "select count(*) as n, max(source_file) as last from ingested_files")
    before = sorted(obj.key for obj in TREE if "/2026/11/20/" in obj.key)
    assert loaded == [{"n": len(before), "last": f"s3://{BUCKET}/{before[-1]}"}]


def test_access_denied_is_one_line_naming_the_uri(runner, tmp_path, bucket, iam_user):
    iam_user("s3:GetObject")
    result = ingest(runner, tmp_path / "c.duckdb", f"s3://{BUCKET}/AWSLogs/")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: s3://{BUCKET}/AWSLogs/: access denied listing the bucket (needs s3:ListBucket on "
        f"arn:aws:s3:::{BUCKET}). Check the IAM and bucket policies, or use another --profile.\n"
    )


def test_a_window_with_no_delivery_days_loads_nothing_and_says_so(runner, tmp_path, bucket):
    region = f"s3://{BUCKET}/AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/"
    result = ingest(runner, tmp_path / "c.duckdb", region, "--since", "2030-01-01")
    assert result.exit_code == 0
    assert result.stderr == (
        "0 files: no object under the sources can hold rows of --since/--until/--lb; nothing loaded\n"
    )
