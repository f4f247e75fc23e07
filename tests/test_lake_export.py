"""`correlate export`: the database's tables as the shared Parquet lake, local and on S3."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import invoke, load, load_cloudtrail

from correlate.lake.layout import TABLES, athena_type
from correlate.sources.aws import AwsClients
from correlate.sources.lake import open_lake
from correlate.store.database import Database
from correlate.store.lake import LakeFilter, export_lake, lake_database, lake_ddl

ROOT = Path(__file__).resolve().parent.parent


def alb_line(second: int, lb: str = "web-prod", day: str = "2026-11-20", status: int = 200) -> str:
    at = f"{day}T14:00:{second:02d}.000001Z"
    return (
        f"https {at} app/{lb}/50dc6c495c0c9188 198.51.100.20:2001 10.0.1.11:80 0.001 0.012 0.000 {status} {status} "
        '120 900 "GET https://www.example.com:443/ HTTP/1.1" "curl/8.0" TLS_AES_128_GCM_SHA256 TLSv1.3 '
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067 "
        f'"Root=1-11111111-0000000000000000000000{second:02d}" "www.example.com" "-" 10 {at} "forward" "-" "-" '
        '"10.0.1.11:80" "200" "-" "-"'
    )


def write_log(path: Path, *lines: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


@pytest.fixture
def logs(tmp_path) -> dict[str, Path]:
    """Two objects of web-prod on 2026-11-20 (one with a bad line), one of api-prod on 2026-11-21."""
    return {
        "a": write_log(tmp_path / "logs" / "a.log", alb_line(1), alb_line(2, status=502), "not a log line"),
        "b": write_log(tmp_path / "logs" / "b.log", alb_line(3)),
        "c": write_log(tmp_path / "logs" / "c.log", alb_line(4, lb="api-prod", day="2026-11-21")),
    }


def loaded(tmp_path: Path, name: str, *sources: Path) -> Database:
    db = Database.open(str(tmp_path / f"{name}.duckdb"))
    load(db, *sources)
    return db


def partitions(lake: Path) -> dict[str, int]:
    """Partition folder → number of Parquet files in it."""
    found = Counter(path.parent.relative_to(lake).as_posix() for path in lake.rglob("*.parquet"))
    return dict(sorted(found.items()))


def rows_of(db: Database, table: str, order: str = "source_file, source_line") -> list[tuple]:
    columns = ", ".join(row[0] for row in db.con.execute(f"describe {table}").fetchall() if row[0] != "day")
    return db.query(f"select {columns} from {table} order by {order}")[1]


def lake_rows(lake: Path, table: str, columns_from: Database) -> list[tuple]:
    columns = ", ".join(row[0] for row in columns_from.con.execute(f"describe {table}").fetchall())
    with lake_database(open_lake(str(lake))) as view:
        return view.query(f"select {columns} from {table} order by source_file, source_line")[1]


def test_export_writes_every_table_by_lb_and_day_with_the_ddl(tmp_path, logs):
    db = loaded(tmp_path, "db", *logs.values())
    lake = tmp_path / "lake"
    summary = export_lake(db, open_lake(str(lake)))
    assert partitions(lake) == {
        "frontend_cells/lb=api-prod/day=2026-11-21": 1,
        "frontend_cells/lb=web-prod/day=2026-11-20": 1,
        "latency_cells/lb=api-prod/day=2026-11-21": 1,
        "latency_cells/lb=web-prod/day=2026-11-20": 1,
        "rejects/kind=alb": 1,
        "request_spans/lb=api-prod/day=2026-11-21": 1,
        "request_spans/lb=web-prod/day=2026-11-20": 1,
        "requests/lb=api-prod/day=2026-11-21": 1,
        "requests/lb=web-prod/day=2026-11-20": 1,
    }
    assert summary.line() == (
        f"Exported to {lake}: requests 4 rows in 2 partitions, rejects 1 rows in 1 partitions, latency_cells 2 rows "
        "in 2 partitions, frontend_cells 2 rows in 2 partitions, request_spans 2 rows in 2 partitions; Athena DDL "
        f"in {lake}/_ddl/athena.sql"
    )
    assert lake_rows(lake, "requests", db) == rows_of(db, "requests")
    assert lake_rows(lake, "rejects", db) == rows_of(db, "rejects")
    assert (lake / "_ddl" / "athena.sql").read_text() == lake_ddl(db.con, str(lake))
    with lake_database(open_lake(str(lake)), lb="web-prod") as view:
        assert view.query("select lb, minute, requests, elb_5xx, target_5xx, errors from latency_cells")[1] == [
            ("web-prod", db.query("select timestamp '2026-11-20 14:00'")[1][0][0], 3, 0, 1, 1)
        ]


def test_export_again_replaces_partitions_and_keeps_other_objects_rows(tmp_path, logs):
    lake = tmp_path / "lake"
    first = loaded(tmp_path, "first", logs["a"])
    second = loaded(tmp_path, "second", logs["b"])
    export_lake(first, open_lake(str(lake)))
    export_lake(second, open_lake(str(lake)))
    export_lake(first, open_lake(str(lake)))
    # b's row stays beside a's rows, and a's rows are there once
    assert partitions(lake)["requests/lb=web-prod/day=2026-11-20"] == 2
    assert lake_rows(lake, "requests", first) == sorted(
        rows_of(first, "requests") + rows_of(second, "requests"), key=lambda row: (row[-2], row[-1])
    )
    assert lake_rows(lake, "rejects", first) == rows_of(first, "rejects")
    # cells are computed from whole partitions: the last export's
    with lake_database(open_lake(str(lake))) as view:
        assert view.query("select sum(requests) from latency_cells")[1] == [(2,)]


def test_export_of_one_lb_and_window_writes_whole_days_of_it(tmp_path, logs):
    db = loaded(tmp_path, "db", *logs.values())
    lake = tmp_path / "lake"
    selection = LakeFilter(lb="web-prod", since=dt("2026-11-20 14:00:02"), until=dt("2026-11-20 14:00:02"))
    export_lake(db, open_lake(str(lake)), selection)
    assert sorted(partitions(lake)) == [
        "frontend_cells/lb=web-prod/day=2026-11-20",
        "latency_cells/lb=web-prod/day=2026-11-20",
        "rejects/kind=alb",
        "request_spans/lb=web-prod/day=2026-11-20",
        "requests/lb=web-prod/day=2026-11-20",
    ]
    assert [row[-2:] for row in lake_rows(lake, "requests", db)] == [
        (str(logs["a"]), 1),
        (str(logs["a"]), 2),
        (str(logs["b"]), 1),
    ]
    assert [row[:2] for row in lake_rows(lake, "rejects", db)] == [(str(logs["a"]), 3)]


def test_export_of_changes_and_api_calls(tmp_path):
    db = Database.open(str(tmp_path / "db.duckdb"))
    load_cloudtrail(db, ROOT / "fixtures" / "cloudtrail")
    lake = tmp_path / "lake"
    export_lake(db, open_lake(str(lake)))
    with lake_database(open_lake(str(lake))) as view:
        assert view.query("select count(*) from changes")[1] == db.query("select count(*) from changes")[1]
        assert view.query("select count(*) from api_calls")[1] == db.query("select count(*) from api_calls")[1]
    days = "select distinct 'day=' || cast(cast(event_time as date) as string) from api_calls order by 1"
    assert sorted(path.parent.name for path in (lake / "api_calls").rglob("*.parquet")) == [
        row[0] for row in db.query(days)[1]
    ]


def test_export_to_s3_replaces_objects(tmp_path, logs, s3):
    s3.create_bucket(Bucket="lake-bucket")
    db = loaded(tmp_path, "db", logs["a"], logs["b"])
    lake = open_lake("s3://lake-bucket/correlate", AwsClients())
    export_lake(db, lake)
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket="lake-bucket")["Contents"])
    export_lake(db, lake)
    again = sorted(item["Key"] for item in s3.list_objects_v2(Bucket="lake-bucket")["Contents"])
    assert [re.sub(r"part-[0-9a-f-]+", "part-*", key) for key in again] == [
        "correlate/_ddl/athena.sql",
        "correlate/frontend_cells/lb=web-prod/day=2026-11-20/part-*.parquet",
        "correlate/latency_cells/lb=web-prod/day=2026-11-20/part-*.parquet",
        "correlate/rejects/kind=alb/part-*.parquet",
        "correlate/request_spans/lb=web-prod/day=2026-11-20/part-*.parquet",
        "correlate/requests/lb=web-prod/day=2026-11-20/part-*.parquet",
    ]
    assert set(keys) & set(again) == {"correlate/_ddl/athena.sql"}  # the old files are gone
    ddl = s3.get_object(Bucket="lake-bucket", Key="correlate/_ddl/athena.sql")["Body"].read().decode()
    assert "LOCATION 's3://lake-bucket/correlate/requests/';" in ddl
    with lake_database(lake) as view:
        assert view.query("select count(*) from requests")[1] == [(3,)]


def test_export_command(runner, tmp_path, logs):
    db_path = tmp_path / "c.duckdb"
    invoke(runner, "--db", db_path, "ingest", "logs", logs["b"])
    result = invoke(runner, "--db", db_path, "export", tmp_path / "lake", "--lb", "app/web-prod/50dc6c495c0c9188")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == (
        f"Exported to {tmp_path / 'lake'}: requests 1 rows in 1 partitions, latency_cells 1 rows in 1 partitions, "
        "frontend_cells 1 rows in 1 partitions, request_spans 1 rows in 1 partitions; Athena DDL in "
        f"{tmp_path / 'lake'}/_ddl/athena.sql\n"
    )
    nothing = invoke(runner, "--db", db_path, "export", tmp_path / "lake", "--lb", "other")
    assert (
        nothing.stderr
        == f"Nothing to export: the database has no rows of the selection. {tmp_path / 'lake'} is unchanged.\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("spark", "ingest", "logs/"), "--lake is missing: pass the lake, a local folder or s3://bucket/prefix."),
        (
            ("spark", "ingest", "logs/", "--lake", ""),
            "--lake is empty: pass the lake, a local folder or s3://bucket/prefix.",
        ),
        (("spark", "minutes"), "--lake is missing: pass the lake, a local folder or s3://bucket/prefix."),
        (("spark", "minutes", "--lake", " "), "--lake is empty: pass the lake, a local folder or s3://bucket/prefix."),
    ],
)
def test_spark_commands_without_a_lake(runner, args, message):
    result = invoke(runner, *args)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"


def test_spark_minutes_on_a_lake_without_requests(runner, tmp_path):
    result = invoke(runner, "spark", "minutes", "--lake", tmp_path / "nothing")
    assert result.exit_code == 1
    root = tmp_path / "nothing"
    assert result.stderr == (
        f"Error: {root} holds no requests: load access logs into it first (correlate spark ingest SOURCE --lake "
        f"{root}, or correlate export {root}).\n"
    )


def test_athena_types():
    assert [athena_type(kind) for kind in ("VARCHAR", "JSON", "INTEGER", "BIGINT", "DOUBLE", "TIMESTAMP")] == [
        "string",
        "string",
        "int",
        "bigint",
        "double",
        "timestamp",
    ]
    assert athena_type("VARCHAR[]") == "array<string>"
    with pytest.raises(ValueError, match="no Athena type for DuckDB type HUGEINT"):
        athena_type("HUGEINT")


def test_docs_show_the_generated_ddl(db):
    """docs/lake.md carries the DDL correlate writes, for a lake at s3://YOUR-BUCKET/correlate."""
    docs = (ROOT / "docs" / "lake.md").read_text()
    ddl = lake_ddl(db.con, "s3://YOUR-BUCKET/correlate")
    assert f"```sql\n{ddl}```" in docs
    assert [table.name for table in TABLES] == re.findall(r"CREATE EXTERNAL TABLE IF NOT EXISTS `(\w+)`", ddl)


