"""Equality is the test: on a generated incident (with bad input planted in it) `spark ingest` and
`spark minutes` give the rows, rejects and cells of `ingest logs` and the DuckDB views."""

from __future__ import annotations

import datetime as dt
import gzip
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import invoke, load, load_cloudtrail
from timeline_support import TEST_RATES

from correlate.demo import generate
from correlate.errors import SourceAccessError
from correlate.sources.lake import open_lake
from correlate.sources.local import file_object
from correlate.sources.streams import InputObject
from correlate.store.database import Database
from correlate.store.lake import lake_database
from correlate.store.logs import LogStore

if TYPE_CHECKING:
    from correlate.spark.minutes import MinutesSummary

KIND = "deregistered-targets"


@dataclass(frozen=True)
class Incident:
    logs: Path
    db_path: Path
    lake: Path
    subject: str
    start: dt.datetime
    minutes: MinutesSummary


def plant_bad_input(logs: Path) -> None:
    """A truncated gzip object, a file of junk, and bad lines inside a good object."""
    objects = sorted(logs.rglob("*.log.gz"))
    whole = gzip.decompress(objects[0].read_bytes())
    objects[0].write_bytes(gzip.compress(whole)[:-200])
    (objects[0].parent / "junk.log").write_text("hello\nworld\n")
    lines = gzip.decompress(objects[1].read_bytes()).splitlines(keepends=True)
    lines[3] = lines[3].replace(b" 200 ", b" OK ", 1)
    lines.insert(5, b"https 2026-11-02T14:00:00Z app/web-prod/x\n")
    objects[1].write_bytes(gzip.compress(b"".join(lines)))


@pytest.fixture(scope="module")
def incident(tmp_path_factory, spark) -> Incident:
    from correlate.spark.ingest import spark_ingest
    from correlate.spark.minutes import spark_minutes

    root = tmp_path_factory.mktemp("spark-incident")
    files = generate(KIND, 1, root, TEST_RATES)
    logs = root / "AWSLogs" / "123456789012" / "elasticloadbalancing"
    plant_bad_input(logs)
    db_path = root / "db.duckdb"
    with Database.open(str(db_path)) as db:
        load(db, logs)
        load_cloudtrail(db, *files.trail_files)
    lake = root / "lake"
    spark_ingest(spark, [str(logs)], str(lake))
    minutes = spark_minutes(spark, str(lake))
    return Incident(logs, db_path, lake, files.scenario.subject, files.scenario.start, minutes)


def multiset(db: Database, query: str) -> Counter:
    """Whole rows, every column, as a multiset (lists made hashable)."""
    return Counter(tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in db.query(query)[1])


def columns(db: Database, table: str) -> str:
    return ", ".join(row[0] for row in db.con.execute(f"describe {table}").fetchall())


# spark ingest's tables against ingest logs, spark minutes' cells against the DuckDB views; the
# cells hold no floats (counts, bins, times), so they are compared exactly
@pytest.mark.parametrize(
    ("table", "least"),
    [("requests", 19_000), ("rejects", 4), ("latency_cells", 5_000), ("frontend_cells", 500), ("request_spans", 2)],
)
def test_lake_rows_equal_the_database_rows(incident, table, least):
    with Database.open(str(incident.db_path), read_only=True) as db:
        wanted = columns(db, table)
        expected = multiset(db, f"select {wanted} from {table}")
    with lake_database(open_lake(str(incident.lake))) as lake:
        assert multiset(lake, f"select {wanted} from {table}") == expected
    assert sum(expected.values()) >= least


@pytest.mark.parametrize("view", ["latency_cells", "frontend_cells", "request_spans"])
def test_cells_are_one_file_per_partition(incident, view):
    files = list((incident.lake / view).rglob("*.parquet"))
    assert len(files) == len({path.parent for path in files}) == 2


def test_spark_minutes_counts_the_cells_it_writes(incident):
    with Database.open(str(incident.db_path), read_only=True) as db:
        counts = {view: db.query(f"select count(*) from {view}")[1][0][0] for view in incident.minutes.cells}
        partitions = db.query("select distinct lb, cast(cast(arrived_at as date) as varchar) from request_facts")[1]
    assert list(incident.minutes.cells) == ["latency_cells", "frontend_cells", "request_spans"]
    assert incident.minutes.cells == counts
    assert incident.minutes.partitions == sorted(partitions)
    assert incident.minutes.line() == (
        f"2 load balancer days (legacy-web, {incident.subject}): latency_cells {counts['latency_cells']:,}, "
        f"frontend_cells {counts['frontend_cells']:,}, request_spans 2 rows written to {incident.lake}"
    )


def test_spark_minutes_of_a_selection_without_requests_writes_nothing(incident, spark):
    from correlate.spark.minutes import spark_minutes

    before = sorted((path, path.stat().st_mtime_ns) for path in incident.lake.rglob("*"))
    summary = spark_minutes(spark, str(incident.lake), lb="no-such-lb")
    assert summary.partitions == [] and summary.cells == {}
    assert summary.line() == f"No requests in {incident.lake} for the selection: no cells written."
    assert sorted((path, path.stat().st_mtime_ns) for path in incident.lake.rglob("*")) == before


def test_rejects_name_file_and_line(incident):
    with lake_database(open_lake(str(incident.lake))) as lake:
        rows = lake.query("select source_file, source_line, kind, reason from rejects order by all")[1]
    junk = [row for row in rows if row[0].endswith("junk.log")]
    assert [row[:3] for row in junk] == [(junk[0][0], 1, "unknown"), (junk[0][0], 2, "unknown")]
    assert any("gzip data ends early" in row[3] for row in rows)
    assert sum("status" in row[3] for row in rows) >= 1


def test_spark_ingest_again_replaces_instead_of_duplicating(incident, spark):
    from correlate.spark.ingest import spark_ingest

    with lake_database(open_lake(str(incident.lake))) as lake:
        before = lake.query("select (select count(*) from requests), (select count(*) from rejects)")[1]
    one = sorted(incident.logs.rglob("*.log.gz"))[2]
    summary = spark_ingest(spark, [str(one), str(incident.logs)], str(incident.lake))
    assert summary.logs.loaded == summary.logs.files
    with lake_database(open_lake(str(incident.lake))) as lake:
        after = lake.query("select (select count(*) from requests), (select count(*) from rejects)")[1]
    assert after == before


def test_an_object_that_cannot_be_read_is_a_reject_and_the_rest_load(tmp_path):
    from correlate.spark.ingest import _load

    good = [tmp_path / "a.log", tmp_path / "c.log"]
    line = (Path(__file__).resolve().parent.parent / "fixtures" / "alb" / "escapes.log").read_text().splitlines()[0]
    for path in good:
        path.write_text(line + "\n")

    def denied() -> io.BytesIO:
        raise SourceAccessError("s3://logs/b.log: access denied reading the object (needs s3:GetObject).")

    bad = InputObject("s3://logs/b.log", "b.log", 10, "etag", denied)
    with Database.open(":memory:") as db:
        store = LogStore(db)
        unreadable = _load(store, [file_object(good[0]), bad, file_object(good[1])])
        assert unreadable == [
            ("s3://logs/b.log", "s3://logs/b.log: access denied reading the object (needs s3:GetObject).")
        ]
        assert db.query("select source_file from requests order by 1")[1] == [(str(good[0]),), (str(good[1]),)]


def test_timeline_from_the_spark_lake_equals_the_database_timeline(incident, runner):
    """The lake from `spark ingest` + `spark minutes` has no changes: they come from the database."""
    since, until = incident.start + dt.timedelta(minutes=10), incident.start + dt.timedelta(minutes=40)
    for window in ((), ("--since", since.isoformat(), "--until", until.isoformat())):
        args = ("--db", incident.db_path, "timeline", "--lb", incident.subject, *window, "--format", "json")
        from_db = invoke(runner, *args)
        from_lake = invoke(runner, *args, "--lake", incident.lake)
        assert from_lake.exit_code == from_db.exit_code == 0
        assert from_lake.stdout == from_db.stdout
        assert '"suspicion"' in from_db.stdout