def dt(text: str):
    import datetime

    return datetime.datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def exported_incident(tmp_path_factory):
    """The demo incident loaded into a database and exported whole to a lake."""
    from timeline_support import TEST_RATES

    from correlate.demo.run import run_demo

    root = tmp_path_factory.mktemp("exported")
    db_path = root / "db.duckdb"
    with Database.open(str(db_path)) as db:
        run = run_demo(db, "tls-policy", 2, root / "files", TEST_RATES)
        export_lake(db, open_lake(str(root / "lake")))
    return db_path, root / "lake", run.files.scenario.subject


def test_timeline_and_report_from_the_exported_lake_equal_the_database(runner, exported_incident, tmp_path):
    db_path, lake, lb = exported_incident
    from_db = invoke(runner, "--db", db_path, "timeline", "--lb", lb, "--format", "json")
    # no database at all: the changes come from the lake too
    from_lake = invoke(
        runner, "--db", tmp_path / "none.duckdb", "timeline", "--lb", lb, "--format", "json", "--lake", lake
    )
    assert from_lake.exit_code == from_db.exit_code == 0
    assert from_lake.stdout == from_db.stdout
    assert '"suspicion": 0.' in from_db.stdout
    reports = {}
    for name, extra in (("db", ()), ("lake", ("--lake", lake))):
        result = invoke(runner, "--db", db_path, "report", "--lb", lb, "-o", tmp_path / f"{name}.md", *extra)
        assert result.exit_code == 0, result.stderr
        text = (tmp_path / f"{name}.md").read_text().replace(f"{name}_files/", "FILES/")
        reports[name] = re.sub(r"generated [0-9-]+ [0-9:]+ UTC", "generated", text)
    assert reports["lake"] == reports["db"]


def test_timeline_from_a_lake_without_cells_or_that_lb(runner, exported_incident, tmp_path):
    db_path, lake, _ = exported_incident
    empty = invoke(runner, "--db", db_path, "timeline", "--lb", "web-prod", "--lake", tmp_path / "empty")
    assert empty.exit_code == 1
    assert empty.stderr == (
        f"Error: {tmp_path / 'empty'} holds no latency_cells: compute the cells first (correlate spark minutes "
        f"--lake {tmp_path / 'empty'}, or correlate export {tmp_path / 'empty'}).\n"
    )
    other = invoke(runner, "--db", tmp_path / "none.duckdb", "timeline", "--lb", "nope", "--lake", lake)
    assert other.exit_code == 1
    assert other.stderr == (
        f"Error: No cells or changes for load balancer 'nope' in the lake {lake}. Compute its cells with "
        f"`correlate spark minutes --lake {lake}` (or `correlate export`).\n"
    )
    blank = invoke(runner, "timeline", "--lb", "web-prod", "--lake", "")
    assert blank.exit_code == 1
    assert blank.stderr == "Error: --lake is empty: pass the lake, a local folder or s3://bucket/prefix.\n"
